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
import type { AggregateFunction } from '../state/StateDescriptor';
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

/** The accumulator of a window's field aggregation: the first record, and the field combined so far. */
export interface FieldAccumulator<T> {
  first: T | undefined;
  value: number;
}

/**
 * A window's field aggregation (Flink's windowed sum/min/max by field): the
 * first record of the window with the field replaced by the combined value
 * of every record's field (each checked with numberAt). Mergeable, for
 * session windows. Records are never changed; the result is a new object
 * (an array for a tuple, the same prototype for a class instance).
 */
export function fieldAggregate<T>(field: NumericField<T>, combine: (a: number, b: number) => number): AggregateFunction<T, FieldAccumulator<T>, T> {
  return {
    createAccumulator: () => ({ first: undefined, value: Number.NaN }),
    add(record, acc) {
      const v = numberAt(record, field);
      if (acc.first === undefined) return { first: record, value: v };
      acc.value = combine(acc.value, v);
      return acc;
    },
    getResult(acc) {
      const first = acc.first as T;
      const out = (Array.isArray(first) ? [...first] : Object.assign(Object.create(Object.getPrototypeOf(first)) as object, first)) as Record<string | number, unknown>;
      out[field] = acc.value;
      return out as T;
    },
    merge(a, b) {
      if (a.first === undefined) return b;
      if (b.first === undefined) return a;
      return { first: a.first, value: combine(a.value, b.value) };
    },
  };
}
