/**
 * AggregatingState with time-to-live (Flink's TtlAggregatingState): the
 * accumulator is a TtlValue. The heap state of the same name aggregates
 * with `ttlAggregateFunction`, which treats an expired accumulator as absent
 * — an add after expiry starts from a new accumulator — and stamps each
 * result with the time of the add. Its `getResult` hands the stored
 * accumulator back as it is, so `get()` here can check it before the
 * user's getResult sees it.
 */
import type { AggregateFunction } from '../StateDescriptor';
import type { AggregatingState, HeapAggregatingState } from '../KeyedState';
import { AbstractTtlState } from './AbstractTtlState';
import type { StateTtlConfig } from './StateTtlConfig';
import type { Clock } from '../../time/Clock';
import { TtlValue } from './TtlValue';

/** Added to re-stamp the accumulator (a read under OnReadAndWrite, or one written without TTL) without adding anything. */
const TOUCH: unique symbol = Symbol('TtlAggregatingState.touch');
/** What the heap state's createAccumulator returns: the user's is called by the add that needs it. */
const NO_ACCUMULATOR: unique symbol = Symbol('TtlAggregatingState.noAccumulator');

type Stored<ACC> = TtlValue<ACC> | ACC | typeof NO_ACCUMULATOR;

export class TtlAggregatingState<IN, ACC, OUT> extends AbstractTtlState implements AggregatingState<IN, OUT> {
  private original!: HeapAggregatingState<IN | typeof TOUCH, Stored<ACC>, Stored<ACC>>;
  /** The time of the access adding to the heap state, for ttlAggregateFunction. */
  private now = 0;

  constructor(
    private readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>,
    name: string,
    config: StateTtlConfig,
    clock: Clock,
  ) {
    super(name, config, clock);
  }

  /** The heap state, obtained with a descriptor aggregating with `ttlAggregateFunction`. */
  wrap(original: HeapAggregatingState<IN | typeof TOUCH, Stored<ACC>, Stored<ACC>>): this {
    this.original = original;
    return this;
  }

  /** The heap state's aggregate function, over stamped accumulators. */
  readonly ttlAggregateFunction: AggregateFunction<IN | typeof TOUCH, Stored<ACC>, Stored<ACC>> = {
    createAccumulator: () => NO_ACCUMULATOR,
    add: (value, stored) => {
      const now = this.now;
      let acc: ACC;
      if (stored === NO_ACCUMULATOR) acc = this.createAccumulator();
      else if (!(stored instanceof TtlValue)) acc = stored; // written without TTL: as if written now
      else if (this.expired(stored, now)) acc = this.createAccumulator();
      else acc = stored.value;
      if (value === TOUCH) return new TtlValue(acc, now);
      return new TtlValue(this.synchronous(this.aggregateFunction.add(value, acc), 'add() of the aggregate function'), now);
    },
    getResult: (stored) => stored,
  };

  get(): OUT | undefined {
    const now = (this.now = this.access());
    const v = this.original.get();
    if (v === undefined || v === NO_ACCUMULATOR) return undefined;
    let acc: ACC;
    if (!(v instanceof TtlValue)) {
      this.original.add(TOUCH);
      acc = v;
    } else if (this.expired(v, now)) {
      this.original.clear();
      if (!this.returnExpired) return undefined;
      acc = v.value;
    } else {
      if (this.updateOnRead) this.original.add(TOUCH);
      acc = v.value;
    }
    return this.synchronous(this.aggregateFunction.getResult(acc), 'getResult() of the aggregate function');
  }

  add(value: IN): void {
    this.now = this.access();
    this.original.add(value);
  }

  clear(): void {
    this.access();
    this.original.clear();
  }

  cleanupCurrentKey(now: number): void {
    const v = this.original.get();
    if (v === undefined || v === NO_ACCUMULATOR) return;
    this.now = now;
    if (!(v instanceof TtlValue)) this.original.add(TOUCH);
    else if (this.expired(v, now)) this.original.clear();
  }

  private createAccumulator(): ACC {
    return this.synchronous(this.aggregateFunction.createAccumulator(), 'createAccumulator() of the aggregate function');
  }
}
