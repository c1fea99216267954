/** map: one output record per input record; the timestamp is kept. */
import type { MapFunction } from '../api/functions';
import { AbstractStreamOperator } from './StreamOperator';

export class StreamMap<I, O> extends AbstractStreamOperator<I, O> {
  constructor(private readonly fn: MapFunction<I, O>) {
    super();
  }
  processElement(value: I, timestamp: number | undefined): void {
    this.output.collect(this.fn(value), timestamp);
  }
}
