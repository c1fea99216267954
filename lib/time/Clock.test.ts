/** The system clock's timers: delays beyond setTimeout's range are waited out, not turned into 1 ms. */
import { MAX_TIMEOUT_MS, systemClock } from './Clock';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('a delay longer than 2^31 - 1 ms fires after the whole delay, once', () => {
  const fired = jest.fn();
  systemClock.setTimer(3e9, fired);
  jest.advanceTimersByTime(MAX_TIMEOUT_MS);
  expect(fired).not.toHaveBeenCalled();
  jest.advanceTimersByTime(3e9 - MAX_TIMEOUT_MS - 1);
  expect(fired).not.toHaveBeenCalled();
  jest.advanceTimersByTime(1);
  expect(fired).toHaveBeenCalledTimes(1);
  jest.advanceTimersByTime(10 * MAX_TIMEOUT_MS);
  expect(fired).toHaveBeenCalledTimes(1);
});

test('cancel stops a long timer in any of its steps; a negative delay is 0', () => {
  const fired = jest.fn();
  const t = systemClock.setTimer(5e9, fired);
  jest.advanceTimersByTime(MAX_TIMEOUT_MS + 5);
  t.cancel();
  jest.advanceTimersByTime(5e9);
  expect(fired).not.toHaveBeenCalled();
  systemClock.setTimer(-5, fired);
  jest.advanceTimersByTime(0);
  expect(fired).toHaveBeenCalledTimes(1);
});
