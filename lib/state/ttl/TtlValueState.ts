/**
 * ValueState with time-to-live (Flink's TtlValueState): the value is stored
 * as a TtlValue; reading an expired one removes it and returns the
 * descriptor's default — or, with ReturnExpiredIfNotCleanedUp, the expired
 * value this once.
 */
import { copyValue } from '../copyValue';
import type { HeapValueState, ValueState } from '../KeyedState';
import { AbstractTtlState } from './AbstractTtlState';
import type { StateTtlConfig } from './StateTtlConfig';
import type { Clock } from '../../time/Clock';
import { TtlValue } from './TtlValue';

export class TtlValueState<T> extends AbstractTtlState implements ValueState<T> {
  constructor(
    /** The heap state of the same name, its descriptor without a default value. */
    private readonly original: HeapValueState<TtlValue<T> | T>,
    private readonly defaultValue: T | undefined,
    name: string,
    config: StateTtlConfig,
    clock: Clock,
  ) {
    super(name, config, clock);
  }

  value(): T | undefined {
    const now = this.access();
    const v = this.original.value();
    if (v === undefined) return copyValue(this.defaultValue);
    if (!(v instanceof TtlValue)) {
      this.original.update(new TtlValue(v, now));
      return v;
    }
    if (this.expired(v, now)) {
      this.original.clear();
      return this.returnExpired ? v.value : copyValue(this.defaultValue);
    }
    if (this.updateOnRead) this.original.update(new TtlValue(v.value, now));
    return v.value;
  }

  update(value: T | undefined): void {
    const now = this.access();
    if (value === undefined) this.original.clear();
    else this.original.update(new TtlValue(value, now));
  }

  clear(): void {
    this.access();
    this.original.clear();
  }

  cleanupCurrentKey(now: number): void {
    const v = this.original.peek();
    if (v === undefined) return;
    if (!(v instanceof TtlValue)) {
      // Stamp it through value(): the copy the live view owns, never an object a snapshot still holds.
      this.original.update(new TtlValue(this.original.value() as T, now));
    } else if (this.expired(v, now)) {
      this.original.clear();
    }
  }
}
