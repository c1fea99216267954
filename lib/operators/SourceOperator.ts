/**
 * The head of a source chain: runs the source's reader over its assigned
 * splits and emits what it polls into the chain. Reader failures become
 * UserFunctionErrors naming the source subtask; so do broken contracts — a
 * `pollNext` status other than the three InputStatus values, an
 * `isAvailable()` that returns no promise (AsyncUserFunctionError when
 * `pollNext` itself returns one). When the reader ends, a watermark at
 * +Infinity follows its last record.
 *
 * With a WatermarkStrategy (`fromSource(source, strategy)`), watermarks are
 * made per split (SplitTimestampsAndWatermarks): the reader's
 * `createOutputForSplit(splitId)` gives each split its own generator, and
 * the subtask emits the minimum over its splits.
 */
import { asUserFunctionError, AsyncUserFunctionError, handleRejection, isThenable, preview, UserFunctionError, type OperatorLocation } from '../errors';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceSplit } from '../connectors/Source';
import type { SourceWatermarks } from '../api/Transformation';
import type { Clock, TimerHandle } from '../time/Clock';
import { SplitTimestampsAndWatermarks } from '../time/SplitTimestampsAndWatermarks';
import type { ProcessingTimeService } from './StreamOperator';

export class SourceOperator<T> {
  private reader!: SourceReader<T, SourceSplit>;
  private output!: ReaderOutput<T>;
  /** With a WatermarkStrategy: assigns timestamps, makes watermarks per split (fromSource(source, strategy)). */
  private watermarks: SplitTimestampsAndWatermarks<T> | undefined;
  private periodic: TimerHandle | undefined;
  private processingTime: ProcessingTimeService | undefined;

  constructor(
    private readonly source: Source<T, SourceSplit>,
    readonly location: OperatorLocation,
    /** Records emitted so far (counted by what the source feeds). */
    private readonly emitted: () => number,
  ) {}

  get recordsOut(): number {
    return this.emitted();
  }

  open(
    output: ReaderOutput<T>,
    splits: readonly SourceSplit[],
    clock: Clock,
    batchSizeHint: number,
    watermarking?: { readonly watermarks: SourceWatermarks; readonly processingTime: ProcessingTimeService | undefined },
  ): void {
    this.output = output;
    if (watermarking !== undefined) {
      const downstream = output;
      const core = new SplitTimestampsAndWatermarks<T>(watermarking.watermarks.strategy, clock, {
        autoWatermarkIntervalMs: watermarking.watermarks.autoWatermarkIntervalMs,
        collect: (value, timestamp) => downstream.collect(value, timestamp),
        emit: (e) => (e.kind === 'watermark' ? downstream.emitWatermark?.(e.timestamp) : downstream.emitWatermarkStatus?.(e.status)),
        output: output.output?.bind(output),
      });
      this.watermarks = core;
      this.processingTime = watermarking.processingTime;
      // The reader's records go through the strategy; its own watermarks are ignored (the strategy makes event time).
      this.output = core.mainOutput;
      this.schedulePeriodic();
    }
    try {
      this.reader = this.source.createReader({
        indexOfSubtask: this.location.subtaskIndex,
        parallelism: this.location.parallelism,
        batchSizeHint,
        clock,
      });
      this.reader.addSplits(splits);
    } catch (e) {
      throw asUserFunctionError(e, this.location, 0, 'open');
    }
  }

  /** Polls one batch. */
  emitNext(): InputStatus {
    let status: unknown;
    try {
      status = this.reader.pollNext(this.output);
    } catch (e) {
      throw asUserFunctionError(e, this.location, this.recordsOut + 1, 'poll');
    }
    if (status === 'END_OF_INPUT') {
      // Bounded input ends with the watermark that fires every event-time timer and window (Flink's MAX_WATERMARK).
      this.periodic?.cancel();
      if (this.watermarks) this.watermarks.onEndOfInput();
      else this.output.emitWatermark?.(Number.POSITIVE_INFINITY);
      return status;
    }
    if (status === 'MORE_AVAILABLE' || status === 'NOTHING_AVAILABLE') return status;
    if (isThenable(status)) {
      handleRejection(status);
      throw new AsyncUserFunctionError(this.location, 0, 'poll', 'source reader\'s pollNext()');
    }
    throw this.contractError(
      `the source reader's pollNext() returned ${preview(status)}; it must return 'MORE_AVAILABLE', 'NOTHING_AVAILABLE' or 'END_OF_INPUT'`,
    );
  }

  /** Resolves when the reader may have data again; a rejection fails like a throw of pollNext. */
  isAvailable(): Promise<void> {
    let p: unknown;
    try {
      p = this.reader.isAvailable();
    } catch (e) {
      throw asUserFunctionError(e, this.location, 0, 'poll');
    }
    if (!isThenable(p)) {
      throw this.contractError(`the source reader's isAvailable() returned ${preview(p)}; it must return a Promise`);
    }
    return Promise.resolve(p).then(
      () => undefined,
      (e: unknown) => Promise.reject(asUserFunctionError(e, this.location, 0, 'poll')),
    );
  }

  private contractError(message: string): UserFunctionError {
    return new UserFunctionError(this.location, 0, 'poll', new TypeError(message));
  }

  /** The reader's splits with their current positions. */
  snapshotState(checkpointId: number): SourceSplit[] {
    try {
      return this.reader.snapshotState(checkpointId);
    } catch (e) {
      throw asUserFunctionError(e, this.location, 0, 'snapshot');
    }
  }

  /** The strategy's periodic watermark, on a processing-time timer run in the task's mailbox. */
  private schedulePeriodic(): void {
    const at = this.watermarks?.nextPeriodicEmitAt;
    if (at === undefined || this.processingTime === undefined) return;
    this.periodic = this.processingTime.registerTimer(at, () => {
      this.periodic = undefined;
      try {
        this.watermarks!.onPeriodicEmit();
      } catch (e) {
        throw asUserFunctionError(e, this.location, this.recordsOut, 'poll');
      }
      this.schedulePeriodic();
    });
  }

  notifyCheckpointComplete(checkpointId: number): void {
    this.reader.notifyCheckpointComplete?.(checkpointId);
  }

  close(): void | Promise<void> {
    this.periodic?.cancel();
    try {
      return this.reader?.close?.();
    } catch (e) {
      throw asUserFunctionError(e, this.location, 0, 'close');
    }
  }
}
