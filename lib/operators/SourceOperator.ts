/**
 * The head of a source chain: runs the source's reader over its assigned
 * splits and emits what it polls into the chain. Reader failures become
 * UserFunctionErrors naming the source subtask.
 */
import { asUserFunctionError, type OperatorLocation } from '../errors';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceSplit } from '../connectors/Source';
import type { Clock } from '../time/Clock';

export class SourceOperator<T> {
  private reader!: SourceReader<T, SourceSplit>;
  private output!: ReaderOutput<T>;

  constructor(
    private readonly source: Source<T, SourceSplit>,
    readonly location: OperatorLocation,
    /** Records emitted so far (counted by what the source feeds). */
    private readonly emitted: () => number,
  ) {}

  get recordsOut(): number {
    return this.emitted();
  }

  open(output: ReaderOutput<T>, splits: readonly SourceSplit[], clock: Clock, batchSizeHint: number): void {
    this.output = output;
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
    try {
      return this.reader.pollNext(this.output);
    } catch (e) {
      throw asUserFunctionError(e, this.location, this.recordsOut + 1, 'poll');
    }
  }

  isAvailable(): Promise<void> {
    return this.reader.isAvailable();
  }

  /** The reader's splits with their current positions. */
  snapshotState(checkpointId: number): SourceSplit[] {
    try {
      return this.reader.snapshotState(checkpointId);
    } catch (e) {
      throw asUserFunctionError(e, this.location, 0, 'snapshot');
    }
  }

  notifyCheckpointComplete(checkpointId: number): void {
    this.reader.notifyCheckpointComplete?.(checkpointId);
  }

  close(): void | Promise<void> {
    try {
      return this.reader?.close?.();
    } catch (e) {
      throw asUserFunctionError(e, this.location, 0, 'close');
    }
  }
}
