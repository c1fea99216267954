/**
 * A keyed stream cut into windows (Flink's WindowedStream): configure the
 * trigger, evictor and lateness, then say what a fired window yields.
 *
 *   events.keyBy((e) => e.product)
 *     .window(TumblingEventTimeWindows.of(60_000))
 *     .allowedLateness(5_000)
 *     .sideOutputLateData(late)
 *     .aggregate(countAgg, { process(product, ctx, [count], out) { out.collect({ product, end: ctx.window.end, count }); } });
 *
 * `reduce` and `aggregate` keep one value per key and window, updated per
 * record (with an evictor: every element, combined on firing); `process`
 * keeps every element and sees them all. Settings are checked here and
 * throw GraphValidationError naming the problem, before the job runs.
 */
import { GraphValidationError, preview } from '../errors';
import { byAggregator, fieldAggregate, max, min, sum, type NumericField } from '../operators/aggregations';
import { WindowOperator, type WindowContents } from '../operators/WindowOperator';
import type { Key } from '../state/KeyGroup';
import type { AggregateFunction } from '../state/StateDescriptor';
import { isMergingWindowAssigner, type WindowAssigner } from '../windowing/assigners/WindowAssigner';
import type { Evictor } from '../windowing/evictors/Evictor';
import type { Trigger } from '../windowing/triggers/Trigger';
import type { Window } from '../windowing/windows/Window';
import type { SingleOutputStreamOperator } from './DataStream';
import type { ReduceFunction } from './functions';
import type { KeyedStream } from './KeyedStream';
import { OutputTag } from './OutputTag';
import type { ProcessWindowFunction } from './windowFunctions';

export class WindowedStream<T, K extends Key, W extends Window> {
  private windowTrigger: Trigger<T, W>;
  private windowEvictor: Evictor<T, W> | undefined;
  private lateness = 0;
  private lateDataTag: OutputTag<T> | undefined;

  constructor(
    private readonly input: KeyedStream<T, K>,
    private readonly assigner: WindowAssigner<T, W>,
  ) {
    if (assigner === null || typeof assigner !== 'object' || typeof assigner.assignWindows !== 'function') {
      throw new GraphValidationError('INVALID_ARGUMENT', `window() needs a window assigner (e.g. TumblingEventTimeWindows.of(ms)), got ${preview(assigner)}`);
    }
    this.windowTrigger = assigner.getDefaultTrigger();
  }

  /** Replaces the assigner's default trigger. A merging (session) assigner needs a trigger that can merge. */
  trigger(trigger: Trigger<T, W>): this {
    if (trigger === null || typeof trigger !== 'object' || typeof trigger.onElement !== 'function') {
      throw new GraphValidationError('INVALID_ARGUMENT', `trigger() needs a Trigger, got ${preview(trigger)}`);
    }
    if (isMergingWindowAssigner(this.assigner) && !trigger.canMerge()) {
      throw new GraphValidationError('INVALID_ARGUMENT', `${String(trigger)} cannot merge windows, so it cannot be used with the merging assigner ${String(this.assigner)}`);
    }
    this.windowTrigger = trigger;
    return this;
  }

  /** Removes elements before and/or after the window function runs; the window then keeps every element. */
  evictor(evictor: Evictor<T, W>): this {
    if (evictor === null || typeof evictor !== 'object' || typeof evictor.evictBefore !== 'function' || typeof evictor.evictAfter !== 'function') {
      throw new GraphValidationError('INVALID_ARGUMENT', `evictor() needs an Evictor, got ${preview(evictor)}`);
    }
    this.windowEvictor = evictor;
    return this;
  }

  /**
   * How long (ms) after a window's end (by the watermark) records are still
   * added to it, each re-firing it; 0 by default. Only event time has lateness.
   */
  allowedLateness(ms: number): this {
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) {
      throw new GraphValidationError('INVALID_ARGUMENT', `allowedLateness() needs a whole number of ms ≥ 0, got ${preview(ms)}`);
    }
    this.lateness = ms;
    return this;
  }

  /** Records too late for every window they belong to go to `tag` (read it with getSideOutput(tag)) instead of being dropped. */
  sideOutputLateData(tag: OutputTag<T>): this {
    if (!(tag instanceof OutputTag)) throw new GraphValidationError('INVALID_ARGUMENT', 'sideOutputLateData() needs an OutputTag');
    this.lateDataTag = tag;
    return this;
  }

  /**
   * Reduces each window incrementally; emits the reduced value, or hands it
   * to `windowFunction` (as its one element) with the window's metadata.
   */
  reduce(fn: ReduceFunction<T>): SingleOutputStreamOperator<T>;
  reduce<R>(fn: ReduceFunction<T>, windowFunction: ProcessWindowFunction<T, R, K, W>): SingleOutputStreamOperator<R>;
  reduce<R>(fn: ReduceFunction<T>, windowFunction?: ProcessWindowFunction<T, R, K, W>): SingleOutputStreamOperator<any> {
    checkReduceFunction(fn);
    if (windowFunction !== undefined) checkWindowFunction(windowFunction, 'reduce');
    return this.build('Reduce', { kind: 'reduce', fn }, windowFunction && (() => windowFunction));
  }

  /**
   * Aggregates each window incrementally (createAccumulator / add /
   * getResult; `merge` too for session windows); emits getResult, or hands
   * it to `windowFunction` (as its one element).
   */
  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>): SingleOutputStreamOperator<R>;
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, windowFunction: ProcessWindowFunction<V, R, K, W>): SingleOutputStreamOperator<R>;
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, windowFunction?: ProcessWindowFunction<V, R, K, W>): SingleOutputStreamOperator<any> {
    checkAggregateFunction(fn, this.assigner);
    if (windowFunction !== undefined) checkWindowFunction(windowFunction, 'aggregate');
    return this.build('Aggregate', { kind: 'aggregate', fn }, windowFunction && (() => windowFunction));
  }

  /** Per window: the first record with `field` replaced by the sum of every record's field (Flink's windowed sum). */
  sum(field: NumericField<T>): SingleOutputStreamOperator<T> {
    return this.aggregate(fieldAggregate(field, sum));
  }

  /** Per window: the first record with `field` replaced by the smallest value of the field. */
  min(field: NumericField<T>): SingleOutputStreamOperator<T> {
    return this.aggregate(fieldAggregate(field, min));
  }

  /** Per window: the first record with `field` replaced by the largest value of the field. */
  max(field: NumericField<T>): SingleOutputStreamOperator<T> {
    return this.aggregate(fieldAggregate(field, max));
  }

  /** Per window: the record with the smallest value of `field` (the first on ties). */
  minBy(field: NumericField<T>): SingleOutputStreamOperator<T> {
    return this.reduce(byAggregator(field, (c, cur) => c < cur));
  }

  /** Per window: the record with the largest value of `field` (the first on ties). */
  maxBy(field: NumericField<T>): SingleOutputStreamOperator<T> {
    return this.reduce(byAggregator(field, (c, cur) => c > cur));
  }

  /** Keeps every element of each window and evaluates `fn` on all of them when the window fires. */
  process<R>(fn: ProcessWindowFunction<T, R, K, W>): SingleOutputStreamOperator<R> {
    checkWindowFunction(fn, 'process');
    return this.build('Process', { kind: 'list' }, () => fn);
  }

  /**
   * @internal The window operator; `windowFunction` makes the function of
   * one subtask (the operator copies what it returns).
   */
  build<R>(what: string, contents: WindowContents<T>, windowFunction: (() => ProcessWindowFunction<any, R, K, W>) | undefined): SingleOutputStreamOperator<R> {
    const base = {
      keySelector: this.input.keySelector,
      assigner: this.assigner,
      trigger: this.windowTrigger,
      evictor: this.windowEvictor,
      allowedLateness: this.lateness,
      lateDataTag: this.lateDataTag,
      contents,
    };
    const parts = [String(this.assigner), String(this.windowTrigger), ...(this.windowEvictor ? [String(this.windowEvictor)] : []), what];
    return this.input.transformKeyed<R>(`Window(${parts.join(', ')})`, () => new WindowOperator<T, R, K, W>({ ...base, windowFunction: windowFunction?.() }));
  }
}

/** @internal */
export function checkReduceFunction(fn: unknown): void {
  if (typeof fn !== 'function') throw new GraphValidationError('INVALID_ARGUMENT', 'reduce() needs a function (accumulated, value) => result');
}

/** @internal */
export function checkAggregateFunction(fn: AggregateFunction<any, any, any>, assigner: WindowAssigner<any, any>): void {
  const missing = ['createAccumulator', 'add', 'getResult'].filter((m) => typeof (fn as unknown as Record<string, unknown> | null)?.[m] !== 'function');
  if (missing.length > 0) {
    throw new GraphValidationError('INVALID_ARGUMENT', `aggregate() needs an AggregateFunction; missing ${missing.join(', ')}`);
  }
  if (isMergingWindowAssigner(assigner) && typeof fn.merge !== 'function') {
    throw new GraphValidationError('INVALID_ARGUMENT', `aggregate() with the merging assigner ${String(assigner)} needs merge(a, b) on the AggregateFunction`);
  }
}

/** @internal */
export function checkWindowFunction(fn: unknown, op: string, shape = 'process(key, context, elements, out)'): void {
  if (fn === null || typeof fn !== 'object' || typeof (fn as { process?: unknown }).process !== 'function') {
    throw new GraphValidationError('INVALID_ARGUMENT', `${op}() needs a window function: an object with ${shape}`);
  }
}
