/**
 * The in-flight windows of one key under a merging (session) assigner, each
 * mapped to its state window: the window whose namespace holds its contents
 * (Flink's MergingWindowSet).
 *
 * When windows merge, the result keeps the state window of one of the
 * merged windows, so only the others' state has to be moved into it
 * (merging namespaces), never all of it; the mapping remembers where the
 * contents are. The window operator:
 *
 *   const set = MergingWindowSet.restore(assigner, stored);   // or new MergingWindowSet(assigner)
 *   const actual = set.addWindow(w, (result, merged, stateResult, mergedState) => {
 *     // trigger.onMerge(result); trigger.clear(m) for m of merged; merge state of mergedState into stateResult
 *   });
 *   // add the element to set.getStateWindow(actual)!, run the trigger on `actual`
 *   set.retireWindow(actual);   // once fired and purged, or cleaned up
 *   stored = set.snapshot();    // plain data: keyed state of this key
 *
 * Guarantees: in-flight windows never intersect after `addWindow` (the
 * assigner merges every overlapping group); a merge function is called once
 * per merge that changes a window, with the merged windows other than the
 * new one (which never held state); the state windows of merged windows
 * other than the kept one are reported so their contents can be moved.
 *
 * One deliberate difference from Flink: a new window equal to a window
 * already in flight (possible with dynamic gaps) keeps that window's state
 * window; Flink maps it to itself and loses track of the contents.
 */
import { CorruptStateError, preview } from '../errors';
import type { MergingWindowAssigner } from './assigners/WindowAssigner';
import { type Window, type WindowData, windowFromData, windowKey } from './windows/Window';

/**
 * Reacts to a merge: `mergeResult` replaces `mergedWindows` (the new window
 * excluded); its contents stay in `stateWindowResult`, into which the
 * contents of `mergedStateWindows` must be merged.
 */
export type MergeFunction<W> = (
  mergeResult: W,
  mergedWindows: readonly W[],
  stateWindowResult: W,
  mergedStateWindows: readonly W[],
) => void;

/** The set as plain, msgpackr-encodable data: [window, state window] pairs. */
export interface MergingWindowSetSnapshot {
  readonly mapping: readonly (readonly [WindowData, WindowData])[];
}

interface Entry<W> {
  readonly window: W;
  readonly stateWindow: W;
}

export class MergingWindowSet<W extends Window> {
  /** Window key → the window and its state window, in insertion order. */
  private readonly mapping = new Map<string, Entry<W>>();

  constructor(private readonly assigner: MergingWindowAssigner<any, W>) {}

  /**
   * A set from `snapshot()`'s data (undefined: empty). Throws
   * CorruptStateError when the data is not a snapshot.
   */
  static restore<W extends Window>(assigner: MergingWindowAssigner<any, W>, snapshot: MergingWindowSetSnapshot | undefined): MergingWindowSet<W> {
    const set = new MergingWindowSet(assigner);
    if (snapshot === undefined) return set;
    if (snapshot === null || typeof snapshot !== 'object' || !Array.isArray(snapshot.mapping)) {
      throw new CorruptStateError(`not a merging window set snapshot: ${preview(snapshot)}`);
    }
    for (const pair of snapshot.mapping) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new CorruptStateError(`not a [window, state window] pair: ${preview(pair)}`);
      const window = windowFromData(pair[0]) as unknown as W;
      set.mapping.set(windowKey(window), { window, stateWindow: windowFromData(pair[1]) as unknown as W });
    }
    return set;
  }

  /** The set as plain data, for keyed state. Later changes to the set do not change it. */
  snapshot(): MergingWindowSetSnapshot {
    return { mapping: [...this.mapping.values()].map((e) => [e.window.toData(), e.stateWindow.toData()] as const) };
  }

  /** The in-flight windows. */
  windows(): W[] {
    return [...this.mapping.values()].map((e) => e.window);
  }

  get size(): number {
    return this.mapping.size;
  }

  /** The window holding `window`'s contents, or undefined when `window` is not in flight. */
  getStateWindow(window: W): W | undefined {
    return this.mapping.get(windowKey(window))?.stateWindow;
  }

  /** Removes `window` from the in-flight windows. Throws when it is not in flight (an operator bug). */
  retireWindow(window: W): void {
    if (!this.mapping.delete(windowKey(window))) throw new Error(`window ${String(window)} is not in the in-flight window set`);
  }

  /**
   * Adds `newWindow`, merging it with in-flight windows as the assigner
   * says, and returns the window it ended up in: itself, or a merge result.
   * Add the element to, and run the trigger on, the returned window only.
   * `mergeFunction` is called for each merge before this returns; when it
   * throws, the set has already changed for the merges before.
   */
  addWindow(newWindow: W, mergeFunction: MergeFunction<W>): W {
    const newKey = windowKey(newWindow);
    const alreadyInFlight = this.mapping.has(newKey);
    const candidates = this.windows();
    if (!alreadyInFlight) candidates.push(newWindow);

    const merges: { result: W; merged: W[] }[] = [];
    this.assigner.mergeWindows(candidates, (toBeMerged, result) => merges.push({ result, merged: [...toBeMerged] }));

    let resultWindow = newWindow;
    let mergedNewWindow = false;
    for (const { result, merged } of merges) {
      const containsNew = merged.some((w) => windowKey(w) === newKey);
      if (containsNew) {
        mergedNewWindow = true;
        resultWindow = result;
      }
      // A new window never held contents: only windows already in flight have state to merge.
      const inFlight = alreadyInFlight ? merged : merged.filter((w) => windowKey(w) !== newKey);
      const stateWindow = this.mapping.get(windowKey(inFlight[0]!))!.stateWindow;
      const mergedStateWindows: W[] = [];
      for (const w of inFlight) {
        const key = windowKey(w);
        const entry = this.mapping.get(key);
        if (entry === undefined) continue;
        this.mapping.delete(key);
        if (windowKey(entry.stateWindow) !== windowKey(stateWindow)) mergedStateWindows.push(entry.stateWindow);
      }
      this.mapping.set(windowKey(result), { window: result, stateWindow });
      // One in-flight window absorbing the new one without growing is no merge.
      const unchanged = inFlight.length === 1 && windowKey(inFlight[0]!) === windowKey(result);
      if (!unchanged) mergeFunction(result, inFlight, stateWindow, mergedStateWindows);
    }
    if (!mergedNewWindow && !alreadyInFlight) this.mapping.set(newKey, { window: newWindow, stateWindow: newWindow });
    return resultWindow;
  }

  toString(): string {
    return `MergingWindowSet{${[...this.mapping.values()].map((e) => `${String(e.window)}→${String(e.stateWindow)}`).join(', ')}}`;
  }
}
