/**
 * flatMap: zero or more output records per input, all with the input's
 * timestamp. A function that returns a Promise (an `async` flatMap) fails
 * the job.
 */
import type { Collector, FlatMapFunction } from '../api/functions';
import { isThenable } from '../errors';
import { AbstractStreamOperator } from './StreamOperator';

export class StreamFlatMap<I, O> extends AbstractStreamOperator<I, O> implements Collector<O> {
  private timestamp: number | undefined;

  constructor(private readonly fn: FlatMapFunction<I, O>) {
    super();
  }
  processElement(value: I, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    let r: unknown;
    try {
      r = this.fn(value, this);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'flatMap function', value);
  }
  collect(value: O): void {
    this.next.processElement(value, this.timestamp);
  }
}
