/**
 * The fault-tolerance properties' generated job (faultyJobs.ts) as a job
 * module, so a cluster's coordinator and nodes can each build it. Args: the
 * job as JSON, the output directory (exactly-once FileSink, one JSON line
 * per output), the checkpoint interval in ms.
 */
import { FileSink, RestartStrategies, type StreamExecutionEnvironment } from '../../index';
import { buildFaultyJob, type FaultyJob, type Out } from '../faultyJobs';

export const jobName = 'faulty-job';

export default function job(env: StreamExecutionEnvironment, args: string[]): void {
  const [spec, output, interval] = args;
  if (spec === undefined || output === undefined) throw new Error('usage: faultyJobModule <job JSON> <output dir> [checkpoint interval ms]');
  env.enableCheckpointing(Number(interval ?? 20), 'exactly-once', { retainedCheckpoints: 2, tolerableFailedCheckpoints: 1000 });
  env.setRestartStrategy(RestartStrategies.fixedDelay(1000, 20));
  buildFaultyJob(env, JSON.parse(spec) as FaultyJob)
    .sinkTo(new FileSink<Out>(output))
    .uid('files');
}
