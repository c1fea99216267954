/**
 * In the style of Flink's StreamCheckpointingITCase: 1.2 million generated
 * records, keyed counts in ValueState, checkpoints every 40 ms, and one
 * failure injected only after two checkpoints completed (at the notify of
 * checkpoint 2). The job restarts from its latest checkpoint; afterwards the
 * per-key counts (read from the final checkpoint) are exact. The test fails
 * if the failure never fired or the job did not restore from a checkpoint.
 */
import {
  loadCheckpoint,
  MemoryCheckpointStorage,
  readKeyedState,
  RestartStrategies,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type RuntimeContext,
  type ValueState,
} from '../index';
import { FaultInjector } from '../lib/testing/FaultInjector';

const RECORDS = 1_200_000;
const KEYS = 1000;

class Count {
  private count!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.count = ctx.getState(new ValueStateDescriptor<number>('count', 0));
  }
  processElement() {
    this.count.update(this.count.value()! + 1);
  }
}

test('exact per-key counts over 1.2M records after a failure that follows two completed checkpoints', async () => {
  const faults = new FaultInjector([{ kind: 'fail-during-notify', operator: 'counts', subtask: 1, checkpoint: 2 }]);
  const storage = new MemoryCheckpointStorage();
  const env = StreamExecutionEnvironment.create({ parallelism: 2, faults });
  env.enableCheckpointing(40, 'exactly-once');
  env.setCheckpointStorage(storage);
  env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
  env
    .fromGenerator(RECORDS, (i) => i)
    .uid('numbers')
    .keyBy((i) => i % KEYS)
    .process(new Count())
    .uid('counts')
    .sinkTo(() => {});
  const result = await env.execute('checkpointing IT');

  expect(faults.allFired).toBe(true);
  expect(result.faults).toHaveLength(1);
  expect(result.restarts).toHaveLength(1);
  expect(result.restarts[0].restoredCheckpoint).toBeGreaterThanOrEqual(2);
  expect(result.checkpointCounts.completed).toBeGreaterThanOrEqual(3);

  const final = await loadCheckpoint(storage, result.finalCheckpoint!);
  const counts = readKeyedState(final.state, 'counts', 'count');
  expect(counts.size).toBe(KEYS);
  for (let k = 0; k < KEYS; k++) expect(counts.get(k)).toBe(RECORDS / KEYS);
});
