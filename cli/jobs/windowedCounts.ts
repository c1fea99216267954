/**
 * A job module shipped with weir to try the commands on, `weir chaos` in
 * particular: per key, event-time counts in 1 s tumbling windows over `n`
 * generated records (10 ms of event time apart, 20 keys), written
 * exactly-once to a FileSink in the output directory as "key,windowEnd,count"
 * lines. Its committed output is the same in every run whatever the
 * parallelism, the interleaving of the source subtasks or the faults — each
 * source subtask's timestamps only grow, so no record is late and every
 * window is complete — which is what a fault experiment compares.
 *
 *   npm run build
 *   weir run dist/cli/jobs/windowedCounts.js 20000 /tmp/counts
 *   weir chaos dist/cli/jobs/windowedCounts.js 20000 {out} --nodes 3 -p 4 --seed 7
 *
 * Args: records (20000), output directory, records per second over all
 * source subtasks (unlimited).
 */
import { FileSink, TumblingEventTimeWindows, WatermarkStrategy, type StreamExecutionEnvironment } from '../../index';

export const jobName = 'windowed-counts';

export interface Tick {
  readonly key: string;
  readonly ts: number;
}

/** Record `i`: one of 20 keys, 10 ms of event time after record i - 1. */
export function tick(i: number): Tick {
  return { key: `k${i % 20}`, ts: i * 10 };
}

export default function job(env: StreamExecutionEnvironment, args: string[]): void {
  const n = Number(args[0] ?? 20_000);
  const output = args[1];
  const rate = args[2] === undefined ? undefined : Number(args[2]);
  if (output === undefined || !Number.isSafeInteger(n) || n < 0) throw new Error('usage: windowedCounts.js <records> <output directory> [records/s]');
  env
    .fromGenerator(n, tick, rate === undefined ? {} : { ratePerSecond: rate }, 'ticks')
    .uid('ticks')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Tick>().withTimestampAssigner((t) => t.ts))
    .uid('timestamps')
    .keyBy((t) => t.key)
    .window(TumblingEventTimeWindows.of(1000))
    .process({
      process(key: string, ctx, elements, out) {
        out.collect(`${key},${ctx.window.end},${elements.length}`);
      },
    })
    .uid('counts')
    .sinkTo(new FileSink<string>(output))
    .uid('files');
}
