/**
 * Per-split watermarks in running jobs (FLIP-27 split-aware watermark
 * generation): a FileSource whose files are read by fewer subtasks than
 * there are files gives each file its own watermark generator, so a file
 * whose timestamps run far ahead of the others does not make their records
 * late. Event-time windows at parallelism 1 equal those at parallelism 3,
 * with no late record, for periodic and punctuated strategies; and a job
 * stopped with a savepoint mid-way (one subtask holding every file) and
 * resumed at another parallelism loses no record to lateness either.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  FileSink,
  FileSource,
  MemoryCheckpointStorage,
  OutputTag,
  readCommittedLines,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  Watermark,
  WatermarkStrategy,
  type ProcessWindowFunction,
  type TimeWindow,
} from '../index';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-splitwm-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Ev {
  readonly id: number;
  readonly key: string;
  /** Event time, ms. */
  readonly ts: number;
  readonly amount: number;
}

const BOUND_MS = 500;
const WINDOW_MS = 1000;

/**
 * Three files of events, each at most BOUND_MS out of order within itself;
 * the first to be read ('a-ahead') is a day ahead of the other two.
 */
function writeFiles(perFile: number): Ev[] {
  const all: Ev[] = [];
  const starts: [string, number][] = [
    ['a-ahead.jsonl', 86_400_000],
    ['b.jsonl', 0],
    ['c.jsonl', 1_000],
  ];
  let id = 0;
  starts.forEach(([name, start], f) => {
    const evs: Ev[] = [];
    for (let i = 0; i < perFile; i++) {
      const jitter = ((i * 7919 + f * 13) % 9) * 50; // 0..400 ms behind: within the bound
      evs.push({ id: id++, key: `k${i % 5}`, ts: start + i * 20 - jitter, amount: (i % 7) + 1 });
    }
    all.push(...evs);
    fs.mkdirSync(path.join(dir, 'in'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'in', name), evs.map((e) => JSON.stringify(e)).join('\n') + '\n');
  });
  return all;
}

/** What tumbling windows over every record (none late) give: "key@start=sum", sorted. */
function expectedSums(evs: readonly Ev[]): string[] {
  const m = new Map<string, number>();
  for (const e of evs) {
    const k = `${e.key}@${Math.floor(e.ts / WINDOW_MS) * WINDOW_MS}`;
    m.set(k, (m.get(k) ?? 0) + e.amount);
  }
  return [...m].map(([k, v]) => `${k}=${v}`).sort();
}

const describeWindow: ProcessWindowFunction<Ev, string, string, TimeWindow> = {
  process: (key, ctx, [total], out) => out.collect(`${key}@${ctx.window.start}=${total.amount}`),
};

const strategies = {
  'bounded out-of-orderness (periodic)': () => WatermarkStrategy.forBoundedOutOfOrderness<Ev>(BOUND_MS).withTimestampAssigner((e) => e.ts),
  // A watermark right after every record: without per-split generators the first file's last record would make every later record late.
  'punctuated, bounded': () =>
    WatermarkStrategy.forGenerator<Ev>(() => {
      let max = Number.NEGATIVE_INFINITY;
      return {
        onEvent(e, ts, out) {
          max = Math.max(max, ts);
          out.emitWatermark(new Watermark(max - BOUND_MS - 1));
        },
        onPeriodicEmit() {},
      };
    }).withTimestampAssigner((e) => e.ts),
};

async function windowsAt(parallelism: number, strategy: WatermarkStrategy<Ev>): Promise<string[]> {
  const env = StreamExecutionEnvironment.create({ parallelism, bufferTimeoutMs: 1, autoWatermarkIntervalMs: 1 });
  const late = new OutputTag<Ev>('late');
  const sums = env
    .fromSource(FileSource.jsonLines<Ev>(path.join(dir, 'in'), { chunkSize: 1024 }), strategy, 'events')
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(WINDOW_MS))
    .sideOutputLateData(late)
    .reduce((a, b) => ({ ...a, amount: a.amount + b.amount }), describeWindow);
  const got = await sums.union(sums.getSideOutput(late).map((e) => `late ${e.id}`)).executeAndCollect();
  return got.sort();
}

describe('per-split watermarks of a FileSource', () => {
  test.each(Object.keys(strategies) as (keyof typeof strategies)[])(
    '%s: three files on one subtask, one far ahead, give the windows of parallelism 3, with no record late',
    async (name) => {
      const evs = writeFiles(1500);
      const expected = expectedSums(evs);
      const atOne = await windowsAt(1, strategies[name]());
      const atThree = await windowsAt(3, strategies[name]());
      expect(atOne.filter((s) => s.startsWith('late'))).toEqual([]);
      expect(atOne).toEqual(expected);
      expect(atThree).toEqual(expected);
    },
  );

  test.each([
    [1, 2],
    [1, 3],
  ])('stopped with a savepoint mid-way at parallelism %i (several splits on one reader) and resumed at %i: no record late', async (from, to) => {
    const evs = writeFiles(3000);
    const out = path.join(dir, 'out');
    let seen = 0;
    const run = (parallelism: number, savepointPath?: string) => {
      const env = StreamExecutionEnvironment.create({ parallelism, savepointPath, bufferTimeoutMs: 1, autoWatermarkIntervalMs: 1 });
      env.enableCheckpointing(10, 'exactly-once');
      env.setCheckpointStorage(new MemoryCheckpointStorage());
      const late = new OutputTag<Ev>('late');
      const sums = env
        .fromSource(FileSource.jsonLines<Ev>(path.join(dir, 'in'), { chunkSize: 1024 }), strategies['bounded out-of-orderness (periodic)'](), 'events')
        .uid('events')
        .map((e) => {
          seen++;
          const until = performance.now() + 0.05; // slow enough that the savepoint comes mid-way
          while (performance.now() < until);
          return e;
        })
        .uid('slow')
        .keyBy((e) => e.key)
        .window(TumblingEventTimeWindows.of(WINDOW_MS))
        .sideOutputLateData(late)
        .reduce((a, b) => ({ ...a, amount: a.amount + b.amount }), describeWindow)
        .uid('windows');
      sums
        .union(sums.getSideOutput(late).map((e) => `late ${e.id}`))
        .sinkTo(new FileSink<string>(out))
        .uid('sink');
      return env.executeAsync('split watermarks with savepoint');
    };
    const a = run(from);
    const t0 = Date.now();
    while (seen < 1000) {
      if (Date.now() - t0 > 20_000) throw new Error('the first run did not get going');
      await new Promise((r) => setTimeout(r, 2));
    }
    const savepoint = await a.stopWithSavepoint(path.join(dir, 'savepoints'));
    await a.result();
    expect(seen).toBeLessThan(evs.length); // stopped mid-way
    const b = run(to, savepoint);
    await b.result();
    const committed = readCommittedLines(out); // strings are written as they are
    expect(committed.filter((s) => s.startsWith('late'))).toEqual([]);
    expect(committed.sort()).toEqual(expectedSums(evs));
  });
});
