/**
 * Recovery end to end: restart strategies running out (the job fails with
 * the last cause and the restart history), falling back to the previous
 * checkpoint when the newest is corrupt, checkpoints aborted by timeout and
 * by storage failure with a typed reason (never a hang), the file sink
 * exactly-once across a restart, savepoints without stopping, and the live
 * sharedb documents of a job.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  FileSink,
  FileSystemCheckpointStorage,
  ListStateDescriptor,
  loadCheckpoint,
  type Collector,
  type ListState,
  type RuntimeContext,
  JobExecutionError,
  CheckpointStorageError,
  CollectSink,
  listRetainedCheckpoints,
  MemoryCheckpointStorage,
  resolveSnapshotPath,
  RestoreError,
  readCommittedLines,
  RestartStrategies,
  StreamExecutionEnvironment,
  type CheckpointStorage,
  type CheckpointsDocument,
  type JobDocument,
} from '../index';
import { FaultInjector } from '../lib/testing/FaultInjector';
import { InjectedFault } from '../lib/testing/FaultInjector';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-recovery-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const until = async (cond: () => boolean, ms = 5000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 2));
  }
};

describe('restart strategies', () => {
  test('when attempts run out the job fails with the last cause and the history of restarts', async () => {
    const faults = new FaultInjector([
      { kind: 'fail-at-record', operator: 'm', subtask: 0, record: 10, attempt: 1 },
      { kind: 'fail-at-record', operator: 'm', subtask: 0, record: 20, attempt: 2 },
      { kind: 'fail-at-record', operator: 'm', subtask: 0, record: 30, attempt: 3 },
    ]);
    const env = StreamExecutionEnvironment.create({ faults });
    env.enableCheckpointing(1000);
    env.setRestartStrategy(RestartStrategies.fixedDelay(2, 5));
    env.fromGenerator(1000, (i) => i).map((x) => x).uid('m').sinkTo(() => {});
    const err = (await env.execute('doomed').catch((e: unknown) => e)) as JobExecutionError;
    expect(err).toBeInstanceOf(JobExecutionError);
    expect(err.restarts.map((r) => r.attempt)).toEqual([1, 2]);
    expect(err.restarts.every((r) => /injected fault fail-at-record/.test(r.cause))).toBe(true);
    expect(err.cause).toBeInstanceOf(InjectedFault);
    expect(err.message).toMatch(/after 2 restart\(s\) \(all 2 restart attempts were used\).*record 30/);
    expect(faults.timeline.map((f) => f.attempt)).toEqual([1, 2, 3]);
  });

  test('noRestart fails at the first failure, without checkpointing too', async () => {
    const env = StreamExecutionEnvironment.create({ faults: new FaultInjector([{ kind: 'fail-at-time', operator: 'm', subtask: 0, atMs: 5 }]) });
    env.fromGenerator('unbounded', (i) => i, { ratePerSecond: 1000 }).map((x) => x).uid('m').sinkTo(() => {});
    const err = (await env.execute().catch((e: unknown) => e)) as JobExecutionError;
    expect(err.restarts).toEqual([]);
    expect(err.message).toMatch(/noRestart/);
  });
});

describe('checkpoint storage on the file system', () => {
  test('a corrupt newest checkpoint is detected on restore and the previous one is used: state stays exact', async () => {
    const storage = new FileSystemCheckpointStorage(path.join(dir, 'checkpoints'));
    const out = path.join(dir, 'out');
    // Corrupt the newest retained checkpoint just before the failure.
    const corrupting: CheckpointStorage = Object.create(storage);
    const faults = new FaultInjector([{ kind: 'fail-during-notify', operator: 'sum', subtask: 0, checkpoint: 3 }]);
    const env = StreamExecutionEnvironment.create({ faults, parallelism: 2 });
    env.enableCheckpointing(10, 'exactly-once', { retainedCheckpoints: 3 });
    env.setCheckpointStorage(corrupting);
    env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
    corrupting.writeFile = async (d, name, payload) => {
      const handle = await storage.writeFile(d, name, payload);
      if (name === '_metadata' && d.endsWith('/chk-3')) {
        const state = storage.locationOf(d, (await storage.list(d)).find((n) => n.endsWith('.state'))!);
        const bytes = fs.readFileSync(state);
        bytes[bytes.length - 1] ^= 0xff;
        fs.writeFileSync(state, bytes);
      }
      return handle;
    };
    const n = 30_000;
    env
      .fromGenerator(n, (i) => ({ k: i % 7, v: 1 }), { ratePerSecond: 30_000 })
      .uid('src')
      .keyBy((r) => r.k)
      .sum('v')
      .uid('sum')
      .sinkTo(new FileSink(out))
      .uid('files');
    const result = await env.execute('corrupt');
    expect(result.restarts).toHaveLength(1);
    expect(result.restarts[0].restoredCheckpoint).toBe(2);
    expect(result.restarts[0].unusableCheckpoints).toEqual([expect.stringMatching(/checkpoint 3 unusable: .*checksum mismatch/)]);
    // Keyed state is exact: every key's running sum reaches its count. Output that checkpoint 3
    // committed before it was lost is written again after the fallback (at-least-once there, as in Flink).
    const lines = readCommittedLines(out).map((l) => JSON.parse(l) as { k: number; v: number });
    for (let k = 0; k < 7; k++) {
      const vs = new Set(lines.filter((l) => l.k === k).map((l) => l.v));
      const count = Math.floor(n / 7) + (k < n % 7 ? 1 : 0);
      expect(Math.max(...vs)).toBe(count);
      expect(vs.size).toBe(count);
    }
    // Retention: the finished job keeps its final checkpoint only.
    const listed = await listRetainedCheckpoints(path.join(dir, 'checkpoints'));
    expect(listed.map((c) => c.location)).toEqual([result.finalCheckpoint]);
  });
});

describe('aborted checkpoints', () => {
  test('a checkpoint that cannot complete in time is aborted as CHECKPOINT_EXPIRED and the job goes on', async () => {
    // The sink's credits are delayed, so barriers cannot get through before the timeout.
    const faults = new FaultInjector([
      { kind: 'delay-channel', from: { operator: 'sink', subtask: 0 }, to: { operator: 'm', subtask: 0 }, what: 'credit', delayMs: 60, count: 3 },
    ]);
    const env = StreamExecutionEnvironment.create({ faults, channelCredits: 1, frameSize: 4, bufferTimeoutMs: 1 });
    env.enableCheckpointing(5, 'exactly-once', { timeoutMs: 20, tolerableFailedCheckpoints: 100, historySize: 100_000 });
    env.fromGenerator(3000, (i) => i, { ratePerSecond: 20_000 }).map((x) => x).uid('m').disableChaining().sinkTo(() => {}).uid('sink').disableChaining();
    const result = await env.execute('slow barriers');
    const failed = result.checkpoints.filter((c) => c.state === 'FAILED');
    expect(failed.some((c) => c.failureReason === 'CHECKPOINT_EXPIRED')).toBe(true);
    expect(result.checkpoints.some((c) => c.state === 'COMPLETED')).toBe(true);
  });

  test('a storage that cannot write: the checkpoint fails as STORAGE_FAILURE; beyond the tolerated failures the job fails over', async () => {
    const base = new MemoryCheckpointStorage();
    let failWrites = 2;
    const flaky: CheckpointStorage = Object.create(base);
    flaky.writeFile = async (d, name, bytes) => {
      if (name !== '_metadata' && failWrites > 0) {
        failWrites--;
        throw new CheckpointStorageError('disk full (ENOSPC)');
      }
      return base.writeFile(d, name, bytes);
    };
    const env = StreamExecutionEnvironment.create();
    env.enableCheckpointing(5, 'exactly-once', { tolerableFailedCheckpoints: 0 });
    env.setCheckpointStorage(flaky);
    env.setRestartStrategy(RestartStrategies.fixedDelay(5, 0));
    env.fromGenerator(5000, (i) => i, { ratePerSecond: 50_000 }).uid('src').sinkTo(new CollectSink<number>()).uid('collect');
    const result = await env.execute('flaky storage');
    expect(result.sinkResults['collect']).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(result.restarts.length).toBeGreaterThanOrEqual(1);
    expect(result.restarts[0].cause).toMatch(/STORAGE_FAILURE.*disk full/);
  });
});

describe('savepoints', () => {
  test('triggerSavepoint leaves the job running; a new job resumes from it at another parallelism', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    env.enableCheckpointing(1000);
    const seen: number[] = [];
    env.fromGenerator(4000, (i) => i, { ratePerSecond: 8_000 }).uid('src').keyBy((i) => i % 3).sum().uid('sum').sinkTo((x) => void seen.push(x));
    const client = env.executeAsync('savepointed');
    await until(() => seen.length > 500);
    const savepoint = await client.triggerSavepoint(path.join(dir, 'sp'));
    expect(fs.existsSync(savepoint)).toBe(true);
    expect(client.status()).toBe('RUNNING');
    await client.result();

    const resumed = StreamExecutionEnvironment.create({ parallelism: 3, savepointPath: path.dirname(savepoint) });
    const sums = await resumed.fromGenerator(4000, (i) => i).uid('src').keyBy((i) => i % 3).sum().uid('sum').executeAndCollect();
    // The resumed job continues each key's running sum from the savepoint (keyed state rescaled
    // from 1 to 3 subtasks) and ends at each key's full total.
    expect(sums.length).toBeGreaterThan(0);
    expect(sums.length).toBeLessThan(4000);
    for (let k = 0; k < 3; k++) {
      let total = 0;
      for (let i = k; i < 4000; i += 3) total += i;
      expect(sums).toContain(total);
    }
  });

  test('restoring a savepoint into a job without a matching uid is a clear error unless allowed', async () => {
    const env = StreamExecutionEnvironment.create();
    env.enableCheckpointing(1000);
    env.fromGenerator(3000, (i) => i, { ratePerSecond: 20_000 }).uid('src').keyBy((i) => i % 3).sum().uid('sum').sinkTo(() => {});
    const client = env.executeAsync('a');
    await new Promise((r) => setTimeout(r, 30));
    const savepoint = await client.stopWithSavepoint(path.join(dir, 'sp'));
    const other = StreamExecutionEnvironment.create({ savepointPath: savepoint });
    other.fromGenerator(10, (i) => i).uid('src').keyBy((i) => i % 3).sum().uid('renamed').sinkTo(() => {});
    const err = (await other.execute('b').catch((e: unknown) => e)) as JobExecutionError;
    expect(err).toBeInstanceOf(JobExecutionError);
    expect(err.cause).toBeInstanceOf(RestoreError);
    expect((err.cause as RestoreError).code).toBe('NON_RESTORED_STATE');
    expect(err.message).toMatch(/the savepoint cannot be restored.*cannot restore from .*state for operator uid 'sum', which the job does not have/);
    const allowed = StreamExecutionEnvironment.create({ savepointPath: savepoint, allowNonRestoredState: true });
    allowed.fromGenerator(10, (i) => i).uid('src').keyBy((i) => i % 3).sum().uid('renamed').sinkTo(() => {});
    await expect(allowed.execute('c')).resolves.toMatchObject({ status: 'FINISHED' });
  });
});

describe('operator list state', () => {
  class Buffering {
    private seen!: ListState<number>;
    open(ctx: RuntimeContext) {
      this.seen = ctx.getOperatorListState(new ListStateDescriptor<number>('seen'));
    }
    processElement(x: number, _ctx: unknown, out: Collector<number>) {
      this.seen.add(x);
      out.collect(this.seen.get().length);
    }
  }

  test('survives a restart exactly: each subtask counts its records once', async () => {
    const faults = new FaultInjector([{ kind: 'fail-during-notify', operator: 'buffer', subtask: 0, checkpoint: 2 }]);
    const env = StreamExecutionEnvironment.create({ faults, parallelism: 2 });
    env.enableCheckpointing(10);
    env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
    const counts = await env
      .fromGenerator(6000, (i) => i, { ratePerSecond: 40_000 })
      .uid('src')
      .process(new Buffering())
      .uid('buffer')
      .executeAndCollect();
    expect(faults.allFired).toBe(true);
    // Per subtask the counts run 1..n without gaps or repeats; together they cover every record.
    expect(counts).toHaveLength(6000);
    expect(Math.max(...counts)).toBe(3000);
  });

  test('is dealt round-robin over a new parallelism from a savepoint', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    env.enableCheckpointing(1000);
    env.fromGenerator(3000, (i) => i, { ratePerSecond: 20_000 }).uid('src').process(new Buffering()).uid('buffer').sinkTo(() => {});
    const client = env.executeAsync('one');
    await new Promise((r) => setTimeout(r, 40));
    const savepoint = await client.stopWithSavepoint(path.join(dir, 'sp'));
    const resumed = StreamExecutionEnvironment.create({ parallelism: 3, savepointPath: savepoint });
    const counts = await resumed.fromGenerator(3000, (i) => i).uid('src').process(new Buffering()).uid('buffer').executeAndCollect();
    // The three subtasks together hold every record once at the end: the restored items, split, plus the rest.
    const finals = counts.length;
    expect(finals).toBeLessThan(3000);
    const sp = resolveSnapshotPath(savepoint);
    const state = await loadCheckpoint(sp.storage, sp.location);
    const restoredItems = state.state.forSubtask('buffer', 0, 1)!.lists['state:seen'] ?? [];
    expect(restoredItems.length + finals).toBe(3000);
    const shares = [0, 1, 2].map((i) => state.state.forSubtask('buffer', i, 3)!.lists['state:seen'].length);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(restoredItems.length);
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
  });
});

describe('job documents (sharedb)', () => {
  test('job status and checkpoint history are live documents a dashboard can subscribe to', async () => {
    const env = StreamExecutionEnvironment.create();
    env.enableCheckpointing(5);
    env.fromGenerator(5000, (i) => i, { ratePerSecond: 50_000 }).sinkTo(() => {});
    const client = env.executeAsync('documented');
    const seen: string[] = [];
    const unsubscribe = client.documents.subscribe('jobs', client.jobId, (d) => seen.push((d as JobDocument).status));
    const result = await client.result();
    await until(() => seen.includes('FINISHED'));
    unsubscribe();
    expect(seen).toContain('RUNNING');
    const job = await client.documents.getJob(client.jobId);
    expect(job).toMatchObject({ name: 'documented', status: 'FINISHED', restarts: 0 });
    await until(() => true);
    const checkpoints = (await client.documents.getCheckpoints(client.jobId)) as CheckpointsDocument;
    expect(checkpoints.counts.completed).toBe(result.checkpointCounts.completed);
    expect(checkpoints.latestCompleted?.id).toBe(Math.max(...result.checkpoints.filter((c) => c.state === 'COMPLETED').map((c) => c.id)));
  });
});

describe('concurrent checkpoints in at-least-once mode', () => {
  test('a checkpoint overtaken by a newer barrier is declined as subsumed, not left to time out', async () => {
    // One slow channel into the keyed operator: barriers on the fast channel run ahead.
    const faults = new FaultInjector([
      { kind: 'delay-channel', from: { operator: 'src', subtask: 0 }, to: { operator: 'sum', subtask: 0 }, what: 'data', delayMs: 20 },
    ]);
    const env = StreamExecutionEnvironment.create({ parallelism: 2, frameSize: 8, bufferTimeoutMs: 1, faults });
    env.enableCheckpointing(2, 'at-least-once', { maxConcurrentCheckpoints: 5, timeoutMs: 60_000, historySize: 100_000 });
    env.fromGenerator(20_000, (i) => i, { ratePerSecond: 100_000 }).uid('src').keyBy((i) => i % 5).sum().uid('sum').sinkTo(() => {});
    const result = await env.execute('subsumed');
    const subsumed = result.checkpoints.filter((c) => c.failureReason === 'CHECKPOINT_SUBSUMED');
    expect(subsumed.length).toBeGreaterThan(0);
    expect(result.checkpoints.filter((c) => c.state === 'COMPLETED').length).toBeGreaterThan(1);
    expect(result.restarts).toEqual([]);
  });
});
