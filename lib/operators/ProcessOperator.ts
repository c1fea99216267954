/** process on a non-keyed stream: runs a ProcessFunction with open/close. */
import { copyFunctionObject, type Collector, type ProcessContext, type ProcessFunction } from '../api/functions';
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
    this.fn.open?.(ctx.runtimeContext);
  }
  processElement(value: I, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    try {
      this.fn.processElement(value, this, this);
    } catch (e) {
      throw this.userError(e, value);
    }
  }
  collect(value: O): void {
    this.next.processElement(value, this.timestamp);
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.ctx.output?.(tag, value, this.timestamp);
  }
  override close(): void {
    this.fn.close?.();
  }
}
