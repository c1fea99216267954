/**
 * Async user code end to end (issue 6, case 6): a user function that returns
 * a Promise fails the job with an AsyncUserFunctionError naming the
 * operator — never Promise objects as records, never a filter that passes
 * everything, never keyed state written under the wrong key — and
 * `execute()` settles even when the promises reject (the suite's
 * unhandled-rejection trap fails this file if one escapes). Sink writes are
 * the exception: a sink may return a promise.
 */
import {
  AsyncUserFunctionError,
  JobExecutionError,
  RestartStrategies,
  StreamExecutionEnvironment,
  UserFunctionError,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
  type RuntimeContext,
  type ValueState,
} from '../index';

const HINT = 'returned a Promise; user functions are synchronous — use AsyncDataStream.orderedWait/unorderedWait for asynchronous calls';

async function failure(env: StreamExecutionEnvironment): Promise<AsyncUserFunctionError> {
  const err = await env.execute('async user code').then(
    () => {
      throw new Error('the job finished');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(JobExecutionError);
  const cause = (err as JobExecutionError).cause;
  expect(cause).toBeInstanceOf(AsyncUserFunctionError);
  expect(cause).toBeInstanceOf(UserFunctionError);
  expect((cause as AsyncUserFunctionError).code).toBe('ASYNC_USER_FUNCTION');
  expect((err as Error).message).toContain(HINT);
  return cause as AsyncUserFunctionError;
}

test('map(async …): the job fails at the first record; no Promise ever reaches the sink', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  const seen: unknown[] = [];
  env
    .fromGenerator(1000, (i) => i)
    .map(async (x) => x * 2)
    .uid('doubler')
    .sinkTo((v) => void seen.push(v));
  const cause = await failure(env);
  expect(cause.location.uid).toBe('doubler');
  expect(cause.functionName).toBe('map function');
  expect(cause.position).toBe(1);
  expect(seen).toEqual([]);
});

test('filter(async …) fails instead of passing every record', async () => {
  const env = StreamExecutionEnvironment.create();
  const seen: number[] = [];
  env
    .fromCollection([1, 2, 3, 4])
    .filter((async (x: number) => x % 2 === 0) as never)
    .sinkTo((v) => void seen.push(v as number));
  expect((await failure(env)).functionName).toBe('filter function');
  expect(seen).toEqual([]);
});

test('an async keyed processElement fails before any state is written under the wrong key', async () => {
  const writes: string[] = [];
  class RunningTotal {
    private total!: ValueState<number>;
    open(ctx: RuntimeContext) {
      this.total = ctx.getState(new ValueStateDescriptor<number>('total', 0));
    }
    async processElement(r: { k: string; n: number }, ctx: KeyedProcessContext<string>, out: Collector<string>) {
      await Promise.resolve();
      const t = this.total.value()! + r.n;
      this.total.update(t);
      writes.push(`${ctx.getCurrentKey()}:${t}`);
      out.collect(`${r.k}:${t}`);
    }
  }
  const env = StreamExecutionEnvironment.create();
  const seen: string[] = [];
  env
    .fromCollection([
      { k: 'a', n: 1 },
      { k: 'b', n: 2 },
      { k: 'a', n: 3 },
      { k: 'c', n: 4 },
    ])
    .keyBy((r) => r.k)
    .process(new RunningTotal())
    .name('Running total')
    .sinkTo((v) => void seen.push(v));
  const cause = await failure(env);
  expect(cause.location.operator).toBe('Running total');
  expect(cause.functionName).toBe('processElement() method');
  expect(cause.record).toEqual({ k: 'a', n: 1 });
  expect(seen).toEqual([]);
  expect(writes.length).toBeLessThanOrEqual(1); // only the first record's continuation, on a dead operator
});

test('rejections: execute() settles, with restarts too, and nothing is left unhandled', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  env.enableCheckpointing(50);
  env.setRestartStrategy(RestartStrategies.fixedDelay(2, 0));
  env
    .fromGenerator(100, (i) => i)
    .map(async (x) => {
      await new Promise((r) => setTimeout(r, 1));
      throw new Error(`lookup of ${x} failed`);
    })
    .sinkTo(() => {});
  const err = await env.execute('rejecting').catch((e: unknown) => e as JobExecutionError);
  expect(err).toBeInstanceOf(JobExecutionError);
  expect((err as JobExecutionError).restarts).toHaveLength(2);
  expect((err as JobExecutionError).cause).toBeInstanceOf(AsyncUserFunctionError);
  await new Promise((r) => setTimeout(r, 20)); // the rejections happen now; the trap sees any unhandled one
});

test('an async key selector fails in the producing subtask, as a key selector', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  env
    .fromGenerator(100, (i) => i)
    .map((x) => x)
    .uid('before-keyBy')
    .keyBy((async (x: number) => x % 3) as never)
    .sum()
    .sinkTo(() => {});
  const cause = await failure(env);
  expect(cause.functionName).toBe('key selector');
  expect(cause.phase).toBe('partition');
  expect(cause.location.uid).toBe('before-keyBy');
});

test('reduce(async …) and an async open() fail the job', async () => {
  const reduceEnv = StreamExecutionEnvironment.create();
  reduceEnv
    .fromCollection([1, 2, 3])
    .keyBy(() => 0)
    .reduce((async (a: number, b: number) => a + b) as never)
    .sinkTo(() => {});
  expect((await failure(reduceEnv)).functionName).toBe('reduce function');

  const openEnv = StreamExecutionEnvironment.create();
  openEnv
    .fromCollection([1])
    .process({ open: async () => {}, processElement() {} } as never)
    .sinkTo(() => {});
  const cause = await failure(openEnv);
  expect(cause.phase).toBe('open');
});

test('a sink may return a promise: async sinks are not user functions that must be synchronous', async () => {
  const env = StreamExecutionEnvironment.create();
  const seen: number[] = [];
  env.fromCollection([1, 2, 3]).sinkTo(async (v) => {
    await new Promise((r) => setImmediate(r));
    seen.push(v);
  });
  await env.execute();
  expect(seen).toEqual([1, 2, 3]);
});
