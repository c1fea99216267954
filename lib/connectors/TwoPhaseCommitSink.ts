/**
 * The two-phase-commit sink contract (Flink's TwoPhaseCommittingSink):
 *
 *   pre-commit  at a checkpoint barrier the writer ends its current
 *               transaction and returns committables (plain, encodable
 *               data); they are stored in the checkpoint.
 *   commit      when that checkpoint completes, the committer makes them
 *               visible.
 *   recover     after a restore, the committables found in the restored
 *               checkpoint are committed again.
 *
 * So commit must be idempotent: committing an already committed committable
 * changes nothing. Data written after the last completed checkpoint is never
 * committed; on replay it is written again into a new transaction. That is
 * what makes a sink exactly-once with replayable sources. At the end of
 * bounded input the last transaction is pre-committed and committed when
 * the job's final checkpoint completes.
 */
import type { Sink, SinkInitContext, SinkWriter } from './Sink';

export interface PrecommittingSinkWriter<T, C> extends SinkWriter<T> {
  /** Ends the current transaction; its committables (maybe none). Synchronous: it runs at the barrier. */
  prepareCommit(checkpointId: number): C[];
}

export interface Committer<C> {
  /** Makes committables visible; idempotent. */
  commit(committables: readonly C[]): void | Promise<void>;
}

export interface TwoPhaseCommitSinkInitContext extends SinkInitContext {
  readonly jobId: string;
  /** Counts job restarts: 1 for the first run. Lets a writer tell its own leftovers from an earlier run's. */
  readonly attemptNumber: number;
  /** Committables of every subtask restored from the checkpoint this run started from (being committed). */
  readonly restoredCommittables: readonly unknown[];
}

export interface TwoPhaseCommitSink<T, C> extends Sink<T> {
  createWriter(ctx: TwoPhaseCommitSinkInitContext): PrecommittingSinkWriter<T, C>;
  createCommitter(ctx: TwoPhaseCommitSinkInitContext): Committer<C>;
}

export function isTwoPhaseCommitSink(sink: Sink<unknown>): sink is TwoPhaseCommitSink<unknown, unknown> {
  return typeof (sink as { createCommitter?: unknown }).createCommitter === 'function';
}

/** The checkpoint id the final transaction of bounded input is pre-committed under. */
export const FINAL_CHECKPOINT_ID = Number.MAX_SAFE_INTEGER;
