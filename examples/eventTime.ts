/**
 * README "Event time, watermarks and timers": sensor readings, out of order
 * by up to 2 s, read with a bounded out-of-orderness strategy; a keyed
 * process function emits each sensor's minute average when event time
 * passes the end of the minute (an event-time timer).
 */
import assert from 'node:assert/strict';
import { StreamExecutionEnvironment, ValueStateDescriptor, WatermarkStrategy, type Collector, type KeyedProcessContext, type KeyedProcessFunction, type OnTimerContext, type RuntimeContext, type ValueState } from 'weir-stream';

interface Reading { sensor: string; ts: number; value: number }
const readings: Reading[] = [];
for (let i = 0; i < 600; i++) readings.push({ sensor: `s${i % 3}`, ts: i * 300 + ((i * 7919) % 2000), value: i % 10 });

class MinuteAverage implements KeyedProcessFunction<string, Reading, string> {
  private sums!: ValueState<Record<number, [number, number]>>;
  open(ctx: RuntimeContext) {
    this.sums = ctx.getState(new ValueStateDescriptor<Record<number, [number, number]>>('sums', {}));
  }
  processElement(r: Reading, ctx: KeyedProcessContext<string>, _out: Collector<string>) {
    const end = Math.floor(r.ts / 60_000) * 60_000 + 59_999;     // the minute's last ms
    const sums = { ...this.sums.value() };
    const [n, total] = sums[end] ?? [0, 0];
    sums[end] = [n + 1, total + r.value];
    this.sums.update(sums);
    ctx.timerService().registerEventTimeTimer(end);              // one timer per key and time
  }
  onTimer(end: number, ctx: OnTimerContext<string>, out: Collector<string>) {
    const sums = { ...this.sums.value() };
    const [n, total] = sums[end];
    out.collect(`${ctx.getCurrentKey()} minute ending ${end}: ${(total / n).toFixed(2)} over ${n}`);
    delete sums[end];
    this.sums.update(sums);
  }
}

const env = StreamExecutionEnvironment.create({ parallelism: 2 });
const averages = await env
  .fromCollection(readings)
  .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Reading>(2_000).withTimestampAssigner((r) => r.ts))
  .keyBy((r) => r.sensor)
  .process(new MinuteAverage())
  .executeAndCollect();

const minutes = new Set(readings.map((r) => `${r.sensor}:${Math.floor(r.ts / 60_000)}`));
assert.equal(averages.length, minutes.size, 'one average per sensor and minute');
console.log(averages.slice(0, 3).join('\n'));
