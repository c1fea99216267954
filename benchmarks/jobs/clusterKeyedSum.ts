/**
 * The job module of the cluster benchmarks (each node imports it from
 * dist/, as a node imports any job): generator → keyBy → sum → a sink that
 * discards records and writes, per sink writer, one marker line at its
 * first record and one at the end of input, so the benchmark reads
 * throughput and "first record after a restore" from wall-clock times
 * taken where the records are, not from submission to result.
 *
 * Args: records ('unbounded' or a count), marker directory, mode, records/s
 * ('' for unpaced), operator.
 * Operators (the keyed work per record, from light to heavy):
 * - `sum` (default): a rolling `sum('amount')`, one output per record;
 * - `tumbling`: per key, sums in 1 s tumbling event-time windows;
 * - `sliding`: per key, counts in 10 s windows sliding by 1 s (each record
 *   in 10 windows).
 * Event time for the window operators: 1 ms per 100 records (record i at
 * ⌊i / 100⌋ ms; each source subtask's timestamps only grow), so a second of
 * event time holds 100K records, ~10 per key.
 * Modes:
 * - `spread`: every vertex at the job's parallelism; keys over all subtasks.
 * - `cross`: one source subtask, and every key in a key group of keyed
 *   subtask 1, so every record goes from slot 0 to slot 1 (on one node, a
 *   local channel; on two nodes, TCP), and the same work either way.
 * - `local`: every vertex at the job's parallelism, and source subtask s
 *   (which yields the indexes ≡ s mod p) emits only keys of keyed subtask s:
 *   the work of `spread` with no record leaving its slot, so no record
 *   crosses between nodes — what the machine allows 2 node processes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assignToKeyGroup, normalizeKey, operatorIndexForKeyGroup } from '../../lib/state/KeyGroup';
import type { Sink, SinkInitContext, SinkWriter } from '../../lib/connectors/Sink';
import { SlidingEventTimeWindows, TumblingEventTimeWindows, WatermarkStrategy, type AggregateFunction, type SingleOutputStreamOperator, type StreamExecutionEnvironment } from '../../index';

export const jobName = 'bench-cluster-keyed-sum';

export interface Payment {
  readonly key: string;
  readonly amount: number;
  /** Event time (ms), for the window operators only. */
  readonly ts?: number;
}

export type Operator = 'sum' | 'tumbling' | 'sliding';
export const OPERATORS: readonly Operator[] = ['sum', 'tumbling', 'sliding'];

/** Records per ms of event time (window operators). */
const PER_MS = 100;
/** Records per 1 s slice of event time: the tumbling window, and the slide of the sliding one. */
const PER_SLICE = PER_MS * 1000;
/** Slices in a sliding window (10 s / 1 s). */
const SLIDES = 10;

/** A marker line: what a sink writer saw. `end` is set on the line written at the end of input. */
export interface Marker {
  readonly writer: string;
  readonly subtask: number;
  readonly pid: number;
  readonly first: number;
  readonly end?: number;
  readonly count?: number;
  /** On the end marker: [time (ms), records seen] every PROGRESS_EVERY records, for rates after a warm-up. */
  readonly progress?: readonly (readonly [number, number])[];
}

/** The sink writers note the time every this many records (a power of two: a mask test per record). */
const PROGRESS_EVERY = 1 << 16;

const KEYS = 10_000;

/** `n` distinct keys; with `onSubtask`, only keys whose key group is on that subtask of `parallelism`. */
export function keyNames(n: number, onSubtask?: { index: number; parallelism: number; maxParallelism: number }): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < n; i++) {
    const k = `user-${i}`;
    if (onSubtask === undefined || operatorIndexForKeyGroup(onSubtask.maxParallelism, onSubtask.parallelism, assignToKeyGroup(normalizeKey(k), onSubtask.maxParallelism)) === onSubtask.index) keys.push(k);
  }
  return keys;
}

/**
 * Results the sink receives for `records` records at parallelism 2 in mode
 * `spread` or `local`: one per record for `sum`; one per key and window
 * that holds a record of that key for the window operators. Every 10,000
 * consecutive records hold every key in both modes (7919 is prime to 10,000
 * and to 5,000), so only a slice shorter than that is walked.
 */
export function expectedOutputs(records: number, operator: Operator, mode: 'spread' | 'local' = 'spread'): number {
  if (operator === 'sum') return records;
  const half = KEYS / 2;
  // A key's number: its index in `keyNames(KEYS)` (spread), or subtask × 5,000 + its index among that subtask's keys (local).
  const keyOf = mode === 'local' ? (i: number) => (i % 2) * half + ((Math.floor(i / 2) * 7919) % half) : (i: number) => (i * 7919) % KEYS;
  const slices = Math.ceil(records / PER_SLICE);
  /** Per key, the last slice it appears in. */
  const last = new Int32Array(KEYS).fill(-1);
  let outputs = 0;
  for (let j = 0; j < slices; j++) {
    const from = j * PER_SLICE;
    const to = Math.min(records, from + PER_SLICE);
    const present = new Uint8Array(KEYS);
    if (to - from >= KEYS) present.fill(1);
    else for (let i = from; i < to; i++) present[keyOf(i)] = 1;
    for (let k = 0; k < KEYS; k++) {
      if (present[k] === 0) continue;
      // Tumbling: one window per slice; sliding: the windows [j - 9, j] not counted for an earlier slice of the key.
      outputs += operator === 'tumbling' ? 1 : last[k] < 0 ? SLIDES : Math.min(SLIDES, j - last[k]);
      last[k] = j;
    }
  }
  return outputs;
}

const countOf: AggregateFunction<Payment, number, number> = { createAccumulator: () => 0, add: (_p, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b };

class MarkerSink implements Sink<unknown> {
  constructor(private readonly dir: string) {}

  createWriter(ctx: SinkInitContext): SinkWriter<unknown> {
    const file = path.join(this.dir, 'markers.jsonl');
    const writer = `${process.pid}-${ctx.indexOfSubtask}-${Math.random().toString(36).slice(2, 8)}`;
    let count = 0;
    let first = 0;
    const progress: [number, number][] = [];
    return {
      write() {
        if (count++ === 0) {
          first = Date.now();
          fs.appendFileSync(file, `${JSON.stringify({ writer, subtask: ctx.indexOfSubtask, pid: process.pid, first } satisfies Marker)}\n`);
        } else if ((count & (PROGRESS_EVERY - 1)) === 0) progress.push([Date.now(), count]);
      },
      flush(endOfInput) {
        if (!endOfInput) return;
        const end = Date.now();
        fs.appendFileSync(file, `${JSON.stringify({ writer, subtask: ctx.indexOfSubtask, pid: process.pid, first, end, count, progress } satisfies Marker)}\n`);
      },
    };
  }
}

export default function job(env: StreamExecutionEnvironment, args: string[]): void {
  const records = args[0] === 'unbounded' ? 'unbounded' : Number(args[0]);
  const dir = args[1];
  const mode = args[2] ?? 'spread';
  const rate = args[3] === undefined || args[3] === '' ? undefined : Number(args[3]);
  const operator = (args[4] ?? 'sum') as Operator;
  if (dir === undefined || !OPERATORS.includes(operator)) throw new Error(`usage: clusterKeyedSum <records|unbounded> <marker dir> [spread|cross|local] [records/s] [${OPERATORS.join('|')}]`);
  const { parallelism, maxParallelism } = env.config;
  if (operator !== 'sum' && (mode === 'cross' || parallelism !== 2)) throw new Error(`clusterKeyedSum: operator ${operator} runs in modes spread and local at parallelism 2`);
  const keys = mode === 'cross' ? keyNames(KEYS, { index: 1, parallelism, maxParallelism }) : keyNames(KEYS);
  // Mode local: the keys of each keyed subtask, for the source subtask of the same index.
  const own = Array.from({ length: parallelism }, (_, index) => keyNames(KEYS / parallelism, { index, parallelism, maxParallelism }));
  const pick = mode === 'local' ? (i: number) => own[i % parallelism][(Math.floor(i / parallelism) * 7919) % own[0].length] : (i: number) => keys[(i * 7919) % KEYS];
  const pace = rate === undefined ? {} : { ratePerSecond: rate };
  const sink = new MarkerSink(dir);
  if (operator === 'sum') {
    const source = env.fromGenerator(records, (i): Payment => ({ key: pick(i), amount: i % 10 }), pace, 'payments').uid('payments');
    if (mode === 'cross') source.setParallelism(1);
    source
      .keyBy((x) => x.key)
      .sum('amount')
      .uid('sums')
      .sinkTo(sink, 'markers')
      .uid('markers');
    return;
  }
  const keyed = env
    .fromGenerator(records, (i): Payment => ({ key: pick(i), amount: i % 10, ts: Math.floor(i / PER_MS) }), pace, 'payments')
    .uid('payments')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Payment>().withTimestampAssigner((p) => p.ts!))
    .uid('timestamps')
    .keyBy((x) => x.key);
  const results =
    operator === 'tumbling'
      ? keyed.window(TumblingEventTimeWindows.of(PER_SLICE / PER_MS)).sum('amount')
      : keyed.window(SlidingEventTimeWindows.of((SLIDES * PER_SLICE) / PER_MS, PER_SLICE / PER_MS)).aggregate(countOf);
  (results as SingleOutputStreamOperator<unknown>).uid('windows').sinkTo(sink, 'markers').uid('markers');
}
