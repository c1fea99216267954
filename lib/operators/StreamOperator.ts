/**
 * The operator contract every transformation is built on (Flink's
 * StreamOperator, OneInputStreamOperator, TwoInputStreamOperator and Input):
 * records arrive through `processElement` (two-input operators:
 * `processElement1` / `processElement2`, by the logical input they came on)
 * with an optional event timestamp and go on to `next`, the Input of
 * whatever follows — the next chained operator (a plain call), a network
 * writer, or several of those.
 *
 * Each operator counts the records it takes and turns a throw from user code
 * into one UserFunctionError naming itself, the subtask and the record's
 * position; it wraps only its own user calls, so a failure further down the
 * chain keeps its own attribution. Operators are synchronous; async work (a
 * sink's write) is handed to the task with `ctx.defer`, and the task waits
 * for it before feeding the next input. A user function that returns a
 * Promise where a value is expected fails with an AsyncUserFunctionError
 * (`asyncResult`): one `typeof` test per object result.
 *
 * Records an operator receives are its own: it may change them and emit
 * them. Operators that keep what they emit (state, fields of a process
 * function) emit copies unless `ctx.objectReuse` is set, so an emitted
 * record never changes afterwards.
 */
import {
  asUserFunctionError,
  AsyncUserFunctionError,
  handleRejection,
  type OperatorLocation,
  type UserFunctionError,
} from '../errors';
import type { RuntimeContext } from '../api/functions';
import type { OutputTag } from '../api/OutputTag';
import { copyValue } from '../state/copyValue';
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import type { Clock, TimerHandle } from '../time/Clock';
import type { WatermarkStatus } from '../time/Watermark';

/**
 * Something records can be pushed into (Flink's Input). Watermarks and
 * watermark status travel the same path; an Input that does not take them
 * (a sink's missing output) leaves the methods out.
 */
export interface Input<T> {
  processElement(value: T, timestamp: number | undefined): void;
  /** Event time reached `watermark` (ms; +Infinity at the end of input). Arrives strictly increasing. */
  processWatermark?(watermark: number): void;
  /** The stream went idle or became active again. */
  processWatermarkStatus?(status: WatermarkStatus): void;
}

/** An Input that counts what it took; a member's records out are its first target's records in. */
export interface CountingInput<T> extends Input<T> {
  readonly recordsIn: number;
}

export interface OperatorContext {
  readonly location: OperatorLocation;
  readonly jobId: string;
  /** 1 for the first run of the job, +1 per restart. */
  readonly attemptNumber: number;
  readonly maxParallelism: number;
  readonly clock: Clock;
  /** Present for keyed operators (those after keyBy). */
  readonly keyedStateBackend: HeapKeyedStateBackend | undefined;
  readonly runtimeContext: RuntimeContext;
  /**
   * Flink's object reuse: when true, operators emit the very objects they
   * keep in state instead of copies (the user guarantees that no function
   * changes a record it received, emitted or read from state).
   */
  readonly objectReuse: boolean;
  /** Async work the task must finish before it processes the next input. */
  defer(work: Promise<unknown>): void;
  /**
   * Runs `action` on the subtask's own thread of control, between two units
   * of work (Flink's MailboxExecutor): the way an operator emits results that
   * arrive asynchronously (async I/O). Actions run in submission order; a
   * throw fails the subtask like a throw from processElement.
   */
  readonly mailbox: MailboxExecutor;
  /** Sends an event to this operator's coordinator in the job master. */
  sendOperatorEvent(event: unknown): void;
  /**
   * Emits to the side output `tag` (Flink's Output#collect(OutputTag, …)); dropped
   * when nothing consumes it. The chain always sets it; absent in harnesses without side outputs.
   */
  output?<X>(tag: OutputTag<X>, value: X, timestamp: number | undefined): void;
  /**
   * Emits a watermark (or a status) to everything downstream of this
   * operator, main and side outputs (Flink's Output#emitWatermark). The chain
   * always sets it; without it (a harness), operators forward to `next`.
   */
  emitWatermark?(watermark: number): void;
  emitWatermarkStatus?(status: WatermarkStatus): void;
  /** Processing time: now, and callbacks at a time (ms on the task's clock), run in the task's mailbox. */
  readonly processingTimeService?: ProcessingTimeService;
}

/**
 * Flink's ProcessingTimeService: timers on the task's injected clock whose
 * callbacks run in the task's mailbox (never concurrently with records).
 * Timers of a closed or cancelled task never fire.
 */
export interface ProcessingTimeService {
  now(): number;
  /** Calls `callback(time)` once the clock reaches `time` (ms); returns a handle to cancel it. */
  registerTimer(time: number, callback: (time: number) => void): TimerHandle;
}

export interface MailboxExecutor {
  execute(action: () => void): void;
}

/** The lifecycle every operator has, whatever its number of inputs (Flink's StreamOperator). */
export interface StreamOperator<O> {
  /** Records taken, over all inputs. */
  readonly recordsIn: number;
  /** Before open: the operator state this subtask restores (undefined on a fresh start). */
  initializeState?(restored: OperatorRestoreState | undefined): void;
  open(ctx: OperatorContext, next: Input<O>): void;
  /** The synchronous part of a checkpoint: named lists of operator state (keyed state is the chain's). */
  snapshotState?(checkpointId: number): Record<string, unknown[]> | undefined;
  /** Checkpoint `checkpointId` completed (commit what it covers). */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  close(): void;
}

export interface OneInputStreamOperator<I, O> extends StreamOperator<O>, CountingInput<I> {
  /**
   * Bounded input is exhausted: emit what is buffered. Work the operator
   * defers here (and mailbox actions it submits) completes before the next
   * operator of the chain hears endInput and before the final snapshot.
   */
  endInput(): void;
}

/** Which logical input of a two-input operator: 1 or 2 (Flink's typeNumber / inputId). */
export type InputId = 1 | 2;

/**
 * An operator with two logical inputs of possibly different types (Flink's
 * TwoInputStreamOperator): the task calls the methods ending in 1 for
 * records, watermarks and statuses of input 1's channels and those ending
 * in 2 for input 2's. Each input's watermark is already combined over its
 * own channels; combining the two (the minimum) is the operator's job, as
 * AbstractTwoInputStreamOperator does it.
 */
export interface TwoInputStreamOperator<I1, I2, O> extends StreamOperator<O> {
  processElement1(value: I1, timestamp: number | undefined): void;
  processElement2(value: I2, timestamp: number | undefined): void;
  /** Event time of input 1 reached `watermark` (ms; +Infinity when input 1 ended). Strictly increasing per input. */
  processWatermark1(watermark: number): void;
  processWatermark2(watermark: number): void;
  processWatermarkStatus1(status: WatermarkStatus): void;
  processWatermarkStatus2(status: WatermarkStatus): void;
  /**
   * Input `inputId` is exhausted (Flink's BoundedMultiInput#endInput). Each
   * input ends once; the first may end long before the second. Deferred
   * work completes before the chain goes on, as for one-input operators.
   */
  endInput(inputId: InputId): void;
}

export type OperatorFactory = () => OneInputStreamOperator<any, any>;
export type TwoInputOperatorFactory = () => TwoInputStreamOperator<any, any, any>;

/** Whether `op` is a two-input operator (it has processElement1). */
export function isTwoInputOperator(op: StreamOperator<unknown>): op is TwoInputStreamOperator<unknown, unknown, unknown> {
  return typeof (op as Partial<TwoInputStreamOperator<unknown, unknown, unknown>>).processElement1 === 'function';
}

/**
 * What one- and two-input operators share (Flink's AbstractStreamOperator):
 * holds the context and the next Input, counts input, forwards watermarks,
 * attributes failures.
 */
export abstract class StreamOperatorBase<O> implements StreamOperator<O> {
  recordsIn = 0;
  protected next!: Input<O>;
  protected ctx!: OperatorContext;

  open(ctx: OperatorContext, next: Input<O>): void {
    this.ctx = ctx;
    this.next = next;
  }

  close(): void {}

  /** The last watermark this operator received (ms; -Infinity before the first); a two-input operator's is the combined one. */
  protected currentWatermark = Number.NEGATIVE_INFINITY;

  /** Default: remember it and pass it on. Operators with event-time timers or windows fire them first. */
  processWatermark(watermark: number): void {
    this.currentWatermark = watermark;
    this.emitWatermark(watermark);
  }

  processWatermarkStatus(status: WatermarkStatus): void {
    this.emitWatermarkStatus(status);
  }

  /** To every output of this operator (main and side outputs). */
  protected emitWatermark(watermark: number): void {
    if (this.ctx.emitWatermark) this.ctx.emitWatermark(watermark);
    else this.next.processWatermark?.(watermark);
  }

  protected emitWatermarkStatus(status: WatermarkStatus): void {
    if (this.ctx.emitWatermarkStatus) this.ctx.emitWatermarkStatus(status);
    else this.next.processWatermarkStatus?.(status);
  }

  // emitKept, emitKeptTo, userError and asyncResult are public for the
  // helpers an operator holds and delegates to (KeyedFunctionRunner).

  /**
   * Emits to the main output a value the operator or its user function may
   * keep (state, fields): a copy, unless object reuse is on, so an emitted
   * record never changes afterwards.
   */
  emitKept(value: O, timestamp: number | undefined): void {
    this.next.processElement(this.ctx.objectReuse ? value : copyValue(value), timestamp);
  }

  /** As emitKept, to the side output `tag`. */
  emitKeptTo<X>(tag: OutputTag<X>, value: X, timestamp: number | undefined): void {
    this.ctx.output?.(tag, this.ctx.objectReuse ? value : copyValue(value), timestamp);
  }

  /** The error to throw when user code failed on the current record. */
  userError(e: unknown, record: unknown, position = this.recordsIn): Error {
    return asUserFunctionError(e, this.ctx.location, position, 'process', record);
  }

  /**
   * The error to throw when a user function (`functionName`, e.g. "map
   * function") returned a thenable. Handles its rejection and detaches the
   * output, so what the promise still runs cannot emit into the failed chain.
   */
  asyncResult(
    result: PromiseLike<unknown>,
    functionName: string,
    record: unknown,
    phase: UserFunctionError['phase'] = 'process',
    position = phase === 'process' ? this.recordsIn : 0,
  ): AsyncUserFunctionError {
    handleRejection(result);
    this.next = DETACHED;
    return new AsyncUserFunctionError(this.ctx.location, position, phase, functionName, record);
  }
}

/** Base class of one-input operators: StreamOperatorBase plus the one input. */
export abstract class AbstractStreamOperator<I, O> extends StreamOperatorBase<O> implements OneInputStreamOperator<I, O> {
  abstract processElement(value: I, timestamp: number | undefined): void;

  endInput(): void {}
}

/** The output of an operator whose user function went asynchronous: emitting fails. */
const DETACHED: Input<never> = {
  processElement() {
    throw new Error('record emitted after the operator failed (its user function returned a Promise)');
  },
};
