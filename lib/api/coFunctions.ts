/**
 * The user-function types of connected streams (Flink's CoMapFunction,
 * CoFlatMapFunction, CoProcessFunction and KeyedCoProcessFunction): one
 * method per input, `...1` for the records of the first stream of
 * `a.connect(b)` and `...2` for those of the second. Both methods run on the
 * same subtask and share its fields (and, keyed, its keyed state), never
 * concurrently: the way to join, enrich or control one stream by another.
 *
 * Like other function objects they are shallow-copied once per subtask
 * (fields set in `open()` are per subtask).
 */
import type { Collector, KeyedProcessContext, OnTimerContext, ProcessContext, RichFunction } from './functions';

/** One output record per input record, from either input. */
export interface CoMapFunction<IN1, IN2, OUT> extends RichFunction {
  map1(value: IN1): OUT;
  map2(value: IN2): OUT;
}

/** Zero or more output records per input record, from either input. */
export interface CoFlatMapFunction<IN1, IN2, OUT> extends RichFunction {
  flatMap1(value: IN1, out: Collector<OUT>): void;
  flatMap2(value: IN2, out: Collector<OUT>): void;
}

/** The context of a CoProcessFunction: the record's timestamp and side outputs. */
export type CoProcessContext = ProcessContext;

/** Processes the records of two (not keyed) streams. */
export interface CoProcessFunction<IN1, IN2, OUT> extends RichFunction {
  processElement1(value: IN1, ctx: CoProcessContext, out: Collector<OUT>): void;
  processElement2(value: IN2, ctx: CoProcessContext, out: Collector<OUT>): void;
}

/**
 * Processes two streams keyed into the same key space: records of both
 * inputs with equal keys meet on one subtask, and keyed state (from
 * `open()`'s runtime context) is scoped to the current key whichever input
 * the record came on. Timers are per key, as in KeyedProcessFunction.
 */
export interface KeyedCoProcessFunction<K, IN1, IN2, OUT> extends RichFunction {
  processElement1(value: IN1, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void;
  processElement2(value: IN2, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void;
  /** A timer registered through ctx.timerService() fired: `timestamp` is its time (ms). */
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<OUT>): void;
}
