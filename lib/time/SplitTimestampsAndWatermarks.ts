/**
 * Event time of a source subtask whose reader holds several splits
 * (Flink's ProgressiveTimestampsAndWatermarks, FLIP-27 per-split watermark
 * generation): `fromSource(source, strategy)` runs one of these per source
 * subtask, as the pure core the SourceOperator wires to its output and timer.
 *
 * Each split output (`createOutputForSplit(splitId)`) has its own timestamp
 * assigner and watermark generator from the same strategy (a
 * TimestampsAndWatermarks of its own, so idleness, punctuated and periodic
 * generators work per split as they do per subtask), fed only by that
 * split's records. The subtask's watermark is the minimum over its split
 * outputs that are not idle (SplitWatermarks); a released split (finished)
 * no longer counts. So records of one split never become late because
 * another split on the same reader ran ahead: a record is on time whenever
 * it is on time for its own split's generator.
 *
 * The main output (`mainOutput`, the reader's plain `collect`) is one more
 * generator: it takes part in the minimum from its first record on, and,
 * while it has had none, only when no split output exists — then it stands
 * for the reader (with idleness, a reader without splits goes idle, as a
 * single-generator source did). A reader that never creates split outputs
 * therefore behaves exactly as with one generator per subtask.
 *
 * Periodic emission: the caller calls `onPeriodicEmit()` at
 * `nextPeriodicEmitAt` (ms, processing time); every generator is polled,
 * then the minimum is taken once. Punctuated watermarks (emitted from
 * `onEvent`) are combined at once, after the record that caused them.
 *
 * Nothing here is checkpointed: after a restore every split starts again
 * at -Infinity and rises with its own records. The operators downstream
 * restore their watermark (the lowest of their subtasks' at the checkpoint,
 * InternalTimerService.restore), which is at or below every split's
 * watermark at the barrier, so a record that was on time for its split is
 * on time after a restore at any parallelism (as in Flink, where source
 * watermarks are not checkpointed either).
 */
import type { ReaderOutput, SourceOutput } from '../connectors/Source';
import type { Clock } from './Clock';
import { SplitWatermarks, type SplitOutputId } from './SplitWatermarks';
import { TimestampsAndWatermarks, type TimestampsAndWatermarksOptions, type WatermarkEmission } from './TimestampsAndWatermarks';
import type { WatermarkStrategy } from './WatermarkStrategy';

export interface SplitTimestampsAndWatermarksOptions<T> extends TimestampsAndWatermarksOptions<T> {
  /** Side outputs of the source, offered on every split output. */
  readonly output?: SourceOutput<T>['output'];
}

const MAIN: unique symbol = Symbol('main output');

interface SplitCore<T> {
  readonly core: TimestampsAndWatermarks<T>;
  readonly output: SourceOutput<T>;
}

export class SplitTimestampsAndWatermarks<T> {
  /** Processing time (ms) between periodic polls; 0: none. */
  readonly autoWatermarkIntervalMs: number;
  /** What the reader is handed: its plain `collect` (records of no particular split) and `createOutputForSplit`. */
  readonly mainOutput: ReaderOutput<T>;
  private readonly combined = new SplitWatermarks();
  private readonly splits = new Map<string, SplitCore<T>>();
  private main: TimestampsAndWatermarks<T>;
  private mainUsed = false;
  /** During a periodic poll: emissions are combined once, at its end. */
  private deferring = false;
  private ended = false;
  private nextEmit: number | undefined;

  constructor(
    private readonly strategy: WatermarkStrategy<T>,
    private readonly clock: Clock,
    private readonly options: SplitTimestampsAndWatermarksOptions<T>,
  ) {
    this.main = this.newCore(MAIN); // checks the strategy and the interval
    this.autoWatermarkIntervalMs = this.main.autoWatermarkIntervalMs;
    this.combined.addSplit(MAIN);
    const mainOutput: ReaderOutput<T> = {
      // Until its first record the main output may stand aside for split outputs; then it counts like one.
      collect: (value, timestamp) => {
        this.mainUsed = true;
        const core = this.main;
        if (!this.combined.has(MAIN)) this.combined.addSplit(MAIN, core.currentStatus === 'IDLE');
        mainOutput.collect = (v, ts) => void core.onElement(v, ts);
        core.onElement(value, timestamp);
      },
      output: options.output,
      createOutputForSplit: (splitId) => this.createOutputForSplit(splitId),
      releaseOutputForSplit: (splitId) => this.releaseOutputForSplit(splitId),
    };
    this.mainOutput = mainOutput;
    this.nextEmit = this.autoWatermarkIntervalMs > 0 ? clock.now() + this.autoWatermarkIntervalMs : undefined;
  }

  /** The subtask's last watermark emitted (ms); -Infinity before the first. */
  get currentWatermark(): number {
    return this.combined.combinedWatermark;
  }

  /** Whether the subtask's stream is IDLE (every split output idle). */
  get isIdle(): boolean {
    return this.combined.isIdle;
  }

  /** The outputs that hold the watermark back: split ids, and 'main' for the main output. */
  get activeOutputs(): string[] {
    return this.combined.splitIds.map((id) => (id === MAIN ? 'main' : (id as string)));
  }

  /** Processing time (ms) at which `onPeriodicEmit` is due; undefined when periodic watermarks are off or input ended. */
  get nextPeriodicEmitAt(): number | undefined {
    return this.nextEmit;
  }

  /**
   * The output of split `splitId`, with its own generator; it holds the
   * subtask's watermark at -Infinity until the split's records move it.
   * The same output again for a split that has one.
   */
  createOutputForSplit(splitId: string): SourceOutput<T> {
    const known = this.splits.get(splitId);
    if (known !== undefined) return known.output;
    const core = this.newCore(splitId);
    const output: SourceOutput<T> = { collect: (value, timestamp) => void core.onElement(value, timestamp), output: this.options.output };
    this.splits.set(splitId, { core, output });
    this.combined.addSplit(splitId);
    if (!this.mainUsed) this.combined.removeSplit(MAIN);
    this.flush();
    return output;
  }

  /** Split `splitId` finished or left the reader: it stops holding the watermark back. Unknown ids do nothing. */
  releaseOutputForSplit(splitId: string): void {
    if (!this.splits.delete(splitId)) return;
    this.combined.removeSplit(splitId);
    if (this.splits.size === 0 && !this.mainUsed) {
      // The reader holds no split: a fresh main generator stands for it (its idleness counts from now).
      this.main = this.newCore(MAIN);
      this.combined.addSplit(MAIN);
    }
    this.flush();
  }

  /** Polls every generator (the auto-watermark timer fired), emits the new minimum and schedules the next poll. */
  onPeriodicEmit(): void {
    if (this.ended) return;
    this.deferring = true;
    try {
      if (this.combined.has(MAIN)) this.main.onPeriodicEmit();
      for (const s of this.splits.values()) s.core.onPeriodicEmit();
    } finally {
      this.deferring = false;
    }
    this.flush();
    if (this.autoWatermarkIntervalMs > 0) this.nextEmit = this.clock.now() + this.autoWatermarkIntervalMs;
  }

  /** The reader ended: Watermark.MAX (once), after ACTIVE if idle; nothing is emitted after it. */
  onEndOfInput(): void {
    if (this.ended) return;
    this.ended = true;
    this.nextEmit = undefined;
    for (const e of this.combined.endOfInput()) this.options.emit(e);
  }

  private newCore(id: SplitOutputId): TimestampsAndWatermarks<T> {
    const core: TimestampsAndWatermarks<T> = new TimestampsAndWatermarks<T>(this.strategy, this.clock, {
      autoWatermarkIntervalMs: this.options.autoWatermarkIntervalMs,
      collect: this.options.collect,
      emit: (e) => this.onSplitEmission(id, core, e),
    });
    return core;
  }

  private onSplitEmission(id: SplitOutputId, core: TimestampsAndWatermarks<T>, e: WatermarkEmission): void {
    // A released split's generator, or a main output standing aside, no longer counts.
    if (this.ended || !this.combined.has(id)) return;
    if ((id === MAIN ? this.main : this.splits.get(id as string)?.core) !== core) return;
    if (e.kind === 'watermark') this.combined.updateWatermark(id, e.timestamp);
    else this.combined.updateStatus(id, e.status === 'IDLE');
    if (!this.deferring) this.flush();
  }

  private flush(): void {
    for (const e of this.combined.combine()) this.options.emit(e);
  }
}
