/**
 * process on a non-keyed stream: runs a ProcessFunction with open/close.
 * What the function emits is copied (unless object reuse is on): it may keep
 * and change objects in its fields or operator state after emitting them.
 * A Promise from processElement, open or close fails the job.
 */
import { copyFunctionObject, type Collector, type ProcessContext, type ProcessFunction } from '../api/functions';
import { isThenable } from '../errors';
import type { OutputTag } from '../api/OutputTag';
import { AbstractStreamOperator, type Input, type OperatorContext } from './StreamOperator';

export class ProcessOperator<I, O> extends AbstractStreamOperator<I, O> implements Collector<O>, ProcessContext {
  private readonly fn: ProcessFunction<I, O>;
  timestamp: number | undefined;

  constructor(fn: ProcessFunction<I, O>) {
    super();
    this.fn = copyFunctionObject(fn);
  }
  override open(ctx: OperatorContext, next: Input<O>): void {
    super.open(ctx, next);
    const r: unknown = this.fn.open?.(ctx.runtimeContext);
    if (isThenable(r)) throw this.asyncResult(r, 'open() method', undefined, 'open');
  }
  processElement(value: I, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    let r: unknown;
    try {
      r = this.fn.processElement(value, this, this);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'processElement() method', value);
  }
  collect(value: O): void {
    this.emitKept(value, this.timestamp);
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.emitKeptTo(tag, value, this.timestamp);
  }
  override close(): void {
    const r: unknown = this.fn.close?.();
    if (isThenable(r)) throw this.asyncResult(r, 'close() method', undefined, 'close');
  }
}
