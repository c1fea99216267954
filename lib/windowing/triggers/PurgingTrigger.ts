/**
 * Turns every FIRE of the wrapped trigger into FIRE_AND_PURGE (Flink's
 * PurgingTrigger): `PurgingTrigger.of(CountTrigger.of(100))` emits each
 * 100 elements once instead of a growing window. Everything else —
 * timers, state, merging — is the wrapped trigger's.
 */
import { ConfigurationError, preview } from '../../errors';
import type { Window } from '../windows/Window';
import type { OnMergeContext, Trigger, TriggerContext, TriggerResult } from './Trigger';

const purging = (r: TriggerResult): TriggerResult => (r === 'FIRE' ? 'FIRE_AND_PURGE' : r);

export class PurgingTrigger<T, W extends Window> implements Trigger<T, W> {
  private constructor(readonly nestedTrigger: Trigger<T, W>) {}

  /** Throws ConfigurationError when `nestedTrigger` is not a trigger. */
  static of<T, W extends Window>(nestedTrigger: Trigger<T, W>): PurgingTrigger<T, W> {
    if (typeof (nestedTrigger as Partial<Trigger<T, W>> | null)?.onElement !== 'function') {
      throw new ConfigurationError('PurgingTrigger.nestedTrigger', `must be a Trigger, got ${preview(nestedTrigger)}`);
    }
    return new PurgingTrigger(nestedTrigger);
  }

  onElement(element: T, timestamp: number | undefined, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.nestedTrigger.onElement(element, timestamp, window, ctx));
  }

  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.nestedTrigger.onEventTime(time, window, ctx));
  }

  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.nestedTrigger.onProcessingTime(time, window, ctx));
  }

  canMerge(): boolean {
    return this.nestedTrigger.canMerge();
  }

  onMerge(window: W, ctx: OnMergeContext): void {
    this.nestedTrigger.onMerge(window, ctx);
  }

  clear(window: W, ctx: TriggerContext): void {
    this.nestedTrigger.clear(window, ctx);
  }

  toString(): string {
    return `PurgingTrigger(${String(this.nestedTrigger)})`;
  }
}
