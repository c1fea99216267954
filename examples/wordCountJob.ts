/**
 * README "Command line": a job module. `weir run` imports it, calls the
 * function with an environment and the arguments after the module's path,
 * then runs what it built (examples/cliRun.ts does, and checks the result).
 */
import type { StreamExecutionEnvironment } from 'weir-stream';

export default function job(env: StreamExecutionEnvironment, words: string[]) {
  env
    .fromCollection(words)
    .map((word) => ({ word, n: 1 }))
    .keyBy((w) => w.word)
    .sum('n')
    .print();
}
