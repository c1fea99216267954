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
import { copyFunctionObject, type KeySelector } from '../api/functions';
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import type { Key } from '../state/KeyGroup';
import { AbstractTwoInputStreamOperator } from './AbstractTwoInputStreamOperator';
import { KeyedFunctionRunner, type KeyedFunctionCalls } from './KeyedFunctionRunner';
import type { Input, InputId, OperatorContext } from './StreamOperator';

/** The keyed element path, timers, contexts and collector are the runner's (KeyedFunctionRunner). */
export class KeyedCoProcessOperator<K extends Key, I1, I2, O>
  extends AbstractTwoInputStreamOperator<I1, I2, O>
  implements KeyedFunctionCalls<K, O, I1 | I2>
{
  private readonly fn: KeyedCoProcessFunction<K, I1, I2, O>;
  private readonly runner: KeyedFunctionRunner<K, O, I1 | I2>;

  constructor(
    private readonly keySelector1: KeySelector<I1, K>,
    private readonly keySelector2: KeySelector<I2, K>,
    fn: KeyedCoProcessFunction<K, I1, I2, O>,
  ) {
    super();
    this.fn = copyFunctionObject(fn);
    this.runner = new KeyedFunctionRunner(this, this.fn);
  }

  override open(ctx: OperatorContext, next: Input<O>): void {
    super.open(ctx, next);
    if (ctx.keyedStateBackend === undefined) throw new Error('KeyedCoProcessOperator needs a keyed-state backend (connected streams keyed on both inputs)');
    this.runner.open(ctx, ctx.keyedStateBackend);
  }

  override close(): void {
    this.runner.close();
  }

  // ---- records: the inputs, then the user calls the runner makes for them ---------------------------

  processElement1(value: I1, timestamp: number | undefined): void {
    this.runner.processElement(value, timestamp, 1, 'processElement1() method');
  }

  processElement2(value: I2, timestamp: number | undefined): void {
    this.runner.processElement(value, timestamp, 2, 'processElement2() method');
  }

  callElement(value: I1 | I2, input: InputId, run: KeyedFunctionRunner<K, O, I1 | I2>): unknown {
    if (input === 1) {
      run.setKey(this.keySelector1(value as I1));
      return this.fn.processElement1(value as I1, run, run);
    }
    run.setKey(this.keySelector2(value as I2));
    return this.fn.processElement2(value as I2, run, run);
  }

  // ---- timers ---------------------------------------------------------------------------------------

  /** The combined watermark of both inputs: fires the event-time timers up to it, then passes it on. */
  override processWatermark(watermark: number): void {
    if (this.runner.advanceWatermark(watermark)) super.processWatermark(watermark);
  }

  callTimer(timestamp: number, run: KeyedFunctionRunner<K, O, I1 | I2>): unknown {
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
