/**
 * Live top-N products per minute, the main job (`npm start`): the real-time
 * report / dashboard case. Orders are read from a JSON-lines file with the
 * FileSource, get event time from their `ts` field with watermarks 5 s
 * behind the newest order (network delay is up to 4 s), are counted per
 * product in one-minute tumbling event-time windows (incremental
 * aggregate + process function), and a windowAll ranks each minute's
 * products by revenue. Orders that arrive after their minute has closed
 * (phones that were offline) go to a late side output instead of being
 * dropped silently.
 *
 *   npm start                         # scenarios/data/orders.jsonl (10,000 orders, 10 minutes)
 *   npm start -- orders.jsonl 5       # a file of your own, top 5
 */
import {
  FileSource,
  OutputTag,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type AggregateFunction,
  type JobResult,
} from '../index';
import { ordersFile, type Order } from './data/orders';

/** One product's sales in one window. */
export interface ProductSales {
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly product: string;
  readonly orders: number;
  readonly revenueCents: number;
}

/** The ranking of one window: the top products by revenue (ties by name). */
export interface TopProducts {
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly top: readonly ProductSales[];
  /** Distinct products sold in the window. */
  readonly products: number;
}

export const WINDOW_MS = 60_000;
export const OUT_OF_ORDERNESS_MS = 5_000;

interface Totals {
  orders: number;
  revenueCents: number;
}

const totals: AggregateFunction<Order, Totals, Totals> = {
  createAccumulator: () => ({ orders: 0, revenueCents: 0 }),
  add: (o, acc) => ({ orders: acc.orders + 1, revenueCents: acc.revenueCents + o.priceCents * o.quantity }),
  getResult: (acc) => acc,
  merge: (a, b) => ({ orders: a.orders + b.orders, revenueCents: a.revenueCents + b.revenueCents }),
};

/** Revenue descending, then product name: a total order, so rankings are deterministic. */
export function byRevenue(a: ProductSales, b: ProductSales): number {
  return b.revenueCents - a.revenueCents || a.product.localeCompare(b.product);
}

/** Runs the job over `file`; returns each window's ranking (in window order), the late orders and the job's result. */
export async function topProducts(
  file: string,
  n = 3,
  parallelism = 2,
): Promise<{ rankings: TopProducts[]; late: Order[]; result: JobResult }> {
  // Watermarks every 10 ms of processing time: the file is read much faster than it was written.
  const env = StreamExecutionEnvironment.create({ parallelism, autoWatermarkIntervalMs: 10 });
  const rankings: TopProducts[] = [];
  const late: Order[] = [];
  const lateOrders = new OutputTag<Order>('late-orders');

  const orders = env
    .fromSource(
      FileSource.jsonLines<Order>(file),
      WatermarkStrategy.forBoundedOutOfOrderness<Order>(OUT_OF_ORDERNESS_MS).withTimestampAssigner((o) => Date.parse(o.ts)),
      'Orders',
    )
    .uid('orders');

  const perProduct = orders
    .keyBy((o) => o.product)
    .window(TumblingEventTimeWindows.of(WINDOW_MS))
    .sideOutputLateData(lateOrders)
    .aggregate<Totals, Totals, ProductSales>(totals, {
      process(product, ctx, [t], out) {
        out.collect({ windowStart: ctx.window.start, windowEnd: ctx.window.end, product, orders: t.orders, revenueCents: t.revenueCents });
      },
    })
    .name('Sales per product and minute')
    .uid('sales-per-product');

  // Each per-product result carries its window's last ms as timestamp, so it lands in the same minute here.
  perProduct
    .windowAll(TumblingEventTimeWindows.of(WINDOW_MS))
    .process<TopProducts>({
      process(ctx, sales, out) {
        const ranked = [...sales].sort(byRevenue);
        out.collect({ windowStart: ctx.window.start, windowEnd: ctx.window.end, top: ranked.slice(0, n), products: ranked.length });
      },
    })
    .name(`Top ${n} per minute`)
    .uid('top-n')
    .sinkTo((t: TopProducts) => void rankings.push(t), 'Report')
    .uid('report')
    .setParallelism(1);

  perProduct
    .getSideOutput(lateOrders)
    .sinkTo((o: Order) => void late.push(o), 'Late orders')
    .uid('late-orders')
    .setParallelism(1);

  const result = await env.execute('Top products per minute');
  rankings.sort((a, b) => a.windowStart - b.windowStart);
  return { rankings, late, result };
}

const euros = (cents: number) => `€${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);

async function main(): Promise<void> {
  const file = process.argv[2] ?? ordersFile();
  const n = Number(process.argv[3] ?? 3);
  const { rankings, late, result } = await topProducts(file, n);
  console.log(`Top ${n} products by revenue per minute (event time, UTC) — ${file}`);
  for (const r of rankings) {
    const line = r.top.map((s, i) => `${i + 1}. ${s.product} ${euros(s.revenueCents)} (${s.orders})`).join('  ');
    console.log(`  ${clock(r.windowStart)}–${clock(r.windowEnd)}  ${line}`);
  }
  console.log(`\n${late.length} orders arrived after their minute had closed (late side output):`);
  for (const o of late.slice(0, 5)) console.log(`  ${o.orderId} placed ${o.ts} (${o.product})`);
  if (late.length > 5) console.log(`  … and ${late.length - 5} more`);
  console.log(`\nJob '${result.jobName}' finished in ${result.durationMs} ms:`);
  for (const op of result.operators) {
    console.log(`  ${op.name.padEnd(34)} p=${op.parallelism}  in=${op.recordsIn}  out=${op.recordsOut}`);
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
