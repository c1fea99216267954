/**
 * The user-function types of the DataStream API (Flink's MapFunction,
 * ProcessFunction, KeyedProcessFunction, RuntimeContext, Collector).
 *
 * Functions given as objects (or class instances) are shallow-copied once per
 * subtask, so fields set in `open()` are per subtask, as in Flink where each
 * subtask deserialises its own copy.
 */
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from '../state/KeyedState';
import type { Key } from '../state/KeyGroup';
import type { OutputTag } from './OutputTag';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../state/StateDescriptor';

export type MapFunction<I, O> = (value: I) => O;
export type FilterFunction<T> = (value: T) => boolean;
export type FlatMapFunction<I, O> = (value: I, out: Collector<O>) => void;
export type ReduceFunction<T> = (accumulated: T, value: T) => T;
export type KeySelector<T, K extends Key = Key> = (value: T) => K;

export interface Collector<T> {
  collect(value: T): void;
}

/** What a rich function learns about where it runs, and its keyed state. */
export interface RuntimeContext {
  readonly taskName: string;
  readonly operatorUid: string;
  readonly indexOfThisSubtask: number;
  readonly numberOfParallelSubtasks: number;
  readonly maxNumberOfParallelSubtasks: number;
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
  /**
   * Operator (non-keyed) list state of this subtask: checkpointed with it and
   * redistributed round-robin when the job is restored at another parallelism.
   */
  getOperatorListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
}

export interface ProcessContext {
  /** The record's event timestamp, if it has one. */
  readonly timestamp: number | undefined;
  /**
   * Emits `value` to the side output `tag`, with the current record's
   * timestamp; read it with `getSideOutput(tag)` on the operator's stream.
   * Dropped when nothing consumes the tag.
   */
  output<X>(tag: OutputTag<X>, value: X): void;
}

export interface KeyedProcessContext<K> extends ProcessContext {
  getCurrentKey(): K;
  /** Time and timers, scoped to the current key (Flink's TimerService). */
  timerService(): TimerService;
}

/**
 * Flink's TimerService, for the current key. Timers are per (key,
 * timestamp): registering one twice keeps one. They are part of the
 * checkpoint: restored (also at another parallelism) with the key's state.
 */
export interface TimerService {
  /** Processing time now, in ms (the job's clock). */
  currentProcessingTime(): number;
  /** Event time: the operator's current watermark in ms (-Infinity before the first). */
  currentWatermark(): number;
  /** onTimer(time) once the watermark reaches `time` (ms). */
  registerEventTimeTimer(time: number): void;
  /** onTimer(time) once processing time reaches `time` (ms). */
  registerProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
}

export type TimeDomain = 'EVENT_TIME' | 'PROCESSING_TIME';

/** The context of onTimer: the timer's key is current; `timestamp` is the timer's time for event-time timers. */
export interface OnTimerContext<K> extends KeyedProcessContext<K> {
  timeDomain(): TimeDomain;
}

/** Lifecycle hooks shared by process functions. */
export interface RichFunction {
  open?(ctx: RuntimeContext): void;
  close?(): void;
}

export interface ProcessFunction<I, O> extends RichFunction {
  processElement(value: I, ctx: ProcessContext, out: Collector<O>): void;
}

/** Runs on a keyed stream: keyed state in `open()`'s context is scoped to the current key. */
export interface KeyedProcessFunction<K, I, O> extends RichFunction {
  processElement(value: I, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  /** A timer registered through ctx.timerService() fired: `timestamp` is its time (ms). */
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
}

/** A per-subtask copy of a function object, keeping its prototype (class methods). */
export function copyFunctionObject<F extends object>(fn: F): F {
  return Object.assign(Object.create(Object.getPrototypeOf(fn)) as F, fn);
}
