/**
 * process on a keyed stream connected with a broadcast stream (Flink's
 * CoBroadcastWithKeyedOperator): input 1 is the keyed stream — each record
 * sets the current key from the key selector, then `processElement` runs
 * with keyed state, timers and the broadcast state read-only; input 2 is
 * the broadcast stream — every subtask gets every record, and
 * `processBroadcastElement` runs with the broadcast state writable and no
 * current key: keyed state is reached only through
 * `ctx.applyToKeyedState(descriptor, (key, state) => ...)`, which visits
 * every key of this subtask with a value in that state. Keyed state used
 * directly on the broadcast side (state objects from `open()`) throws
 * StateAccessError, as the last record's key would be a different one on
 * each subtask.
 *
 * Timers as in KeyedCoProcessOperator: event-time timers fire once the
 * combined watermark of both inputs passes them (an ended input counts as
 * +Infinity), processing-time timers from the task's mailbox; `onTimer`
 * reads the broadcast state. Checkpoints hold the keyed state (the chain's
 * backend), the timers (OperatorTimers) and this subtask's copy of the
 * broadcast state (BroadcastStateStore), all restored at any parallelism.
 *
 * What the function emits is copied (unless object reuse is on). A Promise
 * from either method, onTimer, open, close, a key selector or a function
 * given to applyToKeyedState fails the job.
 */
import type { KeyedBroadcastProcessFunction, KeyedStateFunction } from '../api/broadcastFunctions';
import { copyFunctionObject, type Collector, type KeySelector, type RuntimeContext, type TimeDomain, type TimerService } from '../api/functions';
import type { OutputTag } from '../api/OutputTag';
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import { isThenable, preview, StateAccessError, ThenableReturnedError } from '../errors';
import { BroadcastStateStore } from '../state/BroadcastState';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import { denormalizeKey, normalizeKey, type Key } from '../state/KeyGroup';
import type { MapStateDescriptor, StateDescriptor } from '../state/StateDescriptor';
import type { InternalTimer, InternalTimerService } from '../time/InternalTimerService';
import { AbstractTwoInputStreamOperator } from './AbstractTwoInputStreamOperator';
import { KeyedBroadcastContextImpl, KeyedReadOnlyContextImpl, type KeyedBroadcastHost } from './broadcastContexts';
import { OperatorTimers, userTimerService } from './OperatorTimers';
import type { Input, OperatorContext } from './StreamOperator';


export class CoBroadcastWithKeyedOperator<K extends Key, I1, I2, O>
  extends AbstractTwoInputStreamOperator<I1, I2, O>
  implements Collector<O>, KeyedBroadcastHost<K>
{
  private readonly fn: KeyedBroadcastProcessFunction<K, I1, I2, O>;
  readonly broadcastStates: BroadcastStateStore;
  private backend!: HeapKeyedStateBackend;
  private readonly operatorTimers = new OperatorTimers<null>();
  private timerService!: InternalTimerService<null>;
  private key: K | undefined;
  timeDomain: TimeDomain = 'EVENT_TIME';
  timestamp: number | undefined;
  /** False while the broadcast side runs outside applyToKeyedState: keyed state has no current key then. */
  private keyedAccess = true;
  private readonly readOnlyContext = new KeyedReadOnlyContextImpl<K>(this);
  private readonly broadcastContext = new KeyedBroadcastContextImpl<K>(this);

  constructor(
    private readonly keySelector: KeySelector<I1, K>,
    fn: KeyedBroadcastProcessFunction<K, I1, I2, O>,
    descriptors: readonly MapStateDescriptor<any, any>[],
  ) {
    super();
    this.fn = copyFunctionObject(fn);
    this.broadcastStates = new BroadcastStateStore(descriptors);
  }

  initializeState(restored: OperatorRestoreState | undefined): void {
    this.operatorTimers.initializeState(restored);
    this.broadcastStates.initializeState(restored);
  }

  override open(ctx: OperatorContext, next: Input<O>): void {
    super.open(ctx, next);
    if (ctx.keyedStateBackend === undefined) throw new Error('CoBroadcastWithKeyedOperator needs a keyed-state backend (a keyed stream connected with a broadcast stream)');
    this.backend = ctx.keyedStateBackend;
    this.broadcastStates.open(ctx.location.subtaskIndex, ctx.objectReuse);
    this.timerService = this.operatorTimers.open(ctx, this.backend, (t) => this.fire(t, 'PROCESSING_TIME'));
    const r: unknown = this.fn.open?.(guardedRuntimeContext(ctx.runtimeContext, (name) => this.checkKeyedAccess(name)));
    if (isThenable(r)) throw this.asyncResult(r, 'open() method', undefined, 'open');
  }

  processElement1(value: I1, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    let r: unknown;
    try {
      this.key = this.keySelector(value);
      this.backend.setCurrentKey(normalizeKey(this.key));
      r = this.fn.processElement(value, this.readOnlyContext, this);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'processElement() method', value);
    this.operatorTimers.reschedule();
  }

  processElement2(value: I2, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    let r: unknown;
    const states = this.broadcastStates;
    states.writable = true;
    this.keyedAccess = false;
    this.key = undefined;
    try {
      r = this.fn.processBroadcastElement(value, this.broadcastContext, this);
    } catch (e) {
      throw this.userError(e, value);
    } finally {
      states.writable = false;
      this.keyedAccess = true;
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'processBroadcastElement() method', value);
    this.operatorTimers.reschedule();
  }

  /** The combined watermark of both inputs: fires the event-time timers up to it, then passes it on. */
  override processWatermark(watermark: number): void {
    // At or below the restored watermark (inputs restart lower after a restore): already passed on.
    if (!this.operatorTimers.advanceWatermark(watermark, (t) => this.fire(t, 'EVENT_TIME'))) return;
    this.currentWatermark = watermark;
    this.emitWatermark(watermark);
  }

  snapshotState(): Record<string, unknown[]> {
    return { ...this.operatorTimers.snapshotState(), ...this.broadcastStates.snapshotState() };
  }

  // ---- what the contexts forward to (KeyedBroadcastHost) ----------------------------------------

  currentKey(): K {
    if (this.key === undefined) throw new StateAccessError('there is no current key in processBroadcastElement(): use ctx.applyToKeyedState() to visit the keys');
    return this.key;
  }

  processingTime(): number {
    return this.ctx.clock.now();
  }

  watermark(): number {
    return this.timerService.currentWatermark;
  }

  /** What `ctx.timerService()` returns: the current key's timers. */
  readonly timers: TimerService = userTimerService(() => this.timerService, () => this.ctx.clock.now());

  applyToKeyedState(descriptor: StateDescriptor, fn: KeyedStateFunction<K, any>): void {
    if (this.keyedAccess) throw new StateAccessError('applyToKeyedState() is for processBroadcastElement(); elsewhere the current key\'s state is at hand');
    if (typeof fn !== 'function') throw new TypeError(`applyToKeyedState() needs a function (key, state) => void, got ${preview(fn)}`);
    const state = this.backend.getState(descriptor);
    // Collected first: fn may clear the state of the key it visits.
    const keys = [...this.backend.keys(descriptor.name)];
    this.keyedAccess = true;
    try {
      for (const k of keys) {
        this.backend.setCurrentKey(k);
        this.key = denormalizeKey(k) as K;
        const r: unknown = fn(this.key, state);
        if (r !== undefined && isThenable(r)) throw new ThenableReturnedError('function given to applyToKeyedState()', r);
      }
    } finally {
      this.keyedAccess = false;
      this.key = undefined;
    }
  }

  collect(value: O): void {
    this.emitKept(value, this.timestamp);
  }

  output<X>(tag: OutputTag<X>, value: X): void {
    this.emitKeptTo(tag, value, this.timestamp);
  }

  override close(): void {
    this.operatorTimers.close();
    const r: unknown = this.fn.close?.();
    if (isThenable(r)) throw this.asyncResult(r, 'close() method', undefined, 'close');
  }

  // ---- firing ---------------------------------------------------------------------------------

  private fire(timer: InternalTimer<null>, domain: TimeDomain): void {
    this.backend.setCurrentKey(timer.key);
    this.key = denormalizeKey(timer.key) as K;
    this.timeDomain = domain;
    // Event-time output carries the timer's time; processing-time output has no event timestamp (as in Flink).
    this.timestamp = domain === 'EVENT_TIME' ? timer.timestamp : undefined;
    if (this.fn.onTimer === undefined) return;
    const states = this.broadcastStates;
    states.reader = 'onTimer()';
    let r: unknown;
    try {
      r = this.fn.onTimer(timer.timestamp, this.readOnlyContext, this);
    } catch (e) {
      throw this.userError(e, { timer: timer.timestamp, key: this.key }, this.recordsIn);
    } finally {
      states.reader = 'processElement()';
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'onTimer() method', { timer: timer.timestamp, key: this.key });
  }

  private checkKeyedAccess(name: string): void {
    if (!this.keyedAccess) {
      throw new StateAccessError(
        `keyed state '${name}' accessed in processBroadcastElement(), where there is no current key; ` +
          `use ctx.applyToKeyedState(descriptor, (key, state) => ...) to reach every key's state`,
      );
    }
  }
}

/**
 * The runtime context handed to the function: keyed state objects check
 * `check(stateName)` before every call, so the broadcast side cannot use
 * them outside applyToKeyedState. One wrapper per state, as the backend
 * returns one state object per name.
 */
function guardedRuntimeContext(rc: RuntimeContext, check: (name: string) => void): RuntimeContext {
  const wrappers = new Map<unknown, unknown>();
  const guard =
    (get: (d: any) => unknown) =>
    (d: StateDescriptor): any => {
      const state = get(d) as object;
      let w = wrappers.get(state);
      if (w === undefined) wrappers.set(state, (w = guardState(state, d.name, check)));
      return w;
    };
  return {
    ...rc,
    getState: guard((d) => rc.getState(d)),
    getListState: guard((d) => rc.getListState(d)),
    getMapState: guard((d) => rc.getMapState(d)),
    getReducingState: guard((d) => rc.getReducingState(d)),
    getAggregatingState: guard((d) => rc.getAggregatingState(d)),
  };
}

/** An object with `state`'s methods, each checking first. */
function guardState(state: object, name: string, check: (name: string) => void): object {
  const out: Record<string, unknown> = {};
  for (let p: object | null = state; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const m of Object.getOwnPropertyNames(p)) {
      const f = (state as Record<string, unknown>)[m];
      if (m === 'constructor' || m in out || typeof f !== 'function') continue;
      out[m] = (...args: unknown[]) => {
        check(name);
        return (f as (...a: unknown[]) => unknown).apply(state, args);
      };
    }
  }
  return out;
}

