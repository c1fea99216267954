/**
 * A window of event or processing time, `[start, end)` in ms: `start` is
 * included, `end` is not, so `maxTimestamp()` is `end - 1` (Flink's
 * TimeWindow). Immutable; -0 is stored as 0 so equal windows have equal keys.
 *
 * Two windows intersect when they overlap or touch (`a.end >= b.start`):
 * session windows [0, 10) and [10, 20) merge, as in Flink.
 *
 *   TimeWindow.getWindowStartWithOffset(-1, 0, 10)   // -10: windows are aligned for negative times too
 *   new TimeWindow(0, 10).cover(new TimeWindow(5, 20))   // [0, 20)
 */
import type { MergeCallback } from '../assigners/WindowAssigner';
import type { Window, WindowData } from './Window';

export class TimeWindow implements Window {
  readonly start: number;
  readonly end: number;

  constructor(start: number, end: number) {
    this.start = start + 0; // -0 → 0
    this.end = end + 0;
    Object.freeze(this);
  }

  /** `end - 1`: the last ms in the window, when its event-time trigger fires. */
  maxTimestamp(): number {
    return this.end - 1;
  }

  /** Overlapping or touching (Flink's `intersects`, inclusive at both ends). */
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start;
  }

  /** The smallest window containing both. */
  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }

  key(): string {
    return `tw:${this.start}:${this.end}`;
  }

  toData(): WindowData {
    return { type: 'TimeWindow', start: this.start, end: this.end };
  }

  equals(other: Window): boolean {
    return other instanceof TimeWindow && other.start === this.start && other.end === this.end;
  }

  toString(): string {
    return `TimeWindow[${this.start}, ${this.end})`;
  }

  /**
   * The start of the window of `windowSize` ms, shifted by `offset` ms, that
   * contains `timestamp`: the largest `start <= timestamp` with
   * `start ≡ offset (mod windowSize)`. Correct for negative timestamps and
   * offsets (JS `%` keeps the dividend's sign, so a negative remainder is
   * folded up). Callers validate `windowSize > 0`.
   */
  static getWindowStartWithOffset(timestamp: number, offset: number, windowSize: number): number {
    const remainder = (timestamp - offset) % windowSize;
    return (remainder < 0 ? timestamp - (remainder + windowSize) : timestamp - remainder) + 0;
  }

  /**
   * Merges overlapping (or touching) windows, as session assigners do
   * (Flink's TimeWindow.mergeWindows): sorts by start, sweeps, and calls
   * `callback(group, cover)` for every group of two or more distinct windows.
   * Equal windows in the input count once.
   */
  static mergeWindows(windows: readonly TimeWindow[], callback: MergeCallback<TimeWindow>): void {
    const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
    let cover: TimeWindow | undefined;
    let group: TimeWindow[] = [];
    const flush = () => {
      if (cover !== undefined && group.length > 1) callback(group, cover);
    };
    for (const w of sorted) {
      if (cover !== undefined && cover.intersects(w)) {
        if (!group[group.length - 1]!.equals(w)) group.push(w); // sorted: equal windows are neighbours
        cover = cover.cover(w);
      } else {
        flush();
        cover = w;
        group = [w];
      }
    }
    flush();
  }
}
