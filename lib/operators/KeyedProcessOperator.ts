/**
 * process on a keyed stream (Flink's KeyedProcessOperator): sets the current
 * key from the record (so keyed state reads and writes that key's entry) and
 * runs a KeyedProcessFunction, with timers.
 *
 * Timers: `ctx.timerService()` registers event-time and processing-time
 * timers for the current key (one per key and time). A watermark fires the
 * event-time timers at or before it, in time order, each under its key,
 * before the watermark goes on; processing-time timers fire from the task's
 * mailbox when the clock reaches them. Timers are checkpointed with the
 * operator (by key group) and restored at any parallelism, each on the
 * subtask that owns its key.
 *
 * What the function emits is copied (unless object reuse is on), so a value
 * it emits and keeps in state can be changed in state later without
 * changing the emitted record. A Promise from processElement, onTimer, open,
 * close or the key selector fails the job: an async processElement would
 * run its continuation under whatever key is current by then.
 */
import {
  copyFunctionObject,
  type Collector,
  type KeyedProcessFunction,
  type KeySelector,
  type OnTimerContext,
  type TimeDomain,
  type TimerService,
} from '../api/functions';
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import { isThenable } from '../errors';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import { denormalizeKey, normalizeKey, type Key } from '../state/KeyGroup';
import type { OutputTag } from '../api/OutputTag';
import type { InternalTimer, InternalTimerService } from '../time/InternalTimerService';
import { OperatorTimers, userTimerService } from './OperatorTimers';
import { AbstractStreamOperator, type Input, type OperatorContext } from './StreamOperator';


export class KeyedProcessOperator<K extends Key, I, O>
  extends AbstractStreamOperator<I, O>
  implements Collector<O>, OnTimerContext<K>
{
  private readonly fn: KeyedProcessFunction<K, I, O>;
  private backend!: HeapKeyedStateBackend;
  private readonly operatorTimers = new OperatorTimers<null>();
  private timers!: InternalTimerService<null>;
  private key!: K;
  private domain: TimeDomain = 'EVENT_TIME';
  timestamp: number | undefined;

  constructor(private readonly keySelector: KeySelector<I, K>, fn: KeyedProcessFunction<K, I, O>) {
    super();
    this.fn = copyFunctionObject(fn);
  }

  initializeState(restored: OperatorRestoreState | undefined): void {
    this.operatorTimers.initializeState(restored);
  }

  override open(ctx: OperatorContext, next: Input<O>): void {
    super.open(ctx, next);
    this.backend = ctx.keyedStateBackend!;
    this.timers = this.operatorTimers.open(ctx, this.backend, (t) => this.fire(t, 'PROCESSING_TIME'));
    const r: unknown = this.fn.open?.(ctx.runtimeContext);
    if (isThenable(r)) throw this.asyncResult(r, 'open() method', undefined, 'open');
  }

  processElement(value: I, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    let r: unknown;
    try {
      this.key = this.keySelector(value);
      this.backend.setCurrentKey(normalizeKey(this.key));
      r = this.fn.processElement(value, this, this);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'processElement() method', value);
    this.operatorTimers.reschedule();
  }

  /** Fires the event-time timers up to `watermark`, then passes the watermark on. */
  override processWatermark(watermark: number): void {
    // At or below the restored watermark (inputs restart lower after a restore): already passed on.
    if (!this.operatorTimers.advanceWatermark(watermark, (t) => this.fire(t, 'EVENT_TIME'))) return;
    this.currentWatermark = watermark;
    this.emitWatermark(watermark);
  }

  snapshotState(): Record<string, unknown[]> {
    return this.operatorTimers.snapshotState();
  }

  // ---- the contexts handed to the function ----------------------------------------------------

  getCurrentKey(): K {
    return this.key;
  }
  timerService(): TimerService {
    return this.service;
  }
  timeDomain(): TimeDomain {
    return this.domain;
  }

  /** What `ctx.timerService()` returns: the current key's timers. */
  private readonly service: TimerService = userTimerService(() => this.timers, () => this.ctx.clock.now());

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
    this.domain = domain;
    // Event-time output carries the timer's time; processing-time output has no event timestamp (as in Flink).
    this.timestamp = domain === 'EVENT_TIME' ? timer.timestamp : undefined;
    if (this.fn.onTimer === undefined) return;
    let r: unknown;
    try {
      r = this.fn.onTimer(timer.timestamp, this, this);
    } catch (e) {
      throw this.userError(e, { timer: timer.timestamp, key: this.key }, this.recordsIn);
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'onTimer() method', { timer: timer.timestamp, key: this.key });
  }
}

