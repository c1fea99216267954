/**
 * Incremental cleanup: each access of a TTL state checks up to cleanupSize
 * other keys of it, removing what expired there — so keys never read again
 * go away — restoring the key of the access, counting as no read, and
 * walking every key once per pass.
 */
import { ManualClock } from '../../testing/ManualClock';
import { HeapKeyedStateBackend } from '../HeapKeyedStateBackend';
import { KeyGroupRange } from '../KeyGroup';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from '../KeyedState';
import { AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, ValueStateDescriptor } from '../StateDescriptor';
import { StateTtlConfig, type StateTtlConfigBuilder } from './StateTtlConfig';
import { TtlIncrementalCleanup } from './TtlIncrementalCleanup';
import { TtlStateFactory } from './TtlStateFactory';
import { TtlValue } from './TtlValue';

const TTL = 100;

function setup(configure: (b: StateTtlConfigBuilder) => StateTtlConfigBuilder = (b) => b) {
  const clock = new ManualClock(1000);
  const backend = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
  const config = configure(StateTtlConfig.newBuilder(TTL)).build();
  const states = new TtlStateFactory(backend, clock);
  const value = states.getState(new ValueStateDescriptor<number>('v').enableTimeToLive(config)) as ValueState<number>;
  const keys = (name = 'v') => [...backend.keys(name)];
  /** Writes `v` for keys k0..k(n-1) at the current time, through a state of another operator's that does not clean up (leaving the cursor of `value` where it is). */
  const writer = new TtlStateFactory(backend, clock).getState(
    new ValueStateDescriptor<number>('v').enableTimeToLive(new StateTtlConfig({ ...config, incrementalCleanupSize: undefined })),
  ) as ValueState<number>;
  const fill = (n: number) => {
    for (let i = 0; i < n; i++) {
      backend.setCurrentKey(`k${i}`);
      writer.update(i);
    }
  };
  return { clock, backend, config, states, value, keys, fill };
}

test('keys that are never read again are removed by accesses under another key, 5 per access by default', () => {
  const { clock, backend, value, keys, fill } = setup();
  fill(20);
  clock.advance(90);
  backend.setCurrentKey('x');
  value.update(-1); // checks k0..k4 (a list of k0..k19): none expired yet
  expect(keys()).toHaveLength(21);
  clock.advance(10);
  value.value(); // k5..k9 expired
  expect(keys()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k10', 'k11', 'k12', 'k13', 'k14', 'k15', 'k16', 'k17', 'k18', 'k19', 'x']);
  expect(backend.currentKey()).toBe('x');
  value.value();
  value.value(); // k10..k19: the end of the pass
  expect(keys()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'x']);
  value.value(); // a new list: k0..k4
  expect(keys()).toEqual(['x']);
  value.value(); // x (skipped: the key of the access), end of the list; a new one is not taken twice in one access
  expect(keys()).toEqual(['x']);
  expect(backend.size('v')).toBe(1);
  expect(value.value()).toBe(-1);
  expect(backend.currentKey()).toBe('x');
});

test('cleanupIncrementally(n) checks n keys per access; keys written since the pass began are checked in the next pass', () => {
  const { clock, backend, value, keys, fill } = setup((b) => b.cleanupIncrementally(10));
  fill(15);
  backend.setCurrentKey('x');
  clock.advance(TTL);
  value.update(0); // k0..k9
  expect(keys()).toHaveLength(6);
  backend.setCurrentKey('late');
  value.update(1); // k10..k14, then a new list: x (written at 1100: kept)
  expect(keys()).toEqual(['x', 'late']);
  clock.advance(TTL);
  value.clear(); // a new list: x expired; late is the key of this access
  expect(keys()).toEqual([]);
});

test('disableCleanupInBackground: nothing but the accessed key is cleaned up', () => {
  const { clock, backend, value, keys, fill } = setup((b) => b.disableCleanupInBackground());
  fill(10);
  clock.advance(TTL);
  backend.setCurrentKey('x');
  for (let i = 0; i < 10; i++) value.value();
  expect(keys()).toHaveLength(10);
  backend.setCurrentKey('k3');
  expect(value.value()).toBeUndefined();
  expect(keys()).toHaveLength(9);
});

test('the cleanup does not count as a read: under OnReadAndWrite it restarts no time to live', () => {
  const { clock, backend, value, fill } = setup((b) => b.setUpdateType('OnReadAndWrite').cleanupIncrementally(100));
  fill(3);
  clock.advance(50);
  backend.setCurrentKey('x');
  value.value(); // checks k0..k2, all alive
  expect(new Map(backend.entries('v')).get('k1')).toEqual(new TtlValue(1, 1000));
  clock.advance(50);
  backend.setCurrentKey('k1');
  expect(value.value()).toBeUndefined();
});

test('every kind: expired list elements, map entries, reduced values and accumulators of other keys are removed, live ones kept', () => {
  const { clock, backend, config, states } = setup((b) => b.cleanupIncrementally(100));
  const list = states.getState(new ListStateDescriptor<string>('l').enableTimeToLive(config)) as ListState<string>;
  const map = states.getState(new MapStateDescriptor<string, number>('m').enableTimeToLive(config)) as MapState<string, number>;
  const sum = states.getState(new ReducingStateDescriptor<number>('r', (a, b) => a + b).enableTimeToLive(config)) as ReducingState<number>;
  const count = states.getState(
    new AggregatingStateDescriptor<number, number, number>('a', { createAccumulator: () => 0, add: (_, a) => a + 1, getResult: (a) => a }).enableTimeToLive(config),
  ) as AggregatingState<number, number>;
  for (const k of ['p', 'q']) {
    backend.setCurrentKey(k);
    list.add('old');
    map.put('old', 1);
    sum.add(1);
    count.add(1);
  }
  clock.advance(50);
  backend.setCurrentKey('p');
  list.add('new');
  map.put('new', 2);
  clock.advance(50);
  backend.setCurrentKey('x');
  for (const access of [() => list.get(), () => map.isEmpty(), () => sum.get(), () => count.get()]) access();
  const raw = (name: string) => new Map(backend.entries(name));
  expect([...raw('l').keys()]).toEqual(['p']);
  expect(raw('l').get('p')).toEqual([new TtlValue('new', 1050)]);
  expect([...raw('m').keys()]).toEqual(['p']);
  expect(raw('m').get('p')).toEqual(new Map([['new', new TtlValue(2, 1050)]]));
  expect(backend.size('r')).toBe(0);
  expect(backend.size('a')).toBe(0);
  expect(backend.currentKey()).toBe('x');
});

test('values written without TTL are stamped by the cleanup, then expire even if never read', async () => {
  const before = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
  const plain = before.getState(new ValueStateDescriptor<number>('v')) as ValueState<number>;
  for (const k of ['a', 'b', 'c']) {
    before.setCurrentKey(k);
    plain.update(1);
  }
  const handle = await before.snapshot().write();
  const { clock, backend, value, keys } = setup();
  backend.restore([handle]);
  clock.advance(1000);
  backend.setCurrentKey('x');
  value.value();
  expect(new Map(backend.entries('v'))).toEqual(
    new Map([
      ['a', new TtlValue(1, 2000)],
      ['b', new TtlValue(1, 2000)],
      ['c', new TtlValue(1, 2000)],
    ]),
  );
  clock.advance(TTL);
  value.value();
  expect(keys()).toEqual([]);
});

/** A backend of keys a, x, b, c (x current) whose entries are last-access times, and a state cleaning up through `check`. */
function cursorOn(oldest: Record<string, number>, check: (key: string) => void, size = 2) {
  let current = 'x';
  const set: string[] = [];
  const backend = {
    entries: () => Object.entries(oldest),
    currentKey: () => current,
    setCurrentKey: (k: string) => {
      set.push(k);
      current = k;
    },
  };
  const state = { name: 's', config: { ttl: 10 }, oldestAccess: (t: unknown) => t as number, cleanupCurrentKey: () => check(current) };
  return { cleanup: new TtlIncrementalCleanup(backend, state, size), set, current: () => current, backend, state };
}

test('the cursor on its own: the key of the access is restored, even when a check throws; a run inside a run does nothing', () => {
  const checked: string[] = [];
  let fail = false;
  const c = cursorOn({ a: -Infinity, x: -Infinity, b: -Infinity, c: -Infinity }, (k) => {
    checked.push(k);
    c.cleanup.run(0); // re-entered (a check that accesses the state): ignored
    if (fail && k === 'b') throw new Error('boom');
  });
  c.cleanup.run(0);
  expect(checked).toEqual(['a']); // x is skipped but uses its slot
  expect(c.set).toEqual(['a', 'x']);
  fail = true;
  expect(() => c.cleanup.run(0)).toThrow('boom');
  expect(c.current()).toBe('x');
  c.cleanup.run(0); // c, then a new list: a
  expect(checked).toEqual(['a', 'b', 'c', 'a']);
  expect(c.current()).toBe('x');
  const noKey = new TtlIncrementalCleanup({ ...c.backend, currentKey: () => { throw new Error('no key'); } }, c.state, 2);
  expect(() => noKey.run(0)).toThrow('no key');
});

test('the cursor passes over keys whose oldest value had not expired by now, without moving the backend', () => {
  const checked: string[] = [];
  const stored: Record<string, number> = { a: 100, x: 0, b: 95, c: 90 };
  const c = cursorOn(
    stored,
    (k) => {
      checked.push(k);
      delete stored[k]; // expired: removed
    },
    4,
  );
  c.cleanup.run(104); // a: 110 > 104, x: current, b: 105 > 104, c: 100 <= 104
  expect(checked).toEqual(['c']);
  expect(c.set).toEqual(['c', 'x']);
  c.cleanup.run(104); // a new list (a, x, b): nothing due
  expect(c.set).toEqual(['c', 'x']);
  c.cleanup.run(110); // a new list: a and b due
  expect(checked).toEqual(['c', 'a', 'b']);
});
