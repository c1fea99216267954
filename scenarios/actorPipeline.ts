/**
 * Weir embedded in an actor backend: an order-producing actor pushes batches
 * into an ActorSource (waiting for each acknowledgement, so it slows down
 * when the job is behind), the job keeps a running revenue per product, and
 * an ActorSink delivers every update to a dashboard actor, which
 * acknowledges each one (so a slow dashboard slows the job down, and the
 * job's result comes after the dashboard has seen every update). The
 * engine's actors run under the backend's own `engine` actor.
 */
import { dispatch, query, spawn, start, stop, type Ref } from 'nact';
import {
  acknowledge,
  ActorSink,
  ActorSource,
  pushTo,
  StreamExecutionEnvironment,
  type JobResult,
  type SinkDelivery,
} from '../index';

export interface Order {
  readonly id: number;
  readonly product: string;
  readonly price: number;
}

export interface Revenue {
  readonly product: string;
  readonly revenue: number;
  readonly orders: number;
}

type DashboardMsg = SinkDelivery<Revenue> | { type: 'get'; replyTo: Ref<Map<string, Revenue>> };

export interface ActorPipelineRun {
  readonly dashboard: Map<string, Revenue>;
  /** Updates the dashboard had handled when the job's result arrived. */
  readonly updates: number;
  readonly result: JobResult;
  readonly peakQueued: number;
  readonly parkedBatches: number;
  readonly capacity: number;
  /** Most updates unacknowledged at once by any sink writer. */
  readonly peakUnacknowledged: number;
  readonly window: number;
}

export function order(i: number): Order {
  return { id: i, product: `p${i % 13}`, price: 1 + (i % 17) };
}

export async function runActorPipeline(orders: number, batch = 50, capacity = 200, window = 16): Promise<ActorPipelineRun> {
  const system = start();
  try {
    const engine = spawn(system, (s: undefined) => s, 'engine');
    let updates = 0;
    const dashboard = spawn(
      system,
      (state: Map<string, Revenue>, msg: DashboardMsg) => {
        if (msg.type === 'get') {
          dispatch(msg.replyTo, new Map(state));
          return state;
        }
        updates++;
        acknowledge(msg);
        return new Map(state).set(msg.payload.product, msg.payload);
      },
      'dashboard',
      { initialState: new Map<string, Revenue>() },
    );
    const source = new ActorSource<Order>(system, 'orders', { capacity });
    const sink = new ActorSink<Revenue>(dashboard, (revenue) => revenue, { window });

    const env = StreamExecutionEnvironment.create({ parallelism: 2, parent: engine, bufferTimeoutMs: 5 });
    env
      .fromSource(source, 'orders')
      .map((o): Revenue => ({ product: o.product, revenue: o.price, orders: 1 }))
      .keyBy((r) => r.product)
      .reduce((a, b) => ({ product: a.product, revenue: a.revenue + b.revenue, orders: a.orders + b.orders }))
      .sinkTo(sink, 'dashboard');
    const job = env.executeAsync('Revenue per product');

    // The producer: one batch at a time, each after the previous one was accepted.
    for (let i = 0; i < orders; i += batch) {
      const records = Array.from({ length: Math.min(batch, orders - i) }, (_, k) => order(i + k));
      await pushTo(source.ref, records);
    }
    dispatch(source.ref, { type: 'End' });
    const result = await job.result();
    const delivered = updates; // every update was acknowledged before the result
    const board = await query(dashboard, (replyTo: Ref<Map<string, Revenue>>) => ({ type: 'get' as const, replyTo }), 5000);
    source.stop();
    return {
      dashboard: board,
      updates: delivered,
      result,
      peakQueued: source.buffer.peakSize,
      parkedBatches: source.buffer.parkedTotal,
      capacity,
      peakUnacknowledged: Math.max(0, ...sink.metrics().map((m) => m.peakUnacknowledged)),
      window,
    };
  } finally {
    stop(system);
  }
}

async function main(): Promise<void> {
  const run = await runActorPipeline(20_000);
  console.log(
    `dashboard updates: ${run.updates}; ingress peak ${run.peakQueued}/${run.capacity} records, ${run.parkedBatches} batches waited; ` +
      `sink peak ${run.peakUnacknowledged}/${run.window} unacknowledged`,
  );
  for (const r of [...run.dashboard.values()].sort((a, b) => b.revenue - a.revenue)) {
    console.log(`  ${r.product.padEnd(4)} revenue=${r.revenue} orders=${r.orders}`);
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
