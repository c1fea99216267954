/**
 * A subtask failure as plain data, for the wire: what a node reports to the
 * coordinator when a subtask fails, instead of an error object (which does
 * not survive a process boundary). The coordinator turns it back into a
 * RemoteFailureError, so a failed job's error still names the code,
 * operator, subtask and message of the original failure.
 *
 * `retryable: false` marks failures a restart cannot cure — the job graph
 * or configuration is wrong, or the state cannot be restored — as Flink's
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
