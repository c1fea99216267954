/**
 * Shared by the lifecycle tests (actors/lifecycle.test.ts and
 * lifecycle.prop.ts): a keyed count in ValueState that emits every record
 * with its running count, so exactly-once shows in the output as per-key
 * counts 1..n.
 */
import { ValueStateDescriptor, type Collector, type KeyedProcessContext, type RuntimeContext, type ValueState } from '../index';

export interface Counted {
  readonly key: number;
  readonly id: number;
  readonly count: number;
}

/** Counts records per key in ValueState 'count' and emits every record with its running count. */
export class KeyedCount {
  private count!: ValueState<number>;
  open(ctx: RuntimeContext): void {
    this.count = ctx.getState(new ValueStateDescriptor<number>('count', 0));
  }
  processElement(id: number, ctx: KeyedProcessContext<number>, out: Collector<Counted>): void {
    const n = (this.count.value() ?? 0) + 1;
    this.count.update(n);
    out.collect({ key: ctx.getCurrentKey(), id, count: n });
  }
}
