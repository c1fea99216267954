/** HeartbeatMonitor: peers expire after the timeout (not before), heard peers are refreshed, forgotten ones never expire; options are checked. */
import { ConfigurationError } from '../errors';
import { DEFAULT_HEARTBEAT, heartbeatOptions, HeartbeatMonitor } from './HeartbeatMonitor';

test('a peer expires once silent for more than the timeout, and only once', () => {
  const m = new HeartbeatMonitor(heartbeatOptions({ intervalMs: 100, timeoutMs: 500 }));
  m.heard('a', 0);
  m.heard('b', 0);
  m.heard('a', 400);
  expect(m.expired(500)).toEqual([]);
  expect(m.expired(501)).toEqual([{ peer: 'b', silentMs: 501 }]);
  expect(m.has('b')).toBe(false);
  expect(m.expired(901)).toEqual([{ peer: 'a', silentMs: 501 }]);
  expect(m.expired(5000)).toEqual([]);
});

test('a forgotten peer never expires; hearing it again watches it again', () => {
  const m = new HeartbeatMonitor();
  m.heard('a', 0);
  expect(m.forget('a')).toBe(true);
  expect(m.expired(10_000)).toEqual([]);
  m.heard('a', 10_000);
  expect(m.expired(10_000 + DEFAULT_HEARTBEAT.timeoutMs + 1).map((d) => d.peer)).toEqual(['a']);
});

test('the defaults detect a dead peer within about 2 s', () => {
  expect(DEFAULT_HEARTBEAT.timeoutMs + DEFAULT_HEARTBEAT.intervalMs).toBeLessThanOrEqual(2500);
});

test('bad options are a ConfigurationError naming the option', () => {
  expect(() => heartbeatOptions({ intervalMs: 0 })).toThrow(ConfigurationError);
  expect(() => heartbeatOptions({ timeoutMs: Number.NaN })).toThrow(/heartbeat.timeoutMs/);
  expect(() => heartbeatOptions({ intervalMs: 1000, timeoutMs: 500 })).toThrow(/more than the interval/);
});
