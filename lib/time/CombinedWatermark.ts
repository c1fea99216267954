/**
 * Combines the watermarks and idleness of an operator's logical inputs
 * (Flink's IndexedCombinedWatermarkStatus), as a pure state machine. A
 * two-input operator holds one; each input's watermark is already combined
 * over that input's channels by its own WatermarkValve.
 *
 * Guarantees:
 * - The combined watermark is the minimum over the inputs that are not idle,
 *   and only ever increases: an update returns the new value when it rose,
 *   undefined otherwise.
 * - While every input is idle the combined watermark does not move (and the
 *   combination is idle); an input becoming active again counts from then on.
 * - An input that ended stands at +Infinity (its valve emitted +Infinity), so
 *   it never holds the other back; when both ended the result is +Infinity.
 * - Each input's watermark is monotone: a lower one than it had is ignored.
 *   A watermark on an idle input is remembered and counts once the input is
 *   active again (the valves never send one while idle).
 */
export class CombinedWatermark {
  private readonly watermarks: number[];
  private readonly idle: boolean[];
  private combined = Number.NEGATIVE_INFINITY;

  constructor(readonly numberOfInputs: number) {
    if (!Number.isInteger(numberOfInputs) || numberOfInputs < 1) {
      throw new RangeError(`a CombinedWatermark needs at least one input, got ${numberOfInputs}`);
    }
    this.watermarks = new Array<number>(numberOfInputs).fill(Number.NEGATIVE_INFINITY);
    this.idle = new Array<boolean>(numberOfInputs).fill(false);
  }

  /** The combined watermark in ms; -Infinity before every input had one. */
  get combinedWatermark(): number {
    return this.combined;
  }

  /** Whether every input is idle. */
  get isIdle(): boolean {
    return this.idle.every((x) => x);
  }

  /** The watermark of input `index` (0-based) in ms. */
  watermarkOf(index: number): number {
    return this.watermarks[this.check(index)];
  }

  /**
   * Input `index` (0-based) reached `watermark` (ms). Returns the new
   * combined watermark when it rose, else undefined. RangeError for an
   * unknown input or a NaN watermark.
   */
  updateWatermark(index: number, watermark: number): number | undefined {
    this.check(index);
    if (Number.isNaN(watermark)) throw new RangeError(`watermark of input ${index} is NaN`);
    if (watermark <= this.watermarks[index]) return undefined;
    this.watermarks[index] = watermark;
    return this.recombine();
  }

  /** Input `index` became idle (true) or active (false). Returns the new combined watermark when it rose. */
  updateStatus(index: number, idle: boolean): number | undefined {
    this.check(index);
    if (this.idle[index] === idle) return undefined;
    this.idle[index] = idle;
    return this.recombine();
  }

  private recombine(): number | undefined {
    let min = Number.POSITIVE_INFINITY;
    let anyActive = false;
    for (let i = 0; i < this.numberOfInputs; i++) {
      if (this.idle[i]) continue;
      anyActive = true;
      if (this.watermarks[i] < min) min = this.watermarks[i];
    }
    if (!anyActive || min <= this.combined) return undefined;
    this.combined = min;
    return min;
  }

  private check(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.numberOfInputs) {
      throw new RangeError(`input ${index} does not exist: inputs are 0..${this.numberOfInputs - 1}`);
    }
    return index;
  }
}
