/** map: one output record per input record; the timestamp is kept. */
import type { MapFunction } from '../api/functions';
import { AbstractStreamOperator } from './StreamOperator';

export class StreamMap<I, O> extends AbstractStreamOperator<I, O> {
  constructor(private readonly fn: MapFunction<I, O>) {
    super();
  }
  processElement(value: I, timestamp: number | undefined): void {
    this.recordsIn++;
    let out: O;
    try {
      out = this.fn(value);
    } catch (e) {
      throw this.userError(e, value);
    }
    this.next.processElement(out, timestamp);
  }
}
