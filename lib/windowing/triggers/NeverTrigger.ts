/**
 * A trigger that never fires (Flink's GlobalWindows.NeverTrigger): the
 * default of GlobalWindows, whose single window has no end. Give a global
 * window a real trigger (e.g. CountTrigger) to get output; a bounded
 * input's final watermark does not fire it either, since it sets no timer.
 */
import type { Window } from '../windows/Window';
import type { OnMergeContext, Trigger, TriggerContext, TriggerResult } from './Trigger';

export class NeverTrigger implements Trigger<unknown, Window> {
  private static readonly INSTANCE = new NeverTrigger();

  private constructor() {}

  static create(): NeverTrigger {
    return NeverTrigger.INSTANCE;
  }

  onElement(_element: unknown, _timestamp: number | undefined, _window: Window, _ctx: TriggerContext): TriggerResult {
    return 'CONTINUE';
  }

  onEventTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return 'CONTINUE';
  }

  onProcessingTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return 'CONTINUE';
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(_window: Window, _ctx: OnMergeContext): void {}

  clear(_window: Window, _ctx: TriggerContext): void {}

  toString(): string {
    return 'NeverTrigger()';
  }
}
