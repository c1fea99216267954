/**
 * Puts every element of a key into the one GlobalWindow (Flink's
 * GlobalWindows). Its default trigger, NeverTrigger, never fires: give it a
 * trigger (`CountTrigger.of(n)`, usually wrapped in PurgingTrigger) and,
 * if needed, an evictor. Neither event nor processing time.
 */
import { NeverTrigger } from '../triggers/NeverTrigger';
import type { Trigger } from '../triggers/Trigger';
import { GlobalWindow } from '../windows/GlobalWindow';
import type { WindowAssigner, WindowAssignerContext } from './WindowAssigner';

export class GlobalWindows implements WindowAssigner<unknown, GlobalWindow> {
  private static readonly INSTANCE = new GlobalWindows();
  readonly isEventTime = false;

  private constructor() {}

  static create(): GlobalWindows {
    return GlobalWindows.INSTANCE;
  }

  assignWindows(_element: unknown, _timestamp: number | undefined, _ctx: WindowAssignerContext): GlobalWindow[] {
    return [GlobalWindow.get()];
  }

  getDefaultTrigger(): Trigger<unknown, GlobalWindow> {
    return NeverTrigger.create();
  }

  toString(): string {
    return 'GlobalWindows()';
  }
}
