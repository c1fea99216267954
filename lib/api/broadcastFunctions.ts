/**
 * The user-function types of the broadcast state pattern (Flink's
 * BroadcastProcessFunction and KeyedBroadcastProcessFunction): a stream of
 * events connected with a BroadcastStream (rules, configuration) made by
 * `rules.broadcast(descriptor)`:
 *
 *   events.connect(rules).process({ processElement(e, ctx, out) {...}, processBroadcastElement(r, ctx, out) {...} })
 *   events.keyBy(k).connect(rules).process({ processElement, processBroadcastElement, onTimer? })
 *
 * `processBroadcastElement` runs on every subtask for every broadcast
 * record and is the only place broadcast state is written
 * (`ctx.getBroadcastState(descriptor)` is a BroadcastState there);
 * `processElement` (and `onTimer`) get a ReadOnlyBroadcastState, whose
 * writes throw StateAccessError. So every subtask keeps the same broadcast
 * state — as long as processBroadcastElement decides only from the
 * broadcast record and the broadcast state, never from keyed state, the
 * subtask, time or randomness.
 *
 * Keyed (after keyBy): `processElement` and `onTimer` have the current key,
 * keyed state (from `open()`'s runtime context) and timers; the broadcast
 * side has no current key — keyed state accessed there throws
 * StateAccessError — and visits every key of its subtask with
 * `ctx.applyToKeyedState(descriptor, (key, state) => ...)`.
 *
 * Like other function objects they are shallow-copied once per subtask.
 */
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from '../state/KeyedState';
import type { BroadcastState, ReadOnlyBroadcastState } from '../state/BroadcastState';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../state/StateDescriptor';
import type { Collector, RichFunction, TimeDomain, TimerService } from './functions';
import type { OutputTag } from './OutputTag';

/** What both sides' contexts have (Flink's BaseBroadcastProcessFunction.BaseContext). */
export interface BaseBroadcastContext {
  /** The record's event timestamp (the timer's time in onTimer for event-time timers), if it has one. */
  readonly timestamp: number | undefined;
  /** Emits `value` to the side output `tag`, with the current timestamp; dropped when nothing consumes the tag. */
  output<X>(tag: OutputTag<X>, value: X): void;
  /** Processing time now, in ms (the job's clock). */
  currentProcessingTime(): number;
  /** The operator's watermark in ms: the minimum of both inputs' (-Infinity before the first). */
  currentWatermark(): number;
}

/** The context of `processElement`: broadcast state read-only. */
export interface ReadOnlyBroadcastContext extends BaseBroadcastContext {
  /** A state declared in `broadcast(...)`, read-only. StateAccessError for an undeclared one. */
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V>;
}

/** The context of `processBroadcastElement`: broadcast state writable. */
export interface BroadcastContext extends BaseBroadcastContext {
  /** A state declared in `broadcast(...)`, writable. StateAccessError for an undeclared one. */
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V>;
}

/** Processes a (not keyed) stream connected with a broadcast stream. */
export interface BroadcastProcessFunction<IN1, IN2, OUT> extends RichFunction {
  /** A record of the non-broadcast stream. */
  processElement(value: IN1, ctx: ReadOnlyBroadcastContext, out: Collector<OUT>): void;
  /** A record of the broadcast stream: every subtask sees each one. */
  processBroadcastElement(value: IN2, ctx: BroadcastContext, out: Collector<OUT>): void;
}

/** `processElement` of a keyed stream: the current key, its timers, and broadcast state read-only. */
export interface KeyedReadOnlyBroadcastContext<K> extends ReadOnlyBroadcastContext {
  getCurrentKey(): K;
  /** Time and timers, scoped to the current key. */
  timerService(): TimerService;
}

/** onTimer of a KeyedBroadcastProcessFunction: the timer's key is current; broadcast state read-only. */
export interface KeyedBroadcastOnTimerContext<K> extends KeyedReadOnlyBroadcastContext<K> {
  timeDomain(): TimeDomain;
}

/**
 * `processBroadcastElement` of a keyed stream: broadcast state writable and
 * every key's state reachable through applyToKeyedState (there is no current key).
 */
export interface KeyedBroadcastContext<K> extends BroadcastContext {
  /**
   * Calls `fn(key, state)` for every key of this subtask that has a value
   * in the state `descriptor` names, with that key current (so `state`,
   * and keyed state from `open()`, are that key's). `fn` may read, update
   * or clear the state.
   */
  applyToKeyedState<T>(descriptor: ValueStateDescriptor<T>, fn: KeyedStateFunction<K, ValueState<T>>): void;
  applyToKeyedState<T>(descriptor: ListStateDescriptor<T>, fn: KeyedStateFunction<K, ListState<T>>): void;
  applyToKeyedState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>, fn: KeyedStateFunction<K, MapState<UK, UV>>): void;
  applyToKeyedState<T>(descriptor: ReducingStateDescriptor<T>, fn: KeyedStateFunction<K, ReducingState<T>>): void;
  applyToKeyedState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>, fn: KeyedStateFunction<K, AggregatingState<IN, OUT>>): void;
}

/** Flink's KeyedStateFunction: one key and its state. */
export type KeyedStateFunction<K, S> = (key: K, state: S) => void;

/** Processes a keyed stream connected with a broadcast stream. */
export interface KeyedBroadcastProcessFunction<K, IN1, IN2, OUT> extends RichFunction {
  /** A record of the keyed stream, with its key current. */
  processElement(value: IN1, ctx: KeyedReadOnlyBroadcastContext<K>, out: Collector<OUT>): void;
  /** A record of the broadcast stream: every subtask sees each one; no current key. */
  processBroadcastElement(value: IN2, ctx: KeyedBroadcastContext<K>, out: Collector<OUT>): void;
  /** A timer registered through ctx.timerService() fired: `timestamp` is its time (ms). */
  onTimer?(timestamp: number, ctx: KeyedBroadcastOnTimerContext<K>, out: Collector<OUT>): void;
}
