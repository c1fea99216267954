/**
 * TtlReducingState and TtlAggregatingState on a ManualClock (ttl 100 ms):
 * the reduced value / accumulator expires at lastAccess + ttl, and an add
 * after expiry starts afresh; both update types and visibilities; values
 * written without TTL; user functions returning Promises.
 */
import { ThenableReturnedError } from '../../errors';
import { ManualClock } from '../../testing/ManualClock';
import { HeapKeyedStateBackend } from '../HeapKeyedStateBackend';
import { KeyGroupRange } from '../KeyGroup';
import type { AggregatingState, ReducingState } from '../KeyedState';
import { AggregatingStateDescriptor, ReducingStateDescriptor, type AggregateFunction } from '../StateDescriptor';
import { StateTtlConfig, type StateTtlConfigBuilder } from './StateTtlConfig';
import { TtlStateFactory } from './TtlStateFactory';
import { TtlValue } from './TtlValue';

const TTL = 100;

interface Avg {
  sum: number;
  count: number;
}

function average(): AggregateFunction<number, Avg, number> & { created: number } {
  const f = {
    created: 0,
    createAccumulator: () => {
      f.created++;
      return { sum: 0, count: 0 };
    },
    add: (v: number, a: Avg) => ({ sum: a.sum + v, count: a.count + 1 }),
    getResult: (a: Avg) => a.sum / a.count,
  };
  return f;
}

function setup(configure: (b: StateTtlConfigBuilder) => StateTtlConfigBuilder = (b) => b) {
  const clock = new ManualClock(1000);
  const backend = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
  const config = configure(StateTtlConfig.newBuilder(TTL).disableCleanupInBackground()).build();
  const states = new TtlStateFactory(backend, clock);
  const sum = states.getState(new ReducingStateDescriptor<number>('sum', (a, b) => a + b).enableTimeToLive(config)) as ReducingState<number>;
  const fn = average();
  const avg = states.getState(new AggregatingStateDescriptor('avg', fn).enableTimeToLive(config)) as AggregatingState<number, number>;
  backend.setCurrentKey('k');
  const stored = (name: string) => new Map(backend.entries(name)).get('k');
  return { clock, backend, states, config, sum, avg, fn, stored };
}

test('reducing: the reduced value expires at lastAccess + ttl; an add after expiry starts from the added value', () => {
  const { clock, backend, sum, stored } = setup();
  expect(sum.get()).toBeUndefined();
  sum.add(1);
  clock.advance(50);
  sum.add(2);
  expect(stored('sum')).toEqual(new TtlValue(3, 1050));
  clock.advance(99);
  expect(sum.get()).toBe(3);
  clock.advance(1);
  sum.add(10); // the expired 3 is not added to
  expect(sum.get()).toBe(10);
  clock.advance(TTL);
  expect(sum.get()).toBeUndefined();
  expect(backend.size('sum')).toBe(0);
});

test('aggregating: the accumulator expires at lastAccess + ttl; an add after expiry starts from a new accumulator', () => {
  const { clock, backend, avg, fn, stored } = setup();
  expect(avg.get()).toBeUndefined();
  avg.add(2);
  avg.add(4);
  expect(avg.get()).toBe(3);
  expect(stored('avg')).toEqual(new TtlValue({ sum: 6, count: 2 }, 1000));
  expect(fn.created).toBe(1);
  clock.advance(TTL);
  avg.add(10);
  expect(fn.created).toBe(2);
  expect(avg.get()).toBe(10);
  clock.advance(TTL);
  expect(avg.get()).toBeUndefined();
  expect(backend.size('avg')).toBe(0);
  avg.add(1);
  expect(avg.get()).toBe(1);
  avg.clear();
  expect(avg.get()).toBeUndefined();
});

test('OnReadAndWrite: get restarts the time to live', () => {
  const { clock, sum, avg, stored } = setup((b) => b.setUpdateType('OnReadAndWrite'));
  sum.add(1);
  avg.add(1);
  clock.advance(99);
  expect(sum.get()).toBe(1);
  expect(avg.get()).toBe(1);
  expect(stored('sum')).toEqual(new TtlValue(1, 1099));
  expect(stored('avg')).toEqual(new TtlValue({ sum: 1, count: 1 }, 1099));
  clock.advance(99);
  sum.add(1);
  avg.add(3);
  expect(sum.get()).toBe(2);
  expect(avg.get()).toBe(2);
  clock.advance(TTL);
  expect(sum.get()).toBeUndefined();
  expect(avg.get()).toBeUndefined();
});

test('OnCreateAndWrite: get does not restart the time to live', () => {
  const { clock, sum, avg } = setup();
  sum.add(1);
  avg.add(1);
  clock.advance(99);
  expect(sum.get()).toBe(1);
  expect(avg.get()).toBe(1);
  clock.advance(1);
  expect(sum.get()).toBeUndefined();
  expect(avg.get()).toBeUndefined();
});

test('ReturnExpiredIfNotCleanedUp: get returns the expired result once; an add still starts afresh', () => {
  const { clock, sum, avg } = setup((b) => b.setStateVisibility('ReturnExpiredIfNotCleanedUp'));
  sum.add(5);
  avg.add(5);
  clock.advance(TTL);
  expect(sum.get()).toBe(5);
  expect(avg.get()).toBe(5);
  expect(sum.get()).toBeUndefined();
  expect(avg.get()).toBeUndefined();
  sum.add(1);
  avg.add(1);
  clock.advance(TTL);
  sum.add(2);
  avg.add(3);
  expect(sum.get()).toBe(2);
  expect(avg.get()).toBe(3);
});

test('a reduced value or accumulator written without TTL counts as written when first met', async () => {
  const before = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
  before.setCurrentKey('k');
  before.setCurrentKey('j');
  (before.getState(new ReducingStateDescriptor<number>('sum', (a, b) => a + b)) as ReducingState<number>).add(7);
  (before.getState(new AggregatingStateDescriptor('avg', average())) as AggregatingState<number, number>).add(7);
  before.setCurrentKey('k');
  (before.getState(new ReducingStateDescriptor<number>('sum', (a, b) => a + b)) as ReducingState<number>).add(7);
  (before.getState(new AggregatingStateDescriptor('avg', average())) as AggregatingState<number, number>).add(7);
  const handle = await before.snapshot().write();

  const { clock, backend, sum, avg, stored } = setup();
  backend.restore([handle]);
  clock.advance(1000);
  // Key k: read first.
  expect(sum.get()).toBe(7);
  expect(avg.get()).toBe(7);
  expect(stored('sum')).toEqual(new TtlValue(7, 2000));
  expect(stored('avg')).toEqual(new TtlValue({ sum: 7, count: 1 }, 2000));
  // Key j: added to first.
  backend.setCurrentKey('j');
  sum.add(1);
  avg.add(1);
  expect(sum.get()).toBe(8);
  expect(avg.get()).toBe(4);
  clock.advance(TTL);
  expect(sum.get()).toBeUndefined();
  expect(avg.get()).toBeUndefined();
});

test('user functions returning a Promise are ThenableReturnedErrors naming the function and the state', () => {
  const { states, config } = setup();
  const r = states.getState(new ReducingStateDescriptor<number>('asyncSum', (a, b) => Promise.resolve(a + b) as never).enableTimeToLive(config)) as ReducingState<number>;
  r.add(1);
  expect(() => r.add(2)).toThrow(ThenableReturnedError);
  expect(() => r.add(2)).toThrow(/the reduce function of state 'asyncSum' returned a Promise/);
  const base = average();
  for (const [fn, f] of [
    ['createAccumulator()', { ...base, createAccumulator: () => Promise.resolve({ sum: 0, count: 0 }) }],
    ['add()', { ...base, add: () => Promise.resolve({ sum: 0, count: 0 }) }],
    ['getResult()', { ...base, getResult: () => Promise.resolve(0) }],
  ] as const) {
    const a = states.getState(new AggregatingStateDescriptor(`async-${fn}`, f as unknown as AggregateFunction<number, Avg, number>).enableTimeToLive(config)) as AggregatingState<
      number,
      number
    >;
    expect(() => {
      a.add(1);
      a.get();
    }).toThrow(new RegExp(`the ${fn.replace(/[()]/g, '\\$&')} of the aggregate function of state 'async-${fn.replace(/[()]/g, '\\$&')}' returned a Promise`));
  }
});
