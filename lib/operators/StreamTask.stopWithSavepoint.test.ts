/**
 * After a stop-with-savepoint barrier left a source task, its processing-
 * time callbacks wait, also one already queued in the task's mailbox when
 * the shell triggered the barrier: a periodic watermark sent after the
 * barrier would fire timers downstream that the savepoint still holds, so
 * they fired again after the restore. They run if the savepoint is aborted.
 */
import { StreamExecutionEnvironment } from '../api/StreamExecutionEnvironment';
import { GeneratorSource } from '../connectors/GeneratorSource';
import { createExecutionGraph } from '../graph/ExecutionGraph';
import { ManualClock } from '../testing/ManualClock';
import { WatermarkStrategy } from '../time/WatermarkStrategy';
import type { ChannelBuffer, CheckpointBarrier } from '../transport/ChannelBuffer';
import { StreamTask } from './StreamTask';

test('a periodic watermark queued before a stop-with-savepoint barrier is not sent after it, unless the savepoint is aborted', () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 1, autoWatermarkIntervalMs: 10 });
  const strategy = WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((x) => x);
  env.fromSource(new GeneratorSource('unbounded', (i) => i), strategy, 'numbers').sinkTo(() => {}).disableChaining();
  const ev = createExecutionGraph(env.getJobGraph()).subtasks.find((s) => s.vertex.nodes[0].kind === 'source')!;
  const clock = new ManualClock(0);
  const sent: ChannelBuffer[] = [];
  const task = new StreamTask(
    ev,
    { frameSize: 100, channelCredits: 10, buffersPerRun: 1, checkpointingMode: 'exactly-once', jobId: 'j', attemptNumber: 1 },
    {
      clock,
      random: () => 0,
      sendBuffer: (_info, b) => void sent.push(b),
      sendCredit: () => {},
      sendOperatorEvent: () => {},
      snapshotTaken: () => {},
      checkpointSubsumed: () => {},
      requestRun: () => {},
    },
  );
  task.open();
  task.run(); // one poll of records
  clock.advance(10); // the periodic watermark is due: its callback waits in the mailbox
  const stop: CheckpointBarrier = { kind: 'barrier', checkpointId: 3, timestamp: 0, savepoint: true, terminate: true, target: '/sp' };
  expect(task.triggerCheckpoint(stop)).toBe(true);
  task.run();
  task.flushOutputs();
  const kinds = () => sent.map((b) => b.kind);
  expect(kinds()).toEqual(['records', 'barrier']);
  task.abortCheckpoint(3);
  task.run();
  task.flushOutputs();
  expect(kinds().slice(0, 3)).toEqual(['records', 'barrier', 'watermark']);
});
