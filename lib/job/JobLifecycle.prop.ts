/**
 * Property: whatever events reach a job's lifecycle, in whatever order —
 * stale attempts, late timers, cancels during restarts, savepoints before
 * the job runs — the status moves only along JOB_STATUS_MOVES (every
 * published status too), a terminal status absorbs every event, the result
 * settles exactly once, attempt numbers never go back, every Deploy is for
 * the new current attempt, and every savepoint request is answered exactly
 * once (or still waits for the job to run).
 *
 * Events are drawn as templates whose attempt is resolved against the state
 * when applied (the running attempt, the next, a replaced one, any), so the
 * sequences reach deep into restarts instead of being ignored at once.
 *
 * Replay: FC_SEED=<seed> npx jest lib/job/JobLifecycle.prop.ts
 */
import fc from 'fast-check';
import type { SubtaskMetrics } from '../operators/StreamTask';
import { initialLifecycle, JOB_STATUS_MOVES, transition, type JobCommand, type JobEvent, type JobLifecycleState } from './JobLifecycle';
import { isTerminal, type JobStatus } from './JobStatus';

type AttemptPick = 'current' | 'next' | 'stale' | number;

type Template =
  | { readonly type: 'JobSubmitted' }
  | { readonly type: 'RestoreLoaded' | 'RestoreFailed' | 'RestartTimerFired'; readonly attempt: AttemptPick }
  | { readonly type: 'SubtaskFinished' | 'SubtaskClosed'; readonly attempt: AttemptPick; readonly subtask: number }
  | { readonly type: 'JobFailed'; readonly attempt: AttemptPick; readonly restart: boolean; readonly delayMs: number }
  | { readonly type: 'StopSavepointCompleted' }
  | { readonly type: 'SavepointRequested'; readonly terminate: boolean }
  | { readonly type: 'CancelRequested' }
  | { readonly type: 'MasterCrashed' }
  | { readonly type: 'CleanupDone' };

const SUBTASKS = 3;
const attemptPick: fc.Arbitrary<AttemptPick> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<AttemptPick>('current', 'next') },
  { weight: 1, arbitrary: fc.constant<AttemptPick>('stale') },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 6 }) },
);

// Weighted so that sequences run, fail, restart and finish before a cancel or a crash ends them.
const template: fc.Arbitrary<Template> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Template>({ type: 'JobSubmitted' }) },
  { weight: 6, arbitrary: fc.record({ type: fc.constantFrom('RestoreLoaded' as const, 'RestartTimerFired' as const), attempt: attemptPick }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('RestoreFailed' as const), attempt: attemptPick }) },
  {
    weight: 12,
    arbitrary: fc.record({ type: fc.constantFrom('SubtaskFinished' as const, 'SubtaskClosed' as const), attempt: attemptPick, subtask: fc.integer({ min: 0, max: SUBTASKS - 1 }) }),
  },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('JobFailed' as const), attempt: attemptPick, restart: fc.constantFrom(true, true, true, false), delayMs: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.constant<Template>({ type: 'StopSavepointCompleted' }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('SavepointRequested' as const), terminate: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constantFrom<Template>({ type: 'CancelRequested' }, { type: 'MasterCrashed' }, { type: 'CleanupDone' }) },
);

const metrics = (i: number): SubtaskMetrics => ({ vertexId: 1, subtaskIndex: i, operators: [], maxQueuedBuffers: 0, inputCredits: 0, buffersSent: 0 });

function resolve(pick: AttemptPick, s: JobLifecycleState): number {
  if (pick === 'current') return s.attempt;
  if (pick === 'next') return s.attempt + 1;
  if (pick === 'stale') return Math.max(0, s.attempt - 1);
  return pick;
}

function toEvent(t: Template, s: JobLifecycleState, i: number): JobEvent {
  switch (t.type) {
    case 'RestoreLoaded':
      return { type: 'RestoreLoaded', attempt: resolve(t.attempt, s), restore: undefined, notes: [] };
    case 'RestoreFailed':
      return { type: 'RestoreFailed', attempt: resolve(t.attempt, s), error: new Error('restore'), reason: 'no checkpoint could be restored' };
    case 'RestartTimerFired':
      return { type: 'RestartTimerFired', attempt: resolve(t.attempt, s) };
    case 'SubtaskFinished':
    case 'SubtaskClosed':
      return { type: t.type, attempt: resolve(t.attempt, s), subtask: `1#${t.subtask}`, metrics: metrics(t.subtask) };
    case 'JobFailed':
      return {
        type: 'JobFailed',
        attempt: resolve(t.attempt, s),
        error: new Error('boom'),
        cause: 'Error: boom',
        at: i,
        decision: t.restart ? { restart: true, delayMs: t.delayMs } : { restart: false, reason: 'no more restarts' },
      };
    case 'StopSavepointCompleted':
      return { type: 'StopSavepointCompleted', location: `/sp-${i}` };
    case 'SavepointRequested':
      return { type: 'SavepointRequested', requestId: i, directory: `/sp-${i}`, terminate: t.terminate };
    case 'MasterCrashed':
      return { type: 'MasterCrashed', error: new Error('bug') };
    default:
      return { type: t.type };
  }
}

/** The statuses published on one move lead from `from` to `to` along legal moves (none when the status stays). */
function walksLegalMoves(from: JobStatus, to: JobStatus, published: readonly JobStatus[]): boolean {
  if (published.length === 0) return from === to;
  let at = from;
  for (const s of published) {
    if (!JOB_STATUS_MOVES[at].includes(s)) return false;
    at = s;
  }
  return at === to;
}

test('the job lifecycle moves only along legal moves, and ends, settles and answers exactly once', () => {
  fc.assert(
    fc.property(fc.array(template, { maxLength: 80, size: 'max' }), (templates) => {
      let s = initialLifecycle(SUBTASKS);
      let settles = 0;
      const requested = new Set<number>();
      const answered = new Set<number>();
      // The shell reports CleanupDone after a Terminate; the generator may send it anywhere else too.
      const events: Template[] = [{ type: 'JobSubmitted' }, ...templates, { type: 'CleanupDone' }];
      events.forEach((t, i) => {
        const event = toEvent(t, s, i);
        const before = s;
        const { state, commands, verdict } = transition(before, event);
        if (verdict.kind !== 'accepted') {
          expect(state).toBe(before);
          expect(commands.every((c) => c.type === 'RejectSavepoint')).toBe(true);
        }
        const published = commands.flatMap((c: JobCommand) => (c.type === 'PublishStatus' ? [c.status] : []));
        expect(walksLegalMoves(before.status, state.status, published)).toBe(true);
        if (isTerminal(before.status)) {
          expect(state.status).toBe(before.status);
          expect(commands.every((c) => c.type === 'RejectSavepoint' || c.type === 'SettleResult')).toBe(true);
        }
        expect(state.attempt).toBeGreaterThanOrEqual(before.attempt);
        for (const c of commands) {
          if (c.type === 'Deploy') {
            expect(c.attempt).toBe(state.attempt);
            expect(c.attempt).toBeGreaterThan(before.attempt);
          }
          if (c.type === 'SettleResult') {
            settles++;
            expect(c.outcome.status).toBe(state.status);
          }
          const answer = c.type === 'TriggerSavepoint' ? c.request.requestId : c.type === 'RejectSavepoint' ? c.requestId : undefined;
          if (answer !== undefined) {
            expect(answered.has(answer)).toBe(false);
            answered.add(answer);
          }
        }
        if (event.type === 'SavepointRequested') requested.add(event.requestId);
        s = state;
      });
      expect(settles).toBe(isTerminal(s.status) ? 1 : 0);
      const waiting = new Set(s.earlySavepoints.map((r) => r.requestId));
      if (s.status !== 'CREATED') expect(waiting.size).toBe(0);
      for (const id of requested) expect(answered.has(id) !== waiting.has(id)).toBe(true);
    }),
  );
});
