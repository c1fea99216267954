/** README "Keyed state in a process function": an alert when an account's total passes 10,000. */
import assert from 'node:assert/strict';

import {
  CollectionSource,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
  type KeyedProcessFunction,
  type RuntimeContext,
  type ValueState,
} from 'weir-stream';

interface Payment {
  account: string;
  amount: number;
}
const payments = new CollectionSource<Payment>([
  { account: 'ann', amount: 6_000 },
  { account: 'bob', amount: 9_000 },
  { account: 'ann', amount: 5_000 },
  { account: 'bob', amount: 500 },
  { account: 'ann', amount: 100 },
]);
const env = StreamExecutionEnvironment.create({ parallelism: 2 });

class Alert implements KeyedProcessFunction<string, Payment, string> {
  private total!: ValueState<number>;
  open(ctx: RuntimeContext) { this.total = ctx.getState(new ValueStateDescriptor<number>('total', 0)); }
  processElement(p: Payment, ctx: KeyedProcessContext<string>, out: Collector<string>) {
    const t = this.total.value()! + p.amount;
    this.total.update(t);
    if (t > 10_000) out.collect(`${ctx.getCurrentKey()} spent ${t}`);
  }
}
env.fromSource(payments).keyBy((p) => p.account).process(new Alert()).print();
await env.execute('alerts');

const alerts = await env.fromSource(payments).keyBy((p) => p.account).process(new Alert()).executeAndCollect('alerts, collected');
assert.deepEqual([...alerts].sort(), ['ann spent 11000', 'ann spent 11100']);
