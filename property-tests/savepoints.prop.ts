/**
 * Property: a savepoint taken while a job runs, restored at another
 * parallelism, ends in the same state as an uninterrupted run.
 *
 * fast-check generates the data, the parallelism before and after, and when
 * to stop. Run A is stopped with a savepoint (its sources stop at the
 * savepoint's barrier); run B starts from that savepoint with the stateful
 * operator at a different parallelism, keyed state redistributed by key
 * group and source splits round-robin. Then: B's final keyed state equals
 * the reference; the files A and B committed (one FileSink directory)
 * hold every input exactly once per key with counts 1..n; and every key was processed in B
 * by the subtask its key group predicts, whose checkpointed key-group range
 * is Flink's range for that subtask.
 *
 * Replay: FC_SEED=<seed> npx jest property-tests/savepoints.prop.ts
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { FileSink, loadCheckpoint, MemoryCheckpointStorage, operatorResult, readCommittedLines, readKeyedState, StreamExecutionEnvironment } from '../index';
import { assignToKeyGroup, KeyGroupRange, normalizeKey, operatorIndexForKeyGroup } from '../lib/state/KeyGroup';
import { buildFaultyJob, referenceInput, referenceState, STATE_NAME, type FaultyJob, type Out } from './faultyJobs';

const RUNS = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 12 : 8));

function env(savepointPath?: string) {
  const storage = new MemoryCheckpointStorage();
  const e = StreamExecutionEnvironment.create({ bufferTimeoutMs: 2, frameSize: 64, savepointPath });
  e.enableCheckpointing(10, 'exactly-once');
  e.setCheckpointStorage(storage);
  return { env: e, storage };
}

function run(job: FaultyJob, output: string, savepointPath?: string) {
  const { env: e, storage } = env(savepointPath);
  buildFaultyJob(e, job).sinkTo(new FileSink<Out>(output)).uid('files').setParallelism(2);
  return { client: e.executeAsync('savepoint job'), storage };
}

const scenario = fc.record({
  count: fc.integer({ min: 2000, max: 6000 }),
  sourceP: fc.integer({ min: 1, max: 3 }),
  keys: fc.integer({ min: 1, max: 40 }),
  before: fc.integer({ min: 1, max: 4 }),
  after: fc.integer({ min: 1, max: 4 }),
  stopAfterMs: fc.integer({ min: 5, max: 50 }),
});

describe('savepoints', () => {
  test('stop with savepoint, restore at another parallelism: same final state, outputs exactly once, keys on their key-group owners', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-savepoint-'));
        try {
          const jobA: FaultyJob = { sources: [{ count: sc.count, p: sc.sourceP, seed: 7 }], stages: [], keys: sc.keys, keyedP: sc.before, ratePerSecond: 20_000 };
          const jobB: FaultyJob = { ...jobA, keyedP: sc.after };
          const output = path.join(dir, 'out');
          const a = run(jobA, output);
          await new Promise((r) => setTimeout(r, sc.stopAfterMs));
          const savepoint = await a.client.stopWithSavepoint(dir);
          const resultA = await a.client.result();
          expect(resultA.savepoint).toBe(savepoint);

          const b = run(jobB, output, savepoint);
          const resultB = await b.client.result();
          const final = await loadCheckpoint(b.storage, resultB.finalCheckpoint!);
          const state = readKeyedState(final.state, 'stateful', STATE_NAME);
          const expected = referenceState(jobB);
          expect(new Map([...state].sort())).toEqual(new Map([...expected].sort()));

          // Both runs write into one directory through the two-phase-commit file sink.
          const outs = readCommittedLines(output).map((l) => JSON.parse(l) as Out);
          const input = referenceInput(jobB);
          expect(outs.map((o) => o.id).sort()).toEqual(input.map((r) => r.id).sort());
          const counts = new Map<number, number[]>();
          for (const o of outs) counts.set(o.key, [...(counts.get(o.key) ?? []), o.count]);
          for (const [k, cs] of counts) expect([...cs].sort((x, y) => x - y)).toEqual(cs.map((_, i) => i + 1).sort((x, y) => x - y));

          // Every record was processed by the subtask its key group names, in both runs.
          for (const o of outs) {
            expect(o.subtask).toBe(operatorIndexForKeyGroup(128, o.parallelism, assignToKeyGroup(normalizeKey(o.key), 128)));
          }
          // B went on at its parallelism with what A left (A may have read everything on a slow machine).
          const readByA = operatorResult(resultA, 'stateful').recordsIn;
          if (readByA < input.length) expect(outs.some((o) => o.parallelism === sc.after)).toBe(true);
          // B's checkpointed keyed state: each handle holds Flink's key-group range of its subtask, and only those groups.
          const handles = final.state.forSubtask('stateful', 0, 1)!.keyed;
          expect(handles).toHaveLength(sc.after);
          for (const h of handles) {
            const owner = operatorIndexForKeyGroup(128, sc.after, h.keyGroupRange.start);
            const range = KeyGroupRange.forOperator(128, sc.after, owner);
            expect(h.keyGroupRange).toEqual({ start: range.start, end: range.end });
            for (const g of h.keyGroups) expect(range.contains(g.keyGroup)).toBe(true);
          }
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: RUNS },
    );
  });
});
