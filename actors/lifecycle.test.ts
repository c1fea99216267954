/**
 * Exactly-once across a job's whole life, end to end on the actor runtime:
 * resuming from a savepoint or a retained checkpoint and failing before the
 * first new checkpoint (the restore comes from the lineage, not from
 * scratch); two jobs sharing one checkpoint directory; stop-with-savepoint
 * committing before FINISHED; savepoints that hold every byte they need
 * (taken after a source finished, with memory checkpoint storage, moved,
 * with the job's checkpoints deleted); a restore into another kind of
 * source refused; an unusable checkpoint directory failing the job at once;
 * retention keeping the final checkpoint; nothing left behind after a
 * cancel, a full disk, or repeated resumes with restoreMode CLAIM; restarts
 * visible in the logs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CheckpointStorageError,
  FileSink,
  FileSystemCheckpointStorage,
  JobExecutionError,
  listRetainedCheckpoints,
  loadCheckpoint,
  MemoryCheckpointStorage,
  operatorResult,
  readCommittedLines,
  readKeyedState,
  resolveSnapshotPath,
  RestartStrategies,
  RestoreError,
  StreamExecutionEnvironment,
  type EnvironmentOptions,
  type JobClient,
  type Logger,
} from '../index';
import { writeMetadata } from '../lib/checkpoint/CheckpointMetadata';
import { FaultInjector, type Fault } from '../lib/testing/FaultInjector';
import { KeyedCount, type Counted } from '../property-tests/keyedCount';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-lifecycle-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const KEYS = 7;


interface Run {
  readonly records: number;
  readonly out: string;
  readonly rate?: number;
  readonly parallelism?: number;
  readonly intervalMs?: number;
  readonly faults?: readonly Fault[];
  readonly storage?: string | MemoryCheckpointStorage;
  readonly options?: EnvironmentOptions;
  readonly restarts?: number;
}

/** generator(records) → keyBy(i % 7) → keyed count → FileSink; checkpoints on. */
function job({ records, out, rate = 20_000, parallelism = 2, intervalMs = 20, faults = [], storage, options = {}, restarts = 3 }: Run) {
  const env = StreamExecutionEnvironment.create({ parallelism, bufferTimeoutMs: 2, frameSize: 64, faults: new FaultInjector(faults), ...options });
  env.enableCheckpointing(intervalMs, 'exactly-once', { retainedCheckpoints: 2 });
  if (storage !== undefined) env.setCheckpointStorage(storage);
  env.setRestartStrategy(RestartStrategies.fixedDelay(restarts, 10));
  env
    .fromGenerator(records, (i) => i, { ratePerSecond: rate })
    .uid('numbers')
    .keyBy((i) => i % KEYS)
    .process(new KeyedCount())
    .uid('count')
    .sinkTo(new FileSink<Counted>(out))
    .uid('files');
  return env.executeAsync('lifecycle');
}

/** The committed output holds every record exactly once, with per-key counts 1..n. */
function expectExactlyOnce(out: string, records: number): void {
  const lines = readCommittedLines(out).map((l) => JSON.parse(l) as Counted);
  expect(lines.map((l) => l.id).sort((a, b) => a - b)).toEqual(Array.from({ length: records }, (_, i) => i));
  const byKey = new Map<number, number[]>();
  for (const l of lines) byKey.set(l.key, [...(byKey.get(l.key) ?? []), l.count]);
  for (const [k, counts] of byKey) {
    const n = Math.floor(records / KEYS) + (k < records % KEYS ? 1 : 0);
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  }
  expect(fs.readdirSync(out).filter((n) => n.endsWith('.inprogress'))).toEqual([]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForLines(out: string, n: number): Promise<void> {
  for (let i = 0; i < 2000 && readCommittedLines(out).length < n; i++) await sleep(5);
}

async function waitForCheckpoints(client: JobClient, n: number): Promise<void> {
  for (let i = 0; i < 2000 && client.checkpoints().filter((c) => c.state === 'COMPLETED' && !c.savepoint).length < n; i++) await sleep(5);
}

describe('resume, then fail before the first new checkpoint: the restore comes from the lineage', () => {
  test.each([1, 2])('from a stop-with-savepoint (parallelism %i): output and keyed counts stay exact', async (p) => {
    const out = path.join(dir, 'out');
    // Paced so A is still reading when the savepoint is taken, even on a loaded machine.
    const a = job({ records: 1000, out, rate: 2000, parallelism: p });
    await waitForLines(out, 50);
    const savepoint = await a.stopWithSavepoint(path.join(dir, 'savepoints'));
    await a.result();
    const b = job({
      records: 1000,
      out,
      parallelism: p,
      intervalMs: 60_000, // no checkpoint of B's own completes before the failure
      faults: [{ kind: 'fail-at-record', operator: 'count', subtask: 0, record: 5 }],
      options: { savepointPath: savepoint },
    });
    const result = await b.result();
    expect(result.restarts).toHaveLength(1);
    expect(result.restarts[0].restoredCheckpoint).toBeDefined();
    expectExactlyOnce(out, 1000);
  });

  test('from a retained checkpoint of a job that was cancelled (as after a crash)', async () => {
    const out = path.join(dir, 'out');
    const checkpoints = path.join(dir, 'checkpoints');
    const a = job({ records: 1200, out, rate: 2000, storage: checkpoints });
    await waitForLines(out, 100);
    await a.cancel();
    const [latest] = await listRetainedCheckpoints(checkpoints);
    expect(latest).toBeDefined();
    const b = job({
      records: 1200,
      out,
      storage: checkpoints,
      intervalMs: 60_000,
      faults: [{ kind: 'fail-at-record', operator: 'count', subtask: 1, record: 5 }],
      options: { savepointPath: path.dirname(latest.location) },
    });
    const result = await b.result();
    expect(result.restarts).toHaveLength(1);
    expectExactlyOnce(out, 1200);
  });
});

test('two jobs sharing one checkpoint directory keep their checkpoints apart', async () => {
  const checkpoints = path.join(dir, 'shared');
  const fault = (record: number): Fault[] => [
    { kind: 'fail-during-notify', operator: 'count', subtask: 0 },
    { kind: 'fail-at-record', operator: 'count', subtask: 1, record, attempt: 2 },
  ];
  const a = job({ records: 2000, out: path.join(dir, 'a'), storage: checkpoints, intervalMs: 5, faults: fault(50) });
  const b = job({ records: 2000, out: path.join(dir, 'b'), storage: checkpoints, intervalMs: 7, faults: fault(70) });
  const [ra, rb] = await Promise.all([a.result(), b.result()]);
  expect(ra.restarts.length).toBeGreaterThanOrEqual(1);
  expect(rb.restarts.length).toBeGreaterThanOrEqual(1);
  expectExactlyOnce(path.join(dir, 'a'), 2000);
  expectExactlyOnce(path.join(dir, 'b'), 2000);
  // One directory per job run; each keeps its final checkpoint only.
  expect(fs.readdirSync(checkpoints).sort()).toEqual([a.jobId, b.jobId].sort());
  for (const r of [ra, rb]) {
    expect(fs.readdirSync(path.dirname(path.dirname(r.finalCheckpoint!)))).toEqual([path.basename(path.dirname(r.finalCheckpoint!))]);
    const counts = readKeyedState((await loadCheckpoint(new FileSystemCheckpointStorage(checkpoints), r.finalCheckpoint!)).state, 'count', 'count');
    expect([...counts.values()].reduce((x, y) => (x as number) + (y as number), 0)).toBe(2000);
  }
});

describe('stop-with-savepoint', () => {
  test.each([1, 2])('commits the savepoint\'s transactions before the job is FINISHED (parallelism %i)', async (p) => {
    const out = path.join(dir, 'out');
    const a = job({ records: 5000, out, rate: 5000, parallelism: p, intervalMs: 60_000 });
    await sleep(80);
    const savepoint = await a.stopWithSavepoint(path.join(dir, 'sp'));
    const result = await a.result();
    expect(result.savepoint).toBe(savepoint);
    const lines = readCommittedLines(out);
    expect(lines.length).toBeGreaterThan(0);
    expect(fs.readdirSync(out).filter((n) => n.endsWith('.inprogress'))).toEqual([]);
    // Everything the stateful operator counted up to the savepoint is committed.
    const sp = resolveSnapshotPath(savepoint);
    const counts = readKeyedState((await loadCheckpoint(sp.storage, sp.location)).state, 'count', 'count');
    expect(lines).toHaveLength([...counts.values()].reduce((x, y) => (x as number) + (y as number), 0) as number);
    // The result counts what the stopped job did, as a finished job's would.
    expect(result.subtasks).toHaveLength(p * 2);
    expect(operatorResult(result, 'numbers').recordsOut).toBe(lines.length);
    expect(operatorResult(result, 'files').recordsIn).toBe(lines.length);
  });
});

test('a failure while stop-with-savepoint commits: the stop fails, the job goes on from the savepoint, output stays exact', async () => {
  const out = path.join(dir, 'out');
  // No periodic checkpoints: the first notify-complete is the stop's commit.
  const a = job({ records: 2000, out, rate: 8000, intervalMs: 60_000, faults: [{ kind: 'fail-during-notify', operator: 'count', subtask: 1 }] });
  await waitForLines(out, 0);
  await sleep(50);
  await expect(a.stopWithSavepoint(path.join(dir, 'sp'))).rejects.toThrow(/stop-with-savepoint failed while the job was closing; it restarts from the savepoint/);
  const result = await a.result();
  expect(result.savepoint).toBeUndefined();
  expect(result.restarts).toHaveLength(1);
  expect(result.restarts[0].restoredCheckpoint).toBeDefined();
  expectExactlyOnce(out, 2000);
});

test('a subtask that finished while the job runs on has its last output committed by the next checkpoint, not at the end of the job', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 2 });
  env.enableCheckpointing(20);
  const short = path.join(dir, 'short');
  env.fromGenerator(50, (i) => i).uid('short').sinkTo(new FileSink<number>(short)).uid('short-files');
  env.fromGenerator('unbounded', (i) => i, { ratePerSecond: 1000 }).uid('long').sinkTo(() => {}).uid('long-sink');
  const job = env.executeAsync('finished and running');
  const t0 = Date.now();
  while (readCommittedLines(short).length < 50 && Date.now() - t0 < 10_000) await sleep(10);
  expect(job.status()).toBe('RUNNING');
  await job.cancel();
  expect(readCommittedLines(short).map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
});

describe('savepoints are self-contained and relocatable', () => {
  let seen = { short: 0, long: 0 };
  function twoSources(env: StreamExecutionEnvironment, out: string, rate?: number) {
    const short = env.fromGenerator(50, (i) => -1 - i).uid('short');
    const long = env.fromGenerator(3000, (i) => i, rate ? { ratePerSecond: rate } : {}).uid('long');
    short
      .union(long)
      .map((i) => {
        seen[i < 0 ? 'short' : 'long']++;
        return i;
      })
      .keyBy((i) => ((i % KEYS) + KEYS) % KEYS)
      .process(new KeyedCount())
      .uid('count')
      .sinkTo(new FileSink<Counted>(out))
      .uid('files');
  }

  test.each(['trigger', 'stop'] as const)('%s after one of two sources finished, memory checkpoint storage, then moved', async (how) => {
    const out = path.join(dir, 'out');
    const env = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 2 });
    // A triggered savepoint commits nothing and the run goes on after it, so a periodic checkpoint
    // completing before the cancel would commit records the resumed run reads again (as in Flink,
    // resuming from an older savepoint repeats what was committed after it). Only the stop runs
    // checkpoints before its savepoint.
    env.enableCheckpointing(how === 'stop' ? 20 : 60_000);
    env.setCheckpointStorage(new MemoryCheckpointStorage());
    seen = { short: 0, long: 0 };
    twoSources(env, out, 6000);
    const a = env.executeAsync('two sources');
    if (how === 'stop') await waitForLines(out, 300);
    while (seen.short < 50 || seen.long < 300) await sleep(5);
    await sleep(20); // the short source's subtasks report FINISHED after their last record
    const savepoint = how === 'stop' ? await a.stopWithSavepoint(path.join(dir, 'sp')) : await a.triggerSavepoint(path.join(dir, 'sp'));
    if (how === 'trigger') await a.cancel();
    else await a.result();
    // Every file the savepoint names is inside its directory.
    const spDir = path.dirname(savepoint);
    const moved = path.join(dir, 'moved', path.basename(spDir));
    fs.mkdirSync(path.dirname(moved));
    fs.renameSync(spDir, moved);
    const resumed = StreamExecutionEnvironment.create({ parallelism: 3, savepointPath: moved });
    resumed.enableCheckpointing(20);
    twoSources(resumed, out);
    await resumed.execute('resumed');
    // Both runs together wrote every record once: the short source's state came from the savepoint.
    const lines = readCommittedLines(out).map((l) => JSON.parse(l) as Counted);
    expect(lines.map((c) => c.id).sort((x, y) => x - y)).toEqual([...Array.from({ length: 50 }, (_, i) => -50 + i), ...Array.from({ length: 3000 }, (_, i) => i)]);
    expect(fs.readdirSync(out).filter((n) => n.endsWith('.inprogress'))).toEqual([]);
  });
});

test('restoring a uid into another kind of source is refused before anything runs', async () => {
  const env = StreamExecutionEnvironment.create();
  env.enableCheckpointing(1000);
  env.fromGenerator(100_000, (i) => i, { ratePerSecond: 20_000 }).uid('numbers').sinkTo(() => {});
  const a = env.executeAsync('generator');
  await sleep(30);
  const savepoint = await a.stopWithSavepoint(path.join(dir, 'sp'));
  await a.result();
  const other = StreamExecutionEnvironment.create({ savepointPath: savepoint });
  other.fromCollection([1, 2, 3]).uid('numbers').sinkTo(() => {});
  const err = (await other.execute('collection').catch((e: unknown) => e)) as JobExecutionError;
  expect(err).toBeInstanceOf(JobExecutionError);
  expect(err.restarts).toEqual([]);
  expect(err.cause).toBeInstanceOf(RestoreError);
  expect((err.cause as RestoreError).code).toBe('INCOMPATIBLE_STATE');
  expect(err.message).toMatch(/the savepoint cannot be restored.*uid 'numbers'.*source:GeneratorSource.*source:CollectionSource/);
});

test('a savepoint path without a savepoint fails at create(), naming the path', () => {
  const missing = path.join(dir, 'nothing-here');
  expect(() => StreamExecutionEnvironment.create({ savepointPath: missing })).toThrow(RestoreError);
  expect(() => StreamExecutionEnvironment.create({ savepointPath: missing })).toThrow(missing);
});

test('a checkpoint directory that cannot be written fails the job at once with a typed error', async () => {
  const blocker = path.join(dir, 'a-file');
  fs.writeFileSync(blocker, 'x');
  const env = StreamExecutionEnvironment.create();
  env.enableCheckpointing(10);
  env.setCheckpointStorage(path.join(blocker, 'checkpoints'));
  env.fromGenerator(10, (i) => i).sinkTo(() => {});
  const err = (await env.execute('unwritable').catch((e: unknown) => e)) as JobExecutionError;
  expect(err.cause).toBeInstanceOf(CheckpointStorageError);
  expect(err.message).toMatch(/the checkpoint storage cannot be used.*cannot create checkpoint directory .*a-file\/checkpoints/);
});

test('retention never deletes the final checkpoint, whatever finishes last', async () => {
  for (let run = 0; run < 8; run++) {
    const storage = new MemoryCheckpointStorage();
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env.enableCheckpointing(1, 'exactly-once', { retainedCheckpoints: 1, maxConcurrentCheckpoints: 3 });
    env.setCheckpointStorage(storage);
    env.fromGenerator(2000, (i) => i, { ratePerSecond: 100_000 }).keyBy((i) => i % 3).sum().uid('sum').sinkTo(() => {});
    const result = await env.execute('retention');
    const final = await loadCheckpoint(storage, result.finalCheckpoint!);
    expect(final.metadata.checkpointId).toBe(Math.max(...result.checkpoints.filter((c) => c.state === 'COMPLETED').map((c) => c.id)));
    // Only the final checkpoint is kept.
    const kept = [...storage.files.keys()].filter((k) => k.endsWith('/_metadata'));
    expect(kept).toEqual([result.finalCheckpoint]);
  }
});

describe('nothing is left behind', () => {
  test('a cancel during checkpoints: only completed checkpoints stay, or none with DELETE_ON_CANCELLATION', async () => {
    for (const retention of ['RETAIN_ON_CANCELLATION', 'DELETE_ON_CANCELLATION'] as const) {
      const checkpoints = path.join(dir, retention);
      const env = StreamExecutionEnvironment.create({ parallelism: 2 });
      env.enableCheckpointing(2, 'exactly-once', { retainedCheckpoints: 2, maxConcurrentCheckpoints: 4, externalizedCheckpointRetention: retention });
      env.setCheckpointStorage(checkpoints);
      env.fromGenerator('unbounded', (i) => i, { ratePerSecond: 50_000 }).keyBy((i) => i % 100).sum().sinkTo(() => {});
      const client = env.executeAsync('cancelled');
      await waitForCheckpoints(client, 3);
      await client.cancel();
      const jobDir = path.join(checkpoints, client.jobId);
      if (retention === 'DELETE_ON_CANCELLATION') {
        expect(fs.readdirSync(checkpoints)).toEqual([]);
      } else {
        const left = fs.readdirSync(jobDir);
        expect(left.length).toBeGreaterThan(0);
        expect(left.length).toBeLessThanOrEqual(2);
        for (const d of left) expect(fs.existsSync(path.join(jobDir, d, '_metadata'))).toBe(true);
      }
    }
  });

  test('a full disk: failed checkpoints leave no directories, the sink no in-progress files', async () => {
    const checkpoints = path.join(dir, 'checkpoints');
    const out = path.join(dir, 'out');
    const real = new FileSystemCheckpointStorage(checkpoints);
    const full: FileSystemCheckpointStorage = Object.create(real);
    let failing = 6;
    full.writeFile = async (d, name, payload) => {
      if (failing > 0 && d.includes('/chk-')) {
        failing--;
        throw new CheckpointStorageError(`cannot write '${name}': no space left (ENOSPC)`);
      }
      return real.writeFile(d, name, payload);
    };
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env.enableCheckpointing(3, 'exactly-once', { tolerableFailedCheckpoints: 1, historySize: 100_000 });
    env.setCheckpointStorage(full);
    env.setRestartStrategy(RestartStrategies.fixedDelay(10, 1));
    env.fromGenerator(3000, (i) => i, { ratePerSecond: 30_000 }).uid('numbers').keyBy((i) => i % KEYS).process(new KeyedCount()).uid('count').sinkTo(new FileSink<Counted>(out));
    const result = await env.execute('full disk');
    expect(result.checkpoints.some((c) => c.failureReason === 'STORAGE_FAILURE')).toBe(true);
    expectExactlyOnce(out, 3000);
    const jobDir = path.join(checkpoints, result.jobId);
    expect(fs.readdirSync(jobDir)).toEqual([path.basename(path.dirname(result.finalCheckpoint!))]);
  });

  test('resuming again and again with restoreMode CLAIM keeps one run\'s checkpoints', async () => {
    const checkpoints = path.join(dir, 'checkpoints');
    const out = path.join(dir, 'out');
    let from: string | undefined;
    for (let run = 0; run < 4; run++) {
      const c = job({ records: 4000, out, rate: 8000, storage: checkpoints, options: from ? { savepointPath: from, restoreMode: 'CLAIM' } : {} });
      await waitForCheckpoints(c, 2);
      await c.cancel(); // a crash, as far as the checkpoints are concerned
      const [latest] = await listRetainedCheckpoints(checkpoints);
      from = path.dirname(latest.location);
      expect(fs.readdirSync(checkpoints)).toEqual([c.jobId]);
    }
    const last = job({ records: 4000, out, storage: checkpoints, options: { savepointPath: from, restoreMode: 'CLAIM' } });
    const result = await last.result();
    expectExactlyOnce(out, 4000);
    expect(fs.readdirSync(checkpoints)).toEqual([last.jobId]);
    expect(fs.readdirSync(path.join(checkpoints, last.jobId))).toEqual([path.basename(path.dirname(result.finalCheckpoint!))]);
  });

  test('a run killed before it finished deleting what it claimed: the run that claims its checkpoint finishes the deletion', async () => {
    const checkpoints = path.join(dir, 'checkpoints');
    const out = path.join(dir, 'out');
    const a = job({ records: 4000, out, rate: 8000, storage: checkpoints });
    await waitForCheckpoints(a, 2);
    await a.cancel();
    const [fromA] = await listRetainedCheckpoints(checkpoints);
    fs.mkdirSync(path.join(checkpoints, a.jobId, `chk-${fromA.checkpointId + 1}`)); // A died writing it
    // B claimed A's checkpoint and died before deleting it: its checkpoint still names A's.
    const b = job({ records: 4000, out, rate: 8000, storage: checkpoints, options: { savepointPath: fromA.location } });
    await waitForCheckpoints(b, 1);
    await b.cancel();
    const [fromB] = (await listRetainedCheckpoints(checkpoints)).filter((c) => c.jobId === b.jobId);
    const storage = new FileSystemCheckpointStorage(checkpoints);
    const loaded = await loadCheckpoint(storage, fromB.location);
    const bDir = path.relative(checkpoints, path.dirname(fromB.location));
    await writeMetadata(storage, bDir, { ...loaded.metadata, claimed: [{ jobId: a.jobId, checkpointId: fromA.checkpointId }] });

    const c = job({ records: 4000, out, storage: checkpoints, options: { savepointPath: fromB.location, restoreMode: 'CLAIM' } });
    const result = await c.result();
    expectExactlyOnce(out, 4000);
    expect(fs.readdirSync(checkpoints)).toEqual([c.jobId]);
    expect(fs.readdirSync(path.join(checkpoints, c.jobId))).toEqual([path.basename(path.dirname(result.finalCheckpoint!))]);
  });
});

test('restarts are logged with their cause, so a restart loop is visible', async () => {
  const events: { level: string; msg?: string; obj: Record<string, unknown> }[] = [];
  const logger: Logger = {
    error: (obj, msg) => void events.push({ level: 'error', msg, obj: obj as Record<string, unknown> }),
    warn: (obj, msg) => void events.push({ level: 'warn', msg, obj: obj as Record<string, unknown> }),
    info: (obj, msg) => void events.push({ level: 'info', msg, obj: obj as Record<string, unknown> }),
    debug: () => {},
    child: () => logger,
  };
  const env = StreamExecutionEnvironment.create({
    logger,
    faults: new FaultInjector([1, 2, 3].map((attempt) => ({ kind: 'fail-at-record' as const, operator: 'm', subtask: 0, record: 10, attempt }))),
  });
  env.enableCheckpointing(1000); // the default strategy with checkpointing: exponential delay, no limit
  env.fromGenerator(100, (i) => i).map((x) => x).uid('m').sinkTo(() => {});
  // Shorten the default backoff for the test through the strategy's own options.
  env.setRestartStrategy(RestartStrategies.exponentialDelay({ initialBackoffMs: 1, maxBackoffMs: 4 }));
  await env.execute('flaky');
  const restarts = events.filter((e) => e.msg === 'job failed; restarting');
  expect(restarts).toHaveLength(3);
  expect(restarts.every((e) => e.level === 'warn' && /injected fault fail-at-record/.test(String(e.obj.err)))).toBe(true);
  expect(restarts.map((e) => e.obj.restarts)).toEqual([1, 2, 3]);
  expect(events.some((e) => e.msg === 'job finished')).toBe(true);
});
