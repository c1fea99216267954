/**
 * A trigger that never fires (Flink's GlobalWindows.NeverTrigger): the
 * default of GlobalWindows, whose single window has no end. Give a global
 * window a real trigger (e.g. CountTrigger) to get output; a bounded
 * input's final watermark does not fire it either, since it sets no timer.
 */
import type { Window } from '../windows/Window';
import type { Trigger, TriggerResult } from './Trigger';

export class NeverTrigger implements Trigger<unknown, Window> {
  private static readonly INSTANCE = new NeverTrigger();

  private constructor() {}

  static create(): NeverTrigger {
    return NeverTrigger.INSTANCE;
  }

  onElement(): TriggerResult {
    return 'CONTINUE';
  }

  onEventTime(): TriggerResult {
    return 'CONTINUE';
  }

  onProcessingTime(): TriggerResult {
    return 'CONTINUE';
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(): void {}

  clear(): void {}

  toString(): string {
    return 'NeverTrigger()';
  }
}
