/**
 * A subtask failure as plain data, for the wire: what a node reports to the
 * coordinator when a subtask fails, instead of an error object (which does
 * not survive a process boundary). The coordinator turns it back into a
 * RemoteFailureError, so a failed job's error still names the code,
 * operator, subtask and message of the original failure.
 *
 * `retryable: false` marks failures a restart cannot cure — the job graph
 * or configuration is wrong, a node cannot build the job graph from the
 * module or builds another one than the coordinator (deterministic for that
 * code and that node), or the state cannot be restored — as Flink's
 * SuppressRestartsException does; everything else (user code, I/O, lost
 * nodes, injected faults) is left to the restart strategy.
 */
import { ConfigurationError, describe, GraphValidationError, RestoreError, UserFunctionError, WeirError } from '../errors';

export interface FailureRecord {
  /** The error's stable code (WeirError.code), or 'ERROR' for other errors. */
  readonly code: string;
  /** The operator (uid) the failure is about, when known. */
  readonly operator: string | undefined;
  /** The subtask ("vertexId#index") it happened in, when known. */
  readonly subtask: string | undefined;
  readonly message: string;
  readonly retryable: boolean;
}

/** The record of `error`, which happened in `subtask` (and `operator`, when the error does not say). */
export function failureRecord(error: unknown, where: { readonly subtask?: string; readonly operator?: string } = {}): FailureRecord {
  if (error instanceof RemoteFailureError) return error.record;
  const code = error instanceof WeirError ? error.code : 'ERROR';
  const operator = error instanceof UserFunctionError ? error.location.uid : error instanceof GraphValidationError ? error.operator : where.operator;
  return { code, operator, subtask: where.subtask, message: describe(error), retryable: isRetryable(error) };
}

/** Whether a restart can cure this failure (see the module comment). */
export function isRetryable(error: unknown): boolean {
  if (error instanceof RemoteFailureError) return error.record.retryable;
  return !(error instanceof ConfigurationError || error instanceof GraphValidationError || error instanceof RestoreError);
}

/** A failure reported by another process, revived from its record. */
export class RemoteFailureError extends WeirError {
  readonly code: string;
  constructor(readonly record: FailureRecord) {
    super(record.subtask === undefined ? record.message : `subtask ${record.subtask}: ${record.message}`);
    this.code = record.code;
  }
}

/** Where a node loaded a job module for a subtask: what the records of a failed load name. */
export interface JobLoadSite {
  readonly nodeId: string;
  readonly jobModule: string;
  /** The subtask ("vertexId#index") being deployed. */
  readonly subtask: string;
}

/**
 * A node could not build the job graph from the module (it threw while
 * importing or building there, e.g. it reads a file or environment variable
 * only the coordinator has): not retryable, as a restart loads the same code
 * on the same node. Keeps the error's code; the message names the node.
 */
export function jobNotBuiltOnNode(site: JobLoadSite, error: unknown): FailureRecord {
  const r = failureRecord(error, { subtask: site.subtask });
  return { ...r, message: `node ${site.nodeId} could not build the job graph from ${site.jobModule}: ${r.message}`, retryable: false };
}

/** A node built another job graph than the coordinator (other code or options): not retryable. */
export function jobGraphMismatch(site: JobLoadSite, nodeFingerprint: string, coordinatorFingerprint: string): FailureRecord {
  return {
    code: 'JOB_GRAPH_MISMATCH',
    operator: undefined,
    subtask: site.subtask,
    message:
      `node ${site.nodeId} built job graph ${nodeFingerprint.slice(0, 12)} from ${site.jobModule}, ` +
      `the coordinator ${coordinatorFingerprint.slice(0, 12)}: every process must load the same job module and code version`,
    retryable: false,
  };
}
