/**
 * reduce on a keyed stream (Flink's StreamGroupedReduceOperator): keeps one
 * reduced value per key in ValueState and emits the updated value for every
 * record. sum/min/max/minBy/maxBy are reduce functions over it.
 *
 * The emitted value is a copy of the state's (unless object reuse is on): a
 * reduce function may change and return its accumulator, and whoever
 * receives the emitted record may change it, without either reaching the
 * other. A reduce function that returns a Promise fails the job.
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

export class StreamGroupedReduce<I, T> extends AbstractStreamOperator<I, T> {
  private backend!: HeapKeyedStateBackend;
  private state!: HeapValueState<T>;
  private copyOutput = true;

  /**
   * `prepare` turns an input record into the reduced type (identity when
   * absent). `pure`: the reduce function never mutates its arguments (the
   * built-in aggregations), so the current value needs no defensive copy.
   */
  constructor(
    private readonly keySelector: KeySelector<I, Key>,
    private readonly reduce: ReduceFunction<T>,
    private readonly prepare?: (value: I, key: Key) => T,
    private readonly pure = false,
  ) {
    super();
  }
  override open(ctx: OperatorContext, next: Input<T>): void {
    super.open(ctx, next);
    this.backend = ctx.keyedStateBackend!;
    this.copyOutput = !ctx.objectReuse;
    this.state = this.backend.getState(new ValueStateDescriptor<T>(REDUCE_STATE_NAME)) as HeapValueState<T>;
  }
  processElement(input: I, timestamp: number | undefined): void {
    this.recordsIn++;
    let next: T;
    try {
      const key = this.keySelector(input);
      this.backend.setCurrentKey(normalizeKey(key));
      const value = this.prepare === undefined ? (input as unknown as T) : this.prepare(input, key);
      const current = this.pure ? this.state.peek() : this.state.value();
      next = current === undefined ? value : this.reduce(current, value);
    } catch (e) {
      throw this.userError(e, input);
    }
    if (isThenable(next)) throw this.asyncResult(next, 'reduce function', input);
    this.state.update(next);
    this.next.processElement(this.copyOutput ? copyValue(next) : next, timestamp);
  }
}
