/**
 * ReducingState with time-to-live (Flink's TtlReducingState): the reduced
 * value is a TtlValue. The heap state of the same name reduces with
 * `ttlReduceFunction`, which treats an expired reduced value as absent — an
 * add after expiry starts afresh from the added value — and stamps each
 * result with the time of the add.
 */
import type { HeapReducingState, ReducingState } from '../KeyedState';
import { AbstractTtlState } from './AbstractTtlState';
import type { StateTtlConfig } from './StateTtlConfig';
import type { Clock } from '../../time/Clock';
import { TtlValue } from './TtlValue';

export class TtlReducingState<T> extends AbstractTtlState implements ReducingState<T> {
  private original!: HeapReducingState<TtlValue<T> | T>;

  constructor(
    private readonly reduceFunction: (a: T, b: T) => T,
    name: string,
    config: StateTtlConfig,
    clock: Clock,
  ) {
    super(name, config, clock);
  }

  /** The heap state, obtained with a descriptor reducing with `ttlReduceFunction`. */
  wrap(original: HeapReducingState<TtlValue<T> | T>): this {
    this.original = original;
    return this;
  }

  /** The heap state's reduce function: `added` is the new value, stamped with the time of the add. */
  readonly ttlReduceFunction = (current: TtlValue<T> | T, added: TtlValue<T> | T): TtlValue<T> => {
    const a = added as TtlValue<T>; // add() passes only TtlValues
    const now = a.lastAccess;
    const c = this.stamped(current, now);
    if (this.expired(c, now)) return a;
    return new TtlValue(this.synchronous(this.reduceFunction(c.value, a.value), 'reduce function'), now);
  };

  get(): T | undefined {
    const now = this.access();
    const v = this.original.get();
    if (v === undefined) return undefined;
    if (!(v instanceof TtlValue)) {
      this.replace(new TtlValue(v, now));
      return v;
    }
    if (this.expired(v, now)) {
      this.original.clear();
      return this.returnExpired ? v.value : undefined;
    }
    if (this.updateOnRead) this.replace(new TtlValue(v.value, now));
    return v.value;
  }

  add(value: T): void {
    const now = this.access();
    this.original.add(new TtlValue(value, now));
  }

  clear(): void {
    this.access();
    this.original.clear();
  }

  cleanupCurrentKey(now: number): void {
    const v = this.original.get();
    if (v === undefined) return;
    if (!(v instanceof TtlValue)) this.replace(new TtlValue(v, now));
    else if (this.expired(v, now)) this.original.clear();
  }

  /** Stores `v` as the reduced value (an add into an empty state stores it as it is). */
  private replace(v: TtlValue<T>): void {
    this.original.clear();
    this.original.add(v);
  }
}
