/**
 * The single window of GlobalWindows: every element of a key lands in it,
 * and it never ends (maxTimestamp is +Infinity, Flink's Long.MAX_VALUE), so
 * only the trigger given to it fires it (Flink's GlobalWindow). A
 * singleton: compare with `equals` or `===`.
 */
import type { Window, WindowData } from './Window';

const DATA: WindowData = Object.freeze({ type: 'GlobalWindow' });

export class GlobalWindow implements Window {
  private static readonly INSTANCE = Object.freeze(new GlobalWindow());

  private constructor() {}

  static get(): GlobalWindow {
    return GlobalWindow.INSTANCE;
  }

  maxTimestamp(): number {
    return Number.POSITIVE_INFINITY;
  }

  key(): string {
    return 'global';
  }

  toData(): WindowData {
    return DATA;
  }

  equals(other: Window): boolean {
    return other instanceof GlobalWindow;
  }

  toString(): string {
    return 'GlobalWindow';
  }
}
