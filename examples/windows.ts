/**
 * README "Windows": page views, out of order by up to 3 s, counted per page
 * in one-minute tumbling event-time windows (incremental aggregate plus a
 * process function that adds the window), with late views in a side
 * output; then session windows per user, and a windowAll ranking.
 */
import assert from 'node:assert/strict';
import {
  EventTimeSessionWindows,
  OutputTag,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type AggregateFunction,
} from 'weir-stream';

interface View { id: number; page: string; user: string; ts: number }
const views: View[] = [];
for (let i = 0; i < 3000; i++) views.push({ id: i, page: `/p${(i * 7) % 4}`, user: `u${i % 13}`, ts: i * 100 + ((i * 7919) % 3000) });
views.push({ id: 3000, page: '/p0', user: 'u0', ts: 1_000 }); // very late: its minute closed long ago

const count: AggregateFunction<View, number, number> = {
  createAccumulator: () => 0,
  add: (_view, n) => n + 1,
  getResult: (n) => n,
  merge: (a, b) => a + b,
};

const env = StreamExecutionEnvironment.create({ parallelism: 2, autoWatermarkIntervalMs: 1 });
const late = new OutputTag<View>('late views');
const viewsPerMinute = env
  .fromCollection(views)
  .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<View>(3_000).withTimestampAssigner((v) => v.ts))
  .keyBy((v) => v.page)
  .window(TumblingEventTimeWindows.of(60_000))
  .sideOutputLateData(late)
  .aggregate(count, {
    process(page, ctx, [views], out) {
      out.collect({ page, minute: ctx.window.start, views });   // ctx.window: start, end (exclusive), maxTimestamp()
    },
  });
const lateViews = viewsPerMinute.getSideOutput(late);

import { CollectSink } from 'weir-stream';
viewsPerMinute.sinkTo(new CollectSink()).uid('per-minute').setParallelism(1);
lateViews.sinkTo(new CollectSink()).uid('late').setParallelism(1);
const result = await env.execute('views per minute');
const perMinute = result.sinkResults['per-minute'] as { page: string; minute: number; views: number }[];
const lateOnes = result.sinkResults['late'] as View[];
// Every view is counted once, in its minute, or reported late.
assert.equal(perMinute.reduce((s, r) => s + r.views, 0) + lateOnes.length, views.length);
for (const r of perMinute) assert.equal(r.views, views.filter((v) => v.page === r.page && Math.floor(v.ts / 60_000) * 60_000 === r.minute && !lateOnes.some((l) => l.id === v.id)).length);
console.log(`${perMinute.length} page-minutes, ${lateOnes.length} late view(s)`);

const sessions = await StreamExecutionEnvironment.create()
  .fromCollection(views.slice(0, 300))
  .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<View>(3_000).withTimestampAssigner((v) => v.ts))
  .keyBy((v) => v.user)
  .window(EventTimeSessionWindows.withGap(2_000))          // a session ends after 2 s without a view
  .process<string>({
    process: (user, ctx, views, out) => out.collect(`${user}: ${views.length} views in [${ctx.window.start}, ${ctx.window.end})`),
  })
  .executeAndCollect();
assert.ok(sessions.length > 0);
console.log(`${sessions.length} sessions, e.g. ${sessions[0]}`);

// Window join: views and purchases of the same user in the same minute.
interface Purchase { user: string; ts: number; amount: number }
const purchases: Purchase[] = views.filter((v) => v.id % 50 === 0).map((v) => ({ user: v.user, ts: v.ts + 500, amount: v.id % 7 }));
const env2 = StreamExecutionEnvironment.create({ parallelism: 2 });
const strategy = <T extends { ts: number }>() => WatermarkStrategy.forBoundedOutOfOrderness<T>(3_000).withTimestampAssigner((e) => e.ts);
const viewStream = env2.fromCollection(views).assignTimestampsAndWatermarks(strategy<View>());
const purchaseStream = env2.fromCollection(purchases).assignTimestampsAndWatermarks(strategy<Purchase>());
const joined = await viewStream
  .join(purchaseStream)
  .where((v) => v.user)
  .equalTo((p) => p.user)
  .window(TumblingEventTimeWindows.of(60_000))
  .apply((view, purchase) => `${view.user} viewed ${view.page} and bought for ${purchase.amount}`)
  .executeAndCollect();
assert.ok(joined.length > purchases.length);
console.log(`${joined.length} view–purchase pairs, e.g. ${joined[0]}`);
