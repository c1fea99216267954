/**
 * process on connected streams that are not keyed (Flink's
 * CoProcessOperator): processElement1 / processElement2 of a
 * CoProcessFunction, with open/close and side outputs. What the function
 * emits is copied (unless object reuse is on), so it may keep and change
 * objects it emitted. A Promise from either method, open or close fails the
 * job.
 */
import type { CoProcessFunction } from '../api/coFunctions';
import { copyFunctionObject, type Collector, type ProcessContext } from '../api/functions';
import type { OutputTag } from '../api/OutputTag';
import { isThenable } from '../errors';
import { AbstractTwoInputStreamOperator } from './AbstractTwoInputStreamOperator';
import type { Input, OperatorContext } from './StreamOperator';

export class CoProcessOperator<I1, I2, O> extends AbstractTwoInputStreamOperator<I1, I2, O> implements Collector<O>, ProcessContext {
  private readonly fn: CoProcessFunction<I1, I2, O>;
  timestamp: number | undefined;

  constructor(fn: CoProcessFunction<I1, I2, O>) {
    super();
    this.fn = copyFunctionObject(fn);
  }

  override open(ctx: OperatorContext, next: Input<O>): void {
    super.open(ctx, next);
    const r: unknown = this.fn.open?.(ctx.runtimeContext);
    if (isThenable(r)) throw this.asyncResult(r, 'open() method', undefined, 'open');
  }

  processElement1(value: I1, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    let r: unknown;
    try {
      r = this.fn.processElement1(value, this, this);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'processElement1() method', value);
  }

  processElement2(value: I2, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    let r: unknown;
    try {
      r = this.fn.processElement2(value, this, this);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'processElement2() method', value);
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
