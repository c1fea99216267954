/**
 * Side outputs end to end: a ProcessFunction splitting a stream at p > 1,
 * with its side output chained and across a network edge; a keyed process
 * function's side output; a tag nobody consumes (dropped) and an operator
 * whose main output nobody consumes; a source emitting to a side output;
 * and side output exactly-once across a crash and restore.
 */
import {
  CollectSink,
  MemoryCheckpointStorage,
  OutputTag,
  RestartStrategies,
  StreamExecutionEnvironment,
  type JobResult,
  type ProcessFunction,
  type Source,
  type SourceSplit,
} from '../index';
import { FaultInjector } from '../lib/testing/FaultInjector';

const odd = new OutputTag<{ v: number; subtask: number }>('odd');
const N = 2_000;

/** Evens to the main output, odds (with the subtask that saw them) to `odd`. */
function split(): ProcessFunction<number, number> {
  let subtask = -1;
  return {
    open(ctx) {
      subtask = ctx.indexOfThisSubtask;
    },
    processElement(v, ctx, out) {
      if (v % 2 === 0) out.collect(v);
      else ctx.output(odd, { v, subtask });
    },
  };
}

function collected<T>(result: JobResult, uid: string): T[] {
  return result.sinkResults[uid] as T[];
}

const range = (n: number, f: (i: number) => boolean) => Array.from({ length: n }, (_, i) => i).filter(f);

describe('side outputs end to end', () => {
  test('a ProcessFunction splits a stream at p=3: the side output chained and across a rebalance, the main one keyed', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    const main = env.fromGenerator(N, (i) => i).process(split()).uid('split');
    main.keyBy((v) => v % 5).map((v) => v).sinkTo(new CollectSink<number>()).uid('evens').setParallelism(1);
    // Chained: same parallelism, forward.
    main.getSideOutput(odd).map((o) => o).uid('chained').sinkTo(new CollectSink<{ v: number; subtask: number }>()).uid('odds-chained').setParallelism(1);
    // Network: another parallelism.
    main.getSideOutput(odd).rebalance().map((o) => o.v).setParallelism(2).sinkTo(new CollectSink<number>()).uid('odds-network').setParallelism(1);
    const graph = env.getJobGraph();
    expect(graph.vertices.find((v) => v.nodes.some((n) => n.uid === 'split'))!.nodes.map((n) => n.uid)).toContain('chained');
    const result = await env.execute('split');
    expect(collected<number>(result, 'evens').sort((a, b) => a - b)).toEqual(range(N, (i) => i % 2 === 0));
    const chained = collected<{ v: number; subtask: number }>(result, 'odds-chained');
    expect(chained.map((o) => o.v).sort((a, b) => a - b)).toEqual(range(N, (i) => i % 2 === 1));
    expect(new Set(chained.map((o) => o.subtask))).toEqual(new Set([0, 1, 2]));
    expect(collected<number>(result, 'odds-network').sort((a, b) => a - b)).toEqual(range(N, (i) => i % 2 === 1));
    // Records out of the operator count its main output only.
    expect(result.operators.find((o) => o.uid === 'split')!.recordsOut).toBe(N / 2);
  });

  test('a keyed process function emits to a side output with the key it was called for', async () => {
    const big = new OutputTag<string>('big');
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const sums = env
      .fromGenerator(1_000, (i) => ({ k: i % 4, v: i }))
      .keyBy((r) => r.k)
      .process<number>({
        processElement(r, ctx, out) {
          if (r.v >= 990) ctx.output(big, `${ctx.getCurrentKey()}:${r.v}`);
          out.collect(r.v);
        },
      });
    sums.getSideOutput(big).sinkTo(new CollectSink<string>()).uid('big').setParallelism(1);
    const result = await env.execute('keyed side output');
    expect(collected<string>(result, 'big').sort()).toEqual(range(1_000, (i) => i >= 990).map((i) => `${i % 4}:${i}`).sort());
  });

  test('records of a tag nobody consumes are dropped; an operator whose main output nobody consumes still feeds its side output', async () => {
    const unused = new OutputTag<number>('unused');
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const op = env.fromGenerator(100, (i) => i).process<number>({
      processElement(v, ctx, out) {
        ctx.output(unused, v);
        if (v % 2 === 1) ctx.output(odd, { v, subtask: 0 });
        out.collect(v);
      },
    });
    op.getSideOutput(odd).sinkTo(new CollectSink<{ v: number }>()).uid('odds').setParallelism(1);
    const result = await env.execute('side only');
    expect(collected<{ v: number }>(result, 'odds').map((o) => o.v).sort((a, b) => a - b)).toEqual(range(100, (i) => i % 2 === 1));
  });

  test('a source reader emits to a side output through ReaderOutput.output', async () => {
    const rejects = new OutputTag<string>('rejects');
    interface Split extends SourceSplit {
      readonly next: number;
    }
    const source: Source<number, Split> = {
      boundedness: 'BOUNDED',
      maxParallelism: 1,
      createSplits: () => [{ splitId: 's', next: 0 }],
      createReader: () => {
        let split: Split | undefined;
        return {
          addSplits: (s) => (split = s[0]),
          pollNext(output) {
            if (split === undefined) return 'END_OF_INPUT';
            const i = split.next;
            if (i % 10 === 0) output.output?.(rejects, `rejected ${i}`);
            else output.collect(i);
            split = i + 1 < 50 ? { splitId: 's', next: i + 1 } : undefined;
            return split ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
          },
          isAvailable: () => Promise.resolve(),
          snapshotState: () => (split ? [split] : []),
        };
      },
    };
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    const src = env.fromSource(source);
    src.sinkTo(new CollectSink<number>()).uid('main');
    src.getSideOutput(rejects).map((s) => s.toUpperCase()).sinkTo(new CollectSink<string>()).uid('rejects');
    const result = await env.execute('source side output');
    expect(collected<number>(result, 'main')).toEqual(range(50, (i) => i % 10 !== 0));
    expect(collected<string>(result, 'rejects')).toEqual(['REJECTED 0', 'REJECTED 10', 'REJECTED 20', 'REJECTED 30', 'REJECTED 40']);
  });

  test('side output is exactly-once across a crash and restore from a checkpoint', async () => {
    const faults = new FaultInjector([{ kind: 'fail-during-notify', operator: 'split', subtask: 1, checkpoint: 2 }]);
    const env = StreamExecutionEnvironment.create({ parallelism: 2, faults });
    env.enableCheckpointing(5, 'exactly-once');
    env.setCheckpointStorage(new MemoryCheckpointStorage());
    env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
    // Paced so the job outlives its second checkpoint even on a loaded machine (the fault is in its notify).
    const main = env.fromGenerator(20_000, (i) => i, { ratePerSecond: 20_000 }).uid('src').process(split()).uid('split');
    main.sinkTo(() => {});
    main.getSideOutput(odd).rebalance().map((o) => o.v).sinkTo(new CollectSink<number>()).uid('odds').setParallelism(1);
    const result = await env.execute('side output with a crash');
    expect(result.restarts).toHaveLength(1);
    expect(collected<number>(result, 'odds').sort((a, b) => a - b)).toEqual(range(20_000, (i) => i % 2 === 1));
  });

  test('ctx.output with something that is not an OutputTag fails the job naming the operator', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    env
      .fromCollection([1])
      .process({
        processElement(_v, ctx) {
          ctx.output('odd' as unknown as OutputTag<number>, 1);
        },
      })
      .uid('bad-tag')
      .sinkTo(() => {});
    await expect(env.execute('bad tag')).rejects.toThrow(/bad-tag.*needs an OutputTag/);
  });
});
