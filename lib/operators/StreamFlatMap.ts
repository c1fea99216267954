/** flatMap: zero or more output records per input, all with the input's timestamp. */
import type { Collector, FlatMapFunction } from '../api/functions';
import { AbstractStreamOperator } from './StreamOperator';

export class StreamFlatMap<I, O> extends AbstractStreamOperator<I, O> implements Collector<O> {
  private timestamp: number | undefined;

  constructor(private readonly fn: FlatMapFunction<I, O>) {
    super();
  }
  processElement(value: I, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    try {
      this.fn(value, this);
    } catch (e) {
      throw this.userError(e, value);
    }
  }
  collect(value: O): void {
    this.next.processElement(value, this.timestamp);
  }
}
