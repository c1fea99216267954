/**
 * What the keyed process operators share (KeyedProcessOperator,
 * KeyedCoProcessOperator, CoBroadcastWithKeyedOperator): the keyed element
 * path, timer firing, the context and collector handed to the user
 * function, its timers, and the function's open and close — in Flink the
 * contexts inside KeyedProcessOperator and KeyedCoProcessOperator and the
 * Triggerable their InternalTimerService calls. The operators derive from
 * different one- and two-input bases, so each holds one runner and
 * delegates to it.
 *
 *   processElement1(value: I1, timestamp: number | undefined): void {
 *     this.runner.processElement(value, timestamp, 1, 'processElement1() method');
 *   }
 *   callElement(value: I1 | I2, input: InputId, run: KeyedFunctionRunner<K, O, I1 | I2>): unknown {
 *     run.setKey(this.keySelector1(value as I1));   // input 1's half
 *     return this.fn.processElement1(value as I1, run, run);
 *   }
 *
 * Guarantees:
 * - A record is counted, its timestamp is the context's and its output's,
 *   and the key its selector gives is current in the keyed backend before
 *   the function runs; a throw from either becomes the operator's
 *   UserFunctionError for that record, a Promise from either fails the job
 *   (AsyncUserFunctionError). After each record and each firing the one
 *   real processing-time timer is set again (OperatorTimers).
 * - A timer fires under its key, with its time domain: event-time output
 *   carries the timer's time, processing-time output no event timestamp
 *   (as in Flink). A watermark fires the event-time timers at or before it,
 *   in time order, before the operator passes it on.
 * - What the function emits, to the main or a side output, is copied
 *   unless object reuse is on (StreamOperatorBase.emitKept).
 * - Nothing is allocated per record or per timer: the runner is the
 *   context and the collector, reused for every call. The user calls (key
 *   selector, processElement*, onTimer) stay at the operator's own call
 *   sites (KeyedFunctionCalls), so sharing the runner makes none of them
 *   shared between operator classes.
 */
import type { Collector, OnTimerContext, RichFunction, RuntimeContext, TimeDomain, TimerService } from '../api/functions';
import type { OutputTag } from '../api/OutputTag';
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import { isThenable } from '../errors';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import { denormalizeKey, normalizeKey, type Key, type StateKey } from '../state/KeyGroup';
import type { InternalTimer, InternalTimerService } from '../time/InternalTimerService';
import { OperatorTimers, userTimerService } from './OperatorTimers';
import type { InputId, OperatorContext, StreamOperatorBase } from './StreamOperator';

/**
 * The user calls an operator makes for its runner, inside the runner's
 * error handling: `callElement` sets the record's key (`run.setKey` with
 * what the input's key selector returns) and runs the function's method
 * for `input`; `callTimer` runs onTimer (only called when the function has
 * one). Both return what the user function returned.
 */
export interface KeyedFunctionCalls<K extends Key, O, I> {
  callElement(value: I, input: InputId, run: KeyedFunctionRunner<K, O, I>): unknown;
  callTimer(timestamp: number, run: KeyedFunctionRunner<K, O, I>): unknown;
}

/** A keyed process function, as far as the runner calls it: lifecycle and whether it has onTimer. */
type KeyedFunction = RichFunction & { readonly onTimer?: unknown };

export class KeyedFunctionRunner<K extends Key, O, I> implements Collector<O>, OnTimerContext<K> {
  /** The event timestamp of what runs: the record's, or an event-time timer's time. */
  timestamp: number | undefined;
  /** The current key: the record's or the timer's; undefined where the operator has none (the broadcast side). */
  key: K | undefined;
  private domain: TimeDomain = 'EVENT_TIME';
  private backend!: HeapKeyedStateBackend;
  private readonly operatorTimers = new OperatorTimers<null>();
  private timers!: InternalTimerService<null>;
  private ctx!: OperatorContext;
  /** What `ctx.timerService()` returns: the current key's timers. */
  private readonly service: TimerService = userTimerService(() => this.timers, () => this.ctx.clock.now());

  constructor(
    private readonly op: StreamOperatorBase<O> & KeyedFunctionCalls<K, O, I>,
    private readonly fn: KeyedFunction,
  ) {}

  /** Before open: the restored timers. */
  initializeState(restored: OperatorRestoreState | undefined): void {
    this.operatorTimers.initializeState(restored);
  }

  /** Opens the timers on `backend`, then the function with `runtimeContext`. */
  open(ctx: OperatorContext, backend: HeapKeyedStateBackend, runtimeContext: RuntimeContext = ctx.runtimeContext): void {
    this.ctx = ctx;
    this.backend = backend;
    this.timers = this.operatorTimers.open(ctx, backend, (t) => this.fire(t, 'PROCESSING_TIME'));
    const r: unknown = this.fn.open?.(runtimeContext);
    if (isThenable(r)) throw this.op.asyncResult(r, 'open() method', undefined, 'open');
  }

  /**
   * One record of input `input`: counts it, makes `timestamp` current, and
   * has the operator set its key and run the function (`callElement`);
   * `method` names the user method in an AsyncUserFunctionError.
   */
  processElement(value: I, timestamp: number | undefined, input: InputId, method: string): void {
    const op = this.op;
    op.recordsIn++;
    this.timestamp = timestamp;
    let r: unknown;
    try {
      r = op.callElement(value, input, this);
    } catch (e) {
      throw op.userError(e, value);
    }
    if (r !== undefined && isThenable(r)) throw op.asyncResult(r, method, value);
    this.operatorTimers.reschedule();
  }

  /** Makes `key` (what a key selector returned) current, here and in the keyed backend. */
  setKey(key: K): void {
    this.key = key;
    this.backend.setCurrentKey(normalizeKey(key));
  }

  /** Makes the key stored as `key` (normalized, as the backend and the timers hold it) current. */
  enterKey(key: StateKey): void {
    this.backend.setCurrentKey(key);
    this.key = denormalizeKey(key) as K;
  }

  /**
   * Fires the event-time timers up to `watermark` (ms). False, doing
   * nothing, for a watermark at or below the current one (inputs restart
   * lower after a restore): the operator passes the watermark on only on true.
   */
  advanceWatermark(watermark: number): boolean {
    return this.operatorTimers.advanceWatermark(watermark, (t) => this.fire(t, 'EVENT_TIME'));
  }

  /** The timers' operator list state (OperatorTimers). */
  snapshotState(): Record<string, unknown[]> {
    return this.operatorTimers.snapshotState();
  }

  /** Stops the processing-time timer, then closes the function. */
  close(): void {
    this.operatorTimers.close();
    const r: unknown = this.fn.close?.();
    if (isThenable(r)) throw this.op.asyncResult(r, 'close() method', undefined, 'close');
  }

  // ---- the context and collector handed to the function ---------------------------------------

  getCurrentKey(): K {
    return this.key as K;
  }
  timerService(): TimerService {
    return this.service;
  }
  timeDomain(): TimeDomain {
    return this.domain;
  }
  collect(value: O): void {
    this.op.emitKept(value, this.timestamp);
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.op.emitKeptTo(tag, value, this.timestamp);
  }

  // ---- firing ---------------------------------------------------------------------------------

  private fire(timer: InternalTimer<null>, domain: TimeDomain): void {
    this.enterKey(timer.key);
    this.domain = domain;
    // Event-time output carries the timer's time; processing-time output has no event timestamp (as in Flink).
    this.timestamp = domain === 'EVENT_TIME' ? timer.timestamp : undefined;
    if (this.fn.onTimer === undefined) return;
    const op = this.op;
    let r: unknown;
    try {
      r = op.callTimer(timer.timestamp, this);
    } catch (e) {
      throw op.userError(e, { timer: timer.timestamp, key: this.key }, op.recordsIn);
    }
    if (r !== undefined && isThenable(r)) throw op.asyncResult(r, 'onTimer() method', { timer: timer.timestamp, key: this.key });
  }
}
