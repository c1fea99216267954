/**
 * TtlValueState on a ManualClock (ttl 100 ms, values written at t=1000):
 * expiry exactly at lastAccess + ttl, both update types and visibilities,
 * the default value, values written without TTL, and how the operator's
 * TTL states share names with plain state.
 */
import { StateAccessError } from '../../errors';
import { ManualClock } from '../../testing/ManualClock';
import { HeapKeyedStateBackend } from '../HeapKeyedStateBackend';
import { KeyGroupRange } from '../KeyGroup';
import type { ValueState } from '../KeyedState';
import { ListStateDescriptor, ValueStateDescriptor } from '../StateDescriptor';
import { StateTtlConfig, type StateTtlConfigBuilder } from './StateTtlConfig';
import { TtlStateFactory } from './TtlStateFactory';
import { TtlValue } from './TtlValue';

const TTL = 100;

function setup(configure: (b: StateTtlConfigBuilder) => StateTtlConfigBuilder = (b) => b) {
  const clock = new ManualClock(1000);
  const backend = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
  const states = new TtlStateFactory(backend, clock);
  const config = configure(StateTtlConfig.newBuilder(TTL).disableCleanupInBackground()).build();
  const descriptor = <T>(name: string, defaultValue?: T) => new ValueStateDescriptor<T>(name, defaultValue).enableTimeToLive(config);
  const value = <T>(name = 'v', defaultValue?: T) => states.getState(descriptor(name, defaultValue)) as ValueState<T>;
  backend.setCurrentKey('k');
  return { clock, backend, states, config, descriptor, value };
}

/** The stored form of the current key's entry. */
function stored(backend: HeapKeyedStateBackend, name: string, key = 'k'): unknown {
  return new Map(backend.entries(name)).get(key);
}

test('OnCreateAndWrite, NeverReturnExpired: readable until lastAccess + ttl, gone and removed at it', () => {
  const { clock, backend, value } = setup();
  const s = value<string>();
  expect(s.value()).toBeUndefined();
  s.update('a');
  expect(stored(backend, 'v')).toEqual(new TtlValue('a', 1000));
  expect(stored(backend, 'v')).toBeInstanceOf(TtlValue);
  clock.advance(TTL - 1);
  expect(s.value()).toBe('a'); // a read does not restart the time to live
  expect(stored(backend, 'v')).toEqual(new TtlValue('a', 1000));
  clock.advance(1);
  expect(s.value()).toBeUndefined();
  expect(backend.size('v')).toBe(0);
});

test('a write restarts the time to live', () => {
  const { clock, value } = setup();
  const s = value<number>();
  s.update(1);
  clock.advance(60);
  s.update(2);
  clock.advance(60);
  expect(s.value()).toBe(2);
  clock.advance(39);
  expect(s.value()).toBe(2);
  clock.advance(1);
  expect(s.value()).toBeUndefined();
});

test('OnReadAndWrite: each read restarts the time to live', () => {
  const { clock, backend, value } = setup((b) => b.setUpdateType('OnReadAndWrite'));
  const s = value<string>();
  s.update('a');
  clock.advance(99);
  expect(s.value()).toBe('a');
  expect(stored(backend, 'v')).toEqual(new TtlValue('a', 1099));
  clock.advance(99);
  expect(s.value()).toBe('a');
  clock.advance(100);
  expect(s.value()).toBeUndefined();
  expect(backend.size('v')).toBe(0);
});

test('ReturnExpiredIfNotCleanedUp: the expired value is returned by the read that removes it', () => {
  const { clock, backend, value } = setup((b) => b.setStateVisibility('ReturnExpiredIfNotCleanedUp'));
  const s = value<string>();
  s.update('a');
  clock.advance(TTL);
  expect(s.value()).toBe('a');
  expect(backend.size('v')).toBe(0);
  expect(s.value()).toBeUndefined();
});

test('ReturnExpiredIfNotCleanedUp with OnReadAndWrite: reading an expired value does not revive it', () => {
  const { clock, value } = setup((b) => b.setStateVisibility('ReturnExpiredIfNotCleanedUp').setUpdateType('OnReadAndWrite'));
  const s = value<string>();
  s.update('a');
  clock.advance(150);
  expect(s.value()).toBe('a');
  expect(s.value()).toBeUndefined();
});

test("an expired value reads as the descriptor's default, a fresh copy each time", () => {
  const { clock, value } = setup();
  const s = value<{ n: number }>('withDefault', { n: 0 });
  expect(s.value()).toEqual({ n: 0 });
  s.update({ n: 5 });
  clock.advance(TTL);
  const d = s.value()!;
  expect(d).toEqual({ n: 0 });
  d.n = 9;
  expect(s.value()).toEqual({ n: 0 });
});

test('update(undefined) and clear() remove the value; keys are independent', () => {
  const { clock, backend, value } = setup();
  const s = value<number>();
  s.update(1);
  backend.setCurrentKey('other');
  clock.advance(50);
  s.update(2);
  backend.setCurrentKey('k');
  s.update(undefined);
  expect(s.value()).toBeUndefined();
  s.update(3);
  s.clear();
  expect(s.value()).toBeUndefined();
  backend.setCurrentKey('other');
  clock.advance(99);
  expect(s.value()).toBe(2);
  clock.advance(1);
  expect(s.value()).toBeUndefined();
});

test('a value written without TTL (an earlier run) counts as written when the TTL state first reads it', async () => {
  const before = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
  before.setCurrentKey('k');
  (before.getState(new ValueStateDescriptor<string>('v')) as ValueState<string>).update('old');
  const handle = await before.snapshot().write();

  const { clock, backend, value } = setup();
  backend.restore([handle]);
  const s = value<string>();
  clock.advance(5000);
  expect(s.value()).toBe('old');
  expect(stored(backend, 'v')).toEqual(new TtlValue('old', 6000));
  clock.advance(TTL - 1);
  expect(s.value()).toBe('old');
  clock.advance(1);
  expect(s.value()).toBeUndefined();
});

test('one object per name; a name is TTL state or plain state, with one configuration, in an operator', () => {
  const { states, config, descriptor, value } = setup();
  const s = value<number>('v');
  expect(value<number>('v')).toBe(s);
  expect(states.getState(descriptor('v'))).toBe(s);
  expect(states.getState(new ValueStateDescriptor('v').enableTimeToLive(StateTtlConfig.newBuilder(TTL).disableCleanupInBackground().build()))).toBe(s);
  expect(() => states.getState(new ValueStateDescriptor('v'))).toThrow(StateAccessError);
  expect(() => states.getState(new ValueStateDescriptor('v'))).toThrow(/'v' is used with a time-to-live in this operator; it cannot be used without one/);
  expect(() => states.getState(new ValueStateDescriptor('v').enableTimeToLive(StateTtlConfig.newBuilder(5).build()))).toThrow(
    /used with StateTtlConfig\(100 ms.*cannot be used with StateTtlConfig\(5 ms/,
  );
  expect(() => states.getState(new ListStateDescriptor('v').enableTimeToLive(config))).toThrow(/registered as value state and cannot be used as list state/);
  states.getState(new ValueStateDescriptor('plain'));
  expect(() => states.getState(descriptor('plain'))).toThrow(/'plain' is used without a time-to-live in this operator; it cannot be used with one/);
});

test('no current key is the StateAccessError plain state gives', () => {
  const clock = new ManualClock();
  const states = new TtlStateFactory(new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127)), clock);
  const s = states.getState(new ValueStateDescriptor('v').enableTimeToLive(StateTtlConfig.newBuilder(10).build())) as ValueState<number>;
  expect(() => s.value()).toThrow(/keyed state accessed with no current key/);
  expect(() => s.update(1)).toThrow(StateAccessError);
});
