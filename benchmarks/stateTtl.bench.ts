/**
 * The per-record cost of keyed state with a time-to-live: a ValueState
 * counter (value() + update(): two state accesses per record) over 100K
 * string keys, plain against TTL without incremental cleanup, with the
 * default cleanup (5 keys per access) and with 1 key per access; then with
 * keys expiring all the time (the clock moves 1 ms per record, ttl 50K ms:
 * about half the keys expire between two visits). And the pause a pass of
 * the incremental cleanup takes when it lists the state's keys (a walk
 * over the 100K entries, once per pass).
 */
import { HeapKeyedStateBackend } from '../lib/state/HeapKeyedStateBackend';
import type { ValueState } from '../lib/state/KeyedState';
import { KeyGroupRange } from '../lib/state/KeyGroup';
import { ValueStateDescriptor } from '../lib/state/StateDescriptor';
import { StateTtlConfig, type StateTtlConfigBuilder } from '../lib/state/ttl/StateTtlConfig';
import { TtlStateFactory } from '../lib/state/ttl/TtlStateFactory';
import { ManualClock } from '../lib/testing/ManualClock';
import { best, type CaseResult } from './harness';

const KEYS = 100_000;
const keys = Array.from({ length: KEYS }, (_, i) => `user-${i}`);
const keyOf = (i: number) => keys[(i * 7919) % KEYS];

function counter(updates: number, state: (b: HeapKeyedStateBackend, clock: ManualClock) => ValueState<number>, msPerRecord = 0): () => void {
  return () => {
    const b = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
    const clock = new ManualClock(0);
    const s = state(b, clock);
    for (let i = 0; i < updates; i++) {
      b.setCurrentKey(keyOf(i));
      s.update((s.value() ?? 0) + 1);
      if (msPerRecord > 0) clock.advance(msPerRecord);
    }
  };
}

const ttl =
  (ms: number, configure: (b: StateTtlConfigBuilder) => StateTtlConfigBuilder) =>
  (b: HeapKeyedStateBackend, clock: ManualClock): ValueState<number> =>
    new TtlStateFactory(b, clock).getState(new ValueStateDescriptor<number>('count').enableTimeToLive(configure(StateTtlConfig.newBuilder(ms)).build())) as ValueState<number>;

export async function run(updates = 2_000_000): Promise<CaseResult> {
  const NEVER = 1e12;
  const plain = await best('ValueState counter', updates, 3, counter(updates, (b) => b.getState(new ValueStateDescriptor<number>('count')) as ValueState<number>));
  const noCleanup = await best('TTL, no incremental cleanup', updates, 3, counter(updates, ttl(NEVER, (c) => c.disableCleanupInBackground())));
  const cleanup1 = await best('TTL, cleanup 1 key per access', updates, 3, counter(updates, ttl(NEVER, (c) => c.cleanupIncrementally(1))));
  const cleanup5 = await best('TTL, cleanup 5 keys per access (default)', updates, 3, counter(updates, ttl(NEVER, (c) => c)));
  const expiring = await best('TTL, cleanup 5, keys expiring (1 ms per record, ttl 50K ms)', updates, 3, counter(updates, ttl(50_000, (c) => c), 1));
  const b = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
  const s = b.getState(new ValueStateDescriptor<number>('count')) as ValueState<number>;
  for (const k of keys) {
    b.setCurrentKey(k);
    s.update(1);
  }
  const walk = await best('cleanup pass: listing 100K keys', KEYS, 5, () => {
    let n = 0;
    for (const _ of b.entries('count')) n++;
    return n;
  });
  return {
    name: 'keyed state with a time-to-live, per record, 100K keys',
    measurements: [plain, noCleanup, cleanup1, cleanup5, expiring, walk],
    ratios: {
      'TTL no cleanup / plain': noCleanup.recordsPerSecond / plain.recordsPerSecond,
      'TTL cleanup 1 / plain': cleanup1.recordsPerSecond / plain.recordsPerSecond,
      'TTL cleanup 5 / plain': cleanup5.recordsPerSecond / plain.recordsPerSecond,
      'TTL cleanup 5, expiring / plain': expiring.recordsPerSecond / plain.recordsPerSecond,
    },
    targets: {},
    notes: ['Each record accesses the state twice (value(), update()), so the default cleanup visits 10 keys per record.'],
  };
}
