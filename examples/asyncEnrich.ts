/**
 * README "Enriching records from a database or service": orders are enriched
 * with their customer through async I/O against a simulated database (a few
 * ms per call), at most 100 calls in flight per subtask, in input order.
 */
import assert from 'node:assert/strict';

import { AsyncDataStream, StreamExecutionEnvironment } from 'weir-stream';

interface Order {
  id: number;
  customerId: number;
}
const db = {
  async customer(id: number): Promise<string> {
    await new Promise((r) => setTimeout(r, 1 + (id % 5)));
    return `customer-${id}`;
  },
};
const env = StreamExecutionEnvironment.create({ parallelism: 2 });
const orders = env.fromCollection(Array.from({ length: 500 }, (_, i): Order => ({ id: i, customerId: i % 37 })));

const enriched = AsyncDataStream.orderedWait(          // or unorderedWait: results as calls complete
  orders,
  async (o: Order) => ({ ...o, customer: await db.customer(o.customerId) }),
  { timeoutMs: 1000, capacity: 100 },                  // ≤ 100 calls in flight per subtask
).uid('enrich');

const out = await enriched.executeAndCollect('enrich');
assert.equal(out.length, 500);
for (const o of out) assert.equal(o.customer, `customer-${o.customerId}`);
console.log(`${out.length} orders enriched, e.g. ${JSON.stringify(out[0])}`);
