/** StateTtlConfig: Flink's defaults, the builder's setters, and a ConfigurationError naming each bad argument. */
import { ConfigurationError } from '../../errors';
import { AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, ValueStateDescriptor } from '../StateDescriptor';
import { DEFAULT_CLEANUP_SIZE, StateTtlConfig } from './StateTtlConfig';

function optionOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigurationError);
    return (e as ConfigurationError).option;
  }
  throw new Error('no error');
}

test("defaults are Flink's: OnCreateAndWrite, NeverReturnExpired, incremental cleanup of 5 keys", () => {
  const c = StateTtlConfig.newBuilder(60_000).build();
  expect(c).toMatchObject({ ttl: 60_000, updateType: 'OnCreateAndWrite', stateVisibility: 'NeverReturnExpired', incrementalCleanupSize: DEFAULT_CLEANUP_SIZE });
  expect(DEFAULT_CLEANUP_SIZE).toBe(5);
  expect(Object.isFrozen(c)).toBe(true);
  expect(String(c)).toBe('StateTtlConfig(60000 ms, OnCreateAndWrite, NeverReturnExpired, incremental cleanup of 5)');
});

test('setters, their shorthands, and cleanup in background on and off', () => {
  const c = StateTtlConfig.newBuilder(10).setTtl(20).setUpdateType('OnReadAndWrite').setStateVisibility('ReturnExpiredIfNotCleanedUp').cleanupIncrementally(12).build();
  expect(c).toMatchObject({ ttl: 20, updateType: 'OnReadAndWrite', stateVisibility: 'ReturnExpiredIfNotCleanedUp', incrementalCleanupSize: 12 });
  const s = StateTtlConfig.newBuilder(10).updateTtlOnReadAndWrite().returnExpiredIfNotCleanedUp().build();
  expect(s).toMatchObject({ updateType: 'OnReadAndWrite', stateVisibility: 'ReturnExpiredIfNotCleanedUp' });
  expect(StateTtlConfig.newBuilder(10).updateTtlOnReadAndWrite().updateTtlOnCreateAndWrite().neverReturnExpired().build()).toMatchObject({
    updateType: 'OnCreateAndWrite',
    stateVisibility: 'NeverReturnExpired',
  });
  expect(StateTtlConfig.newBuilder(10).cleanupIncrementally().build().incrementalCleanupSize).toBe(5);
  expect(StateTtlConfig.newBuilder(10).disableCleanupInBackground().build().incrementalCleanupSize).toBeUndefined();
  // An explicit incremental cleanup stays, as in Flink, whichever comes first.
  expect(StateTtlConfig.newBuilder(10).disableCleanupInBackground().cleanupIncrementally(3).build().incrementalCleanupSize).toBe(3);
  expect(StateTtlConfig.newBuilder(10).cleanupIncrementally(3).disableCleanupInBackground().build().incrementalCleanupSize).toBe(3);
  expect(c.equals(new StateTtlConfig({ ...c }))).toBe(true);
  expect(c.equals(s)).toBe(false);
});

test.each([0, -1, NaN, Infinity, '60000', undefined])('a time to live of %p is a ConfigurationError on StateTtlConfig.ttl', (ttl) => {
  expect(optionOf(() => StateTtlConfig.newBuilder(ttl as number))).toBe('StateTtlConfig.ttl');
  expect(optionOf(() => StateTtlConfig.newBuilder(1).setTtl(ttl as number))).toBe('StateTtlConfig.ttl');
});

test('bad update types, visibilities and cleanup sizes name their option', () => {
  const b = StateTtlConfig.newBuilder(1);
  expect(optionOf(() => b.setUpdateType('Disabled' as never))).toBe('StateTtlConfig.updateType');
  expect(optionOf(() => b.setUpdateType(undefined as never))).toBe('StateTtlConfig.updateType');
  expect(optionOf(() => b.setStateVisibility('ReturnExpired' as never))).toBe('StateTtlConfig.stateVisibility');
  for (const size of [0, -5, 1.5, NaN, '5']) expect(optionOf(() => b.cleanupIncrementally(size as number))).toBe('StateTtlConfig.cleanupSize');
  expect(() => b.setUpdateType('Never' as never)).toThrow(/invalid configuration 'StateTtlConfig.updateType': must be one of 'OnCreateAndWrite', 'OnReadAndWrite', got "Never"/);
  expect(optionOf(() => new StateTtlConfig({ ttl: 1, updateType: 'OnCreateAndWrite', stateVisibility: 'NeverReturnExpired', incrementalCleanupSize: 0 }))).toBe(
    'StateTtlConfig.cleanupSize',
  );
  // The builder is unchanged by a refused argument.
  expect(b.build()).toMatchObject({ ttl: 1, updateType: 'OnCreateAndWrite', stateVisibility: 'NeverReturnExpired', incrementalCleanupSize: 5 });
});

test('every descriptor kind takes a TTL configuration; anything else is a ConfigurationError', () => {
  const ttl = StateTtlConfig.newBuilder(1000).build();
  const descriptors = [
    new ValueStateDescriptor<number>('v'),
    new ListStateDescriptor<number>('l'),
    new MapStateDescriptor<string, number>('m'),
    new ReducingStateDescriptor<number>('r', (a, b) => a + b),
    new AggregatingStateDescriptor<number, number, number>('a', { createAccumulator: () => 0, add: (v, a) => v + a, getResult: (a) => a }),
  ];
  for (const d of descriptors) {
    expect(d.ttlConfig).toBeUndefined();
    expect(d.enableTimeToLive(ttl)).toBe(d);
    expect(d.ttlConfig).toBe(ttl);
    expect(optionOf(() => d.enableTimeToLive({ ttl: 1000 } as never))).toBe('StateDescriptor.ttlConfig');
    expect(optionOf(() => d.enableTimeToLive(StateTtlConfig.newBuilder(5) as never))).toBe('StateDescriptor.ttlConfig');
    expect(d.ttlConfig).toBe(ttl);
  }
});
