/**
 * Checkpointing costs, measured in one run:
 * - keyed sum over 1M keys with no checkpointing vs checkpoints every 1 s
 *   and every 100 ms, steady-state rates (targets: overhead ≤ 5% and ≤ 15%);
 * - checkpoint duration and alignment time, p50 / p99 (p=2, 100 ms);
 * - recovery time: from an injected crash to the first record processed
 *   after the restore, with 10^5 keys in state and restart delay 0
 *   (target ≤ 0.5 s).
 */
import { RestartStrategies, StreamExecutionEnvironment } from '../index';
import { FaultInjector } from '../lib/testing/FaultInjector';
import type { CaseResult, Measurement } from './harness';

interface Payment {
  readonly key: number;
  readonly amount: number;
}

/**
 * Steady-state rate of an unbounded keyed sum: records the sink saw between
 * 1 s and 5 s after the start (state over 1M keys is warm by then), then the
 * job is cancelled — no final checkpoint in the measurement.
 */
async function keyedSum(keys: number, intervalMs: number | undefined): Promise<{ m: Measurement; checkpoints: number }> {
  const env = StreamExecutionEnvironment.create({ parallelism: 1 });
  if (intervalMs !== undefined) env.enableCheckpointing(intervalMs, 'exactly-once');
  let seen = 0;
  env
    .fromGenerator('unbounded', (i): Payment => ({ key: (i * 7919) % keys, amount: i % 10 }))
    .keyBy((p) => p.key)
    .sum('amount')
    .sinkTo(() => void seen++);
  const client = env.executeAsync('keyed sum');
  await sleep(1000);
  const from = seen;
  const t0 = process.hrtime.bigint();
  await sleep(4000);
  const records = seen - from;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const checkpoints = client.checkpoints().filter((c) => c.state === 'COMPLETED').length;
  await client.cancel();
  const label = intervalMs === undefined ? 'no checkpointing' : `checkpoint every ${intervalMs} ms`;
  return { m: { label: `keyed sum, 1M keys, ${label}, steady state`, records, seconds, recordsPerSecond: records / seconds }, checkpoints };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function alignment(): Promise<{ durations: number[]; alignments: number[] }> {
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  env.enableCheckpointing(100, 'exactly-once');
  env
    .fromGenerator(3_000_000, (i): Payment => ({ key: i % 100_000, amount: 1 }))
    .keyBy((p) => p.key)
    .sum('amount')
    .rebalance()
    .map((p) => p.amount)
    .sinkTo(() => {});
  const result = await env.execute('alignment');
  const done = result.checkpoints.filter((c) => c.state === 'COMPLETED' && c.id < Number.MAX_SAFE_INTEGER);
  return { durations: done.map((c) => c.durationMs ?? 0), alignments: done.map((c) => c.alignmentMs ?? 0) };
}

/** Crash at 1.5 s into the job; measure until the restored keyed operator processes its first record. */
async function recovery(keys: number): Promise<{ ms: number; restoredCheckpoint?: number }> {
  const faults = new FaultInjector([{ kind: 'fail-at-time', operator: 'sum', subtask: 0, atMs: 1500 }]);
  const env = StreamExecutionEnvironment.create({ parallelism: 1, faults });
  env.enableCheckpointing(100, 'exactly-once');
  env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
  let firstAfterRestore: number | undefined;
  let opened = 0;
  env
    .fromGenerator(4_000_000, (i): Payment => ({ key: i % keys, amount: 1 }), { ratePerSecond: 1_500_000 })
    .keyBy((p) => p.key)
    .process({
      open() {
        opened++;
        (this as { attempt?: number }).attempt = opened;
      },
      processElement(p: Payment, _ctx: unknown, out: { collect(x: number): void }) {
        if ((this as { attempt?: number }).attempt! > 1 && firstAfterRestore === undefined) firstAfterRestore = Date.now();
        out.collect(p.amount);
      },
    })
    .uid('sum')
    .sinkTo(() => {});
  const result = await env.execute('recovery');
  const crash = result.faults[0]?.at;
  if (crash === undefined || firstAfterRestore === undefined) throw new Error('the injected crash did not happen');
  return { ms: firstAfterRestore - crash, restoredCheckpoint: result.restarts[0]?.restoredCheckpoint };
}

export async function run(): Promise<CaseResult> {
  const keys = 1_000_000;
  const none = await keyedSum(keys, undefined);
  const slow = await keyedSum(keys, 1000);
  const fast = await keyedSum(keys, 100);
  const { durations, alignments } = await alignment();
  const rec = await recovery(100_000);
  const overhead = (m: Measurement) => 1 - m.recordsPerSecond / none.m.recordsPerSecond;
  return {
    name: 'checkpointing: overhead, durations, alignment, recovery',
    measurements: [none.m, slow.m, fast.m],
    ratios: {
      'overhead, 1 s interval': overhead(slow.m),
      'overhead, 100 ms interval': overhead(fast.m),
      'recovery time (s)': rec.ms / 1000,
    },
    targets: { 'overhead, 1 s interval': '≤ 0.05', 'overhead, 100 ms interval': '≤ 0.15', 'recovery time (s)': '≤ 0.5' },
    notes: [
      `checkpoints completed during the runs: ${slow.checkpoints} at 1 s, ${fast.checkpoints} at 100 ms`,
      `checkpoint duration (p=2, 100K keys, 100 ms): p50 ${percentile(durations, 50)} ms, p99 ${percentile(durations, 99)} ms over ${durations.length}`,
      `alignment time: p50 ${percentile(alignments, 50)} ms, p99 ${percentile(alignments, 99)} ms`,
      `recovery: ${rec.ms} ms from the crash to the first record after restoring checkpoint ${rec.restoredCheckpoint}`,
    ],
  };
}
