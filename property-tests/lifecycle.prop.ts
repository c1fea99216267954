/**
 * Property: exactly-once over a job's whole lifecycle.
 *
 * fast-check generates two lineages that share one checkpoint directory
 * and run at the same time. A lineage is a sequence of job runs over the
 * same keyed job (generator → keyBy → keyed count → FileSink and collect
 * sink): each run starts from where the previous one left (the newest
 * restorable state: its savepoint or its newest retained checkpoint, with
 * restoreMode CLAIM or NO_CLAIM) at a random parallelism, suffers faults
 * before and after its first checkpoint, and ends by stop-with-savepoint,
 * by a savepoint then a cancel, or by a cancel alone (a crash, as far as
 * its checkpoints are concerned); the last run finishes. Then, for each
 * lineage: the committed files hold every input exactly once with per-key
 * counts 1..n, the final keyed state equals the fault-free reference, no
 * in-progress file is left, and — when no run ended by cancel, so every
 * run had a result — the collected results of the runs together hold every
 * input once.
 *
 * Replay: FC_SEED=<seed> npx jest property-tests/lifecycle.prop.ts
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  CollectSink,
  FileSink,
  FileSystemCheckpointStorage,
  JobCancelledError,
  listRetainedCheckpoints,
  loadCheckpoint,
  readCommittedLines,
  readKeyedState,
  resolveSnapshotPath,
  RestartStrategies,
  StreamExecutionEnvironment,
  type JobResult,
} from '../index';
import { FaultInjector, type Fault } from '../lib/testing/FaultInjector';
import { KeyedCount, type Counted } from './keyedCount';

const RUNS = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 20 : 10));


type Ending = 'stop' | 'savepoint-then-cancel' | 'cancel';

interface Segment {
  readonly parallelism: number;
  readonly runForMs: number;
  readonly ending: Ending;
  /** Crash at this record of the keyed operator in the first attempt (likely before the first checkpoint). */
  readonly earlyRecord: number | undefined;
  /** Crash at the first notify-complete of the second attempt (after a checkpoint of this run). */
  readonly afterCheckpoint: boolean;
  readonly claim: boolean;
}

interface Lineage {
  readonly records: number;
  readonly keys: number;
  readonly sourceP: number;
  readonly intervalMs: number;
  readonly segments: readonly Segment[];
}

const segment: fc.Arbitrary<Segment> = fc.record({
  parallelism: fc.integer({ min: 1, max: 4 }),
  runForMs: fc.integer({ min: 5, max: 60 }),
  ending: fc.constantFrom<Ending>('stop', 'savepoint-then-cancel', 'cancel'),
  earlyRecord: fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }),
  afterCheckpoint: fc.boolean(),
  claim: fc.boolean(),
});

const lineage: fc.Arbitrary<Lineage> = fc.record({
  records: fc.integer({ min: 800, max: 3000 }),
  keys: fc.integer({ min: 1, max: 12 }),
  sourceP: fc.integer({ min: 1, max: 3 }),
  intervalMs: fc.integer({ min: 3, max: 30 }),
  segments: fc.array(segment, { minLength: 1, maxLength: 4 }),
});

interface RestorePoint {
  readonly path: string;
  readonly jobId: string;
  readonly checkpointId: number;
}

async function pointOf(location: string): Promise<RestorePoint> {
  const sp = resolveSnapshotPath(location);
  const { metadata } = await loadCheckpoint(sp.storage, sp.location);
  return { path: path.dirname(sp.location), jobId: metadata.jobId, checkpointId: metadata.checkpointId };
}

/** Runs one lineage to its end; returns the results of runs that had one, and whether any run ended by cancel. */
async function runLineage(name: string, l: Lineage, root: string): Promise<{ results: JobResult[]; cancelled: boolean; out: string }> {
  const checkpoints = path.join(root, 'checkpoints');
  const out = path.join(root, `out-${name}`);
  const results: JobResult[] = [];
  let cancelled = false;
  let from: RestorePoint | undefined;
  for (let i = 0; i < l.segments.length; i++) {
    const s = l.segments[i];
    const last = i === l.segments.length - 1;
    const faults: Fault[] = [];
    if (s.earlyRecord !== undefined) faults.push({ kind: 'fail-at-record', operator: 'count', subtask: 0, record: s.earlyRecord, attempt: 1 });
    if (s.afterCheckpoint) faults.push({ kind: 'fail-during-notify', operator: 'count', subtask: s.parallelism - 1, attempt: 2 });
    const env = StreamExecutionEnvironment.create({
      parallelism: s.parallelism,
      bufferTimeoutMs: 2,
      frameSize: 32,
      faults: new FaultInjector(faults),
      ...(from ? { savepointPath: from.path, restoreMode: s.claim ? 'CLAIM' : 'NO_CLAIM' } : {}),
    });
    env.enableCheckpointing(l.intervalMs, 'exactly-once', { retainedCheckpoints: 2 });
    env.setCheckpointStorage(checkpoints);
    env.setRestartStrategy(RestartStrategies.fixedDelay(10, 0));
    const numbers = env.fromGenerator(l.records, (x) => x, { ratePerSecond: 15_000 }).uid('numbers').setParallelism(l.sourceP);
    const counted = numbers
      .keyBy((x) => x % l.keys)
      .process(new KeyedCount())
      .uid('count');
    counted.sinkTo(new FileSink<Counted>(out)).uid('files');
    counted.sinkTo(new CollectSink<Counted>()).uid('collect').setParallelism(1);
    const client = env.executeAsync(`lineage-${name}`);
    const outcome = client.result().then(
      (r) => r,
      (e: unknown) => {
        if (e instanceof JobCancelledError) return undefined;
        throw e;
      },
    );
    if (!last) {
      await new Promise((r) => setTimeout(r, s.runForMs));
      let savepoint: string | undefined;
      try {
        if (s.ending === 'stop') savepoint = await client.stopWithSavepoint(path.join(root, 'savepoints'));
        else if (s.ending === 'savepoint-then-cancel') savepoint = await client.triggerSavepoint(path.join(root, 'savepoints'));
      } catch {
        // The job ended before the savepoint (all input read): the lineage is complete.
      }
      if (s.ending !== 'stop' && client.status() !== 'FINISHED') await client.cancel();
      const result = await outcome;
      if (result === undefined) cancelled = true;
      else results.push(result);
      if (result !== undefined && result.savepoint === undefined) return { results, cancelled, out }; // finished early
      // The newest restorable state of the lineage.
      const candidates: RestorePoint[] = [];
      if (savepoint !== undefined) candidates.push(await pointOf(savepoint));
      for (const c of await listRetainedCheckpoints(checkpoints, { jobName: `lineage-${name}` })) {
        if (c.jobId === client.jobId) candidates.push({ path: path.dirname(c.location), jobId: c.jobId, checkpointId: c.checkpointId });
      }
      candidates.sort((a, b) => b.checkpointId - a.checkpointId);
      if (candidates.length > 0) from = candidates[0];
      continue;
    }
    const result = await outcome;
    if (result === undefined) throw new Error('the last run was cancelled');
    results.push(result);
    // Final keyed state: the reference counts.
    const final = await loadCheckpoint(new FileSystemCheckpointStorage(checkpoints), result.finalCheckpoint!);
    const counts = readKeyedState(final.state, 'count', 'count');
    for (let k = 0; k < l.keys; k++) {
      const expected = Math.floor(l.records / l.keys) + (k < l.records % l.keys ? 1 : 0);
      expect([k, counts.get(k) ?? 0]).toEqual([k, expected]);
    }
  }
  return { results, cancelled, out };
}

function expectExactlyOnce(records: readonly Counted[], l: Lineage): void {
  expect(records.map((r) => r.id).sort((a, b) => a - b)).toEqual(Array.from({ length: l.records }, (_, i) => i));
  const byKey = new Map<number, number[]>();
  for (const r of records) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.count]);
  for (const counts of byKey.values()) expect([...counts].sort((a, b) => a - b)).toEqual(counts.map((_, i) => i + 1));
}

describe('lifecycle', () => {
  test('runs resumed from savepoints and retained checkpoints, with faults, two lineages sharing storage: exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(lineage, lineage, async (a, b) => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-lifecycle-prop-'));
        try {
          const runs = await Promise.all([runLineage('a', a, root), runLineage('b', b, root)]);
          for (const [run, l] of [
            [runs[0], a],
            [runs[1], b],
          ] as const) {
            expectExactlyOnce(readCommittedLines(run.out).map((line) => JSON.parse(line) as Counted), l);
            expect(fs.readdirSync(run.out).filter((n) => n.endsWith('.inprogress'))).toEqual([]);
            if (!run.cancelled) expectExactlyOnce(run.results.flatMap((r) => r.sinkResults['collect'] as Counted[]), l);
          }
        } finally {
          fs.rmSync(root, { recursive: true, force: true });
        }
      }),
      { numRuns: RUNS },
    );
  });
});
