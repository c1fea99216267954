/**
 * The actor runtime end to end: job status, results and metrics, failure of
 * user code as a typed error naming operator, subtask and record, and
 * cancellation that stops every actor of the job.
 */
import { spawn, start, stop } from 'nact';
import {
  JobCancelledError,
  JobExecutionError,
  operatorResult,
  PrintSink,
  StreamExecutionEnvironment,
  UserFunctionError,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
  type RuntimeContext,
  type ValueState,
} from '../index';

const systemMap = require('nact/lib/system-map');
function childrenOf(system: any, ref?: any): string[] {
  const concrete = systemMap.find(system.system.name, ref ?? system);
  return concrete ? [...concrete.children.keys()] : [];
}

describe('job lifecycle on nact', () => {
  test('a bounded job finishes with per-operator record counts', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    env
      .fromGenerator(10_000, (i) => i)
      .uid('numbers')
      .filter((i) => i % 2 === 0)
      .uid('evens')
      .keyBy((i) => i % 10)
      .sum()
      .uid('sums')
      .sinkTo(() => {})
      .uid('out');
    const client = env.executeAsync('metrics');
    expect(['CREATED', 'RUNNING']).toContain(client.status());
    const result = await client.result();
    expect(client.status()).toBe('FINISHED');
    expect(operatorResult(result, 'numbers').recordsOut).toBe(10_000);
    expect(operatorResult(result, 'evens')).toMatchObject({ recordsIn: 10_000, recordsOut: 5_000, parallelism: 3 });
    expect(operatorResult(result, 'sums')).toMatchObject({ recordsIn: 5_000, recordsOut: 5_000 });
    expect(operatorResult(result, 'out').recordsIn).toBe(5_000);
    expect(result.subtasks).toHaveLength(6); // source chain ×3, keyed chain ×3
  });

  test('a throwing user function fails the job with the operator, subtask and record position', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    env
      .fromCollection([1, 2, 3, 4, 5])
      .map((x) => {
        if (x === 4) throw new RangeError('four is not allowed');
        return x;
      })
      .name('Picky map')
      .uid('picky')
      .sinkTo(() => {});
    const err = await env.execute('failing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobExecutionError);
    const cause = (err as JobExecutionError).cause as UserFunctionError;
    expect(cause).toBeInstanceOf(UserFunctionError);
    expect(cause.location).toEqual({ operator: 'Picky map', uid: 'picky', subtaskIndex: 0, parallelism: 1 });
    expect(cause.position).toBe(4);
    expect(cause.record).toBe(4);
    expect(cause.cause).toBeInstanceOf(RangeError);
    expect(cause.message).toMatch(/operator 'Picky map'.*subtask 1\/1.*record #4.*four is not allowed/);
  });

  test('a failure in a downstream keyed function names that function, not the head of its chain', async () => {
    class Boom {
      private seen!: ValueState<number>;
      open(ctx: RuntimeContext) {
        this.seen = ctx.getState(new ValueStateDescriptor<number>('seen', 0));
      }
      processElement(v: number, ctx: KeyedProcessContext<number>, out: Collector<number>) {
        const n = this.seen.value()! + 1;
        this.seen.update(n);
        if (n === 3 && ctx.getCurrentKey() === 1) throw new Error('third record of key 1');
        out.collect(v);
      }
    }
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env.fromGenerator(100, (i) => i).keyBy((i) => i % 2).process(new Boom()).name('Boom').map((x) => x).sinkTo(() => {});
    const err = (await env.execute('keyed failure').catch((e: unknown) => e)) as JobExecutionError;
    const cause = err.cause as UserFunctionError;
    expect(cause.location.operator).toBe('Boom');
    expect(cause.message).toMatch(/third record of key 1/);
  });

  test('keyed state used on a non-keyed stream is a clear error', async () => {
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection([1])
      .process({
        open(ctx: RuntimeContext) {
          ctx.getState(new ValueStateDescriptor('x'));
        },
        processElement() {},
      })
      .sinkTo(() => {});
    const err = (await env.execute().catch((e: unknown) => e)) as JobExecutionError;
    expect((err.cause as UserFunctionError).phase).toBe('open');
    expect(err.message).toMatch(/keyed state is only available after keyBy/);
  });

  test('cancel stops every actor of an unbounded job and rejects its result', async () => {
    const system = start();
    try {
      const parent = spawn(system, (s: undefined) => s, 'host');
      const env = StreamExecutionEnvironment.create({ parent, parallelism: 2, bufferTimeoutMs: 5 });
      let seen = 0;
      env.fromGenerator('unbounded', (i) => i).rebalance().map((x) => x + 1).sinkTo(() => void seen++);
      const client = env.executeAsync('forever');
      while (seen < 10_000) await new Promise((r) => setTimeout(r, 5));
      const jobActor = childrenOf(system, parent)[0];
      expect(jobActor).toMatch(/^job-/);
      await client.cancel();
      expect(client.status()).toBe('CANCELED');
      await expect(client.result()).rejects.toBeInstanceOf(JobCancelledError);
      await new Promise((r) => setTimeout(r, 20));
      expect(childrenOf(system, parent)).toEqual([]);
      const after = seen;
      await new Promise((r) => setTimeout(r, 30));
      expect(seen).toBe(after); // nothing runs any more
    } finally {
      stop(system);
    }
  });

  test('print() writes one line per record, prefixed by the subtask when parallel', async () => {
    const lines: string[] = [];
    const out = { write: (s: string) => lines.push(s) };
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env.fromCollection([{ a: 1 }, 'two', 3]).rebalance().map((x) => x).sinkTo(new PrintSink('dbg', out)).setParallelism(2);
    await env.execute();
    expect(lines.map((l) => l.replace(/^dbg:\d> /, '')).sort()).toEqual(['3\n', 'two\n', '{"a":1}\n']);
    expect(lines.every((l) => /^dbg:[12]> /.test(l))).toBe(true);
  });

  test('an environment with no runtime-level parent uses a system of its own and stops it', async () => {
    const env = StreamExecutionEnvironment.create();
    const out = await env.fromCollection([3, 1, 2]).map((x) => x * 10).executeAndCollect();
    expect(out).toEqual([30, 10, 20]);
  });
});
