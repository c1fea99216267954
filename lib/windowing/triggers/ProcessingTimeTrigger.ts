/**
 * Fires a window when processing time reaches its end (Flink's
 * ProcessingTimeTrigger); the default trigger of processing-time assigners.
 *
 * Every element (re-)registers a processing-time timer at the window's
 * maxTimestamp; the timer fires the window. On merge the timer is
 * re-registered for the merged window if processing time has not passed it.
 */
import type { Window } from '../windows/Window';
import type { OnMergeContext, Trigger, TriggerContext, TriggerResult } from './Trigger';

export class ProcessingTimeTrigger implements Trigger<unknown, Window> {
  private static readonly INSTANCE = new ProcessingTimeTrigger();

  private constructor() {}

  static create(): ProcessingTimeTrigger {
    return ProcessingTimeTrigger.INSTANCE;
  }

  onElement(_element: unknown, _timestamp: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    return 'CONTINUE';
  }

  onEventTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return 'CONTINUE';
  }

  onProcessingTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return 'FIRE';
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(window: Window, ctx: OnMergeContext): void {
    const maxTimestamp = window.maxTimestamp();
    if (maxTimestamp > ctx.getCurrentProcessingTime()) ctx.registerProcessingTimeTimer(maxTimestamp);
  }

  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
  }

  toString(): string {
    return 'ProcessingTimeTrigger()';
  }
}
