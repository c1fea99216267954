/** process on a non-keyed stream: runs a ProcessFunction with open/close. */
import { copyFunctionObject, type Collector, type ProcessContext, type ProcessFunction } from '../api/functions';
import { AbstractStreamOperator, type OperatorContext, type Output } from './StreamOperator';

export class ProcessOperator<I, O> extends AbstractStreamOperator<I, O> implements Collector<O>, ProcessContext {
  private readonly fn: ProcessFunction<I, O>;
  timestamp: number | undefined;

  constructor(fn: ProcessFunction<I, O>) {
    super();
    this.fn = copyFunctionObject(fn);
  }
  override open(ctx: OperatorContext, output: Output<O>): void {
    super.open(ctx, output);
    this.fn.open?.(ctx.runtimeContext);
  }
  processElement(value: I, timestamp: number | undefined): void {
    this.timestamp = timestamp;
    this.fn.processElement(value, this, this);
  }
  collect(value: O): void {
    this.output.collect(value, this.timestamp);
  }
  override close(): void {
    this.fn.close?.();
  }
}
