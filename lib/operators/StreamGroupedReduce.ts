/**
 * reduce on a keyed stream (Flink's StreamGroupedReduceOperator): keeps one
 * reduced value per key in ValueState and emits the updated value for every
 * record. sum/min/max/minBy/maxBy are built on it.
 *
 * The emitted value is a copy of the state's (unless object reuse is on): a
 * reduce function may change and return its accumulator, and whoever
 * receives the emitted record may change it, without either reaching the
 * other. The built-in field and selector aggregations accumulate in place
 * instead: the state keeps one object per key and updates it, and each
 * emitted record is a copy — one object per record, as a pure reduce
 * allocates, and measured faster (fewer young objects held by the state
 * map; see benchmarks/RESULTS.md). A reduce function that returns a Promise
 * fails the job.
 */
import type { KeySelector, ReduceFunction } from '../api/functions';
import { isThenable } from '../errors';
import { copyValue } from '../state/copyValue';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import type { HeapValueState } from '../state/KeyedState';
import { normalizeKey, type Key } from '../state/KeyGroup';
import { ValueStateDescriptor } from '../state/StateDescriptor';
import { AbstractStreamOperator, type Input, type OperatorContext } from './StreamOperator';

export const REDUCE_STATE_NAME = '_op_state';

/**
 * How values combine: a reduce function returning the new value (`pure`: it
 * never changes its arguments, so the current value is read without a
 * defensive copy), or an accumulator updating the state's own object.
 */
export type Reducer<T> =
  | { readonly kind: 'reduce'; readonly fn: ReduceFunction<T>; readonly pure: boolean }
  | { readonly kind: 'accumulate'; readonly fn: (accumulator: T, value: T) => void };

export class StreamGroupedReduce<I, T> extends AbstractStreamOperator<I, T> {
  private backend!: HeapKeyedStateBackend;
  private state!: HeapValueState<T>;
  private copyOutput = true;

  /** `prepare` turns an input record into the reduced type (identity when absent). */
  constructor(
    private readonly keySelector: KeySelector<I, Key>,
    private readonly reducer: Reducer<T>,
    private readonly prepare?: (value: I, key: Key) => T,
  ) {
    super();
  }
  override open(ctx: OperatorContext, next: Input<T>): void {
    super.open(ctx, next);
    this.backend = ctx.keyedStateBackend!;
    // An accumulator's state object changes after it was emitted: its output is always a copy.
    this.copyOutput = !ctx.objectReuse || this.reducer.kind === 'accumulate';
    this.state = this.backend.getState(new ValueStateDescriptor<T>(REDUCE_STATE_NAME)) as HeapValueState<T>;
  }
  processElement(input: I, timestamp: number | undefined): void {
    this.recordsIn++;
    let next: T;
    try {
      const key = this.keySelector(input);
      this.backend.setCurrentKey(normalizeKey(key));
      const value = this.prepare === undefined ? (input as unknown as T) : this.prepare(input, key);
      const r = this.reducer;
      if (r.kind === 'accumulate') {
        const current = this.state.value(); // writable: copied first if a snapshot holds it
        // The state keeps an object of its own: the first record may be frozen or shared.
        if (current === undefined) next = copyValue(value);
        else r.fn((next = current), value);
      } else {
        const current = r.pure ? this.state.peek() : this.state.value();
        next = current === undefined ? value : r.fn(current, value);
      }
    } catch (e) {
      throw this.userError(e, input);
    }
    if (isThenable(next)) throw this.asyncResult(next, 'reduce function', input);
    this.state.update(next);
    this.next.processElement(this.copyOutput ? copyValue(next) : next, timestamp);
  }
}
