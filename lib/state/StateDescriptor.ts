/**
 * State descriptors: the name and kind of a piece of keyed state, as a user
 * declares it in `open()` (Flink's ValueStateDescriptor and friends). The name
 * identifies the state in checkpoints and savepoints, so keep it stable.
 * A descriptor may list the classes its values hold (`types`, Flink's type
 * information): they are registered as state types (StateTypeRegistry), so
 * their instances come back from a checkpoint as instances of the class.
 * `enableTimeToLive(config)` gives the state a time-to-live on processing
 * time (ttl/StateTtlConfig.ts), for state obtained through a function's
 * RuntimeContext.
 */
import { registerStateTypes, type StateTypeDeclaration } from './StateTypeRegistry';
import { requireTtlConfig, type StateTtlConfig } from './ttl/StateTtlConfig';

export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating';

export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  merge?(a: ACC, b: ACC): ACC;
}

export interface StateDescriptorOptions {
  /**
   * Classes whose instances this state holds (at any depth), each a class
   * or `{ type, name?, toData?, fromData? }`: registered as with
   * registerStateType. Throws StateTypeError on a conflicting registration.
   */
  readonly types?: readonly StateTypeDeclaration[];
}

abstract class StateDescriptorBase {
  abstract readonly kind: StateKind;
  readonly types: readonly StateTypeDeclaration[];
  private ttl: StateTtlConfig | undefined;
  constructor(readonly name: string, options?: StateDescriptorOptions) {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('a state descriptor needs a non-empty name');
    this.types = options?.types ?? [];
    registerStateTypes(this.types);
  }

  /** The time-to-live configuration, if enabled. */
  get ttlConfig(): StateTtlConfig | undefined {
    return this.ttl;
  }

  /**
   * Gives the state a time-to-live (Flink's enableTimeToLive): values expire
   * `config.ttl` ms of processing time after their last write (or read,
   * with OnReadAndWrite). Applies to state a function gets from its
   * RuntimeContext (and a window function's globalState()); per-window
   * state (a trigger's getPartitionedState, a window function's
   * windowState()) ignores it. ConfigurationError when
   * `config` is not a StateTtlConfig. Returns the descriptor.
   */
  enableTimeToLive(config: StateTtlConfig): this {
    this.ttl = requireTtlConfig(config);
    return this;
  }
}

export class ValueStateDescriptor<T> extends StateDescriptorBase {
  readonly kind = 'value' as const;
  /** Returned by `value()` while nothing is stored; never shared with user code by reference. */
  constructor(name: string, readonly defaultValue?: T, options?: StateDescriptorOptions) {
    super(name, options);
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
  constructor(name: string, readonly reduceFunction: (a: T, b: T) => T, options?: StateDescriptorOptions) {
    super(name, options);
  }
}

export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptorBase {
  readonly kind = 'aggregating' as const;
  constructor(name: string, readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>, options?: StateDescriptorOptions) {
    super(name, options);
  }
}

export type StateDescriptor =
  | ValueStateDescriptor<any>
  | ListStateDescriptor<any>
  | MapStateDescriptor<any, any>
  | ReducingStateDescriptor<any>
  | AggregatingStateDescriptor<any, any, any>;
