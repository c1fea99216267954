/**
 * A sink whose async close() rejects while the job is cancelled or fails
 * over: the task drops the close() it no longer waits for, and its
 * rejection is handled — no unhandled rejection (the suite's trap fails the
 * file otherwise), nothing kills the process.
 */
import { JobCancelledError, JobExecutionError, RestartStrategies, StreamExecutionEnvironment, type Sink } from '../index';
import { FaultInjector } from '../testing';

const rejectingClose: Sink<number> = {
  createWriter: () => ({
    write() {},
    close: () => new Promise<void>((_, reject) => setImmediate(() => reject(new Error('close failed')))),
  }),
};

test('cancelling a job whose sink close() rejects leaves no unhandled rejection', async () => {
  const env = StreamExecutionEnvironment.create({ bufferTimeoutMs: 1 });
  env.fromGenerator('unbounded', (i) => i).sinkTo(rejectingClose);
  const client = env.executeAsync('cancel me');
  await new Promise((r) => setTimeout(r, 30));
  await client.cancel();
  await expect(client.result()).rejects.toBeInstanceOf(JobCancelledError);
  await new Promise((r) => setTimeout(r, 30));
});

test('a failover closing a sink whose close() rejects leaves no unhandled rejection', async () => {
  const faults = new FaultInjector([{ kind: 'fail-at-record', operator: 'src-map', subtask: 0, record: 100 }]);
  const env = StreamExecutionEnvironment.create({ faults });
  env.enableCheckpointing(10);
  env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
  env.fromGenerator(1000, (i) => i).map((x) => x).uid('src-map').sinkTo(rejectingClose);
  const err = await env.execute('failover').catch((e: unknown) => e);
  // the job may finish or fail on the final close; either way nothing may be left unhandled
  if (err !== undefined) expect(err).toBeInstanceOf(JobExecutionError);
  await new Promise((r) => setTimeout(r, 30));
});
