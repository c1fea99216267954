/**
 * TTL state through a checkpoint: values of every kind come back from a
 * snapshot (snapshot().write(), restored into a fresh backend) as
 * TtlValues with their last-access times, so they expire after the restore
 * exactly when they would have without it; a snapshot is not changed by
 * later reads that restart a time to live.
 */
import { ManualClock } from '../../testing/ManualClock';
import { HeapKeyedStateBackend, type KeyedStateHandle } from '../HeapKeyedStateBackend';
import { KeyGroupRange } from '../KeyGroup';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from '../KeyedState';
import { AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, ValueStateDescriptor } from '../StateDescriptor';
import { StateTtlConfig } from './StateTtlConfig';
import { TtlStateFactory } from './TtlStateFactory';
import { TTL_VALUE_TYPE, TtlValue } from './TtlValue';
import { stateTypeNamed } from '../StateTypeRegistry';

const TTL = 100;

class Point {
  constructor(
    readonly x = 0,
    readonly y = 0,
  ) {}
}

/** A subtask's TTL states of every kind on a fresh backend (restored from `handles`). */
function open(clock: ManualClock, handles: KeyedStateHandle[] = [], updateType: 'OnCreateAndWrite' | 'OnReadAndWrite' = 'OnCreateAndWrite') {
  const backend = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
  backend.restore(handles);
  const config = StateTtlConfig.newBuilder(TTL).setUpdateType(updateType).build();
  const states = new TtlStateFactory(backend, clock);
  return {
    backend,
    value: states.getState(new ValueStateDescriptor<Point>('value', undefined, { types: [Point] }).enableTimeToLive(config)) as ValueState<Point>,
    list: states.getState(new ListStateDescriptor<string>('list').enableTimeToLive(config)) as ListState<string>,
    map: states.getState(new MapStateDescriptor<string, number>('map').enableTimeToLive(config)) as MapState<string, number>,
    sum: states.getState(new ReducingStateDescriptor<number>('sum', (a, b) => a + b).enableTimeToLive(config)) as ReducingState<number>,
    max: states.getState(
      new AggregatingStateDescriptor<number, { max: number }, number>('max', {
        createAccumulator: () => ({ max: -Infinity }),
        add: (v, a) => ({ max: Math.max(v, a.max) }),
        getResult: (a) => a.max,
      }).enableTimeToLive(config),
    ) as AggregatingState<number, number>,
  };
}

test('TtlValue is a registered state type', () => {
  expect(stateTypeNamed(TTL_VALUE_TYPE)?.prototype).toBe(TtlValue.prototype);
});

test('every kind keeps its last-access times through snapshot and restore', async () => {
  const clock = new ManualClock(1000);
  const a = open(clock);
  a.backend.setCurrentKey('k');
  a.value.update(new Point(1, 2));
  a.list.add('early');
  a.map.put('early', 1);
  a.sum.add(1);
  a.max.add(1);
  clock.advance(50);
  a.list.add('late');
  a.map.put('late', 2);
  a.sum.add(2);
  a.max.add(5);
  const handle = await a.backend.snapshot().write();

  const restoredClock = new ManualClock(1099);
  const b = open(restoredClock, [handle]);
  b.backend.setCurrentKey('k');
  const raw = (name: string) => new Map(b.backend.entries(name)).get('k');
  expect(raw('value')).toBeInstanceOf(TtlValue);
  expect(raw('value')).toEqual(new TtlValue(new Point(1, 2), 1000));
  expect((raw('value') as TtlValue<Point>).value).toBeInstanceOf(Point);
  expect(raw('list')).toEqual([new TtlValue('early', 1000), new TtlValue('late', 1050)]);
  expect((raw('list') as unknown[]).every((e) => e instanceof TtlValue)).toBe(true);
  expect(raw('map')).toEqual(
    new Map([
      ['early', new TtlValue(1, 1000)],
      ['late', new TtlValue(2, 1050)],
    ]),
  );
  expect(raw('sum')).toEqual(new TtlValue(3, 1050));
  expect(raw('max')).toEqual(new TtlValue({ max: 5 }, 1050));

  expect(b.value.value()).toEqual(new Point(1, 2));
  expect(b.list.get()).toEqual(['early', 'late']);
  expect(b.map.get('early')).toBe(1);
  restoredClock.advance(1); // 1100: what was written at 1000 expired
  expect(b.value.value()).toBeUndefined();
  expect(b.list.get()).toEqual(['late']);
  expect([...b.map.keys()]).toEqual(['late']);
  expect(b.sum.get()).toBe(3);
  expect(b.max.get()).toBe(5);
  restoredClock.advance(50); // 1150: everything expired
  expect(b.list.get()).toEqual([]);
  expect(b.map.isEmpty()).toBe(true);
  expect(b.sum.get()).toBeUndefined();
  b.max.add(2);
  expect(b.max.get()).toBe(2);
});

test('a snapshot keeps the last-access times it was taken with, whatever reads restart afterwards', async () => {
  const clock = new ManualClock(1000);
  const a = open(clock, [], 'OnReadAndWrite');
  a.backend.setCurrentKey('k');
  a.value.update(new Point(3, 4));
  a.list.add('x');
  a.map.put('x', 1);
  a.sum.add(1);
  a.max.add(1);
  const snapshot = a.backend.snapshot();
  clock.advance(60);
  // Reads restart the time to live in the live state...
  a.value.value();
  a.list.get();
  a.map.get('x');
  a.sum.get();
  a.max.get();
  expect(new Map(a.backend.entries('sum')).get('k')).toEqual(new TtlValue(1, 1060));
  const handle = await snapshot.write();
  // ...not in the snapshot taken before them.
  const b = open(new ManualClock(1099), [handle]);
  for (const name of ['value', 'sum', 'max']) expect((new Map(b.backend.entries(name)).get('k') as TtlValue<unknown>).lastAccess).toBe(1000);
  expect((new Map(b.backend.entries('list')).get('k') as TtlValue<unknown>[])[0].lastAccess).toBe(1000);
  expect((new Map(b.backend.entries('map')).get('k') as Map<string, TtlValue<unknown>>).get('x')!.lastAccess).toBe(1000);
  // And the live state still has its own.
  expect(new Map(a.backend.entries('value')).get('k')).toEqual(new TtlValue(new Point(3, 4), 1060));
});

test('a checkpoint holding TTL state is readable by a process that loaded only the backend (readKeyedState, tools)', async () => {
  const clock = new ManualClock(1000);
  const a = open(clock);
  a.backend.setCurrentKey('k');
  a.value.update(new Point(1, 1));
  a.list.add('x');
  const handle = await a.backend.snapshot().write();
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fresh = require('../HeapKeyedStateBackend') as typeof import('../HeapKeyedStateBackend');
    const backend = new fresh.HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
    backend.restore([handle]);
    const list = new Map(backend.entries('list')).get('k') as { value: unknown; lastAccess: number; constructor: { name: string } }[];
    expect(list).toHaveLength(1);
    expect(list[0].constructor.name).toBe('TtlValue');
    expect(list[0]).toMatchObject({ value: 'x', lastAccess: 1000 });
  });
});
