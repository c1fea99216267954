/**
 * Window joins and co-groups end to end: pairs per key and window equal a
 * nested-loop reference, a co-group gives outer joins, a flat join emits
 * any number of results, the join survives failures exactly once, and
 * bad arguments are refused before the job runs.
 */
import {
  CollectSink,
  CollectionSource,
  GraphValidationError,
  RestartStrategies,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type Collector,
} from '../index';
import { FaultInjector } from '../lib/testing/FaultInjector';

interface Order {
  readonly id: number;
  readonly user: string;
  readonly ts: number;
}
interface Click {
  readonly user: string;
  readonly ts: number;
  readonly page: string;
}

const orders: Order[] = Array.from({ length: 300 }, (_, i) => ({ id: i, user: `u${i % 11}`, ts: i * 10 + ((i * 31) % 17) }));
const clicks: Click[] = Array.from({ length: 500 }, (_, i) => ({ user: `u${i % 9}`, ts: i * 6 + ((i * 13) % 11), page: `p${i % 4}` }));

const WINDOW = 100;
const win = (ts: number) => Math.floor(ts / WINDOW);

function pairs(): string[] {
  const out: string[] = [];
  for (const o of orders) for (const c of clicks) if (o.user === c.user && win(o.ts) === win(c.ts)) out.push(`${o.id}:${c.ts}`);
  return out.sort();
}

function sources(env: StreamExecutionEnvironment) {
  const o = env
    .fromSource(new CollectionSource(orders), WatermarkStrategy.forBoundedOutOfOrderness<Order>(20).withTimestampAssigner((x) => x.ts), 'orders')
    .uid('orders');
  const c = env
    .fromSource(new CollectionSource(clicks), WatermarkStrategy.forBoundedOutOfOrderness<Click>(20).withTimestampAssigner((x) => x.ts), 'clicks')
    .uid('clicks');
  return { o, c };
}

test('a window join emits one result per pair of equal keys in the same window', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 3, bufferTimeoutMs: 1 });
  const { o, c } = sources(env);
  const got = await o
    .join(c)
    .where((x) => x.user)
    .equalTo((x) => x.user)
    .window(TumblingEventTimeWindows.of(WINDOW))
    .apply((order, click) => `${order.id}:${click.ts}`)
    .executeAndCollect();
  expect(got.sort()).toEqual(pairs());
});

test('a co-group sees both sides per key and window, so a left outer join keeps orders without clicks', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 1 });
  const { o, c } = sources(env);
  const got = await o
    .coGroup(c)
    .where((x) => x.user)
    .equalTo((x) => x.user)
    .window(TumblingEventTimeWindows.of(WINDOW))
    .apply((os: readonly Order[], cs: readonly Click[], out: Collector<string>) => {
      for (const order of os) out.collect(`${order.id}:${cs.length}`);
    })
    .executeAndCollect();
  const want = orders.map((order) => `${order.id}:${clicks.filter((x) => x.user === order.user && win(x.ts) === win(order.ts)).length}`);
  expect(got.sort()).toEqual(want.sort());
  expect(got.some((g) => g.endsWith(':0'))).toBe(true);
});

test('a flat join (three parameters) emits any number of results per pair', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 1 });
  const { o, c } = sources(env);
  const got = await o
    .join(c)
    .where((x) => x.user)
    .equalTo((x) => x.user)
    .window(TumblingEventTimeWindows.of(WINDOW))
    .apply({
      join(order: Order, click: Click, out: Collector<string>) {
        if (click.page === 'p0') out.collect(`${order.id}:${click.ts}`);
      },
    })
    .executeAndCollect();
  const want = pairs().filter((p) => clicks.find((x) => x.ts === Number(p.split(':')[1]))!.page === 'p0');
  expect(got.sort()).toEqual(want);
});

test('the join survives failures of its subtasks: every pair exactly once', async () => {
  const env = StreamExecutionEnvironment.create({
    parallelism: 2,
    bufferTimeoutMs: 1,
    faults: new FaultInjector([
      { kind: 'fail-at-record', operator: 'join', subtask: 0, record: 150, attempt: 1 },
      { kind: 'fail-at-record', operator: 'join', subtask: 1, record: 90, attempt: 2 },
    ]),
  });
  env.enableCheckpointing(2, 'exactly-once');
  env.setRestartStrategy(RestartStrategies.fixedDelay(5, 0));
  const { o, c } = sources(env);
  const joined = o
    .join(c)
    .where((x) => x.user)
    .equalTo((x) => x.user)
    .window(TumblingEventTimeWindows.of(WINDOW))
    .apply((order, click) => `${order.id}:${click.ts}`)
    .uid('join');
  joined.sinkTo(new CollectSink<string>()).uid('out').setParallelism(1);
  const result = await env.execute('join with failures');
  expect(result.restarts.length).toBe(2);
  expect((result.sinkResults['out'] as string[]).sort()).toEqual(pairs());
});

test('bad arguments are refused', () => {
  const env = StreamExecutionEnvironment.create();
  const a = env.fromCollection([1]);
  expect(() => a.join(undefined as never)).toThrow(GraphValidationError);
  expect(() => a.join(a).where('k' as never)).toThrow(/where\(\) needs a key selector/);
  expect(() => a.join(a).where((x) => x).equalTo((x) => x).window(TumblingEventTimeWindows.of(5)).apply({} as never)).toThrow(/apply\(\) of a join/);
  // A chain broken in plain JavaScript still gets a typed error saying what comes first.
  expect(() => (a.join(a).where((x) => x) as any).window(TumblingEventTimeWindows.of(5))).toThrow(/needs equalTo\(otherKey\) before window\(\)/);
  expect(() => (a.join(a).where((x) => x).equalTo((x) => x) as any).apply(() => 1)).toThrow(/needs window\(assigner\) before apply\(\)/);
  expect(() => (a.keyBy((x) => x).intervalJoin(a.keyBy((x) => x)) as any).process({})).toThrow(/needs its bounds before process\(\)/);
});
