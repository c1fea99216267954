/**
 * The windows of `size` ms, starting every `slide` ms (shifted by `offset`),
 * that contain a time: shared by the event- and processing-time sliding
 * assigners. Newest window first, as Flink lists them. There are
 * ceil(size / slide) of them when slide divides size; otherwise
 * floor(size / slide) or one more, depending on where the time falls.
 */
import { TimeWindow } from '../windows/TimeWindow';

export function slidingWindowsContaining(time: number, size: number, slide: number, offset: number): TimeWindow[] {
  const windows: TimeWindow[] = [];
  const lastStart = TimeWindow.getWindowStartWithOffset(time, offset, slide);
  for (let start = lastStart; start > time - size; start -= slide) windows.push(new TimeWindow(start, start + size));
  return windows;
}
