/**
 * Keyed state time-to-live end to end on the actor runtime: a
 * KeyedProcessFunction keeps a TTL ValueState on a job whose clock is a
 * ManualClock (the generator's rate limiter and the state's processing
 * time both run on it). The value written by the first record is read by
 * later ones until the TTL of processing time has passed since it was
 * written, then it is gone; a state written by every record stays.
 */
import {
  StateTtlConfig,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
  type KeyedProcessFunction,
  type RuntimeContext,
  type ValueState,
} from '../index';
import { ManualClock } from '../lib/testing/ManualClock';

const TTL = 2500;

/** Record 0 stores 'first'; every record emits what 'first' holds and how many records 'count' has seen. */
class FirstValue implements KeyedProcessFunction<string, number, string> {
  private first!: ValueState<string>;
  private count!: ValueState<number>;
  open(ctx: RuntimeContext): void {
    const ttl = StateTtlConfig.newBuilder(TTL).build();
    this.first = ctx.getState(new ValueStateDescriptor<string>('first').enableTimeToLive(ttl));
    this.count = ctx.getState(new ValueStateDescriptor<number>('count', 0).enableTimeToLive(ttl));
  }
  processElement(i: number, _ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    if (i === 0) this.first.update(`written at record ${i}`);
    const n = (this.count.value() ?? 0) + 1;
    this.count.update(n);
    out.collect(`${i}: ${this.first.value() ?? 'expired'} (${n} seen)`);
  }
}

test('a TTL ValueState expires after the TTL of the job clock; one written by every record does not', async () => {
  const clock = new ManualClock(10_000);
  const env = StreamExecutionEnvironment.create({ parallelism: 1, clock, bufferTimeoutMs: 0 });
  const out: string[] = [];
  env
    .fromGenerator('unbounded', (i) => i, { ratePerSecond: 1 })
    .uid('numbers')
    .keyBy(() => 'device')
    .process(new FirstValue())
    .uid('first-value')
    .sinkTo((s: string) => void out.push(s));
  const job = env.executeAsync('state ttl');
  try {
    // The generator's rate limiter is on the same clock: one record now, then one per 1000 ms of it.
    await until(() => out.length === 1);
    for (let i = 1; i <= 4; i++) {
      clock.advance(1000);
      await until(() => out.length === i + 1);
    }
    expect(out).toEqual([
      '0: written at record 0 (1 seen)',
      '1: written at record 0 (2 seen)',
      '2: written at record 0 (3 seen)',
      '3: expired (4 seen)', // 3000 ms after the write: past the 2500 ms TTL
      '4: expired (5 seen)',
    ]);
  } finally {
    await job.cancel();
  }
});

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}
