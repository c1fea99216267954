/** TtlMapState on a ManualClock (ttl 100 ms): each entry expires on its own, whichever way it is read. */
import { ManualClock } from '../../testing/ManualClock';
import { HeapKeyedStateBackend } from '../HeapKeyedStateBackend';
import { KeyGroupRange } from '../KeyGroup';
import type { MapState } from '../KeyedState';
import { MapStateDescriptor } from '../StateDescriptor';
import { StateTtlConfig, type StateTtlConfigBuilder } from './StateTtlConfig';
import { TtlStateFactory } from './TtlStateFactory';
import { TtlValue } from './TtlValue';

const TTL = 100;

function setup(configure: (b: StateTtlConfigBuilder) => StateTtlConfigBuilder = (b) => b) {
  const clock = new ManualClock(1000);
  const backend = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
  const config = configure(StateTtlConfig.newBuilder(TTL).disableCleanupInBackground()).build();
  const map = new TtlStateFactory(backend, clock).getState(new MapStateDescriptor<string, number>('m').enableTimeToLive(config)) as MapState<string, number>;
  backend.setCurrentKey('k');
  const stored = () => new Map(backend.entries('m')).get('k') as Map<string, TtlValue<number>> | undefined;
  return { clock, backend, map, stored };
}

test('entries expire one by one at lastAccess + ttl, for get, contains, entries, keys, values and isEmpty', () => {
  const { clock, backend, map, stored } = setup();
  expect(map.isEmpty()).toBe(true);
  map.put('a', 1);
  clock.advance(50);
  map.putAll([
    ['b', 2],
    ['c', 3],
  ]);
  expect(stored()).toEqual(
    new Map([
      ['a', new TtlValue(1, 1000)],
      ['b', new TtlValue(2, 1050)],
      ['c', new TtlValue(3, 1050)],
    ]),
  );
  clock.advance(49);
  expect(map.get('a')).toBe(1);
  expect(map.contains('a')).toBe(true);
  clock.advance(1);
  expect(map.get('a')).toBeUndefined();
  expect(map.contains('a')).toBe(false);
  expect([...stored()!.keys()]).toEqual(['b', 'c']);
  expect([...map.entries()]).toEqual([
    ['b', 2],
    ['c', 3],
  ]);
  expect([...map.keys()]).toEqual(['b', 'c']);
  expect([...map.values()]).toEqual([2, 3]);
  expect(map.isEmpty()).toBe(false);
  clock.advance(50);
  expect(map.isEmpty()).toBe(true);
  expect(backend.size('m')).toBe(0);
});

test('entries() drops expired entries from the state; writing while iterating is allowed', () => {
  const { clock, map, stored } = setup();
  map.put('a', 1);
  clock.advance(60);
  map.put('b', 2);
  clock.advance(40);
  const seen: string[] = [];
  for (const [k, v] of map.entries()) {
    seen.push(k);
    map.put(`${k}2`, v * 2);
  }
  expect(seen).toEqual(['b']);
  expect([...stored()!.keys()]).toEqual(['b', 'b2']);
});

test('remove and clear', () => {
  const { map } = setup();
  map.put('a', 1);
  map.put('b', 2);
  map.remove('a');
  expect([...map.keys()]).toEqual(['b']);
  map.clear();
  expect(map.isEmpty()).toBe(true);
});

test('OnReadAndWrite: reading an entry restarts its time to live, and only its own', () => {
  const { clock, map, stored } = setup((b) => b.setUpdateType('OnReadAndWrite'));
  map.put('a', 1);
  map.put('b', 2);
  clock.advance(99);
  expect(map.get('a')).toBe(1);
  expect(stored()!.get('a')).toEqual(new TtlValue(1, 1099));
  expect(stored()!.get('b')).toEqual(new TtlValue(2, 1000));
  clock.advance(1);
  expect(map.contains('b')).toBe(false);
  clock.advance(98);
  expect(map.contains('a')).toBe(true); // contains reads the entry: restarts it too
  clock.advance(99);
  expect([...map.entries()]).toEqual([['a', 1]]);
  clock.advance(99);
  expect(map.isEmpty()).toBe(false); // isEmpty reads no value: restarts nothing
  clock.advance(1);
  expect(map.isEmpty()).toBe(true);
});

test('ReturnExpiredIfNotCleanedUp: an expired entry is returned once, by the read that removes it', () => {
  const { clock, map } = setup((b) => b.setStateVisibility('ReturnExpiredIfNotCleanedUp'));
  map.put('a', 1);
  map.put('b', 2);
  clock.advance(TTL);
  expect(map.get('a')).toBe(1);
  expect(map.get('a')).toBeUndefined();
  expect([...map.entries()]).toEqual([['b', 2]]);
  expect([...map.entries()]).toEqual([]);
  map.put('c', 3);
  clock.advance(TTL);
  expect(map.isEmpty()).toBe(false);
  expect(map.isEmpty()).toBe(true);
});

test('entries written without TTL count as written when the TTL state first reads them', async () => {
  const before = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
  before.setCurrentKey('k');
  const plain = before.getState(new MapStateDescriptor<string, number>('m')) as MapState<string, number>;
  plain.put('x', 1);
  plain.put('y', 2);
  const handle = await before.snapshot().write();
  const { clock, backend, map, stored } = setup();
  backend.restore([handle]);
  clock.advance(1000);
  expect(map.get('x')).toBe(1);
  expect(stored()!.get('x')).toEqual(new TtlValue(1, 2000));
  expect(stored()!.get('y')).toBe(2);
  clock.advance(50);
  expect([...map.entries()]).toEqual([
    ['x', 1],
    ['y', 2],
  ]);
  expect(stored()!.get('y')).toEqual(new TtlValue(2, 2050));
  clock.advance(50);
  expect([...map.keys()]).toEqual(['y']);
});
