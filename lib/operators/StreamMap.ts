/** map: one output record per input record; the timestamp is kept. A Promise result fails the job. */
import type { MapFunction } from '../api/functions';
import { isThenable } from '../errors';
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
    if (isThenable(out)) throw this.asyncResult(out, 'map function', value);
    this.next.processElement(out, timestamp);
  }
}
