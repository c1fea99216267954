/**
 * filter: keeps the records the predicate accepts (any truthy result). A
 * Promise result — always truthy — fails the job instead of passing all.
 */
import type { FilterFunction } from '../api/functions';
import { isThenable } from '../errors';
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
    if (typeof keep !== 'boolean' && isThenable(keep)) throw this.asyncResult(keep, 'filter function', value);
    if (keep) this.next.processElement(value, timestamp);
  }
}
