/**
 * (c) The synchronous part of a keyed-state snapshot (what a subtask does
 * at the barrier) at 10^4 and 10^6 keys. It pins the state tables, so it
 * should not grow with the number of keys: target ratio ≤ 2. The
 * asynchronous part (serialising by key group) is reported for reference.
 */
import { HeapKeyedStateBackend } from '../lib/state/HeapKeyedStateBackend';
import type { ValueState } from '../lib/state/KeyedState';
import { KeyGroupRange } from '../lib/state/KeyGroup';
import { ValueStateDescriptor } from '../lib/state/StateDescriptor';
import type { CaseResult, Measurement } from './harness';

function filled(keys: number): HeapKeyedStateBackend {
  const b = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
  const s = b.getState(new ValueStateDescriptor<number>('sum')) as ValueState<number>;
  for (let i = 0; i < keys; i++) {
    b.setCurrentKey(`key-${i}`);
    s.update(i);
  }
  return b;
}

/** Mean time of snapshot() (+ a write of one key, so layers really fold) over many rounds. */
function syncSnapshotSeconds(b: HeapKeyedStateBackend, rounds: number): number {
  const s = b.getState(new ValueStateDescriptor<number>('sum')) as ValueState<number>;
  let total = 0n;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    const snap = b.snapshot();
    total += process.hrtime.bigint() - t0;
    b.setCurrentKey('key-1');
    s.update(r);
    snap.release();
  }
  return Number(total) / 1e9 / rounds;
}

export async function run(): Promise<CaseResult> {
  const measurements: Measurement[] = [];
  const sync: Record<number, number> = {};
  const notes: string[] = [];
  for (const keys of [10_000, 1_000_000]) {
    const b = filled(keys);
    syncSnapshotSeconds(b, 1000); // warm-up
    sync[keys] = syncSnapshotSeconds(b, 20_000);
    measurements.push({ label: `sync snapshot, ${keys} keys`, records: keys, seconds: sync[keys], recordsPerSecond: keys / sync[keys] });
    const t0 = process.hrtime.bigint();
    const handle = await b.snapshot().write();
    const asyncSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const bytes = handle.keyGroups.reduce((n, g) => n + g.bytes.length, 0);
    notes.push(
      `${keys} keys: sync ${(sync[keys] * 1e6).toFixed(2)} µs; async write ${(asyncSeconds * 1e3).toFixed(0)} ms, ${(bytes / 1e6).toFixed(1)} MB`,
    );
  }
  return {
    name: 'keyed-state snapshot, sync part, 10^4 vs 10^6 keys',
    measurements,
    ratios: { 'sync 10^6 / sync 10^4': sync[1_000_000] / sync[10_000] },
    targets: { 'sync 10^6 / sync 10^4': '≤ 2' },
    notes,
  };
}
