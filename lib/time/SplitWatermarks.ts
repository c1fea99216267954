/**
 * Combines the watermarks of the splits one source reader holds into the
 * watermark of its subtask (Flink's WatermarkOutputMultiplexer with its
 * CombinedWatermarkStatus, used by FLIP-27 sources for per-split watermark
 * generation), as a pure state machine: no clock, no generator.
 *
 * Each split (an "output", named by its split id) has its own watermark
 * and idleness. `combine()` says what the subtask emits:
 *
 *   const w = new SplitWatermarks();
 *   w.addSplit('a'); w.addSplit('b');
 *   w.updateWatermark('a', 100); w.combine();   // []: b holds event time back
 *   w.updateWatermark('b', 40);  w.combine();   // [watermark 40]
 *   w.updateStatus('b', true);   w.combine();   // [watermark 100]: b is idle
 *   w.removeSplit('a');          w.combine();   // [status IDLE]: only idle b is left
 *
 * Guarantees:
 * - The combined watermark (ms) is the minimum over the splits that are not
 *   idle, and only ever increases: `combine()` emits it when it rose.
 * - A split that was added and has no watermark yet stands at -Infinity, so
 *   it holds event time back until its own records move it (a split read
 *   later does not find its records late).
 * - A removed split (finished, or released by its reader) no longer counts.
 *   With no splits at all nothing is emitted (as in Flink).
 * - While every split is idle the combination is IDLE (emitted once) and its
 *   watermark does not move; the first split active again emits ACTIVE,
 *   before any watermark. A watermark is never emitted while IDLE.
 * - Each split's watermark is monotone: a lower one than it had is ignored.
 * - `endOfInput()` emits ACTIVE (if idle) then +Infinity, once; after it
 *   nothing more is emitted.
 */
import type { WatermarkEmission } from './TimestampsAndWatermarks';

interface SplitState {
  /** ms; -Infinity before the split's first watermark. */
  watermark: number;
  idle: boolean;
}

/** A split id, or a symbol for an output that is no split (a reader's main output). */
export type SplitOutputId = string | symbol;

const NOTHING: readonly WatermarkEmission[] = Object.freeze([]);

export class SplitWatermarks {
  private readonly splits = new Map<SplitOutputId, SplitState>();
  private combined = Number.NEGATIVE_INFINITY;
  private idle = false;
  private ended = false;

  /** The last combined watermark emitted (ms); -Infinity before the first. */
  get combinedWatermark(): number {
    return this.combined;
  }

  /** Whether the combination is IDLE (the last status emitted). */
  get isIdle(): boolean {
    return this.idle;
  }

  /** The split ids that take part, in the order they were added. */
  get splitIds(): SplitOutputId[] {
    return [...this.splits.keys()];
  }

  has(splitId: SplitOutputId): boolean {
    return this.splits.has(splitId);
  }

  /** The watermark (ms) of split `splitId`; undefined for a split not added. */
  watermarkOf(splitId: SplitOutputId): number | undefined {
    return this.splits.get(splitId)?.watermark;
  }

  /** Adds a split at -Infinity, active (or `idle`); adding one that is there does nothing. */
  addSplit(splitId: SplitOutputId, idle = false): void {
    if (!this.splits.has(splitId)) this.splits.set(splitId, { watermark: Number.NEGATIVE_INFINITY, idle });
  }

  /** Removes a split (it finished or its reader released it); unknown ids do nothing. */
  removeSplit(splitId: SplitOutputId): void {
    this.splits.delete(splitId);
  }

  /** Split `splitId` reached `watermark` (ms). RangeError for an unknown split or NaN. */
  updateWatermark(splitId: SplitOutputId, watermark: number): void {
    const s = this.get(splitId);
    if (Number.isNaN(watermark)) throw new RangeError(`watermark of split '${String(splitId)}' is NaN`);
    if (watermark > s.watermark) s.watermark = watermark;
  }

  /** Split `splitId` became idle (true) or active (false). RangeError for an unknown split. */
  updateStatus(splitId: SplitOutputId, idle: boolean): void {
    this.get(splitId).idle = idle;
  }

  /**
   * What the subtask emits now: a status change and/or a higher watermark,
   * in that order. O(number of splits).
   */
  combine(): readonly WatermarkEmission[] {
    if (this.ended || this.splits.size === 0) return NOTHING;
    let min = Number.POSITIVE_INFINITY;
    let allIdle = true;
    for (const s of this.splits.values()) {
      if (s.idle) continue;
      allIdle = false;
      if (s.watermark < min) min = s.watermark;
    }
    if (allIdle) {
      if (this.idle) return NOTHING;
      this.idle = true;
      return [{ kind: 'status', status: 'IDLE' }];
    }
    const out: WatermarkEmission[] = [];
    if (this.idle) {
      this.idle = false;
      out.push({ kind: 'status', status: 'ACTIVE' });
    }
    if (min > this.combined) {
      this.combined = min;
      out.push({ kind: 'watermark', timestamp: min });
    }
    return out.length === 0 ? NOTHING : out;
  }

  /** The input ended: ACTIVE if idle, then +Infinity (once). */
  endOfInput(): readonly WatermarkEmission[] {
    if (this.ended) return NOTHING;
    this.ended = true;
    const out: WatermarkEmission[] = [];
    if (this.idle) {
      this.idle = false;
      out.push({ kind: 'status', status: 'ACTIVE' });
    }
    this.combined = Number.POSITIVE_INFINITY;
    out.push({ kind: 'watermark', timestamp: Number.POSITIVE_INFINITY });
    return out;
  }

  private get(splitId: SplitOutputId): SplitState {
    const s = this.splits.get(splitId);
    if (s === undefined) throw new RangeError(`split '${String(splitId)}' has no watermark output (add it first)`);
    return s;
  }
}
