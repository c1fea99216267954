/**
 * Why the coordinator refuses a client's request about a job, as typed
 * errors (the RequestFailed reply carries their code): the job id is not one
 * of this cluster's (UNKNOWN_JOB), or the job has ended and cannot be
 * cancelled, stopped, savepointed or rescaled any more (JOB_NOT_RUNNING).
 */
import { WeirError } from '../errors';
import { isTerminal, type JobStatus } from '../job/JobStatus';

export type JobRequestErrorCode = 'UNKNOWN_JOB' | 'JOB_NOT_RUNNING';

export class JobRequestError extends WeirError {
  constructor(
    readonly code: JobRequestErrorCode,
    readonly jobId: string,
    message: string,
  ) {
    super(message);
  }
}

/** No job `jobId` on this cluster (never submitted, or ended long enough ago to be forgotten). */
export function unknownJob(jobId: string): JobRequestError {
  return new JobRequestError('UNKNOWN_JOB', jobId, `no job '${jobId}' on this cluster (weir list shows its jobs)`);
}

/** What a request would do to a job, for the refusal's message. */
export type JobAction = 'cancel' | 'stop' | 'take a savepoint of' | 'rescale';

/**
 * The refusal of `action` on a job that ended with `status`; undefined while
 * the job has not ended (the request may go ahead).
 */
export function refuseIfEnded(job: { readonly jobId: string; readonly name: string }, status: JobStatus, action: JobAction): JobRequestError | undefined {
  if (!isTerminal(status)) return undefined;
  return new JobRequestError('JOB_NOT_RUNNING', job.jobId, `cannot ${action} job '${job.jobId}' (${job.name}): it has already ended, ${status}`);
}
