/**
 * The context objects the broadcast operators hand to user functions (one
 * of each per operator, reused for every call): the read-only context of
 * `processElement` and the writable one of `processBroadcastElement`, and
 * their keyed variants (current key, timers, applyToKeyedState). They only
 * forward to the operator (a BroadcastHost).
 */
import type {
  BroadcastContext,
  KeyedBroadcastContext,
  KeyedBroadcastOnTimerContext,
  KeyedStateFunction,
  ReadOnlyBroadcastContext,
} from '../api/broadcastFunctions';
import type { TimeDomain, TimerService } from '../api/functions';
import type { OutputTag } from '../api/OutputTag';
import type { BroadcastState, BroadcastStateStore, ReadOnlyBroadcastState } from '../state/BroadcastState';
import type { MapStateDescriptor, StateDescriptor } from '../state/StateDescriptor';

/** What the contexts need from their operator. */
export interface BroadcastHost {
  readonly timestamp: number | undefined;
  readonly broadcastStates: BroadcastStateStore;
  output<X>(tag: OutputTag<X>, value: X): void;
  processingTime(): number;
  watermark(): number;
}

/** A keyed broadcast operator: also the current key, timers and every key's state. */
export interface KeyedBroadcastHost<K> extends BroadcastHost {
  currentKey(): K;
  readonly timers: TimerService;
  readonly timeDomain: TimeDomain;
  applyToKeyedState(descriptor: StateDescriptor, fn: KeyedStateFunction<K, any>): void;
}

export class ReadOnlyContextImpl implements ReadOnlyBroadcastContext {
  constructor(protected readonly host: BroadcastHost) {}
  get timestamp(): number | undefined {
    return this.host.timestamp;
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.host.output(tag, value);
  }
  currentProcessingTime(): number {
    return this.host.processingTime();
  }
  currentWatermark(): number {
    return this.host.watermark();
  }
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V> {
    return this.host.broadcastStates.readOnly(descriptor);
  }
}

export class BroadcastContextImpl implements BroadcastContext {
  constructor(protected readonly host: BroadcastHost) {}
  get timestamp(): number | undefined {
    return this.host.timestamp;
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.host.output(tag, value);
  }
  currentProcessingTime(): number {
    return this.host.processingTime();
  }
  currentWatermark(): number {
    return this.host.watermark();
  }
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V> {
    return this.host.broadcastStates.writableState(descriptor);
  }
}

/** processElement and onTimer of the keyed variant (timeDomain only means something in onTimer). */
export class KeyedReadOnlyContextImpl<K> extends ReadOnlyContextImpl implements KeyedBroadcastOnTimerContext<K> {
  constructor(protected override readonly host: KeyedBroadcastHost<K>) {
    super(host);
  }
  getCurrentKey(): K {
    return this.host.currentKey();
  }
  timerService(): TimerService {
    return this.host.timers;
  }
  timeDomain(): TimeDomain {
    return this.host.timeDomain;
  }
}

export class KeyedBroadcastContextImpl<K> extends BroadcastContextImpl implements KeyedBroadcastContext<K> {
  constructor(protected override readonly host: KeyedBroadcastHost<K>) {
    super(host);
  }
  applyToKeyedState(descriptor: StateDescriptor, fn: KeyedStateFunction<K, any>): void {
    this.host.applyToKeyedState(descriptor, fn);
  }
}
