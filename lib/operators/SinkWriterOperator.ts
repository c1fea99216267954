/**
 * The operator at the end of a sinkTo(): hands records to the sink's writer,
 * deferring the task on writes that return a promise (a rejected write fails
 * the job like a throw, attributed to the sink and the record).
 *
 * For a two-phase-commit sink it also runs the protocol: at each barrier
 * the writer pre-commits and the committables join the operator's state;
 * on notify-complete the committables of that checkpoint and earlier are
 * committed; after a restore the restored committables are committed first.
 */
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import type { Sink, SinkWriter } from '../connectors/Sink';
import {
  isTwoPhaseCommitSink,
  type Committer,
  type PrecommittingSinkWriter,
  type TwoPhaseCommitSinkInitContext,
} from '../connectors/TwoPhaseCommitSink';
import { AbstractStreamOperator, type Input, type OperatorContext } from './StreamOperator';

export const COMMITTABLES_STATE = 'committables';

interface Pending {
  readonly checkpointId: number;
  readonly committable: unknown;
}

export class SinkWriterOperator<T> extends AbstractStreamOperator<T, never> {
  private writer!: SinkWriter<T>;
  private committer: Committer<unknown> | undefined;
  private pending: Pending[] = [];
  private restoredAll: readonly unknown[] = [];
  private readonly writeCtx = { timestamp: undefined as number | undefined };

  constructor(private readonly sink: Sink<T>) {
    super();
  }

  initializeState(restored: OperatorRestoreState | undefined): void {
    this.pending = ((restored?.lists[COMMITTABLES_STATE] ?? []) as Pending[]).slice();
    this.restoredAll = ((restored?.allLists[COMMITTABLES_STATE] ?? []) as Pending[]).map((p) => p.committable);
  }

  override open(ctx: OperatorContext, next: Input<never>): void {
    super.open(ctx, next);
    const init: TwoPhaseCommitSinkInitContext = {
      indexOfSubtask: ctx.location.subtaskIndex,
      parallelism: ctx.location.parallelism,
      operatorUid: ctx.location.uid,
      clock: ctx.clock,
      jobId: ctx.jobId,
      attemptNumber: ctx.attemptNumber,
      restoredCommittables: this.restoredAll,
      sendToCoordinator: (e) => ctx.sendOperatorEvent(e),
    };
    const sink = this.sink;
    if (isTwoPhaseCommitSink(sink)) {
      this.committer = sink.createCommitter(init);
      this.writer = sink.createWriter(init);
      // Recovery: what the restored checkpoint pre-committed is committed now (idempotently).
      if (this.pending.length > 0) this.defer(this.commitUpTo(Infinity));
    } else {
      this.writer = sink.createWriter(init);
    }
  }

  processElement(value: T, timestamp: number | undefined): void {
    this.recordsIn++;
    this.writeCtx.timestamp = timestamp;
    let r: unknown;
    try {
      r = this.writer.write(value, this.writeCtx);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (isPromiseLike(r)) {
      const position = this.recordsIn;
      this.ctx.defer(
        r.then(undefined, (e: unknown) => {
          throw this.userError(e, value, position);
        }),
      );
    }
  }

  snapshotState(checkpointId: number): Record<string, unknown[]> | undefined {
    if (this.committer === undefined) return undefined;
    for (const committable of (this.writer as PrecommittingSinkWriter<T, unknown>).prepareCommit(checkpointId)) {
      this.pending.push({ checkpointId, committable });
    }
    return { [COMMITTABLES_STATE]: this.pending.slice() };
  }

  notifyCheckpointComplete(checkpointId: number): void | Promise<void> {
    if (this.committer === undefined) return;
    return this.commitUpTo(checkpointId);
  }

  override endInput(): void {
    this.defer(this.writer.flush?.(true));
  }

  override close(): void {
    this.defer(this.writer.close?.());
  }

  private commitUpTo(checkpointId: number): Promise<void> | undefined {
    const ready = this.pending.filter((p) => p.checkpointId <= checkpointId);
    if (ready.length === 0) return undefined;
    this.pending = this.pending.filter((p) => p.checkpointId > checkpointId);
    const r = this.committer!.commit(ready.map((p) => p.committable));
    return isPromiseLike(r) ? r : undefined;
  }

  private defer(r: unknown): void {
    if (isPromiseLike(r)) this.ctx.defer(r);
  }
}

function isPromiseLike(v: unknown): v is Promise<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
