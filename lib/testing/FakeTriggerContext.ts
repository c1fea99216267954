/**
 * A TriggerContext for tests of triggers (not a test itself): the current
 * window, watermark and processing time are fields the test sets; timers
 * are recorded per window; partitioned state is a Map keyed by
 * (window, state name) with Flink's semantics for value, list and reducing
 * state; `mergePartitionedState` merges the state of `mergedWindows` into
 * the current window's, as the window operator will.
 */
import type { StateDescriptor } from '../state/StateDescriptor';
import { type Window, windowKey } from '../windowing/windows/Window';
import type { MergeableStateDescriptor, OnMergeContext, StateOf } from '../windowing/triggers/Trigger';

export class FakeTriggerContext implements OnMergeContext {
  watermark = Number.NEGATIVE_INFINITY;
  processingTime = 0;
  /** The windows merged into `window`, for `mergePartitionedState`. */
  mergedWindows: Window[] = [];
  /** `${windowKey}@${time}` of every registered, not deleted, timer. */
  readonly eventTimers = new Set<string>();
  readonly processingTimers = new Set<string>();
  private readonly state = new Map<string, unknown>();

  constructor(public window: Window) {}

  getCurrentProcessingTime(): number {
    return this.processingTime;
  }
  getCurrentWatermark(): number {
    return this.watermark;
  }
  registerProcessingTimeTimer(time: number): void {
    this.processingTimers.add(`${windowKey(this.window)}@${time}`);
  }
  registerEventTimeTimer(time: number): void {
    this.eventTimers.add(`${windowKey(this.window)}@${time}`);
  }
  deleteProcessingTimeTimer(time: number): void {
    this.processingTimers.delete(`${windowKey(this.window)}@${time}`);
  }
  deleteEventTimeTimer(time: number): void {
    this.eventTimers.delete(`${windowKey(this.window)}@${time}`);
  }

  /** The event-time timers of `w` (default: the current window), ascending. */
  eventTimersOf(w: Window = this.window): number[] {
    return timesOf(this.eventTimers, w);
  }
  processingTimersOf(w: Window = this.window): number[] {
    return timesOf(this.processingTimers, w);
  }
  /** The raw stored value of a state of `w`. */
  stored(name: string, w: Window = this.window): unknown {
    return this.state.get(`${windowKey(w)}/${name}`);
  }
  /** True when no state of any window is stored. */
  stateIsEmpty(): boolean {
    return this.state.size === 0;
  }

  getPartitionedState<D extends StateDescriptor>(descriptor: D): StateOf<D> {
    const k = `${windowKey(this.window)}/${descriptor.name}`;
    const s = this.state;
    const clear = () => void s.delete(k);
    switch (descriptor.kind) {
      case 'value':
        return { value: () => (s.has(k) ? s.get(k) : descriptor.defaultValue), update: (v: unknown) => (v === undefined ? clear() : s.set(k, v)), clear } as unknown as StateOf<D>;
      case 'list':
        return {
          get: () => (s.get(k) as unknown[] | undefined) ?? [],
          add: (v: unknown) => s.set(k, [...((s.get(k) as unknown[] | undefined) ?? []), v]),
          addAll: (vs: unknown[]) => s.set(k, [...((s.get(k) as unknown[] | undefined) ?? []), ...vs]),
          update: (vs: unknown[]) => (vs.length === 0 ? clear() : s.set(k, [...vs])),
          clear,
        } as unknown as StateOf<D>;
      case 'reducing':
        return {
          get: () => s.get(k),
          add: (v: unknown) => s.set(k, s.has(k) ? descriptor.reduceFunction(s.get(k), v) : v),
          clear,
        } as unknown as StateOf<D>;
      default:
        throw new Error(`FakeTriggerContext: ${descriptor.kind} state is not supported`);
    }
  }

  mergePartitionedState(descriptor: MergeableStateDescriptor): void {
    const target = `${windowKey(this.window)}/${descriptor.name}`;
    for (const w of this.mergedWindows) {
      const source = `${windowKey(w)}/${descriptor.name}`;
      if (source === target || !this.state.has(source)) continue;
      const v = this.state.get(source);
      this.state.delete(source);
      if (!this.state.has(target)) this.state.set(target, v);
      else if (descriptor.kind === 'reducing') this.state.set(target, descriptor.reduceFunction(this.state.get(target), v));
      else if (descriptor.kind === 'list') this.state.set(target, [...(this.state.get(target) as unknown[]), ...(v as unknown[])]);
      else this.state.set(target, descriptor.aggregateFunction.merge!(this.state.get(target), v));
    }
  }
}

function timesOf(timers: Set<string>, w: Window): number[] {
  const prefix = `${windowKey(w)}@`;
  return [...timers]
    .filter((t) => t.startsWith(prefix))
    .map((t) => Number(t.slice(prefix.length)))
    .sort((a, b) => a - b);
}
