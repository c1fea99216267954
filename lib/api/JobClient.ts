/**
 * What a running or finished job looks like from outside: the JobClient
 * (status, cancel, result) returned by executeAsync(), and the JobResult a
 * finished job yields.
 */
import type { SubtaskMetrics } from '../operators/StreamTask';

export type JobStatus = 'CREATED' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELLING' | 'CANCELED';

export interface OperatorResult {
  readonly uid: string;
  readonly name: string;
  readonly parallelism: number;
  /** Records the operator took in, over all its subtasks (0 for sources). */
  readonly recordsIn: number;
  /** Records the operator emitted, over all its subtasks (0 for sinks). */
  readonly recordsOut: number;
}

export interface JobResult {
  readonly jobId: string;
  readonly jobName: string;
  readonly status: 'FINISHED';
  readonly durationMs: number;
  /** Per operator, in topological order. */
  readonly operators: readonly OperatorResult[];
  readonly subtasks: readonly SubtaskMetrics[];
  /** What sinks with a coordinator report (executeAndCollect's records), by sink uid. */
  readonly sinkResults: Readonly<Record<string, unknown>>;
}

export interface JobClient {
  readonly jobId: string;
  readonly jobName: string;
  status(): JobStatus;
  /** Stops every actor of the job; resolves once they are stopped. */
  cancel(): Promise<void>;
  /** Resolves when the job finishes; rejects with JobExecutionError or JobCancelledError. */
  result(): Promise<JobResult>;
}

/** The operator entry of a result by uid or name; throws if absent. */
export function operatorResult(result: JobResult, uidOrName: string): OperatorResult {
  const op = result.operators.find((o) => o.uid === uidOrName) ?? result.operators.find((o) => o.name === uidOrName);
  if (op === undefined) throw new Error(`no operator '${uidOrName}' in job '${result.jobName}'`);
  return op;
}
