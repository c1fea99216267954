/**
 * README "Broadcast state": a limit per currency is broadcast to every
 * subtask of a keyed operator; payments above their currency's limit raise
 * an alert. Only the broadcast side writes the limits.
 */
import assert from 'node:assert/strict';
import {
  MapStateDescriptor,
  StreamExecutionEnvironment,
  type Collector,
  type KeyedBroadcastContext,
  type KeyedBroadcastProcessFunction,
  type KeyedReadOnlyBroadcastContext,
} from 'weir-stream';

interface Payment { account: string; currency: string; amount: number }
interface Limit { currency: string; max: number }

const env = StreamExecutionEnvironment.create({ parallelism: 3 });
const limitsDescriptor = new MapStateDescriptor<string, number>('limits');
const limits = env.fromCollection<Limit>([{ currency: 'EUR', max: 1_000 }, { currency: 'USD', max: 500 }]).broadcast(limitsDescriptor);

class OverLimit implements KeyedBroadcastProcessFunction<string, Payment, Limit, string> {
  processElement(p: Payment, ctx: KeyedReadOnlyBroadcastContext<string>, out: Collector<string>) {
    const max = ctx.getBroadcastState(limitsDescriptor).get(p.currency);   // read-only here
    if (max !== undefined && p.amount > max) out.collect(`${p.account}: ${p.amount} ${p.currency} > ${max}`);
  }
  processBroadcastElement(limit: Limit, ctx: KeyedBroadcastContext<string>, _out: Collector<string>) {
    ctx.getBroadcastState(limitsDescriptor).put(limit.currency, limit.max);  // every subtask gets every limit
  }
}

const payments = env.fromCollection<Payment>(
  Array.from({ length: 200 }, (_, i) => ({ account: `a${i % 9}`, currency: i % 2 ? 'EUR' : 'USD', amount: (i * 37) % 1_500 })),
);
// (Which arrives first, a limit or a payment, is up to scheduling here; scenarios/riskControl.ts shows how to make it deterministic.)
const alerts = await payments.keyBy((p) => p.account).connect(limits).process(new OverLimit()).executeAndCollect();
assert.ok(alerts.every((a) => /: \d+ (EUR|USD) > (1000|500)$/.test(a)));
console.log(`${alerts.length} alerts, e.g. ${alerts[0] ?? '(none yet: the limits arrived late)'}`);
