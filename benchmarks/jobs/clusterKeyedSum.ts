/**
 * The job module of the cluster benchmarks (each node imports it from
 * dist/, as a node imports any job): generator → keyBy → sum → a sink that
 * discards records and writes, per sink writer, one marker line at its
 * first record and one at the end of input, so the benchmark reads
 * throughput and "first record after a restore" from wall-clock times
 * taken where the records are, not from submission to result.
 *
 * Args: records ('unbounded' or a count), marker directory, mode, records/s.
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
import type { StreamExecutionEnvironment } from '../../index';

export const jobName = 'bench-cluster-keyed-sum';

export interface Payment {
  readonly key: string;
  readonly amount: number;
}

/** A marker line: what a sink writer saw. `end` is set on the line written at the end of input. */
export interface Marker {
  readonly writer: string;
  readonly subtask: number;
  readonly pid: number;
  readonly first: number;
  readonly end?: number;
  readonly count?: number;
}

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

class MarkerSink implements Sink<Payment> {
  constructor(private readonly dir: string) {}

  createWriter(ctx: SinkInitContext): SinkWriter<Payment> {
    const file = path.join(this.dir, 'markers.jsonl');
    const writer = `${process.pid}-${ctx.indexOfSubtask}-${Math.random().toString(36).slice(2, 8)}`;
    let count = 0;
    let first = 0;
    return {
      write() {
        if (count++ === 0) {
          first = Date.now();
          fs.appendFileSync(file, `${JSON.stringify({ writer, subtask: ctx.indexOfSubtask, pid: process.pid, first } satisfies Marker)}\n`);
        }
      },
      flush(endOfInput) {
        if (!endOfInput) return;
        fs.appendFileSync(file, `${JSON.stringify({ writer, subtask: ctx.indexOfSubtask, pid: process.pid, first, end: Date.now(), count } satisfies Marker)}\n`);
      },
    };
  }
}

export default function job(env: StreamExecutionEnvironment, args: string[]): void {
  const records = args[0] === 'unbounded' ? 'unbounded' : Number(args[0]);
  const dir = args[1];
  const mode = args[2] ?? 'spread';
  const rate = args[3] === undefined ? undefined : Number(args[3]);
  if (dir === undefined) throw new Error('usage: clusterKeyedSum <records|unbounded> <marker dir> [spread|cross|local] [records/s]');
  const { parallelism, maxParallelism } = env.config;
  const keys = mode === 'cross' ? keyNames(KEYS, { index: 1, parallelism, maxParallelism }) : keyNames(KEYS);
  // Mode local: the keys of each keyed subtask, for the source subtask of the same index.
  const own = Array.from({ length: parallelism }, (_, index) => keyNames(KEYS / parallelism, { index, parallelism, maxParallelism }));
  const pick = mode === 'local' ? (i: number) => own[i % parallelism][(Math.floor(i / parallelism) * 7919) % own[0].length] : (i: number) => keys[(i * 7919) % KEYS];
  const source = env.fromGenerator(records, (i): Payment => ({ key: pick(i), amount: i % 10 }), rate === undefined ? {} : { ratePerSecond: rate }, 'payments').uid('payments');
  if (mode === 'cross') source.setParallelism(1);
  source
    .keyBy((x) => x.key)
    .sum('amount')
    .uid('sums')
    .sinkTo(new MarkerSink(dir), 'markers')
    .uid('markers');
}
