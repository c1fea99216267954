/**
 * The main job: the shipped order file is the generator's output byte for
 * byte; the rankings equal a plain computation over the same orders minus
 * those the job reported late; and only orders from offline devices (more
 * than the network delay behind the stream) are ever late — which of them
 * depends on how fast the file was read against the periodic watermarks.
 */
import * as fs from 'node:fs';
import { generateOrders, MAX_NETWORK_DELAY_MS, ordersFile, ordersJsonLines, type Order } from './data/orders';
import { byRevenue, topProducts, WINDOW_MS, type ProductSales, type TopProducts } from './topProducts';

const orders: Order[] = fs
  .readFileSync(ordersFile(), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Order);

function reference(included: readonly Order[], n: number): TopProducts[] {
  const windows = new Map<number, Map<string, ProductSales>>();
  for (const o of included) {
    const start = Math.floor(Date.parse(o.ts) / WINDOW_MS) * WINDOW_MS;
    const w = windows.get(start) ?? new Map<string, ProductSales>();
    windows.set(start, w);
    const s = w.get(o.product) ?? { windowStart: start, windowEnd: start + WINDOW_MS, product: o.product, orders: 0, revenueCents: 0 };
    w.set(o.product, { ...s, orders: s.orders + 1, revenueCents: s.revenueCents + o.priceCents * o.quantity });
  }
  return [...windows]
    .sort((a, b) => a[0] - b[0])
    .map(([start, w]) => {
      const ranked = [...w.values()].sort(byRevenue);
      return { windowStart: start, windowEnd: start + WINDOW_MS, top: ranked.slice(0, n), products: ranked.length };
    });
}

test('the shipped order file is the generator output', () => {
  expect(fs.readFileSync(ordersFile(), 'utf8')).toBe(ordersJsonLines(generateOrders()));
  expect(orders).toHaveLength(10_000);
});

test.each([
  [1, 3],
  [2, 3],
  [3, 5],
])('at parallelism %i, top %i per minute equals the reference over the orders not reported late', async (parallelism, n) => {
  const { rankings, late, result } = await topProducts(ordersFile(), n, parallelism);
  expect(result.status).toBe('FINISHED');
  // Only orders from offline devices can be late.
  const offline = new Set<string>();
  let max = Number.NEGATIVE_INFINITY;
  for (const o of orders) {
    const ts = Date.parse(o.ts);
    if (ts < max - MAX_NETWORK_DELAY_MS) offline.add(o.orderId);
    max = Math.max(max, ts);
  }
  expect(offline.size).toBeGreaterThan(10);
  for (const o of late) expect(offline.has(o.orderId)).toBe(true);
  const lateIds = new Set(late.map((o) => o.orderId));
  expect(lateIds.size).toBe(late.length);
  expect(rankings).toEqual(reference(orders.filter((o) => !lateIds.has(o.orderId)), n));
  expect(rankings).toHaveLength(10);
});
