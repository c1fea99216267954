/**
 * The operator contract every transformation is built on (Flink's
 * OneInputStreamOperator): records arrive one at a time with an optional
 * event timestamp and leave through an Output. Operators are synchronous;
 * async work (a sink's write) is handed to the task with `ctx.defer`, and the
 * task waits for it before feeding the next input.
 */
import type { OperatorLocation } from '../errors';
import type { RuntimeContext } from '../api/functions';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import type { Clock } from '../time/Clock';

export interface Output<T> {
  collect(value: T, timestamp: number | undefined): void;
}

export interface OperatorContext {
  readonly location: OperatorLocation;
  readonly maxParallelism: number;
  readonly clock: Clock;
  /** Present for keyed operators (those after keyBy). */
  readonly keyedStateBackend: HeapKeyedStateBackend | undefined;
  readonly runtimeContext: RuntimeContext;
  /** Async work the task must finish before it processes the next input. */
  defer(work: Promise<unknown>): void;
  /** Sends an event to this operator's coordinator in the job master. */
  sendOperatorEvent(event: unknown): void;
}

export interface OneInputStreamOperator<I, O> {
  open(ctx: OperatorContext, output: Output<O>): void;
  processElement(value: I, timestamp: number | undefined): void;
  /** Bounded input is exhausted: emit what is buffered. */
  endInput(): void;
  close(): void;
}

export type OperatorFactory = () => OneInputStreamOperator<any, any>;

/** Base class holding the output and context; subclasses implement processElement. */
export abstract class AbstractStreamOperator<I, O> implements OneInputStreamOperator<I, O> {
  protected output!: Output<O>;
  protected ctx!: OperatorContext;

  open(ctx: OperatorContext, output: Output<O>): void {
    this.ctx = ctx;
    this.output = output;
  }

  abstract processElement(value: I, timestamp: number | undefined): void;

  endInput(): void {}

  close(): void {}
}
