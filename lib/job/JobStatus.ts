/**
 * The status of a job, with Flink's names and meanings (Flink's
 * `org.apache.flink.api.common.JobStatus`), defined once for the client
 * (`JobClient.status()`), the live job documents and the lifecycle.
 *
 * Guarantees: the set is closed (`isJobStatus` checks a value read from
 * outside), and the terminal statuses FINISHED, FAILED and CANCELED are
 * final — no move leaves them (see `JOB_STATUS_MOVES` in JobLifecycle).
 *
 * A job that waits for slots is CREATED, as in Flink: Flink's adaptive
 * scheduler reports its WaitingForResources state as JobStatus.CREATED, and
 * Flink's INITIALIZING means something else (the dispatcher received the
 * job and its job master is not created yet). So no status of its own:
 * CREATED covers "submitted, not deployed yet", whatever it waits for.
 */

export type JobStatus =
  /** Submitted, not deployed yet: preparing checkpoint storage, loading the snapshot it starts from, or waiting for slots. */
  | 'CREATED'
  /** Every subtask of the current attempt is deployed. */
  | 'RUNNING'
  /** A failure will not be restarted (the restart strategy gave up): the job's actors are being stopped; FAILED follows. */
  | 'FAILING'
  /** A failure is being restarted: the subtasks are stopped, the restart delay runs, then the restore loads. */
  | 'RESTARTING'
  /** Every subtask finished (or the job stopped with a savepoint) and the final checkpoint is written. */
  | 'FINISHED'
  /** The job failed and will not be restarted. */
  | 'FAILED'
  /** A cancel was asked for: the job's actors are being stopped; CANCELED follows. */
  | 'CANCELLING'
  /** The job was cancelled. */
  | 'CANCELED';

/** The statuses a job ends in. */
export type TerminalJobStatus = Extract<JobStatus, 'FINISHED' | 'FAILED' | 'CANCELED'>;

/** Every status, in Flink's order. */
export const JOB_STATUSES: readonly JobStatus[] = ['CREATED', 'RUNNING', 'FAILING', 'RESTARTING', 'FINISHED', 'FAILED', 'CANCELLING', 'CANCELED'];

const TERMINAL: ReadonlySet<JobStatus> = new Set<JobStatus>(['FINISHED', 'FAILED', 'CANCELED']);
const ALL: ReadonlySet<unknown> = new Set<unknown>(JOB_STATUSES);

/** FINISHED, FAILED and CANCELED: the job ended (Flink's `JobStatus.isGloballyTerminalState`). */
export function isTerminal(status: JobStatus): status is TerminalJobStatus {
  return TERMINAL.has(status);
}

/** Whether a value read from outside (a document, the wire) is a JobStatus. */
export function isJobStatus(value: unknown): value is JobStatus {
  return ALL.has(value);
}
