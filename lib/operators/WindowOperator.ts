/**
 * Windows on a keyed stream (Flink's WindowOperator and
 * EvictingWindowOperator): assigns each record to windows, keeps each
 * window's contents in keyed state under the window as namespace, asks the
 * trigger what to do on every record, timer and merge, evaluates fired
 * windows and cleans each window up once its end plus the allowed lateness
 * has passed.
 *
 * Guarantees, as in Flink:
 * - A window's contents live in the namespaced keyed state
 *   `window-contents` (a reduced value, an accumulator, or the elements),
 *   trigger state in the trigger's own namespaced states, the in-flight
 *   session windows of a key in `merging-window-set`, and the timers
 *   (trigger timers and cleanup timers, namespace = the window) in the
 *   operator's timer service: all of it is in the checkpoint, by key group,
 *   and restores at any parallelism. So a window fires exactly once across
 *   failures when the output goes to an exactly-once sink.
 * - Event-time windows fire when the watermark passes `maxTimestamp()`
 *   (the default EventTimeTrigger); what they emit carries the window's
 *   maxTimestamp (end − 1 ms) as event timestamp. A bounded input ends with
 *   a watermark at +Infinity, which fires every event-time window.
 * - Lateness: a window is late once `maxTimestamp + allowedLateness <=
 *   watermark`; records that fall only into late windows go to the late
 *   data side output when one is set (`sideOutputLateData`), and are
 *   dropped (counted in `lateRecordsDropped`) otherwise. A record for a
 *   window that has fired but is not late yet re-fires it (a late firing).
 * - Cleanup at `maxTimestamp + allowedLateness` (event time) or
 *   `maxTimestamp` (processing time): contents, trigger state and the window
 *   function's per-window state (`clear`) are dropped. GlobalWindows are
 *   never cleaned up.
 * - With an evictor the contents are all elements with their timestamps;
 *   reduce and aggregate run on a firing over what the evictor kept.
 * - Processing-time timers fire in the task's mailbox; at the end of a
 *   bounded input, processing-time windows that have not fired are
 *   dropped (Flink does the same).
 *
 * What the window function emits is copied (unless object reuse is on),
 * since reduced values and elements stay in state after a FIRE.
 */
import type { Collector, KeySelector } from '../api/functions';
import type { OutputTag } from '../api/OutputTag';
import type { KeyedStateStore, ProcessWindowContext, ProcessWindowFunction } from '../api/windowFunctions';
import { copyFunctionObject, type ReduceFunction } from '../api/functions';
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import { isThenable, preview, StateAccessError } from '../errors';
import { copyValue } from '../state/copyValue';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import type {
  InternalAggregatingState,
  InternalKvState,
  InternalListState,
  InternalMergingState,
  InternalReducingState,
  InternalValueState,
} from '../state/InternalKvState';
import { denormalizeKey, normalizeKey, type Key } from '../state/KeyGroup';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  type AggregateFunction,
  type StateDescriptor,
} from '../state/StateDescriptor';
import type { InternalTimer, InternalTimerService } from '../time/InternalTimerService';
import { isMergingWindowAssigner, type WindowAssigner, type WindowAssignerContext } from '../windowing/assigners/WindowAssigner';
import type { Evictor, EvictorContext, TimestampedValue } from '../windowing/evictors/Evictor';
import { MergingWindowSet, type MergingWindowSetSnapshot } from '../windowing/MergingWindowSet';
import { isFire, isPurge, type OnMergeContext, type Trigger, type TriggerResult } from '../windowing/triggers/Trigger';
import { windowFromData, type Window, type WindowData } from '../windowing/windows/Window';
import { checkTimerTime, OperatorTimers } from './OperatorTimers';
import { AbstractStreamOperator, type Input, type OperatorContext } from './StreamOperator';

/** The keyed state holding window contents, one namespace per window. */
export const WINDOW_CONTENTS = 'window-contents';
/** The keyed state holding a key's in-flight windows under a merging assigner. */
export const MERGING_WINDOW_SET = 'merging-window-set';

/** How a window keeps its contents: incrementally reduced, aggregated, or every element. */
export type WindowContents<IN> =
  | { readonly kind: 'reduce'; readonly fn: ReduceFunction<IN> }
  | { readonly kind: 'aggregate'; readonly fn: AggregateFunction<IN, any, any> }
  | { readonly kind: 'list' };

export interface WindowOperatorSpec<IN, OUT, K extends Key, W extends Window> {
  readonly keySelector: KeySelector<IN, K>;
  readonly assigner: WindowAssigner<IN, W>;
  readonly trigger: Trigger<IN, W>;
  readonly evictor?: Evictor<IN, W>;
  /** ms; 0 by default. */
  readonly allowedLateness: number;
  readonly lateDataTag?: OutputTag<IN>;
  readonly contents: WindowContents<IN>;
  /**
   * Evaluates a fired window: gets every element (`list`), or the one
   * reduced / aggregated value. Absent: that value itself is emitted.
   */
  readonly windowFunction?: ProcessWindowFunction<any, OUT, K, W>;
}

interface WindowNamespace {
  readonly data: WindowData;
  readonly id: string;
}

/** Time windows whose namespace form is kept (a sliding window of 1 h by 1 s has 3,600 live ones per key at most). */
const NS_MEMO_SIZE = 4096;

const TRIGGER_RESULTS: ReadonlySet<unknown> = new Set(['CONTINUE', 'FIRE', 'PURGE', 'FIRE_AND_PURGE']);
const windowIdOf = (data: unknown): string => windowFromData(data as WindowData).key();

export class WindowOperator<IN, OUT, K extends Key, W extends Window> extends AbstractStreamOperator<IN, OUT> implements Collector<OUT> {
  /** Records that fell only into late windows and were dropped (no late data side output). */
  lateRecordsDropped = 0;

  private readonly keySelector: KeySelector<IN, K>;
  private readonly assigner: WindowAssigner<IN, W>;
  private readonly trigger: Trigger<IN, W>;
  private readonly evictor: Evictor<IN, W> | undefined;
  private readonly allowedLateness: number;
  private readonly lateDataTag: OutputTag<IN> | undefined;
  private readonly contentsKind: WindowContents<IN>;
  private readonly fn: ProcessWindowFunction<any, OUT, K, W> | undefined;
  private readonly merging: boolean;
  private readonly operatorTimers = new OperatorTimers<WindowData>(windowIdOf);

  private backend!: HeapKeyedStateBackend;
  private timers!: InternalTimerService<WindowData>;
  /** The contents: list of elements, reduced value, accumulator, or (evictor) list of TimestampedValue. */
  private contents!: InternalMergingState & { clear(): void };
  private mergingSets!: InternalValueState<MergingWindowSetSnapshot>;
  private key!: K;
  /** The window the trigger context and the process context refer to. */
  private window!: W;
  /** For OnMergeContext.mergePartitionedState: the windows merged into `window`. */
  private mergedWindows: readonly W[] = [];
  private outTimestamp: number | undefined;
  private readonly nsMemo = new Map<number, WindowNamespace & { readonly end: number }>();

  constructor(spec: WindowOperatorSpec<IN, OUT, K, W>) {
    super();
    this.keySelector = spec.keySelector;
    this.assigner = spec.assigner;
    this.trigger = spec.trigger;
    this.evictor = spec.evictor;
    this.allowedLateness = spec.allowedLateness;
    this.lateDataTag = spec.lateDataTag;
    this.contentsKind = spec.contents;
    this.fn = spec.windowFunction && copyFunctionObject(spec.windowFunction);
    this.merging = isMergingWindowAssigner(spec.assigner);
  }

  initializeState(restored: OperatorRestoreState | undefined): void {
    this.operatorTimers.initializeState(restored);
  }

  override open(ctx: OperatorContext, next: Input<OUT>): void {
    super.open(ctx, next);
    this.backend = ctx.keyedStateBackend!;
    this.contents = this.backend.getInternalState(this.contentsDescriptor() as any) as unknown as InternalMergingState & { clear(): void };
    this.mergingSets = this.backend.getInternalState(new ValueStateDescriptor<MergingWindowSetSnapshot>(MERGING_WINDOW_SET));
    this.timers = this.operatorTimers.open(ctx, this.backend, (t) => this.onTimer(t, false));
    const r: unknown = this.fn?.open?.(ctx.runtimeContext);
    if (isThenable(r)) throw this.asyncResult(r, 'open() method', undefined, 'open');
  }

  processElement(value: IN, timestamp: number | undefined): void {
    this.recordsIn++;
    try {
      this.setKey(this.keySelector(value));
      const windows = this.assigner.assignWindows(value, timestamp, this.assignerContext);
      let skipped = true;
      const set = this.merging ? this.loadMergingSet() : undefined;
      for (const assigned of windows) {
        let window = assigned;
        let stateWindow = assigned;
        if (set !== undefined) {
          window = set.addWindow(assigned, (result, merged, stateResult, mergedState) => this.merge(result, merged, stateResult, mergedState));
          if (this.isWindowLate(window)) {
            set.retireWindow(window);
            continue;
          }
          stateWindow = set.getStateWindow(window)!;
        } else if (this.isWindowLate(window)) {
          continue;
        }
        skipped = false;
        this.enterContents(stateWindow);
        if (this.evictor !== undefined) (this.contents as unknown as InternalListState<TimestampedValue<IN>>).add({ value, timestamp });
        else (this.contents as unknown as InternalListState<IN>).add(value); // list, reducing and aggregating state all take add(value)
        this.window = window;
        this.onTriggerResult(window, checked(this.trigger.onElement(value, timestamp, window, this.triggerContext), this.trigger, 'onElement'));
        this.registerCleanupTimer(window);
      }
      if (set !== undefined) this.storeMergingSet(set);
      if (skipped && this.isElementLate(timestamp)) {
        if (this.lateDataTag !== undefined) this.ctx.output?.(this.lateDataTag, value, timestamp);
        else this.lateRecordsDropped++;
      }
    } catch (e) {
      throw this.userError(e, value);
    }
    this.operatorTimers.reschedule();
  }

  /** Fires the event-time timers (trigger and cleanup) up to `watermark`, then passes it on. */
  override processWatermark(watermark: number): void {
    // At or below the restored watermark (inputs restart lower after a restore): already passed on.
    if (!this.operatorTimers.advanceWatermark(watermark, (t) => this.onTimer(t, true))) return;
    this.currentWatermark = watermark;
    this.emitWatermark(watermark);
  }

  snapshotState(): Record<string, unknown[]> {
    return this.operatorTimers.snapshotState();
  }

  override close(): void {
    this.operatorTimers.close();
    const r: unknown = this.fn?.close?.();
    if (isThenable(r)) throw this.asyncResult(r, 'close() method', undefined, 'close');
  }

  collect(value: OUT): void {
    this.emitKept(value, this.outTimestamp);
  }

  // ---- records and timers ---------------------------------------------------------------------

  private setKey(key: K): void {
    this.backend.setCurrentKey(normalizeKey(key));
    this.key = key;
  }

  private onTimer(timer: InternalTimer<WindowData>, eventTime: boolean): void {
    this.backend.setCurrentKey(timer.key);
    this.key = denormalizeKey(timer.key) as K;
    const window = windowFromData(timer.namespace) as unknown as W;
    try {
      const set = this.merging ? this.loadMergingSet() : undefined;
      let stateWindow = window;
      if (set !== undefined) {
        const s = set.getStateWindow(window);
        // The window merged into another or was cleaned up; its timers went with it.
        if (s === undefined) return;
        stateWindow = s;
      }
      this.enterContents(stateWindow);
      this.window = window;
      const r = eventTime
        ? this.trigger.onEventTime(timer.timestamp, window, this.triggerContext)
        : this.trigger.onProcessingTime(timer.timestamp, window, this.triggerContext);
      this.onTriggerResult(window, checked(r, this.trigger, eventTime ? 'onEventTime' : 'onProcessingTime'));
      if (eventTime === this.assigner.isEventTime && timer.timestamp === this.cleanupTime(window)) this.clearAllState(window, set);
      if (set !== undefined) this.storeMergingSet(set);
    } catch (e) {
      throw this.userError(e, { key: this.key, window: String(window), timer: timer.timestamp }, this.recordsIn);
    }
  }

  /** Fires and/or purges `window`, whose contents are the current namespace of `contents`. */
  private onTriggerResult(window: W, result: TriggerResult): void {
    if (isFire(result)) {
      const contents = this.readContents();
      if (contents !== undefined) this.emitWindowContents(window, contents);
    }
    if (isPurge(result)) this.contents.clear();
  }

  /** Sessions merged: the trigger merges its state and timers, the merged windows' trigger state and cleanup timers go, contents move. */
  private merge(result: W, merged: readonly W[], stateResult: W, mergedState: readonly W[]): void {
    if (this.assigner.isEventTime && this.cleanupTime(result) <= this.timers.currentWatermark) {
      throw new Error(`merging windows into ${String(result)} would end it before the current watermark ${this.timers.currentWatermark}`);
    }
    this.window = result;
    this.mergedWindows = merged;
    try {
      this.trigger.onMerge(result, this.triggerContext);
    } finally {
      this.mergedWindows = [];
    }
    for (const m of merged) {
      this.window = m;
      this.trigger.clear(m, this.triggerContext);
      this.deleteCleanupTimer(m);
    }
    if (mergedState.length > 0) this.contents.mergeNamespaces(stateResult.toData(), mergedState.map((w) => w.toData()), windowIdOf);
  }

  /** The window is discarded: contents, trigger state, per-window state of the function. */
  private clearAllState(window: W, set: MergingWindowSet<W> | undefined): void {
    this.contents.clear();
    this.window = window;
    this.trigger.clear(window, this.triggerContext);
    if (this.fn?.clear !== undefined) {
      this.processContext.window = window;
      const r: unknown = this.fn.clear(this.processContext);
      if (isThenable(r)) throw this.asyncResult(r, 'clear() method', { key: this.key, window: String(window) });
    }
    set?.retireWindow(window);
  }

  // ---- contents -------------------------------------------------------------------------------

  private contentsDescriptor(): StateDescriptor {
    if (this.evictor !== undefined) return new ListStateDescriptor<TimestampedValue<IN>>(WINDOW_CONTENTS);
    const c = this.contentsKind;
    switch (c.kind) {
      case 'reduce':
        return new ReducingStateDescriptor<IN>(WINDOW_CONTENTS, c.fn);
      case 'aggregate':
        return new AggregatingStateDescriptor(WINDOW_CONTENTS, c.fn);
      case 'list':
        return new ListStateDescriptor<IN>(WINDOW_CONTENTS);
    }
  }

  private enterContents(stateWindow: W): void {
    const n = this.ns(stateWindow);
    this.contents.setCurrentNamespace(n.data, n.id);
  }

  /** The current window's contents; undefined when it has none. */
  private readContents(): unknown {
    if (this.evictor !== undefined || this.contentsKind.kind === 'list') {
      const list = (this.contents as unknown as InternalListState<unknown>).get();
      return list.length === 0 ? undefined : list;
    }
    return (this.contents as unknown as InternalReducingState<unknown> | InternalAggregatingState<unknown, unknown>).get();
  }

  private emitWindowContents(window: W, contents: unknown): void {
    this.outTimestamp = window.maxTimestamp();
    this.window = window;
    if (this.evictor === undefined) {
      this.applyFunction(this.contentsKind.kind === 'list' ? (contents as IN[]).slice() : [contents]);
      return;
    }
    const all = contents as TimestampedValue<IN>[];
    const kept = this.evictor.evictBefore(all, window, this.evictorContext);
    const values = kept.map((e) => e.value);
    const c = this.contentsKind;
    if (c.kind === 'list') this.applyFunction(values);
    else if (values.length > 0) this.applyFunction([c.kind === 'reduce' ? this.reduceAll(values, c.fn) : this.aggregateAll(values, c.fn)]);
    const remaining = this.evictor.evictAfter(kept, window, this.evictorContext);
    (this.contents as unknown as InternalListState<TimestampedValue<IN>>).update(remaining);
  }

  /** Runs the window function on `elements`, or emits the one pre-aggregated value. */
  private applyFunction(elements: readonly unknown[]): void {
    if (this.fn === undefined) {
      this.collect(elements[0] as OUT);
      return;
    }
    this.processContext.window = this.window;
    const r: unknown = this.fn.process(this.key, this.processContext, elements, this);
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'process() method', { key: this.key, window: String(this.window) });
  }

  /** Reduces what an evictor kept; the first element is copied, since it becomes the (mutable) accumulator and stays in state. */
  private reduceAll(values: readonly IN[], fn: ReduceFunction<IN>): IN {
    let acc: IN = copyValue(values[0] as IN);
    for (let i = 1; i < values.length; i++) acc = this.sync(fn(acc, values[i]!), 'reduce function');
    return acc;
  }

  private aggregateAll(values: readonly IN[], fn: AggregateFunction<IN, any, any>): unknown {
    let acc: unknown = this.sync(fn.createAccumulator(), 'createAccumulator() of the aggregate function');
    for (const v of values) acc = this.sync(fn.add(v, acc), 'add() of the aggregate function');
    return this.sync(fn.getResult(acc), 'getResult() of the aggregate function');
  }

  private sync<T>(r: T, functionName: string): T {
    if (r !== null && typeof r === 'object' && isThenable(r)) throw this.asyncResult(r as PromiseLike<unknown>, functionName, { key: this.key, window: String(this.window) });
    return r;
  }

  // ---- merging window sets --------------------------------------------------------------------

  private loadMergingSet(): MergingWindowSet<W> {
    return MergingWindowSet.restore(this.assigner as any, this.mergingSets.value()) as MergingWindowSet<W>;
  }

  private storeMergingSet(set: MergingWindowSet<W>): void {
    this.mergingSets.update(set.size === 0 ? undefined : set.snapshot());
  }

  // ---- time -----------------------------------------------------------------------------------

  /** Event time: maxTimestamp + allowed lateness; processing time: maxTimestamp (ms). +Infinity for GlobalWindow. */
  private cleanupTime(window: W): number {
    return this.assigner.isEventTime ? window.maxTimestamp() + this.allowedLateness : window.maxTimestamp();
  }

  private isWindowLate(window: W): boolean {
    return this.assigner.isEventTime && this.cleanupTime(window) <= this.timers.currentWatermark;
  }

  private isElementLate(timestamp: number | undefined): boolean {
    return this.assigner.isEventTime && timestamp !== undefined && timestamp + this.allowedLateness <= this.timers.currentWatermark;
  }

  private registerCleanupTimer(window: W): void {
    const t = this.cleanupTime(window);
    if (t === Number.POSITIVE_INFINITY) return;
    const n = this.ns(window);
    if (this.assigner.isEventTime) this.timers.registerEventTimeTimer(n.data, t, n.id);
    else this.timers.registerProcessingTimeTimer(n.data, t, n.id);
  }

  private deleteCleanupTimer(window: W): void {
    const t = this.cleanupTime(window);
    if (t === Number.POSITIVE_INFINITY) return;
    const n = this.ns(window);
    if (this.assigner.isEventTime) this.timers.deleteEventTimeTimer(n.data, t, n.id);
    else this.timers.deleteProcessingTimeTimer(n.data, t, n.id);
  }

  /** A trigger's timer call for the current window. */
  private timerAt(
    call: 'registerEventTimeTimer' | 'registerProcessingTimeTimer' | 'deleteEventTimeTimer' | 'deleteProcessingTimeTimer',
    time: number,
  ): void {
    const n = this.ns(this.window);
    this.timers[call](n.data, time, n.id);
  }

  /**
   * A window as namespace: its data (frozen, shared) and id. Memoised for
   * recent time windows by start, since every record of a window (and of
   * its key) needs them, often several times.
   */
  private ns(w: W): WindowNamespace {
    const start = (w as unknown as { start?: unknown }).start;
    if (typeof start !== 'number') return { data: Object.freeze(w.toData()), id: w.key() };
    const end = (w as unknown as { end: number }).end;
    const m = this.nsMemo.get(start);
    if (m !== undefined && m.end === end) return m;
    if (this.nsMemo.size >= NS_MEMO_SIZE) this.nsMemo.clear();
    const n = { end, data: Object.freeze(w.toData()), id: w.key() };
    this.nsMemo.set(start, n);
    return n;
  }

  private now(): number {
    return this.ctx.processingTimeService?.now() ?? this.ctx.clock.now();
  }

  // ---- the contexts handed to assigner, trigger, evictor and window function --------------------

  private readonly assignerContext: WindowAssignerContext = { currentProcessingTime: () => this.now() };

  private readonly evictorContext: EvictorContext = {
    getCurrentProcessingTime: () => this.now(),
    getCurrentWatermark: () => this.timers.currentWatermark,
  };

  /** Scoped to the current key and `this.window`. */
  private readonly triggerContext: OnMergeContext = {
    getCurrentProcessingTime: () => this.now(),
    getCurrentWatermark: () => this.timers.currentWatermark,
    registerProcessingTimeTimer: (time) => this.timerAt('registerProcessingTimeTimer', checkTimerTime(time)),
    registerEventTimeTimer: (time) => this.timerAt('registerEventTimeTimer', checkTimerTime(time)),
    deleteProcessingTimeTimer: (time) => this.timerAt('deleteProcessingTimeTimer', time),
    deleteEventTimeTimer: (time) => this.timerAt('deleteEventTimeTimer', time),
    getPartitionedState: (descriptor: StateDescriptor) => this.windowScoped(descriptor) as any,
    mergePartitionedState: (descriptor) => {
      if (this.mergedWindows.length === 0) return;
      const s = this.backend.getInternalState(descriptor as any) as unknown as InternalMergingState;
      s.mergeNamespaces(this.window.toData(), this.mergedWindows.map((w) => w.toData()), windowIdOf);
    },
  };

  /** The internal state of `descriptor`, in the current window's namespace. */
  private windowScoped(descriptor: StateDescriptor): unknown {
    const s = this.backend.getInternalState(descriptor as any) as unknown as InternalKvState;
    const n = this.ns(this.window);
    s.setCurrentNamespace(n.data, n.id);
    return s;
  }

  private readonly windowStateStore: KeyedStateStore = {
    getState: (d) => this.windowScoped(d) as any,
    getListState: (d) => this.windowScoped(d) as any,
    getMapState: (d) => this.windowScoped(d) as any,
    getReducingState: (d) => this.windowScoped(d) as any,
    getAggregatingState: (d) => this.windowScoped(d) as any,
  };

  /** Reused for every evaluation; `window` is set before each call. */
  private readonly processContext: { window: W } & Omit<ProcessWindowContext<W>, 'window'> = {
    window: undefined as unknown as W,
    currentProcessingTime: () => this.now(),
    currentWatermark: () => this.timers.currentWatermark,
    windowState: () => {
      if (this.merging) {
        throw new StateAccessError(`per-window state is not available with the merging window assigner ${String(this.assigner)}; use globalState()`);
      }
      return this.windowStateStore;
    },
    globalState: () => this.ctx.runtimeContext,
    output: (tag, value) => this.emitKeptTo(tag, value, this.outTimestamp),
  };

}

function checked(r: unknown, trigger: Trigger<any, any>, method: string): TriggerResult {
  if (!TRIGGER_RESULTS.has(r)) {
    throw new TypeError(`${String(trigger)}.${method}() returned ${preview(r)}; a trigger returns 'CONTINUE', 'FIRE', 'PURGE' or 'FIRE_AND_PURGE' (synchronously)`);
  }
  return r as TriggerResult;
}


