/**
 * The built-in keyed aggregations (Flink's SumAggregator /
 * ComparableAggregator). A field aggregation keeps the other fields of the
 * first record of the key and replaces the field, in place in an
 * accumulator the operator owns (a copy of that first record; the emitted
 * records are copies of it); minBy/maxBy are reduce functions keeping the
 * whole record holding the extreme value (the first one on ties). Input
 * records are never changed. Fields may be object properties or array
 * (tuple) positions.
 */
import type { ReduceFunction } from '../api/functions';
import { isThenable, ThenableReturnedError } from '../errors';

export type NumericField<T> = keyof T & (string | number);

/** Combines the field of `value` into the field of `acc`, in place; `value` is not changed. */
export function fieldAccumulator<T>(field: NumericField<T>, combine: (a: number, b: number) => number): (acc: T, value: T) => void {
  return (acc, value) => {
    (acc as Record<string | number, unknown>)[field] = combine(numberAt(acc, field), numberAt(value, field));
  };
}

export function byAggregator<T>(field: NumericField<T>, better: (candidate: number, current: number) => boolean): ReduceFunction<T> {
  return (acc, value) => (better(numberAt(value, field), numberAt(acc, field)) ? value : acc);
}

export const sum = (a: number, b: number) => a + b;
export const min = (a: number, b: number) => (b < a ? b : a);
export const max = (a: number, b: number) => (b > a ? b : a);

/** The numeric value of a field; a TypeError when missing or not a number. */
export function numberAt<T>(record: T, field: NumericField<T>): number {
  const v = (record as Record<string | number, unknown>)[field];
  if (typeof v !== 'number') {
    throw new TypeError(`field '${String(field)}' is ${v === undefined ? 'missing' : `not a number (${typeof v})`}`);
  }
  return v;
}

/** The number a sum/min/max selector returned; a TypeError when it is not one (a ThenableReturnedError for a Promise). */
export function checkNumber(v: unknown): number {
  if (typeof v !== 'number') {
    if (isThenable(v)) throw new ThenableReturnedError('aggregation selector', v);
    throw new TypeError(`aggregated value must be a number, got ${typeof v}`);
  }
  return v;
}
