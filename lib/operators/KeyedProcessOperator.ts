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
import { copyFunctionObject, type KeyedProcessFunction, type KeySelector } from '../api/functions';
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import type { Key } from '../state/KeyGroup';
import { KeyedFunctionRunner, type KeyedFunctionCalls } from './KeyedFunctionRunner';
import { AbstractStreamOperator, type Input, type InputId, type OperatorContext } from './StreamOperator';

/** The keyed element path, timers, contexts and collector are the runner's (KeyedFunctionRunner). */
export class KeyedProcessOperator<K extends Key, I, O> extends AbstractStreamOperator<I, O> implements KeyedFunctionCalls<K, O, I> {
  private readonly fn: KeyedProcessFunction<K, I, O>;
  private readonly runner: KeyedFunctionRunner<K, O, I>;

  constructor(private readonly keySelector: KeySelector<I, K>, fn: KeyedProcessFunction<K, I, O>) {
    super();
    this.fn = copyFunctionObject(fn);
    this.runner = new KeyedFunctionRunner(this, this.fn);
  }

  override open(ctx: OperatorContext, next: Input<O>): void {
    super.open(ctx, next);
    this.runner.open(ctx, ctx.keyedStateBackend!);
  }

  override close(): void {
    this.runner.close();
  }

  // ---- records: the input, then the user calls the runner makes for it ------------------------------

  processElement(value: I, timestamp: number | undefined): void {
    this.runner.processElement(value, timestamp, 1, 'processElement() method');
  }

  callElement(value: I, _input: InputId, run: KeyedFunctionRunner<K, O, I>): unknown {
    run.setKey(this.keySelector(value));
    return this.fn.processElement(value, run, run);
  }

  // ---- timers ---------------------------------------------------------------------------------------

  /** Fires the event-time timers up to `watermark`, then passes the watermark on. */
  override processWatermark(watermark: number): void {
    if (this.runner.advanceWatermark(watermark)) super.processWatermark(watermark);
  }

  callTimer(timestamp: number, run: KeyedFunctionRunner<K, O, I>): unknown {
    return this.fn.onTimer!(timestamp, run, run);
  }

  // ---- checkpoints: the timers (the keyed state is the chain's) -------------------------------------

  initializeState(restored: OperatorRestoreState | undefined): void {
    this.runner.initializeState(restored);
  }

  snapshotState(): Record<string, unknown[]> {
    return this.runner.snapshotState();
  }
}
