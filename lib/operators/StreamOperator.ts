/**
 * The operator contract every transformation is built on (Flink's
 * OneInputStreamOperator and Input): records arrive through
 * `processElement` with an optional event timestamp and go on to `next`,
 * the Input of whatever follows — the next chained operator (a plain call),
 * a network writer, or several of those.
 *
 * Each operator counts the records it takes and turns a throw from user code
 * into one UserFunctionError naming itself, the subtask and the record's
 * position; it wraps only its own user calls, so a failure further down the
 * chain keeps its own attribution. Operators are synchronous; async work (a
 * sink's write) is handed to the task with `ctx.defer`, and the task waits
 * for it before feeding the next input.
 */
import { asUserFunctionError, type OperatorLocation } from '../errors';
import type { RuntimeContext } from '../api/functions';
import type { OutputTag } from '../api/OutputTag';
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import type { Clock } from '../time/Clock';

/** Something records can be pushed into. */
export interface Input<T> {
  processElement(value: T, timestamp: number | undefined): void;
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
  /** Async work the task must finish before it processes the next input. */
  defer(work: Promise<unknown>): void;
  /** Sends an event to this operator's coordinator in the job master. */
  sendOperatorEvent(event: unknown): void;
  /**
   * Emits to the side output `tag` (Flink's Output#collect(OutputTag, …)); dropped
   * when nothing consumes it. The chain always sets it; absent in harnesses without side outputs.
   */
  output?<X>(tag: OutputTag<X>, value: X, timestamp: number | undefined): void;
}

export interface OneInputStreamOperator<I, O> extends CountingInput<I> {
  /** Before open: the operator state this subtask restores (undefined on a fresh start). */
  initializeState?(restored: OperatorRestoreState | undefined): void;
  open(ctx: OperatorContext, next: Input<O>): void;
  /** The synchronous part of a checkpoint: named lists of operator state (keyed state is the chain's). */
  snapshotState?(checkpointId: number): Record<string, unknown[]> | undefined;
  /** Checkpoint `checkpointId` completed (commit what it covers). */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  /** Bounded input is exhausted: emit what is buffered. */
  endInput(): void;
  close(): void;
}

export type OperatorFactory = () => OneInputStreamOperator<any, any>;

/** Base class: holds the context and the next Input, counts input, attributes failures. */
export abstract class AbstractStreamOperator<I, O> implements OneInputStreamOperator<I, O> {
  recordsIn = 0;
  protected next!: Input<O>;
  protected ctx!: OperatorContext;

  open(ctx: OperatorContext, next: Input<O>): void {
    this.ctx = ctx;
    this.next = next;
  }

  abstract processElement(value: I, timestamp: number | undefined): void;

  endInput(): void {}

  close(): void {}

  /** The error to throw when user code failed on the current record. */
  protected userError(e: unknown, record: unknown, position = this.recordsIn): Error {
    return asUserFunctionError(e, this.ctx.location, position, 'process', record);
  }
}
