/**
 * The shop's order stream that ships with the scenarios
 * (`scenarios/data/orders.jsonl`): ten minutes of orders from a web shop,
 * in the order they reached the server — out of order by up to 4 s of
 * network delay, and a few from phones that were offline for 1.5–3
 * minutes. Generated deterministically (a seeded PRNG), so the file can be
 * rebuilt byte for byte:
 *
 *   npx ts-node scenarios/data/orders.ts > scenarios/data/orders.jsonl   (or the built dist/scenarios/data/orders.js)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Order {
  readonly orderId: string;
  /** Event time: when the customer placed the order (ISO 8601, UTC). */
  readonly ts: string;
  readonly user: string;
  readonly product: string;
  readonly category: string;
  readonly priceCents: number;
  readonly quantity: number;
}

/** The bound on ordinary network delay (ms): orders later than this came from offline devices. */
export const MAX_NETWORK_DELAY_MS = 4_000;

const START = Date.UTC(2026, 10, 30, 12, 0, 0);

const PRODUCTS: readonly (readonly [name: string, category: string, priceCents: number])[] = [
  ['espresso-machine', 'kitchen', 24900],
  ['coffee-beans-1kg', 'kitchen', 1890],
  ['milk-frother', 'kitchen', 3990],
  ['chef-knife', 'kitchen', 8900],
  ['cast-iron-pan', 'kitchen', 4590],
  ['running-shoes', 'sports', 11900],
  ['yoga-mat', 'sports', 2990],
  ['water-bottle', 'sports', 1490],
  ['cycling-helmet', 'sports', 7990],
  ['trail-backpack', 'sports', 9490],
  ['noise-cancelling-headphones', 'electronics', 29900],
  ['usb-c-charger', 'electronics', 2490],
  ['mechanical-keyboard', 'electronics', 12900],
  ['wireless-mouse', 'electronics', 3490],
  ['4k-monitor', 'electronics', 39900],
  ['e-reader', 'electronics', 13900],
  ['desk-lamp', 'home', 4990],
  ['wool-blanket', 'home', 6990],
  ['scented-candle', 'home', 1990],
  ['plant-pot', 'home', 1290],
  ['board-game', 'toys', 3990],
  ['puzzle-1000', 'toys', 1990],
  ['building-blocks', 'toys', 5990],
  ['paperback-novel', 'books', 1290],
  ['cookbook', 'books', 2990],
];

/** mulberry32: a small, well-known seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` orders in arrival order. Popularity is skewed (a few products
 * sell most) and drifts over the ten minutes, so the top products change
 * from window to window.
 */
export function generateOrders(count = 10_000, seed = 20261130): Order[] {
  const random = prng(seed);
  const arrivals: { order: Order; arrival: number }[] = [];
  let t = START;
  for (let i = 0; i < count; i++) {
    t += Math.floor(random() * 120); // on average 60 ms apart: 10 minutes for 10,000 orders
    const minute = Math.floor((t - START) / 60_000);
    // Zipf-like weights, rotated by the minute so the leaders change.
    let r = random() * 3.0;
    let p = 0;
    while (p < PRODUCTS.length - 1 && r > 1 / (p + 1)) {
      r -= 1 / (p + 1);
      p++;
    }
    const [product, category, priceCents] = PRODUCTS[(p + minute * 3) % PRODUCTS.length];
    const quantity = random() < 0.85 ? 1 : 2 + Math.floor(random() * 3);
    const order: Order = {
      orderId: `o-${String(i + 1).padStart(6, '0')}`,
      ts: new Date(t).toISOString(),
      user: `u-${String(Math.floor(random() * 2_000)).padStart(4, '0')}`,
      product,
      category,
      priceCents,
      quantity,
    };
    const offline = random() < 0.004;
    const delay = offline ? 90_000 + Math.floor(random() * 90_000) : Math.floor(random() * MAX_NETWORK_DELAY_MS);
    arrivals.push({ order, arrival: t + delay });
  }
  arrivals.sort((a, b) => a.arrival - b.arrival || a.order.orderId.localeCompare(b.order.orderId));
  return arrivals.map((a) => a.order);
}

/** The file's text: one JSON object per line. */
export function ordersJsonLines(orders: readonly Order[] = generateOrders()): string {
  return orders.map((o) => JSON.stringify(o)).join('\n') + '\n';
}

/** The shipped file, found from the sources (scenarios/data) or from the build (dist/scenarios/data). */
export function ordersFile(): string {
  for (const candidate of [path.join(__dirname, 'orders.jsonl'), path.join(__dirname, '..', '..', '..', 'scenarios', 'data', 'orders.jsonl')]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`scenarios/data/orders.jsonl not found near ${__dirname}`);
}

if (require.main === module) process.stdout.write(ordersJsonLines());
