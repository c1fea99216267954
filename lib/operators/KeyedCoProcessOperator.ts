/**
 * process on connected streams keyed into one key space (Flink's
 * KeyedCoProcessOperator): each record sets the current key from its own
 * input's key selector, so keyed state written for a key by one input is
 * read by the other; then processElement1 or processElement2 of a
 * KeyedCoProcessFunction runs, with timers and side outputs.
 *
 * Timers: `ctx.timerService()` registers event-time and processing-time
 * timers for the current key (one per key and time), whichever input the
 * record came on. The operator's watermark is the minimum of its two
 * inputs' (AbstractTwoInputStreamOperator), so an event-time timer fires
 * only once both inputs passed it (an ended input counts as +Infinity),
 * each under its key, before the watermark goes on. Processing-time timers
 * fire from the task's mailbox. Timers are checkpointed with the operator
 * (OperatorTimers: by key group, with the subtask's watermark) and restored
 * at any parallelism on the subtask that owns their key.
 *
 * What the function emits is copied (unless object reuse is on). A Promise
 * from either method, onTimer, open, close or a key selector fails the job.
 */
import type { KeyedCoProcessFunction } from '../api/coFunctions';
import {
  copyFunctionObject,
  type Collector,
  type KeySelector,
  type OnTimerContext,
  type TimeDomain,
  type TimerService,
} from '../api/functions';
import type { OutputTag } from '../api/OutputTag';
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import { isThenable } from '../errors';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import { denormalizeKey, normalizeKey, type Key } from '../state/KeyGroup';
import type { InternalTimer, InternalTimerService } from '../time/InternalTimerService';
import { AbstractTwoInputStreamOperator } from './AbstractTwoInputStreamOperator';
import { OperatorTimers, userTimerService } from './OperatorTimers';
import type { Input, OperatorContext } from './StreamOperator';


export class KeyedCoProcessOperator<K extends Key, I1, I2, O>
  extends AbstractTwoInputStreamOperator<I1, I2, O>
  implements Collector<O>, OnTimerContext<K>
{
  private readonly fn: KeyedCoProcessFunction<K, I1, I2, O>;
  private backend!: HeapKeyedStateBackend;
  private readonly operatorTimers = new OperatorTimers<null>();
  private timers!: InternalTimerService<null>;
  private key!: K;
  private domain: TimeDomain = 'EVENT_TIME';
  timestamp: number | undefined;

  constructor(
    private readonly keySelector1: KeySelector<I1, K>,
    private readonly keySelector2: KeySelector<I2, K>,
    fn: KeyedCoProcessFunction<K, I1, I2, O>,
  ) {
    super();
    this.fn = copyFunctionObject(fn);
  }

  initializeState(restored: OperatorRestoreState | undefined): void {
    this.operatorTimers.initializeState(restored);
  }

  override open(ctx: OperatorContext, next: Input<O>): void {
    super.open(ctx, next);
    if (ctx.keyedStateBackend === undefined) throw new Error('KeyedCoProcessOperator needs a keyed-state backend (connected streams keyed on both inputs)');
    this.backend = ctx.keyedStateBackend;
    this.timers = this.operatorTimers.open(ctx, this.backend, (t) => this.fire(t, 'PROCESSING_TIME'));
    const r: unknown = this.fn.open?.(ctx.runtimeContext);
    if (isThenable(r)) throw this.asyncResult(r, 'open() method', undefined, 'open');
  }

  processElement1(value: I1, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    let r: unknown;
    try {
      this.key = this.keySelector1(value);
      this.backend.setCurrentKey(normalizeKey(this.key));
      r = this.fn.processElement1(value, this, this);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'processElement1() method', value);
    this.operatorTimers.reschedule();
  }

  processElement2(value: I2, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    let r: unknown;
    try {
      this.key = this.keySelector2(value);
      this.backend.setCurrentKey(normalizeKey(this.key));
      r = this.fn.processElement2(value, this, this);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'processElement2() method', value);
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

