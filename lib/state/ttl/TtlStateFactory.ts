/**
 * The TTL states of one operator (Flink's TtlStateFactory): for a
 * descriptor with a TTL configuration, the TTL wrapper over the heap state
 * of the same name and kind — whose values are TtlValues, its descriptor
 * derived from the user's (no default value; reduce and aggregate
 * functions over TtlValues) — with its incremental cleanup. The same
 * wrapper on every call with the same name, as the backend does for plain
 * state.
 *
 * One name is either TTL state or plain state within an operator: asking
 * for it the other way, or with another TTL configuration, is a
 * StateAccessError (a state written without TTL by an earlier run is
 * fine: see StateTtlConfig.ts).
 */
import { StateAccessError } from '../../errors';
import type { Clock } from '../../time/Clock';
import type { HeapKeyedStateBackend } from '../HeapKeyedStateBackend';
import type { HeapAggregatingState, HeapListState, HeapMapState, HeapReducingState, HeapValueState } from '../KeyedState';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  type StateDescriptor,
} from '../StateDescriptor';
import type { AbstractTtlState } from './AbstractTtlState';
import type { StateTtlConfig } from './StateTtlConfig';
import { TtlAggregatingState } from './TtlAggregatingState';
import { TtlIncrementalCleanup } from './TtlIncrementalCleanup';
import { TtlListState } from './TtlListState';
import { TtlMapState } from './TtlMapState';
import { TtlReducingState } from './TtlReducingState';
import { TtlValueState } from './TtlValueState';

export type TtlState = AbstractTtlState & { readonly name: string };

export class TtlStateFactory {
  private readonly ttlStates = new Map<string, { readonly kind: StateDescriptor['kind']; readonly state: TtlState }>();
  private readonly plain = new Set<string>();

  constructor(
    private readonly backend: HeapKeyedStateBackend,
    private readonly clock: Clock,
  ) {}

  /** The user-facing state of `descriptor`: the TTL wrapper when it has a TTL configuration, else the backend's state. */
  getState(descriptor: StateDescriptor): unknown {
    const config = descriptor.ttlConfig;
    const known = this.ttlStates.get(descriptor.name);
    if (config === undefined) {
      if (known !== undefined) {
        throw new StateAccessError(`state '${descriptor.name}' is used with a time-to-live in this operator; it cannot be used without one (give it another name)`);
      }
      this.plain.add(descriptor.name);
      return this.backend.getState(descriptor);
    }
    if (known !== undefined) {
      if (known.kind !== descriptor.kind) return this.backend.getState(descriptor); // throws the kind mismatch
      if (!known.state.config.equals(config)) {
        throw new StateAccessError(`state '${descriptor.name}' is used with ${String(known.state.config)} in this operator; it cannot be used with ${String(config)}`);
      }
      return known.state;
    }
    if (this.plain.has(descriptor.name)) {
      throw new StateAccessError(`state '${descriptor.name}' is used without a time-to-live in this operator; it cannot be used with one (give it another name)`);
    }
    const state = this.create(descriptor, config);
    this.ttlStates.set(descriptor.name, { kind: descriptor.kind, state });
    return state;
  }

  private create(d: StateDescriptor, config: StateTtlConfig): TtlState {
    const { backend, clock } = this;
    let state: TtlState;
    switch (d.kind) {
      case 'value': {
        const original = backend.getState(new ValueStateDescriptor(d.name)) as HeapValueState<any>;
        state = new TtlValueState(original, d.defaultValue, d.name, config, clock);
        break;
      }
      case 'list':
        state = new TtlListState(backend.getState(new ListStateDescriptor(d.name)) as HeapListState<any>, d.name, config, clock);
        break;
      case 'map':
        state = new TtlMapState(backend.getState(new MapStateDescriptor(d.name)) as HeapMapState<any, any>, d.name, config, clock);
        break;
      case 'reducing': {
        const s = new TtlReducingState(d.reduceFunction, d.name, config, clock);
        state = s.wrap(backend.getState(new ReducingStateDescriptor(d.name, s.ttlReduceFunction)) as HeapReducingState<any>);
        break;
      }
      case 'aggregating': {
        const s = new TtlAggregatingState(d.aggregateFunction, d.name, config, clock);
        state = s.wrap(backend.getState(new AggregatingStateDescriptor(d.name, s.ttlAggregateFunction)) as HeapAggregatingState<any, any, any>);
        break;
      }
    }
    if (config.incrementalCleanupSize !== undefined) {
      state.cleanup = new TtlIncrementalCleanup(backend, state, config.incrementalCleanupSize);
    }
    return state;
  }
}
