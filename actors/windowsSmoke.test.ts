import { CollectionSource, StreamExecutionEnvironment, TumblingEventTimeWindows, EventTimeSessionWindows, WatermarkStrategy, OutputTag } from '../index';

test('smoke', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 1 });
  const data = [['a', 1], ['b', 2], ['a', 12], ['a', 3], ['b', 25], ['a', 30], ['a', 31], ['a', 2]] as [string, number][];
  const s = env.fromSource(new CollectionSource(data), WatermarkStrategy.forMonotonousTimestamps<[string, number]>().withTimestampAssigner((e) => e[1]), 'src');
  const late = new OutputTag<[string, number]>('late');
  const w = s.keyBy((e) => e[0]).window(TumblingEventTimeWindows.of(10)).sideOutputLateData(late).process<string>({
    process(key, ctx, els, out) { out.collect(`${key}[${ctx.window.start},${ctx.window.end}):${els.map((e) => e[1]).join(',')}`); },
  });
  const sessions = s.keyBy((e) => e[0]).window(EventTimeSessionWindows.withGap(5)).aggregate({ createAccumulator: () => 0, add: (_v: [string, number], a: number) => a + 1, getResult: (a: number) => a, merge: (a: number, b: number) => a + b }, { process(key, ctx, [n], out) { out.collect(`${key} session ${String(ctx.window)} n=${n}`); } });
  const lateOut = w.getSideOutput(late).map((e) => `late ${e}`);
  const r = await w.union(lateOut, sessions).executeAndCollect();
  console.log(r.sort().join('\n'));
});
