/**
 * A job's lifecycle as a pure transition function: `transition(state,
 * event)` returns the next state and the commands the job master (the actor
 * shell) carries out — deploy attempt n, stop the subtasks, schedule a
 * restart, end the job, settle its result. No clocks, timers, randomness or
 * I/O inside: time and the restart strategy's decision come in events.
 *
 *   let s = initialLifecycle(2);
 *   ({ state: s } = transition(s, { type: 'JobSubmitted' }));          // → PrepareJob { attempt: 1 }
 *   ({ state: s } = transition(s, { type: 'RestoreLoaded', attempt: 1, restore: undefined, notes: [] }));
 *   s.status === 'RUNNING' && s.attempt === 1;                          // → Deploy { attempt: 1 }, PublishStatus …
 *
 * Guarantees (checked by JobLifecycle.prop.ts):
 * - The status moves only along `JOB_STATUS_MOVES` (Flink's JobStatus
 *   graph); every status published on the way (CANCELLING, FAILING) is on
 *   such a move. Terminal statuses absorb every event: nothing is deployed,
 *   stopped or scheduled after the end.
 * - `check` is the one place that says whether an event counts: messages of
 *   an attempt other than the running one are ignored, as Flink's scheduler
 *   ignores updates of unknown execution attempts; so are restart timers and
 *   restores of an attempt that is no longer awaited. An event no status
 *   accepts (submitting twice, cleanup before the end) is illegal:
 *   `transition` returns an IllegalJobTransitionError and the state unchanged.
 * - Attempt numbers never go back; every Deploy is for the new current attempt.
 * - The result settles exactly once, on the CleanupDone after the job ended.
 *
 * FAILING and CANCELLING: the job's actors are stopped the moment the job
 * ends (nact's stop is immediate), so the state moves straight to FAILED or
 * CANCELED and the transient status is published on the way, as Flink
 * reports it; the result settles after the checkpoint storage is tidied
 * (CleanupDone).
 */
import { castDraft, current, isDraft, produce, type Draft } from 'immer';
import { IllegalJobTransitionError } from '../errors';
import type { RestartRecord } from '../api/JobClient';
import type { RestoredState } from '../checkpoint/SubtaskState';
import type { ClaimedCheckpoint } from '../checkpoint/CheckpointMetadata';
import type { SubtaskMetrics } from '../operators/StreamTask';
import type { RestartDecision } from '../recovery/RestartStrategies';
import { isTerminal, type JobStatus, type TerminalJobStatus } from './JobStatus';

/**
 * The legal status moves (Flink's JobStatus graph as the DefaultScheduler
 * walks it): a failure restarts (RUNNING → RESTARTING → RUNNING) or, when
 * the restart strategy gives up, fails the job (→ FAILING → FAILED); cancel
 * is possible from every status that is not terminal.
 */
export const JOB_STATUS_MOVES: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  CREATED: ['RUNNING', 'FAILING', 'CANCELLING'],
  RUNNING: ['RESTARTING', 'FINISHED', 'FAILING', 'CANCELLING'],
  RESTARTING: ['RUNNING', 'FAILING', 'CANCELLING'],
  FAILING: ['FAILED'],
  CANCELLING: ['CANCELED'],
  FINISHED: [],
  FAILED: [],
  CANCELED: [],
};

/** How the job ended, for checkpoint retention: STOPPED is FINISHED by stop-with-savepoint. */
export type JobEnd = 'FINISHED' | 'STOPPED' | 'CANCELED' | 'FAILED';

/** What the result of the job settles with, once the job's storage is tidied. */
export type JobOutcome =
  | { readonly status: 'FINISHED'; readonly savepoint: string | undefined }
  | { readonly status: 'FAILED'; readonly error: unknown; readonly reason: string }
  | { readonly status: 'CANCELED' };

/** A savepoint request as data; the shell keeps the reply under `requestId`. */
export interface SavepointRequest {
  readonly requestId: number;
  /** Target directory of the savepoint. */
  readonly directory: string;
  /** Stop-with-savepoint: sources stop at its barrier and the job ends after it. */
  readonly terminate: boolean;
}

/** The snapshot the job started from (savepointPath), as its metadata described it. */
export interface InitialSnapshot {
  readonly checkpointId: number;
  readonly isSavepoint: boolean;
  readonly claimed: readonly ClaimedCheckpoint[];
}

export interface JobLifecycleState {
  readonly status: JobStatus;
  /** The attempt deployed last (1 = the first run); 0 before the first deploy. */
  readonly attempt: number;
  /** The attempt whose restore is loading (always attempt + 1), if one is. */
  readonly loading: number | undefined;
  /** Subtasks per attempt (the execution graph's size): all closed = the job finished. */
  readonly subtaskCount: number;
  /** The current attempt's subtasks that finished or closed, by subtask key, with their last metrics (in report order). */
  readonly finished: Readonly<Record<string, SubtaskMetrics>>;
  /** The current attempt's subtasks that closed (committed and ended). */
  readonly closed: readonly string[];
  /** The stop-with-savepoint whose savepoint completed (its location): subtasks are committing and closing. */
  readonly stopWithSavepoint: string | undefined;
  /** Restarts so far, oldest first (JobResult.restarts). */
  readonly restarts: readonly RestartRecord[];
  /** Savepoints asked for before the job first ran: taken once it runs. */
  readonly earlySavepoints: readonly SavepointRequest[];
  /** How the job ended, once terminal. */
  readonly outcome: JobOutcome | undefined;
  /** The result settled (CleanupDone came). */
  readonly settled: boolean;
}

export type JobEvent =
  /** The job master started (Flink: JobMaster.start → scheduler.startScheduling). */
  | { readonly type: 'JobSubmitted' }
  /** The restore for `attempt` is loaded (`restore` undefined: a fresh start). */
  | {
      readonly type: 'RestoreLoaded';
      readonly attempt: number;
      readonly restore: RestoredState | undefined;
      /** Restore candidates skipped as unusable, and why. */
      readonly notes: readonly string[];
      /** What was restored, for the logs ('checkpoint 7', 'savepoint …'). */
      readonly restoredFrom?: string;
      /** Set on the first attempt when the job starts from a snapshot. */
      readonly initial?: InitialSnapshot;
    }
  | { readonly type: 'RestoreFailed'; readonly attempt: number; readonly error: unknown; readonly reason: string }
  /** The restart delay of the restart that leads to `attempt` passed. */
  | { readonly type: 'RestartTimerFired'; readonly attempt: number }
  /** Input ended and the subtask's final state is taken; it stays until closed. */
  | { readonly type: 'SubtaskFinished'; readonly attempt: number; readonly subtask: string; readonly metrics: SubtaskMetrics }
  /** The subtask committed and closed after the final checkpoint or the stop's savepoint. */
  | { readonly type: 'SubtaskClosed'; readonly attempt: number; readonly subtask: string; readonly metrics: SubtaskMetrics }
  /**
   * A subtask of `attempt` failed, or checkpointing failed the job (more
   * failures than tolerated). `decision` is the restart strategy's answer
   * at `at` (ms), asked only for failures `check` accepts; `cause` is the
   * failure described for the restart record.
   */
  | {
      readonly type: 'JobFailed';
      readonly attempt: number | undefined;
      readonly error: unknown;
      readonly cause: string;
      readonly at: number;
      readonly decision: RestartDecision;
    }
  /** The savepoint of a stop-with-savepoint completed (`location`); subtasks now commit and close. */
  | { readonly type: 'StopSavepointCompleted'; readonly location: string }
  | ({ readonly type: 'SavepointRequested' } & SavepointRequest)
  | { readonly type: 'CancelRequested' }
  /** The job master's own handler threw: an engine bug; the job fails rather than hang. */
  | { readonly type: 'MasterCrashed'; readonly error: unknown }
  /** After the end: every actor stopped and the checkpoint storage is tidied. */
  | { readonly type: 'CleanupDone' };

export type JobCommand =
  /** Create the job's checkpoint directory, then load the snapshot the job starts from (if any); report RestoreLoaded/RestoreFailed for `attempt`. */
  | { readonly type: 'PrepareJob'; readonly attempt: number }
  /** Load the newest restorable state of the job's lineage; report RestoreLoaded/RestoreFailed for `attempt`. */
  | { readonly type: 'LoadRestore'; readonly attempt: number }
  /** Checkpoint ids continue after the snapshot the job started from; CLAIM bookkeeping starts. */
  | { readonly type: 'AdoptInitialSnapshot'; readonly initial: InitialSnapshot }
  /** Spawn and deploy every subtask of `attempt` (the new current attempt), restored from `restore`. */
  | {
      readonly type: 'Deploy';
      readonly attempt: number;
      readonly restore: RestoredState | undefined;
      readonly notes: readonly string[];
      readonly restoredFrom: string | undefined;
    }
  /** Start the periodic checkpoint trigger. */
  | { readonly type: 'StartCheckpointing' }
  /** Tell checkpointing that `subtask` finished (it acknowledges with its final state). */
  | { readonly type: 'SubtaskFinished'; readonly subtask: string }
  /** Stop every subtask of the current attempt. */
  | { readonly type: 'StopSubtasks' }
  /** Drop every checkpoint in flight (failover). */
  | { readonly type: 'ResetCheckpoints' }
  /** Record and announce the restart (`record`, the newest of `restarts`). */
  | { readonly type: 'PublishRestart'; readonly record: RestartRecord; readonly restarts: number }
  /** Fire RestartTimerFired { attempt } after `delayMs` ms. */
  | { readonly type: 'ScheduleRestart'; readonly attempt: number; readonly delayMs: number }
  | { readonly type: 'TriggerSavepoint'; readonly request: SavepointRequest }
  /** Answer the request with an error saying `message`. */
  | { readonly type: 'RejectSavepoint'; readonly requestId: number; readonly message: string }
  /** The job documents and the client see `status`. */
  | { readonly type: 'PublishStatus'; readonly status: JobStatus }
  /**
   * The job ended with `outcome`: cancel the restart timer, stop every actor
   * of the job, close the checkpoints for `end` (retention), then report
   * CleanupDone.
   */
  | { readonly type: 'Terminate'; readonly outcome: JobOutcome; readonly end: JobEnd; readonly restarts: number }
  /** Resolve (FINISHED) or reject (FAILED, CANCELED) the job's result. */
  | { readonly type: 'SettleResult'; readonly outcome: JobOutcome };

/** Whether an event counts, and if not, why. */
export type Verdict =
  | { readonly kind: 'accepted' }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'illegal'; readonly error: IllegalJobTransitionError };

export interface Transition {
  readonly state: JobLifecycleState;
  readonly commands: readonly JobCommand[];
  readonly verdict: Verdict;
}

/** The lifecycle of a job of `subtaskCount` subtasks, before submission. */
export function initialLifecycle(subtaskCount: number): JobLifecycleState {
  return {
    status: 'CREATED',
    attempt: 0,
    loading: undefined,
    subtaskCount,
    finished: {},
    closed: [],
    stopWithSavepoint: undefined,
    restarts: [],
    earlySavepoints: [],
    outcome: undefined,
    settled: false,
  };
}

const ACCEPTED: Verdict = { kind: 'accepted' };

/** Messages of subtasks count only from the running attempt, not from one being replaced. */
export function isCurrentAttempt(state: JobLifecycleState, attempt: number | undefined): boolean {
  return state.status === 'RUNNING' && attempt === state.attempt;
}

/**
 * The legality table: whether `event` (its type and attempt are enough)
 * counts in `state`. Stale messages — another attempt's, a restart timer or
 * a restore no longer awaited, anything after the end — are ignored with a
 * reason; events no status accepts are illegal.
 */
export function check(state: JobLifecycleState, event: Pick<JobEvent, 'type'> & { readonly attempt?: number | undefined }): Verdict {
  const { status } = state;
  const ignored = (reason: string): Verdict => ({ kind: 'ignored', reason });
  const illegal = (detail: string): Verdict => ({ kind: 'illegal', error: new IllegalJobTransitionError(status, event.type, detail) });
  if (event.type === 'CleanupDone') {
    if (!isTerminal(status)) return illegal('the job has not ended');
    return state.settled ? illegal('the result is settled already') : ACCEPTED;
  }
  // A savepoint request is always answered: accepted, queued or rejected by its transition.
  if (event.type === 'SavepointRequested') return ACCEPTED;
  if (isTerminal(status)) return ignored(`the job is ${status}`);
  switch (event.type) {
    case 'JobSubmitted':
      return status === 'CREATED' && state.loading === undefined && state.attempt === 0 ? ACCEPTED : illegal('the job was submitted already');
    case 'CancelRequested':
    case 'MasterCrashed':
      return ACCEPTED;
    case 'RestoreLoaded':
    case 'RestoreFailed':
      return event.attempt !== undefined && event.attempt === state.loading ? ACCEPTED : ignored(`no restore for attempt ${event.attempt} is awaited`);
    case 'RestartTimerFired':
      return status === 'RESTARTING' && state.loading === undefined && event.attempt === state.attempt + 1
        ? ACCEPTED
        : ignored(`no restart to attempt ${event.attempt} is pending`);
    case 'SubtaskFinished':
    case 'SubtaskClosed':
    case 'JobFailed':
      return isCurrentAttempt(state, event.attempt) ? ACCEPTED : ignored(`attempt ${event.attempt} is not the running attempt`);
    case 'StopSavepointCompleted':
      return status === 'RUNNING' ? ACCEPTED : ignored(`the job is ${status}`);
  }
}

/**
 * The next state and the commands for `event`. Pure (immer `produce`): the
 * given state is never changed. An ignored or illegal event returns the
 * state unchanged and no commands, except that a savepoint request is
 * always answered.
 */
export function transition(state: JobLifecycleState, event: JobEvent): Transition {
  const verdict = check(state, event);
  if (verdict.kind !== 'accepted') return { state, commands: [], verdict };
  const commands: JobCommand[] = [];
  let illegal: IllegalJobTransitionError | undefined;
  const next = produce(state, (d) => {
    try {
      apply(d, event, commands);
    } catch (e) {
      if (!(e instanceof IllegalJobTransitionError)) throw e;
      illegal = e;
    }
  });
  if (illegal !== undefined) return { state, commands: [], verdict: { kind: 'illegal', error: illegal } };
  return { state: next, commands, verdict };
}

function apply(d: Draft<JobLifecycleState>, event: JobEvent, out: JobCommand[]): void {
  switch (event.type) {
    case 'JobSubmitted':
      d.loading = 1;
      out.push({ type: 'PrepareJob', attempt: 1 });
      return;
    case 'RestoreLoaded':
      return deploy(d, event, out);
    case 'RestoreFailed':
      return fail(d, event.error, event.reason, out);
    case 'MasterCrashed':
      return fail(d, event.error, 'the job master failed', out);
    case 'RestartTimerFired':
      d.loading = event.attempt;
      out.push({ type: 'LoadRestore', attempt: event.attempt });
      return;
    case 'SubtaskFinished':
      d.finished[event.subtask] = castDraft(event.metrics);
      out.push({ type: 'SubtaskFinished', subtask: event.subtask });
      return;
    case 'SubtaskClosed':
      if (!d.closed.includes(event.subtask)) d.closed.push(event.subtask);
      d.finished[event.subtask] = castDraft(event.metrics);
      if (d.closed.length < d.subtaskCount) return;
      return end(d, { status: 'FINISHED', savepoint: d.stopWithSavepoint }, d.stopWithSavepoint !== undefined ? 'STOPPED' : 'FINISHED', out);
    case 'JobFailed':
      return failover(d, event, out);
    case 'StopSavepointCompleted':
      d.stopWithSavepoint = event.location;
      return;
    case 'SavepointRequested': {
      const request: SavepointRequest = { requestId: event.requestId, directory: event.directory, terminate: event.terminate };
      // Asked for right after submission: taken as soon as the job runs.
      if (d.status === 'CREATED') return void d.earlySavepoints.push(request);
      if (d.status === 'RUNNING') return void out.push({ type: 'TriggerSavepoint', request });
      const message = isTerminal(d.status) ? `job is ${d.status}` : `cannot take a savepoint while the job is ${d.status}`;
      out.push({ type: 'RejectSavepoint', requestId: event.requestId, message });
      return;
    }
    case 'CancelRequested':
      moveTo(d, 'CANCELLING', out);
      return end(d, { status: 'CANCELED' }, 'CANCELED', out);
    case 'CleanupDone':
      d.settled = true;
      out.push({ type: 'SettleResult', outcome: plain(d.outcome!) as JobOutcome });
      return;
  }
}

/** The restore of the awaited attempt is loaded: it becomes the current attempt and runs (Flink: CREATED/RESTARTING → RUNNING). */
function deploy(d: Draft<JobLifecycleState>, event: Extract<JobEvent, { type: 'RestoreLoaded' }>, out: JobCommand[]): void {
  const failed = plain(d.restarts[d.restarts.length - 1]);
  if (failed !== undefined && failed.attempt === d.attempt) {
    // The restart record says which checkpoint the new attempt restored, and which were unusable.
    const checkpointId = event.restore?.checkpointId;
    d.restarts[d.restarts.length - 1] = castDraft({
      ...failed,
      ...(checkpointId !== undefined ? { restoredCheckpoint: checkpointId } : {}),
      ...(event.notes.length > 0 ? { unusableCheckpoints: [...event.notes] } : {}),
    });
  }
  if (event.initial !== undefined) out.push({ type: 'AdoptInitialSnapshot', initial: event.initial });
  d.attempt = event.attempt;
  d.loading = undefined;
  d.finished = {};
  d.closed = [];
  moveTo(d, 'RUNNING', out);
  out.push({ type: 'Deploy', attempt: event.attempt, restore: event.restore, notes: event.notes, restoredFrom: event.restoredFrom });
  out.push({ type: 'StartCheckpointing' });
  for (const request of d.earlySavepoints.splice(0)) out.push({ type: 'TriggerSavepoint', request: plain(request) });
}

/**
 * A failure of the running attempt (Flink's DefaultScheduler.handleTaskFailure):
 * every subtask stops and every checkpoint in flight is dropped (a
 * stop-with-savepoint in progress fails with them); then the restart
 * strategy's decision restarts the job after its delay or fails it.
 */
function failover(d: Draft<JobLifecycleState>, event: Extract<JobEvent, { type: 'JobFailed' }>, out: JobCommand[]): void {
  out.push({ type: 'StopSubtasks' }, { type: 'ResetCheckpoints' });
  d.stopWithSavepoint = undefined;
  const { decision } = event;
  if (!decision.restart) return fail(d, event.error, decision.reason, out);
  const record: RestartRecord = { at: event.at, attempt: d.attempt, cause: event.cause, delayMs: decision.delayMs };
  d.restarts.push(castDraft(record));
  out.push({ type: 'PublishRestart', record, restarts: d.restarts.length });
  moveTo(d, 'RESTARTING', out);
  out.push({ type: 'ScheduleRestart', attempt: d.attempt + 1, delayMs: decision.delayMs });
}

/** The job fails for good (Flink: → FAILING → FAILED). */
function fail(d: Draft<JobLifecycleState>, error: unknown, reason: string, out: JobCommand[]): void {
  moveTo(d, 'FAILING', out);
  end(d, { status: 'FAILED', error, reason }, 'FAILED', out);
}

/** The job ends: open early savepoint requests fail, every actor stops; the result waits for CleanupDone. */
function end(d: Draft<JobLifecycleState>, outcome: JobOutcome, jobEnd: JobEnd, out: JobCommand[]): void {
  const status: TerminalJobStatus = outcome.status;
  for (const r of d.earlySavepoints.splice(0)) out.push({ type: 'RejectSavepoint', requestId: r.requestId, message: `cannot take a savepoint: the job is ${status}` });
  d.loading = undefined;
  d.outcome = castDraft(outcome);
  moveTo(d, status, out);
  out.push({ type: 'Terminate', outcome, end: jobEnd, restarts: d.restarts.length });
}

/** A value read from the draft, as plain data: commands never carry immer drafts (they are revoked after `produce`). */
function plain<T>(value: T): T {
  return isDraft(value) ? (current(value as Draft<T>) as T) : value;
}

function moveTo(d: Draft<JobLifecycleState>, status: JobStatus, out: JobCommand[]): void {
  if (!JOB_STATUS_MOVES[d.status].includes(status)) {
    throw new IllegalJobTransitionError(d.status, `a move to ${status}`, `${d.status} → ${status} is not a JobStatus move`);
  }
  d.status = status;
  out.push({ type: 'PublishStatus', status });
}
