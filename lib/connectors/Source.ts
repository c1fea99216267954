/**
 * The source contract (Flink's FLIP-27 Source, simplified): a source splits
 * its input into splits; each source subtask runs a SourceReader over the
 * splits assigned to it. A split is plain data that carries its own position,
 * so `snapshotState()` — the splits with their current offsets — is all a
 * checkpoint needs to rewind the reader, at the same or another parallelism.
 *
 *   pollNext(output)  emits a small batch (up to `ctx.batchSizeHint` records)
 *                     and says whether more is available now, nothing is
 *                     available yet (then `isAvailable()` resolves when it is),
 *                     or the input has ended.
 */
import type { OutputTag } from '../api/OutputTag';
import type { Clock } from '../time/Clock';
import type { WatermarkStatus } from '../time/Watermark';

export type Boundedness = 'BOUNDED' | 'CONTINUOUS_UNBOUNDED';
export type InputStatus = 'MORE_AVAILABLE' | 'NOTHING_AVAILABLE' | 'END_OF_INPUT';

export interface SourceSplit {
  readonly splitId: string;
}

/**
 * Where a reader emits the records of one split (Flink's SourceOutput). With
 * a WatermarkStrategy on the source, each split output has its own timestamp
 * assigner and watermark generator, and the subtask's watermark is the
 * minimum over its splits (see SplitTimestampsAndWatermarks).
 */
export interface SourceOutput<T> {
  collect(value: T, timestamp?: number): void;
  /**
   * Emits to the side output `tag` of the source (read with `getSideOutput(tag)`);
   * dropped when nothing consumes it. Optional to implement: an output
   * without it has no side outputs, so readers call `output.output?.(…)`.
   */
  output?<X>(tag: OutputTag<X>, value: X, timestamp?: number): void;
}

export interface ReaderOutput<T> extends SourceOutput<T> {
  /** Emits a watermark (ms) downstream; the engine emits +Infinity itself when the reader ends. */
  emitWatermark?(watermark: number): void;
  /** Marks the source subtask's stream idle or active again. */
  emitWatermarkStatus?(status: WatermarkStatus): void;
  /**
   * The output for the records of split `splitId` (Flink's
   * ReaderOutput.createOutputForSplit, FLIP-27): with a WatermarkStrategy,
   * the split gets its own watermark generator, and from this call until
   * `releaseOutputForSplit` it holds the subtask's watermark back to its
   * own (a split created here and not read yet stands at -Infinity). Create
   * the output of every split the reader will read as soon as it holds the
   * split, so one read later does not find its records late. Calling it
   * again for the same split returns the same output.
   *
   * Optional to implement: readers call `output.createOutputForSplit?.(id) ?? output`.
   * A reader of one split, or one that emits in event-time order across its
   * splits, can keep emitting through `collect` (the main output, which
   * counts as one split from its first record on).
   */
  createOutputForSplit?(splitId: string): SourceOutput<T>;
  /** The split finished (or left the reader): it no longer holds the subtask's watermark back (Flink's releaseOutputForSplit). */
  releaseOutputForSplit?(splitId: string): void;
}

export interface SourceReaderContext {
  readonly indexOfSubtask: number;
  readonly parallelism: number;
  /** How many records one pollNext call should emit at most. */
  readonly batchSizeHint: number;
  readonly clock: Clock;
}

export interface SourceReader<T, S extends SourceSplit> {
  addSplits(splits: readonly S[]): void;
  pollNext(output: ReaderOutput<T>): InputStatus;
  /** Resolves when pollNext may have data again (after NOTHING_AVAILABLE). */
  isAvailable(): Promise<void>;
  /** The assigned splits with their current positions. Must be plain, encodable data. */
  snapshotState(checkpointId: number): S[];
  notifyCheckpointComplete?(checkpointId: number): void;
  close?(): void | Promise<void>;
}

export interface Source<T, S extends SourceSplit = SourceSplit> {
  readonly boundedness: Boundedness;
  /** 1 for a source that cannot run in parallel; undefined for no limit. */
  readonly maxParallelism?: number;
  /**
   * Records a bounded source emits in all, when it knows before reading
   * (a collection's length, a generator's count); absent when it does not
   * (files, unbounded sources). Progress reports use it; never an estimate.
   */
  readonly totalRecords?: number;
  /** The splits of a fresh start at the given parallelism. */
  createSplits(parallelism: number): S[];
  createReader(ctx: SourceReaderContext): SourceReader<T, S>;
}

/** Which of `splits` subtask `index` of `parallelism` reads: round-robin by position. */
export function assignSplits<S>(splits: readonly S[], index: number, parallelism: number): S[] {
  return splits.filter((_, i) => i % parallelism === index);
}

export const alwaysAvailable: Promise<void> = Promise.resolve();
