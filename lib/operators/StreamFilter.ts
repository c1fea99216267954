/** filter: keeps the records the predicate accepts. */
import type { FilterFunction } from '../api/functions';
import { AbstractStreamOperator } from './StreamOperator';

export class StreamFilter<T> extends AbstractStreamOperator<T, T> {
  constructor(private readonly fn: FilterFunction<T>) {
    super();
  }
  processElement(value: T, timestamp: number | undefined): void {
    this.recordsIn++;
    let keep: boolean;
    try {
      keep = this.fn(value);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (keep) this.next.processElement(value, timestamp);
  }
}
