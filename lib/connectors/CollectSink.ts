/**
 * Collects a stream's records into the JobResult (what executeAndCollect()
 * returns), exactly once: a two-phase-commit sink whose transactions are the
 * records a writer saw between two barriers. Committing sends a transaction
 * to the sink's coordinator in the job master, which keeps each transaction
 * id once — a transaction committed again after a restore is not duplicated
 * — so the caller sees only records of completed checkpoints (or of the end
 * of input), each once. Per subtask, order is kept.
 *
 * A job's result holds what that job committed: transactions restored from
 * another job's savepoint or checkpoint are not committed again (they are in
 * that job's result, if it had one), so the results of a job stopped with a
 * savepoint and of the job resumed from it hold every record once together.
 */
import type { OperatorCoordinator } from './Sink';
import type { Committer, PrecommittingSinkWriter, TwoPhaseCommitSink, TwoPhaseCommitSinkInitContext } from './TwoPhaseCommitSink';

export interface CollectTransaction {
  /** `<attempt>/<subtask>/<checkpoint>` */
  readonly id: string;
  /** The job that wrote it. */
  readonly job: string;
  readonly records: readonly unknown[];
}

export class CollectSink<T> implements TwoPhaseCommitSink<T, CollectTransaction> {
  createWriter(ctx: TwoPhaseCommitSinkInitContext): PrecommittingSinkWriter<T, CollectTransaction> {
    let buffer: T[] = [];
    return {
      write(v) {
        buffer.push(v);
      },
      prepareCommit(checkpointId) {
        if (buffer.length === 0) return [];
        const txn: CollectTransaction = { id: `${ctx.attemptNumber}/${ctx.indexOfSubtask}/${checkpointId}`, job: ctx.jobId, records: buffer };
        buffer = [];
        return [txn];
      },
    };
  }

  createCommitter(ctx: TwoPhaseCommitSinkInitContext): Committer<CollectTransaction> {
    return { commit: (txns) => ctx.sendToCoordinator(txns.filter((t) => t.job === ctx.jobId)) };
  }

  createCoordinator(): OperatorCoordinator {
    const records: T[] = [];
    const committed = new Set<string>();
    return {
      handleEvent(_subtask, event) {
        for (const txn of event as CollectTransaction[]) {
          if (committed.has(txn.id)) continue;
          committed.add(txn.id);
          for (const r of txn.records) records.push(r as T);
        }
      },
      result: () => records,
    };
  }
}
