/**
 * Properties: exactly-once state and output under injected faults, and
 * at-least-once delivery.
 *
 * fast-check generates jobs (see faultyJobs.ts: 1–2 rate-limited sources,
 * map/filter/flatMap chains, keyBy + a stateful process function, p = 1–4),
 * checkpoint intervals and 1–5 faults — crashes at a record, at a time,
 * during a snapshot, during notify-complete, during restore, delayed and
 * dropped buffers and credits; the first fault always strikes at a
 * notify-complete, so after a checkpoint completed. The job restarts from
 * its latest checkpoint as often as needed.
 *
 * Exactly-once: the final keyed state (read from the job's final
 * checkpoint) equals the fault-free reference, and the collected output
 * holds every input exactly once per key with running counts 1..n — nothing
 * lost, nothing duplicated, per-key order kept.
 * At-least-once: every input reaches the output and every key's final
 * count is at least the reference (duplicates allowed).
 *
 * Replay a failure: FC_SEED=<seed> npx jest property-tests/exactlyOnce.prop.ts
 */
import fc from 'fast-check';
import { loadCheckpoint, MemoryCheckpointStorage, readKeyedState, RestartStrategies, StreamExecutionEnvironment } from '../index';
import { FaultInjector } from '../lib/testing/FaultInjector';
import { buildFaultyJob, expectExactlyOnce, faultsArb, faultyJobArb, referenceInput, referenceState, STATE_NAME, type FaultyJob, type Out } from './faultyJobs';

const RUNS = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 25 : 15));

async function runWithFaults(job: FaultyJob, faults: FaultInjector, intervalMs: number, mode: 'exactly-once' | 'at-least-once') {
  const storage = new MemoryCheckpointStorage();
  const env = StreamExecutionEnvironment.create({ faults, bufferTimeoutMs: 2, frameSize: 64 });
  env.enableCheckpointing(intervalMs, mode, { retainedCheckpoints: 2, tolerableFailedCheckpoints: 1000 });
  env.setRestartStrategy(RestartStrategies.fixedDelay(50, 0));
  env.setCheckpointStorage(storage);
  const stream = buildFaultyJob(env, job);
  stream.sinkTo(new (require('../lib/connectors/CollectSink').CollectSink)()).uid('collect').setParallelism(1);
  const result = await env.execute('faulty job');
  const out = result.sinkResults['collect'] as Out[];
  const final = await loadCheckpoint(storage, result.finalCheckpoint!);
  const state = readKeyedState(final.state, 'stateful', STATE_NAME) as Map<number, { count: number; sum: number }>;
  return { result, out, state };
}

const scenario = faultyJobArb.chain((job) =>
  fc.record({ job: fc.constant(job), faults: faultsArb(job), intervalMs: fc.integer({ min: 3, max: 25 }) }),
);

describe('fault tolerance', () => {
  test('exactly-once: final keyed state and output equal the fault-free reference under random faults', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ job, faults, intervalMs }) => {
        const injector = new FaultInjector(faults);
        const { result, out, state } = await runWithFaults(job, injector, intervalMs, 'exactly-once');
        expectExactlyOnce(job, state, out, true);
        // The first fault strikes at a notify-complete: after a completed checkpoint.
        expect(result.faults.some((f) => f.fault.kind === 'fail-during-notify')).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  test('at-least-once: nothing is lost under random faults', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ job, faults, intervalMs }) => {
        const { out, state } = await runWithFaults(job, new FaultInjector(faults), intervalMs, 'at-least-once');
        const input = referenceInput(job);
        const seen = new Set(out.map((o) => o.id));
        for (const r of input) expect(seen.has(r.id)).toBe(true);
        for (const [k, e] of referenceState(job)) expect(state.get(k)!.count).toBeGreaterThanOrEqual(e.count);
      }),
      { numRuns: Math.max(5, Math.floor(RUNS / 2)) },
    );
  });
});
