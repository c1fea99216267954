/**
 * Benchmark job module: a forward pipeline (generator → map → filter →
 * discarding sink) whose records never leave their subtask's node — how a
 * cluster scales when no record crosses the network. Args: record count.
 */
import type { StreamExecutionEnvironment } from '../../index';

export default function job(env: StreamExecutionEnvironment, args: string[]): void {
  env
    .fromGenerator(Number(args[0] ?? 1_000_000), (i) => ({ k: `k${i % 10000}`, v: i }))
    .uid('gen')
    .map((r) => ({ k: r.k, v: r.v * 2 }))
    .uid('double')
    .filter((r) => r.v % 3 !== 0)
    .uid('filter')
    .sinkTo(() => {})
    .uid('drop');
}
