/**
 * map on connected streams (Flink's CoStreamMap): map1 for records of input
 * 1, map2 for input 2; one output record per input record, with its
 * timestamp. A Promise from map1, map2, open or close fails the job.
 */
import type { CoMapFunction } from '../api/coFunctions';
import { copyFunctionObject } from '../api/functions';
import { isThenable } from '../errors';
import { AbstractTwoInputStreamOperator } from './AbstractTwoInputStreamOperator';
import type { Input, OperatorContext } from './StreamOperator';

export class CoStreamMap<I1, I2, O> extends AbstractTwoInputStreamOperator<I1, I2, O> {
  private readonly fn: CoMapFunction<I1, I2, O>;

  constructor(fn: CoMapFunction<I1, I2, O>) {
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
    let out: O;
    try {
      out = this.fn.map1(value);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (isThenable(out)) throw this.asyncResult(out, 'map1() method', value);
    this.next.processElement(out, timestamp);
  }

  processElement2(value: I2, timestamp: number | undefined): void {
    this.recordsIn++;
    let out: O;
    try {
      out = this.fn.map2(value);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (isThenable(out)) throw this.asyncResult(out, 'map2() method', value);
    this.next.processElement(out, timestamp);
  }

  override close(): void {
    const r: unknown = this.fn.close?.();
    if (isThenable(r)) throw this.asyncResult(r, 'close() method', undefined, 'close');
  }
}
