/** TtlListState on a ManualClock (ttl 100 ms): each element expires on its own; reads write the list back without expired elements. */
import { ManualClock } from '../../testing/ManualClock';
import { HeapKeyedStateBackend } from '../HeapKeyedStateBackend';
import { KeyGroupRange } from '../KeyGroup';
import type { ListState } from '../KeyedState';
import { ListStateDescriptor } from '../StateDescriptor';
import { StateTtlConfig, type StateTtlConfigBuilder } from './StateTtlConfig';
import { TtlStateFactory } from './TtlStateFactory';
import { TtlValue } from './TtlValue';

const TTL = 100;

function setup(configure: (b: StateTtlConfigBuilder) => StateTtlConfigBuilder = (b) => b) {
  const clock = new ManualClock(1000);
  const backend = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
  const config = configure(StateTtlConfig.newBuilder(TTL).disableCleanupInBackground()).build();
  const list = new TtlStateFactory(backend, clock).getState(new ListStateDescriptor<string>('l').enableTimeToLive(config)) as ListState<string>;
  backend.setCurrentKey('k');
  const stored = () => new Map(backend.entries('l')).get('k') as TtlValue<string>[] | undefined;
  return { clock, backend, list, stored };
}

test('elements expire one by one at lastAccess + ttl; reads drop the expired ones from the state', () => {
  const { clock, backend, list, stored } = setup();
  expect(list.get()).toEqual([]);
  list.add('a');
  clock.advance(50);
  list.addAll(['b', 'c']);
  expect(list.get()).toEqual(['a', 'b', 'c']);
  expect(stored()).toEqual([new TtlValue('a', 1000), new TtlValue('b', 1050), new TtlValue('c', 1050)]);
  clock.advance(49);
  expect(list.get()).toEqual(['a', 'b', 'c']);
  clock.advance(1);
  expect(list.get()).toEqual(['b', 'c']);
  expect(stored()).toEqual([new TtlValue('b', 1050), new TtlValue('c', 1050)]);
  list.add('d');
  clock.advance(50);
  expect(list.get()).toEqual(['d']);
  clock.advance(100);
  expect(list.get()).toEqual([]);
  expect(backend.size('l')).toBe(0);
});

test('update stamps every element; clear empties', () => {
  const { clock, list } = setup();
  list.add('a');
  clock.advance(80);
  list.update(['x', 'y']);
  clock.advance(80);
  expect(list.get()).toEqual(['x', 'y']);
  list.update([]);
  expect(list.get()).toEqual([]);
  list.add('z');
  list.clear();
  expect(list.get()).toEqual([]);
});

test('OnReadAndWrite: a read restarts the time to live of every element it returns', () => {
  const { clock, list, stored } = setup((b) => b.setUpdateType('OnReadAndWrite'));
  list.add('a');
  clock.advance(60);
  list.add('b');
  clock.advance(39);
  expect(list.get()).toEqual(['a', 'b']);
  expect(stored()).toEqual([new TtlValue('a', 1099), new TtlValue('b', 1099)]);
  clock.advance(99);
  expect(list.get()).toEqual(['a', 'b']);
  clock.advance(100);
  expect(list.get()).toEqual([]);
});

test('ReturnExpiredIfNotCleanedUp: expired elements are returned once, by the read that removes them', () => {
  const { clock, list, stored } = setup((b) => b.setStateVisibility('ReturnExpiredIfNotCleanedUp'));
  list.add('a');
  clock.advance(50);
  list.add('b');
  clock.advance(50);
  expect(list.get()).toEqual(['a', 'b']);
  expect(stored()).toEqual([new TtlValue('b', 1050)]);
  expect(list.get()).toEqual(['b']);
});

test('elements written without TTL count as written when the TTL state first reads them', async () => {
  const before = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
  before.setCurrentKey('k');
  (before.getState(new ListStateDescriptor<string>('l')) as ListState<string>).addAll(['p', 'q']);
  const handle = await before.snapshot().write();
  const { clock, backend, list, stored } = setup();
  backend.restore([handle]);
  clock.advance(1000);
  list.add('r');
  expect(list.get()).toEqual(['p', 'q', 'r']);
  expect(stored()).toEqual([new TtlValue('p', 2000), new TtlValue('q', 2000), new TtlValue('r', 2000)]);
  clock.advance(TTL);
  expect(list.get()).toEqual([]);
});

test('the returned array is a copy: changing it does not change the state', () => {
  const { list } = setup();
  list.add('a');
  (list.get() as string[]).push('zzz');
  expect(list.get()).toEqual(['a']);
});
