/**
 * The functions a window evaluates when it fires (Flink's
 * ProcessWindowFunction and ProcessAllWindowFunction) and the context they
 * get: the window, time, per-window and per-key state, side outputs.
 *
 *   stream.keyBy((e) => e.user)
 *     .window(TumblingEventTimeWindows.of(60_000))
 *     .process({
 *       process(user, ctx, events, out) {
 *         out.collect({ user, start: ctx.window.start, end: ctx.window.end, count: events.length });
 *       },
 *     });
 *
 * Given as objects (or class instances), they are shallow-copied once per
 * subtask, like every function object (functions.ts).
 */
import type { Window } from '../windowing/windows/Window';
import type { Collector, RichFunction, RuntimeContext } from './functions';
import type { OutputTag } from './OutputTag';

/** Keyed state by descriptor (Flink's KeyedStateStore). */
export type KeyedStateStore = Pick<RuntimeContext, 'getState' | 'getListState' | 'getMapState' | 'getReducingState' | 'getAggregatingState'>;

export interface ProcessWindowContext<W extends Window> {
  /** The window being evaluated (a TimeWindow has `start`, `end` (exclusive) and `maxTimestamp()` = end − 1). */
  readonly window: W;
  /** Processing time now (ms, the job's clock). */
  currentProcessingTime(): number;
  /** The operator's current event-time watermark (ms; -Infinity before the first). */
  currentWatermark(): number;
  /**
   * State of this key and this window: kept across firings of the window
   * (e.g. with allowed lateness) until it is cleaned up; delete it in
   * `clear`. StateAccessError under a merging (session) assigner, as in Flink.
   */
  windowState(): KeyedStateStore;
  /** State of this key across all its windows (what `getRuntimeContext().getState` gives). */
  globalState(): KeyedStateStore;
  /** Emits to the side output `tag`, with the window's timestamp (maxTimestamp). */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/**
 * Evaluates one window of one key. `elements` are the window's contents —
 * every element for `process`, or the one pre-aggregated value when it
 * follows `reduce` / `aggregate`. What it emits carries the window's
 * maxTimestamp as event timestamp.
 */
export interface ProcessWindowFunction<IN, OUT, K, W extends Window> extends RichFunction {
  process(key: K, context: ProcessWindowContext<W>, elements: readonly IN[], out: Collector<OUT>): void;
  /** The window is discarded (its end, plus allowed lateness, has passed): delete its windowState. */
  clear?(context: ProcessWindowContext<W>): void;
}

/** ProcessWindowFunction for `windowAll`: the same, without a key. */
export interface ProcessAllWindowFunction<IN, OUT, W extends Window> extends RichFunction {
  process(context: ProcessWindowContext<W>, elements: readonly IN[], out: Collector<OUT>): void;
  clear?(context: ProcessWindowContext<W>): void;
}
