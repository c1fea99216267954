/**
 * A whole (non-keyed) stream cut into windows (Flink's AllWindowedStream):
 * every record goes to one window operator of parallelism 1, so each window
 * sees the whole stream — global top-N, totals per minute. The same
 * settings and window functions as WindowedStream, without a key.
 *
 *   events.windowAll(TumblingEventTimeWindows.of(60_000)).process({
 *     process(ctx, events, out) { out.collect({ end: ctx.window.end, total: events.length }); },
 *   });
 *
 * Flink builds it the same way: a keyed window operator over one constant
 * key. Its parallelism is 1 and cannot be changed.
 */
import type { NumericField } from '../operators/aggregations';
import type { Key } from '../state/KeyGroup';
import type { AggregateFunction } from '../state/StateDescriptor';
import type { WindowAssigner } from '../windowing/assigners/WindowAssigner';
import type { Evictor } from '../windowing/evictors/Evictor';
import type { Trigger } from '../windowing/triggers/Trigger';
import type { Window } from '../windowing/windows/Window';
import type { DataStream, SingleOutputStreamOperator } from './DataStream';
import { copyFunctionObject, type ReduceFunction } from './functions';
import type { OutputTag } from './OutputTag';
import type { ProcessAllWindowFunction, ProcessWindowFunction } from './windowFunctions';
import { checkAggregateFunction, checkReduceFunction, checkWindowFunction, WindowedStream } from './WindowedStream';

/** The one key of a windowAll operator. */
const ALL: Key = 0;
const SHAPE = 'process(context, elements, out)';

export class AllWindowedStream<T, W extends Window> {
  private readonly windowed: WindowedStream<T, Key, W>;

  constructor(
    input: DataStream<T>,
    private readonly assigner: WindowAssigner<T, W>,
  ) {
    this.windowed = new WindowedStream<T, Key, W>(input.keyBy(() => ALL), assigner);
  }

  /** As WindowedStream.trigger. */
  trigger(trigger: Trigger<T, W>): this {
    this.windowed.trigger(trigger);
    return this;
  }

  /** As WindowedStream.evictor. */
  evictor(evictor: Evictor<T, W>): this {
    this.windowed.evictor(evictor);
    return this;
  }

  /** As WindowedStream.allowedLateness (ms). */
  allowedLateness(ms: number): this {
    this.windowed.allowedLateness(ms);
    return this;
  }

  /** As WindowedStream.sideOutputLateData. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.windowed.sideOutputLateData(tag);
    return this;
  }

  reduce(fn: ReduceFunction<T>): SingleOutputStreamOperator<T>;
  reduce<R>(fn: ReduceFunction<T>, windowFunction: ProcessAllWindowFunction<T, R, W>): SingleOutputStreamOperator<R>;
  reduce<R>(fn: ReduceFunction<T>, windowFunction?: ProcessAllWindowFunction<T, R, W>): SingleOutputStreamOperator<any> {
    if (windowFunction === undefined) return nonParallel(this.windowed.reduce(fn));
    checkReduceFunction(fn);
    checkWindowFunction(windowFunction, 'reduce', SHAPE);
    return this.build('Reduce', { kind: 'reduce', fn }, windowFunction);
  }

  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>): SingleOutputStreamOperator<R>;
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, windowFunction: ProcessAllWindowFunction<V, R, W>): SingleOutputStreamOperator<R>;
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, windowFunction?: ProcessAllWindowFunction<V, R, W>): SingleOutputStreamOperator<any> {
    if (windowFunction === undefined) return nonParallel(this.windowed.aggregate(fn));
    checkAggregateFunction(fn, this.assigner);
    checkWindowFunction(windowFunction, 'aggregate', SHAPE);
    return this.build('Aggregate', { kind: 'aggregate', fn }, windowFunction);
  }

  /** As WindowedStream.sum, over the whole stream. */
  sum(field: NumericField<T>): SingleOutputStreamOperator<T> {
    return nonParallel(this.windowed.sum(field));
  }

  min(field: NumericField<T>): SingleOutputStreamOperator<T> {
    return nonParallel(this.windowed.min(field));
  }

  max(field: NumericField<T>): SingleOutputStreamOperator<T> {
    return nonParallel(this.windowed.max(field));
  }

  minBy(field: NumericField<T>): SingleOutputStreamOperator<T> {
    return nonParallel(this.windowed.minBy(field));
  }

  maxBy(field: NumericField<T>): SingleOutputStreamOperator<T> {
    return nonParallel(this.windowed.maxBy(field));
  }

  process<R>(fn: ProcessAllWindowFunction<T, R, W>): SingleOutputStreamOperator<R> {
    checkWindowFunction(fn, 'process', SHAPE);
    return this.build('Process', { kind: 'list' }, fn);
  }

  private build<R>(
    what: string,
    contents: Parameters<WindowedStream<T, Key, W>['build']>[1],
    fn: ProcessAllWindowFunction<any, R, W>,
  ): SingleOutputStreamOperator<R> {
    return nonParallel(this.windowed.build<R>(what, contents, () => keyless(copyFunctionObject(fn))));
  }
}

/** The keyed form of a subtask's copy of an all-window function. */
function keyless<IN, R, W extends Window>(fn: ProcessAllWindowFunction<IN, R, W>): ProcessWindowFunction<IN, R, Key, W> {
  return {
    open: fn.open && ((ctx) => fn.open!(ctx)),
    close: fn.close && (() => fn.close!()),
    process: (_key, ctx, elements, out) => fn.process(ctx, elements, out),
    clear: fn.clear && ((ctx) => fn.clear!(ctx)),
  };
}

function nonParallel<R>(op: SingleOutputStreamOperator<R>): SingleOutputStreamOperator<R> {
  op.setParallelism(1);
  op.transformation.nonParallel = true;
  return op;
}
