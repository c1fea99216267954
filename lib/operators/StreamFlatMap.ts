/** flatMap: zero or more output records per input, all with the input's timestamp. */
import type { Collector, FlatMapFunction } from '../api/functions';
import { AbstractStreamOperator } from './StreamOperator';

export class StreamFlatMap<I, O> extends AbstractStreamOperator<I, O> implements Collector<O> {
  private timestamp: number | undefined;

  constructor(private readonly fn: FlatMapFunction<I, O>) {
    super();
  }
  processElement(value: I, timestamp: number | undefined): void {
    this.timestamp = timestamp;
    this.fn(value, this);
  }
  collect(value: O): void {
    this.output.collect(value, this.timestamp);
  }
}
