/**
 * State descriptors: the name and kind of a piece of keyed state, as a user
 * declares it in `open()` (Flink's ValueStateDescriptor and friends). The name
 * identifies the state in checkpoints and savepoints, so keep it stable.
 */

export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating';

export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  merge?(a: ACC, b: ACC): ACC;
}

abstract class StateDescriptorBase {
  abstract readonly kind: StateKind;
  constructor(readonly name: string) {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('a state descriptor needs a non-empty name');
  }
}

export class ValueStateDescriptor<T> extends StateDescriptorBase {
  readonly kind = 'value' as const;
  /** Returned by `value()` while nothing is stored; never shared with user code by reference. */
  constructor(name: string, readonly defaultValue?: T) {
    super(name);
  }
}

export class ListStateDescriptor<T> extends StateDescriptorBase {
  readonly kind = 'list' as const;
  declare readonly __element?: T;
}

export class MapStateDescriptor<UK, UV> extends StateDescriptorBase {
  readonly kind = 'map' as const;
  declare readonly __entry?: [UK, UV];
}

export class ReducingStateDescriptor<T> extends StateDescriptorBase {
  readonly kind = 'reducing' as const;
  constructor(name: string, readonly reduceFunction: (a: T, b: T) => T) {
    super(name);
  }
}

export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptorBase {
  readonly kind = 'aggregating' as const;
  constructor(name: string, readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>) {
    super(name);
  }
}

export type StateDescriptor =
  | ValueStateDescriptor<any>
  | ListStateDescriptor<any>
  | MapStateDescriptor<any, any>
  | ReducingStateDescriptor<any>
  | AggregatingStateDescriptor<any, any, any>;
