/**
 * README "Two inputs": orders enriched with the latest customer record
 * (connect two keyed streams, a KeyedCoProcessFunction sharing keyed state
 * between them), then an interval join of orders with the shipments that
 * follow them within an hour.
 */
import assert from 'node:assert/strict';
import {
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type KeyedCoProcessFunction,
  type KeyedProcessContext,
  type RuntimeContext,
  type ValueState,
} from 'weir-stream';

interface Order { id: string; customer: string; ts: number; amount: number }
interface Customer { id: string; tier: 'gold' | 'basic'; ts: number }
interface Shipment { order: string; ts: number }

const customers: Customer[] = [{ id: 'c1', tier: 'gold', ts: 0 }, { id: 'c2', tier: 'basic', ts: 0 }];
const orders: Order[] = Array.from({ length: 20 }, (_, i) => ({ id: `o${i}`, customer: i % 2 ? 'c1' : 'c2', ts: i * 600_000, amount: 10 + i }));
const shipments: Shipment[] = orders.filter((_, i) => i % 3 === 0).map((o, i) => ({ order: o.id, ts: o.ts + (i % 2 ? 1_800_000 : 7_200_000) }));

/** Keeps each customer's latest record; orders are emitted with the tier, or wait for their customer. */
class Enrich implements KeyedCoProcessFunction<string, Order, Customer, string> {
  private customer!: ValueState<Customer>;
  private waiting!: ValueState<Order[]>;
  open(ctx: RuntimeContext) {
    this.customer = ctx.getState(new ValueStateDescriptor<Customer>('customer'));
    this.waiting = ctx.getState(new ValueStateDescriptor<Order[]>('waiting', []));
  }
  processElement1(order: Order, _ctx: KeyedProcessContext<string>, out: Collector<string>) {
    const c = this.customer.value();
    if (c) out.collect(`${order.id} ${c.tier}`);
    else this.waiting.update([...(this.waiting.value() ?? []), order]);
  }
  processElement2(customer: Customer, _ctx: KeyedProcessContext<string>, out: Collector<string>) {
    this.customer.update(customer);
    for (const o of this.waiting.value() ?? []) out.collect(`${o.id} ${customer.tier}`);
    this.waiting.clear();
  }
}

const env = StreamExecutionEnvironment.create({ parallelism: 2 });
const orderStream = env.fromCollection(orders).assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Order>().withTimestampAssigner((o) => o.ts));
const customerStream = env.fromCollection(customers);
const enriched = await orderStream
  .keyBy((o) => o.customer)
  .connect(customerStream.keyBy((c) => c.id))
  .process(new Enrich())
  .executeAndCollect();
assert.equal(enriched.length, orders.length);
console.log(enriched.slice(0, 3).join(', '));

const env2 = StreamExecutionEnvironment.create({ parallelism: 2 });
const ordersByTime = env2.fromCollection(orders).assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Order>().withTimestampAssigner((o) => o.ts));
const shipmentsByTime = env2.fromCollection(shipments).assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Shipment>().withTimestampAssigner((s) => s.ts));
const shippedWithinAnHour = await ordersByTime
  .keyBy((o) => o.id)
  .intervalJoin(shipmentsByTime.keyBy((s) => s.order))
  .between(0, 3_600_000)                                     // shipment.ts ∈ [order.ts, order.ts + 1 h], both bounds inclusive
  .process({
    processElement(order: Order, shipment: Shipment, _ctx, out: Collector<string>) {
      out.collect(`${order.id} shipped after ${(shipment.ts - order.ts) / 60_000} min`);
    },
  })
  .executeAndCollect();
assert.deepEqual(shippedWithinAnHour.sort(), ['o3 shipped after 30 min', 'o9 shipped after 30 min', 'o15 shipped after 30 min'].sort());
console.log(shippedWithinAnHour.join(', '));
