/**
 * flatMap on connected streams (Flink's CoStreamFlatMap): flatMap1 for
 * records of input 1, flatMap2 for input 2; zero or more output records
 * each, all with the input record's timestamp. A Promise from either
 * method, open or close fails the job.
 */
import type { CoFlatMapFunction } from '../api/coFunctions';
import { copyFunctionObject, type Collector } from '../api/functions';
import { isThenable } from '../errors';
import { AbstractTwoInputStreamOperator } from './AbstractTwoInputStreamOperator';
import type { Input, OperatorContext } from './StreamOperator';

export class CoStreamFlatMap<I1, I2, O> extends AbstractTwoInputStreamOperator<I1, I2, O> implements Collector<O> {
  private readonly fn: CoFlatMapFunction<I1, I2, O>;
  private timestamp: number | undefined;

  constructor(fn: CoFlatMapFunction<I1, I2, O>) {
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
      r = this.fn.flatMap1(value, this);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'flatMap1() method', value);
  }

  processElement2(value: I2, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    let r: unknown;
    try {
      r = this.fn.flatMap2(value, this);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'flatMap2() method', value);
  }

  collect(value: O): void {
    this.next.processElement(value, this.timestamp);
  }

  override close(): void {
    const r: unknown = this.fn.close?.();
    if (isThenable(r)) throw this.asyncResult(r, 'close() method', undefined, 'close');
  }
}
