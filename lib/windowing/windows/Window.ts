/**
 * A window: a finite (or, for GlobalWindow, endless) bucket of a keyed
 * stream that elements are assigned to and that a trigger fires (Flink's
 * org.apache.flink.streaming.api.windowing.windows.Window).
 *
 * Windows become state namespaces and are checkpointed, so what is stored
 * is never the class instance but its plain form: `windowKey(w)` is the
 * stable string a window is stored under (equal windows, equal keys; unequal
 * windows, unequal keys), and `windowToData` / `windowFromData` turn a window
 * into msgpackr-encodable data and back. The key and data formats are part
 * of the checkpoint format: change them only with a migration.
 *
 *   windowKey(new TimeWindow(0, 10))      // 'tw:0:10'
 *   windowKey(GlobalWindow.get())         // 'global'
 *   windowFromData(windowToData(w)).equals(w)   // true
 */
import { CorruptStateError, preview } from '../../errors';
import { GlobalWindow } from './GlobalWindow';
import { TimeWindow } from './TimeWindow';

export interface Window {
  /** The largest timestamp (ms) that still belongs to this window; +Infinity for GlobalWindow. */
  maxTimestamp(): number;
  /** The stable key this window is stored under (see windowKey). */
  key(): string;
  toData(): WindowData;
  equals(other: Window): boolean;
}

/** A window as plain, msgpackr-encodable data. */
export type WindowData =
  | { readonly type: 'TimeWindow'; readonly start: number; readonly end: number }
  | { readonly type: 'GlobalWindow' };

/** The stable string a window is stored under, e.g. as a state namespace. */
export function windowKey(w: Window): string {
  return w.key();
}

export function windowToData(w: Window): WindowData {
  return w.toData();
}

/**
 * A window back from its plain form. Throws CorruptStateError when `data`
 * is not a window's data (a damaged or foreign checkpoint).
 */
export function windowFromData(data: WindowData): TimeWindow | GlobalWindow {
  const d = data as { type?: unknown; start?: unknown; end?: unknown } | null;
  if (d !== null && typeof d === 'object') {
    if (d.type === 'GlobalWindow') return GlobalWindow.get();
    if (d.type === 'TimeWindow' && typeof d.start === 'number' && typeof d.end === 'number') return new TimeWindow(d.start, d.end);
  }
  throw new CorruptStateError(`not a window's data: ${preview(data)}`);
}
