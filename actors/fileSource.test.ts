/**
 * FileSource in running jobs: a bounded read of a directory at p > 1;
 * exactly-once through a crash and a restore from a checkpoint (JSON lines
 * and CSV into a FileSink: the committed output is the input, once);
 * malformed records to a side output or failing the job with file and
 * line; continuous monitoring of a directory while the job runs (stopped
 * with cancel), and a monitoring job stopped with a savepoint and resumed
 * at another parallelism with files added in between.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CollectSink,
  FileSink,
  FileSource,
  JobExecutionError,
  ConnectorError,
  MalformedRecordError,
  MemoryCheckpointStorage,
  OutputTag,
  readCommittedLines,
  RestartStrategies,
  StreamExecutionEnvironment,
  type MalformedRecord,
} from '../index';
import { FaultInjector } from '../lib/testing/FaultInjector';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-filesource-job-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes a file under a hidden name and renames it in, as a producer should. */
function publish(name: string, content: string): void {
  const final = path.join(dir, name);
  fs.mkdirSync(path.dirname(final), { recursive: true });
  const tmp = path.join(path.dirname(final), `.${path.basename(final)}.tmp`);
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, final);
}

interface Rec {
  readonly id: number;
  readonly text: string;
}

/** JSON-lines files part-<first>… of `perFile` records each (ids unique per file number); returns the records. */
function jsonFiles(sub: string, files: number, perFile: number, first = 0): Rec[] {
  const all: Rec[] = [];
  for (let f = 0; f < files; f++) {
    const recs = Array.from({ length: perFile }, (_, i) => ({ id: (first + f) * perFile + i, text: `r${i} ünï "q"` }));
    all.push(...recs);
    publish(`${sub}/part-${first + f}.jsonl`, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
  return all;
}

function csvFiles(sub: string, files: number, perFile: number): Rec[] {
  const all: Rec[] = [];
  for (let f = 0; f < files; f++) {
    const recs = Array.from({ length: perFile }, (_, i) => ({ id: f * perFile + i, text: `line ${i}\nsecond, "line"` }));
    all.push(...recs);
    publish(`${sub}/part-${f}.csv`, 'id,text\r\n' + recs.map((r) => `${r.id},"${r.text.replace(/"/g, '""')}"`).join('\r\n') + '\r\n');
  }
  return all;
}

const byId = (a: Rec, b: Rec) => a.id - b.id;

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('FileSource in a job', () => {
  test('a bounded read of a directory at p=3 emits every record once and finishes', async () => {
    const input = jsonFiles('in', 7, 500);
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    const records = await env.fromSource(FileSource.jsonLines<Rec>(path.join(dir, 'in')), 'files').executeAndCollect();
    expect([...records].sort(byId)).toEqual(input);
  });

  test.each([
    ['JSON lines', () => FileSource.jsonLines<Rec>(path.join(dir, 'in'), { chunkSize: 512 }), () => jsonFiles('in', 6, 4000)],
    ['CSV', () => FileSource.csv<{ id: string; text: string }>(path.join(dir, 'in'), { chunkSize: 512 }), () => csvFiles('in', 6, 3000)],
  ] as const)('%s: exactly once into a FileSink through a crash and a restore from a checkpoint', async (_name, source, write) => {
    const input = write();
    const faults = new FaultInjector([
      { kind: 'fail-during-notify', operator: 'normalize', subtask: 1, checkpoint: 2 },
      // Strikes only if attempt 2 has 500 records left for subtask 0 (not so on a loaded machine where checkpoint 2 came late).
      { kind: 'fail-at-record', operator: 'normalize', subtask: 0, record: 500, attempt: 2 },
    ]);
    const env = StreamExecutionEnvironment.create({ parallelism: 2, faults });
    env.enableCheckpointing(5, 'exactly-once', { tolerableFailedCheckpoints: 100 });
    env.setCheckpointStorage(new MemoryCheckpointStorage());
    env.setRestartStrategy(RestartStrategies.fixedDelay(5, 0));
    const out = path.join(dir, 'out');
    env
      .fromSource(source() as FileSource<{ id: number | string; text: string }>, 'files')
      .uid('files')
      .map((r) => ({ id: Number(r.id), text: r.text }))
      .uid('normalize')
      .sinkTo(new FileSink<Rec>(out))
      .uid('sink');
    const result = await env.execute('files exactly once');
    // One restart per fault that struck: the first always does, the second when attempt 2 gets that far.
    expect(result.faults.map((f) => f.fault.kind)[0]).toBe('fail-during-notify');
    expect(result.restarts).toHaveLength(result.faults.length);
    expect(result.restarts[0].restoredCheckpoint).toBeGreaterThanOrEqual(2);
    const committed = readCommittedLines(out).map((l) => JSON.parse(l) as Rec);
    expect(committed.length).toBe(input.length);
    expect(committed.sort(byId)).toEqual(input);
  });

  test('malformed lines go to a side output at p=2, naming file and line; good lines go on', async () => {
    publish('in/a.jsonl', '{"id":1,"text":"a"}\nnot json\n{"id":2,"text":"b"}\n');
    publish('in/b.jsonl', '{"id":3,"text":"c"}\n\n{"id":\n');
    const bad = new OutputTag<MalformedRecord>('bad');
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const recs = env.fromSource(FileSource.jsonLines<Rec>(path.join(dir, 'in'), { onMalformed: bad }), 'files');
    recs.sinkTo(new CollectSink<Rec>()).uid('good').setParallelism(1);
    recs.getSideOutput(bad).sinkTo(new CollectSink<MalformedRecord>()).uid('bad').setParallelism(1);
    const result = await env.execute('malformed');
    expect((result.sinkResults['good'] as Rec[]).map((r) => r.id).sort()).toEqual([1, 2, 3]);
    const rejected = (result.sinkResults['bad'] as MalformedRecord[]).map((m) => [path.basename(m.file), m.line, m.raw]).sort();
    expect(rejected).toEqual([
      ['a.jsonl', 2, 'not json'],
      ['b.jsonl', 3, '{"id":'],
    ]);
  });

  test('by default a malformed line fails the job with MalformedRecordError naming the file and line', async () => {
    publish('in/a.jsonl', '{"id":1}\n{"id":2}\n{oops}\n');
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    env.fromSource(FileSource.jsonLines(path.join(dir, 'in')), 'files').uid('files').sinkTo(() => {});
    const err = (await env.execute('fails').catch((e: unknown) => e)) as JobExecutionError;
    expect(err).toBeInstanceOf(JobExecutionError);
    // A connector's data error is the cause itself (not a user-function failure), naming where it failed.
    expect(err.cause).toBeInstanceOf(MalformedRecordError);
    expect(err.cause).toBeInstanceOf(ConnectorError);
    expect(err.cause).toMatchObject({ file: path.join(dir, 'in', 'a.jsonl'), line: 3, location: { uid: 'files', subtaskIndex: 0 } });
    expect(err.message).toMatch(/a\.jsonl at line 3/);
  });

  test('monitoring a directory: files added while the job runs are read once; the job runs until cancelled', async () => {
    const watched = path.join(dir, 'in');
    const expected = jsonFiles('in', 2, 50);
    const seen: Rec[] = [];
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env.fromSource(FileSource.jsonLines<Rec>(watched).monitorContinuously(10), 'watch').sinkTo((r) => void seen.push(r));
    const job = env.executeAsync('monitor');
    await until(() => seen.length === expected.length);
    for (let round = 1; round <= 3; round++) {
      expected.push(...jsonFiles('in', 2, 50, round * 2));
      await until(() => seen.length >= expected.length);
    }
    await new Promise((r) => setTimeout(r, 50)); // a few more listings: nothing is read twice
    expect(job.status()).toBe('RUNNING');
    await job.cancel();
    expect([...seen].sort(byId)).toEqual(expected.sort(byId));
  });

  test('a monitoring job stopped with a savepoint and resumed at another parallelism reads every file once, also those added meanwhile', async () => {
    const watched = path.join(dir, 'in');
    const out = path.join(dir, 'out');
    const run = (parallelism: number, savepointPath?: string) => {
      const env = StreamExecutionEnvironment.create({ parallelism, savepointPath, bufferTimeoutMs: 2 });
      env.enableCheckpointing(10, 'exactly-once');
      env.setCheckpointStorage(new MemoryCheckpointStorage());
      env.fromSource(FileSource.jsonLines<Rec>(watched, { chunkSize: 256 }).monitorContinuously(10), 'watch').uid('watch').sinkTo(new FileSink<Rec>(out)).uid('sink');
      return env.executeAsync('monitor with savepoint');
    };
    const committed = () => readCommittedLines(out).map((l) => JSON.parse(l) as Rec);
    const expected = jsonFiles('in', 3, 200);
    const a = run(2);
    let b: ReturnType<typeof run> | undefined;
    try {
      await until(() => committed().length >= 200);
      expected.push(...jsonFiles('in', 3, 200, 3)); // while A reads
      const savepoint = await a.stopWithSavepoint(path.join(dir, 'savepoints'));
      await a.result();
      expected.push(...jsonFiles('in', 2, 200, 6)); // while nothing runs
      // At parallelism 3 one subtask gets only a half-read file split: it finishes while the job runs on,
      // and its output must be committed by the next checkpoint.
      b = run(3, savepoint);
      await until(() => committed().length >= expected.length);
      expected.push(...jsonFiles('in', 1, 200, 8)); // while B runs
      await until(() => committed().length >= expected.length);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await a.cancel().catch(() => {});
      await b?.cancel();
    }
    expect(committed().sort(byId)).toEqual(expected.sort(byId));
  });
});
