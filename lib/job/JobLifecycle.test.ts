/**
 * The job lifecycle's transition function, without actors or timers: every
 * legal move, the commands it returns, stale attempts, illegal events.
 */
import { IllegalJobTransitionError } from '../errors';
import type { SubtaskMetrics } from '../operators/StreamTask';
import type { RestoredState } from '../checkpoint/SubtaskState';
import { check, initialLifecycle, JOB_STATUS_MOVES, transition, type JobCommand, type JobEvent, type JobLifecycleState } from './JobLifecycle';
import { isJobStatus, isTerminal, JOB_STATUSES } from './JobStatus';

const metrics = (key: string): SubtaskMetrics => ({
  vertexId: Number(key.split('#')[0]),
  subtaskIndex: Number(key.split('#')[1]),
  operators: [],
  maxQueuedBuffers: 0,
  inputCredits: 0,
  buffersSent: 0,
});

const restart = (delayMs: number) => ({ restart: true as const, delayMs });
const noRestart = { restart: false as const, reason: 'the restart strategy is noRestart()' };
const failure = (attempt: number, decision: { restart: true; delayMs: number } | { restart: false; reason: string }, at = 100): JobEvent => ({
  type: 'JobFailed',
  attempt,
  error: new Error('boom'),
  cause: 'Error: boom',
  at,
  decision,
});

/** Applies events in order; returns the last state and every command, failing on an illegal event. */
function run(events: readonly JobEvent[], from: JobLifecycleState = initialLifecycle(2)): { state: JobLifecycleState; commands: JobCommand[] } {
  let state = from;
  const commands: JobCommand[] = [];
  for (const e of events) {
    const t = transition(state, e);
    if (t.verdict.kind === 'illegal') throw t.verdict.error;
    state = t.state;
    commands.push(...t.commands);
  }
  return { state, commands };
}

const types = (commands: readonly JobCommand[]) => commands.map((c) => (c.type === 'PublishStatus' ? `PublishStatus:${c.status}` : c.type));
const loaded = (attempt: number, restore?: RestoredState): JobEvent => ({ type: 'RestoreLoaded', attempt, restore, notes: [] });
const RUNNING: JobEvent[] = [{ type: 'JobSubmitted' }, loaded(1)];

describe('JobStatus', () => {
  test('one closed set with Flink\'s names; FINISHED, FAILED and CANCELED are terminal', () => {
    expect(JOB_STATUSES).toEqual(['CREATED', 'RUNNING', 'FAILING', 'RESTARTING', 'FINISHED', 'FAILED', 'CANCELLING', 'CANCELED']);
    expect(JOB_STATUSES.filter(isTerminal)).toEqual(['FINISHED', 'FAILED', 'CANCELED']);
    expect(isJobStatus('RUNNING')).toBe(true);
    expect(isJobStatus('DONE')).toBe(false);
  });
});

describe('start', () => {
  test('submitted: prepare attempt 1, still CREATED', () => {
    const { state, commands } = run([{ type: 'JobSubmitted' }]);
    expect(state).toMatchObject({ status: 'CREATED', attempt: 0, loading: 1 });
    expect(commands).toEqual([{ type: 'PrepareJob', attempt: 1 }]);
  });

  test('restore loaded: attempt 1 deploys and runs', () => {
    const restore = { checkpointId: 4 } as unknown as RestoredState;
    const initial = { checkpointId: 4, isSavepoint: true, claimed: [] };
    const { state, commands } = run([{ type: 'JobSubmitted' }, { type: 'RestoreLoaded', attempt: 1, restore, notes: [], restoredFrom: 'savepoint', initial }]);
    expect(state).toMatchObject({ status: 'RUNNING', attempt: 1, loading: undefined });
    expect(types(commands)).toEqual(['PrepareJob', 'AdoptInitialSnapshot', 'PublishStatus:RUNNING', 'Deploy', 'StartCheckpointing']);
    expect(commands[3]).toEqual({ type: 'Deploy', attempt: 1, restore, notes: [], restoredFrom: 'savepoint' });
  });

  test('restore failed: FAILING then FAILED, the result waits for cleanup', () => {
    const error = new Error('unreadable');
    const { state, commands } = run([{ type: 'JobSubmitted' }, { type: 'RestoreFailed', attempt: 1, error, reason: 'the savepoint cannot be restored' }]);
    expect(state.status).toBe('FAILED');
    expect(types(commands)).toEqual(['PrepareJob', 'PublishStatus:FAILING', 'PublishStatus:FAILED', 'Terminate']);
    expect(commands[3]).toMatchObject({ type: 'Terminate', end: 'FAILED', outcome: { status: 'FAILED', error, reason: 'the savepoint cannot be restored' } });
    const settled = run([{ type: 'CleanupDone' }], state);
    expect(settled.commands).toEqual([{ type: 'SettleResult', outcome: { status: 'FAILED', error, reason: 'the savepoint cannot be restored' } }]);
    expect(settled.state.settled).toBe(true);
  });

  test('a savepoint requested before the job runs is taken once it runs', () => {
    const { state, commands } = run([{ type: 'JobSubmitted' }, { type: 'SavepointRequested', requestId: 1, directory: '/sp', terminate: false }]);
    expect(commands).toEqual([{ type: 'PrepareJob', attempt: 1 }]);
    expect(state.earlySavepoints).toEqual([{ requestId: 1, directory: '/sp', terminate: false }]);
    const after = run([loaded(1)], state);
    expect(after.commands[after.commands.length - 1]).toEqual({ type: 'TriggerSavepoint', request: { requestId: 1, directory: '/sp', terminate: false } });
    expect(after.state.earlySavepoints).toEqual([]);
  });

  test('a savepoint requested before the job runs fails when the job is cancelled first', () => {
    const { commands } = run([{ type: 'JobSubmitted' }, { type: 'SavepointRequested', requestId: 7, directory: '/sp', terminate: true }, { type: 'CancelRequested' }]);
    expect(commands).toContainEqual({ type: 'RejectSavepoint', requestId: 7, message: 'cannot take a savepoint: the job is CANCELED' });
  });
});

describe('running', () => {
  test('a savepoint is triggered while RUNNING', () => {
    const { commands } = run([...RUNNING, { type: 'SavepointRequested', requestId: 2, directory: '/sp', terminate: true }]);
    expect(commands[commands.length - 1]).toEqual({ type: 'TriggerSavepoint', request: { requestId: 2, directory: '/sp', terminate: true } });
  });

  test('every subtask closed: FINISHED with their metrics; the result settles once on cleanup', () => {
    const { state, commands } = run([
      ...RUNNING,
      { type: 'SubtaskFinished', attempt: 1, subtask: '1#0', metrics: metrics('1#0') },
      { type: 'SubtaskClosed', attempt: 1, subtask: '1#0', metrics: metrics('1#0') },
      { type: 'SubtaskClosed', attempt: 1, subtask: '1#1', metrics: metrics('1#1') },
    ]);
    expect(state.status).toBe('FINISHED');
    expect(Object.keys(state.finished)).toEqual(['1#0', '1#1']);
    expect(types(commands).slice(-3)).toEqual(['SubtaskFinished', 'PublishStatus:FINISHED', 'Terminate']);
    expect(commands[commands.length - 1]).toMatchObject({ end: 'FINISHED', outcome: { status: 'FINISHED', savepoint: undefined } });
    const settled = transition(state, { type: 'CleanupDone' });
    expect(settled.commands).toEqual([{ type: 'SettleResult', outcome: { status: 'FINISHED', savepoint: undefined } }]);
    const twice = transition(settled.state, { type: 'CleanupDone' });
    expect(twice.verdict.kind).toBe('illegal');
  });

  test('a closed subtask reported twice counts once', () => {
    const { state } = run([...RUNNING, { type: 'SubtaskClosed', attempt: 1, subtask: '1#0', metrics: metrics('1#0') }, { type: 'SubtaskClosed', attempt: 1, subtask: '1#0', metrics: metrics('1#0') }]);
    expect(state.status).toBe('RUNNING');
  });

  test('stop-with-savepoint: the savepoint completes, subtasks close, the job is FINISHED (STOPPED)', () => {
    const { state, commands } = run([
      ...RUNNING,
      { type: 'StopSavepointCompleted', location: '/sp/_metadata' },
      { type: 'SubtaskClosed', attempt: 1, subtask: '1#0', metrics: metrics('1#0') },
      { type: 'SubtaskClosed', attempt: 1, subtask: '1#1', metrics: metrics('1#1') },
    ]);
    expect(state.status).toBe('FINISHED');
    expect(commands[commands.length - 1]).toMatchObject({ type: 'Terminate', end: 'STOPPED', outcome: { status: 'FINISHED', savepoint: '/sp/_metadata' } });
  });

  test('cancel while running: CANCELLING then CANCELED', () => {
    const { state, commands } = run([...RUNNING, { type: 'CancelRequested' }]);
    expect(state.status).toBe('CANCELED');
    expect(types(commands).slice(-3)).toEqual(['PublishStatus:CANCELLING', 'PublishStatus:CANCELED', 'Terminate']);
    expect(commands[commands.length - 1]).toMatchObject({ end: 'CANCELED', outcome: { status: 'CANCELED' } });
  });

  test('the master crashed: FAILED with the reason', () => {
    const error = new Error('bug');
    const { state, commands } = run([...RUNNING, { type: 'MasterCrashed', error }]);
    expect(state.status).toBe('FAILED');
    expect(commands[commands.length - 1]).toMatchObject({ outcome: { status: 'FAILED', error, reason: 'the job master failed' } });
  });
});

describe('failures and restarts', () => {
  test('failure with a restart: stop, reset checkpoints, record, RESTARTING, schedule attempt 2', () => {
    const { state, commands } = run([...RUNNING, failure(1, restart(250), 100)]);
    expect(state).toMatchObject({ status: 'RESTARTING', attempt: 1, restarts: [{ at: 100, attempt: 1, cause: 'Error: boom', delayMs: 250 }] });
    expect(types(commands).slice(-5)).toEqual(['StopSubtasks', 'ResetCheckpoints', 'PublishRestart', 'PublishStatus:RESTARTING', 'ScheduleRestart']);
    expect(commands[commands.length - 1]).toEqual({ type: 'ScheduleRestart', attempt: 2, delayMs: 250 });
  });

  test('the restart timer loads the restore; attempt 2 deploys, and the restart record says what it restored', () => {
    const restore = { checkpointId: 3 } as unknown as RestoredState;
    const { state, commands } = run([
      ...RUNNING,
      failure(1, restart(10)),
      { type: 'RestartTimerFired', attempt: 2 },
      { type: 'RestoreLoaded', attempt: 2, restore, notes: ['checkpoint 4 unusable: corrupt'] },
    ]);
    expect(state).toMatchObject({ status: 'RUNNING', attempt: 2, finished: {}, closed: [] });
    expect(state.restarts[0]).toMatchObject({ attempt: 1, restoredCheckpoint: 3, unusableCheckpoints: ['checkpoint 4 unusable: corrupt'] });
    expect(types(commands).slice(-4)).toEqual(['LoadRestore', 'PublishStatus:RUNNING', 'Deploy', 'StartCheckpointing']);
    expect(commands.filter((c) => c.type === 'Deploy').map((c) => (c as { attempt: number }).attempt)).toEqual([1, 2]);
  });

  test('failure without a restart: FAILING then FAILED with the strategy\'s reason', () => {
    const { state, commands } = run([...RUNNING, failure(1, noRestart)]);
    expect(state.status).toBe('FAILED');
    expect(types(commands).slice(-5)).toEqual(['StopSubtasks', 'ResetCheckpoints', 'PublishStatus:FAILING', 'PublishStatus:FAILED', 'Terminate']);
    expect(commands[commands.length - 1]).toMatchObject({ outcome: { status: 'FAILED', reason: 'the restart strategy is noRestart()' } });
  });

  test('restore failed after a restart: FAILED', () => {
    const { state } = run([...RUNNING, failure(1, restart(10)), { type: 'RestartTimerFired', attempt: 2 }, { type: 'RestoreFailed', attempt: 2, error: new Error('x'), reason: 'no checkpoint could be restored' }]);
    expect(state.status).toBe('FAILED');
  });

  test('cancel during a restart: CANCELED, the restart timer is cancelled by Terminate, a late timer is ignored', () => {
    const { state, commands } = run([...RUNNING, failure(1, restart(10)), { type: 'CancelRequested' }]);
    expect(state.status).toBe('CANCELED');
    expect(types(commands).slice(-3)).toEqual(['PublishStatus:CANCELLING', 'PublishStatus:CANCELED', 'Terminate']);
    const late = transition(state, { type: 'RestartTimerFired', attempt: 2 });
    expect(late).toMatchObject({ state, commands: [], verdict: { kind: 'ignored' } });
  });

  test('cancel while the restore loads: a late RestoreLoaded deploys nothing', () => {
    const { state } = run([...RUNNING, failure(1, restart(10)), { type: 'RestartTimerFired', attempt: 2 }, { type: 'CancelRequested' }]);
    expect(transition(state, loaded(2))).toMatchObject({ commands: [], verdict: { kind: 'ignored' } });
  });

  test('stop-with-savepoint then a failure: the stop is forgotten, the job restarts and later FINISHED, not STOPPED', () => {
    const { state, commands } = run([
      ...RUNNING,
      { type: 'StopSavepointCompleted', location: '/sp/_metadata' },
      failure(1, restart(0)),
      { type: 'RestartTimerFired', attempt: 2 },
      loaded(2),
      { type: 'SubtaskClosed', attempt: 2, subtask: '1#0', metrics: metrics('1#0') },
      { type: 'SubtaskClosed', attempt: 2, subtask: '1#1', metrics: metrics('1#1') },
    ]);
    expect(state.status).toBe('FINISHED');
    expect(commands[commands.length - 1]).toMatchObject({ type: 'Terminate', end: 'FINISHED', outcome: { status: 'FINISHED', savepoint: undefined } });
  });

  test('a savepoint while RESTARTING is rejected', () => {
    const { commands } = run([...RUNNING, failure(1, restart(10)), { type: 'SavepointRequested', requestId: 3, directory: '/sp', terminate: false }]);
    expect(commands[commands.length - 1]).toEqual({ type: 'RejectSavepoint', requestId: 3, message: 'cannot take a savepoint while the job is RESTARTING' });
  });
});

describe('stale attempts and ignored events', () => {
  const restarted = run([...RUNNING, failure(1, restart(0)), { type: 'RestartTimerFired', attempt: 2 }, loaded(2)]).state;

  test.each<JobEvent>([
    { type: 'SubtaskFinished', attempt: 1, subtask: '1#0', metrics: metrics('1#0') },
    { type: 'SubtaskClosed', attempt: 1, subtask: '1#0', metrics: metrics('1#0') },
    failure(1, restart(0)),
    { type: 'RestartTimerFired', attempt: 2 },
    loaded(2),
    { type: 'RestoreFailed', attempt: 2, error: new Error('late'), reason: 'late' },
  ])('attempt 2 runs: $type of a replaced attempt is ignored', (event) => {
    const t = transition(restarted, event);
    expect(t.verdict.kind).toBe('ignored');
    expect(t.state).toBe(restarted);
    expect(t.commands).toEqual([]);
  });

  test('subtask messages before the job runs are ignored', () => {
    const created = run([{ type: 'JobSubmitted' }]).state;
    expect(check(created, { type: 'SubtaskFinished', attempt: 1 }).kind).toBe('ignored');
    expect(check(created, { type: 'JobFailed', attempt: 0 }).kind).toBe('ignored');
  });

  test('a restart timer of the wrong attempt is ignored', () => {
    const restarting = run([...RUNNING, failure(1, restart(0))]).state;
    expect(check(restarting, { type: 'RestartTimerFired', attempt: 3 }).kind).toBe('ignored');
    expect(check(restarting, { type: 'RestartTimerFired', attempt: 2 }).kind).toBe('accepted');
  });

  test('a terminal job absorbs every event; a savepoint request is answered with an error', () => {
    const canceled = run([...RUNNING, { type: 'CancelRequested' }]).state;
    for (const e of [loaded(2), failure(1, restart(0)), { type: 'CancelRequested' }, { type: 'MasterCrashed', error: 1 }, { type: 'JobSubmitted' }] as JobEvent[]) {
      expect(transition(canceled, e)).toMatchObject({ state: canceled, commands: [], verdict: { kind: 'ignored' } });
    }
    expect(transition(canceled, { type: 'SavepointRequested', requestId: 9, directory: '/sp', terminate: false }).commands).toEqual([
      { type: 'RejectSavepoint', requestId: 9, message: 'job is CANCELED' },
    ]);
  });
});

describe('illegal events', () => {
  test('submitting twice is an IllegalJobTransitionError, the state unchanged', () => {
    const created = run([{ type: 'JobSubmitted' }]).state;
    const t = transition(created, { type: 'JobSubmitted' });
    expect(t.verdict.kind).toBe('illegal');
    expect(t.state).toBe(created);
    expect(t.verdict.kind === 'illegal' && t.verdict.error).toBeInstanceOf(IllegalJobTransitionError);
    expect(t.verdict.kind === 'illegal' && t.verdict.error.code).toBe('ILLEGAL_JOB_TRANSITION');
  });

  test('cleanup before the end is illegal', () => {
    const running = run(RUNNING).state;
    expect(transition(running, { type: 'CleanupDone' }).verdict.kind).toBe('illegal');
  });
});

describe('every legal move', () => {
  test('each move of JOB_STATUS_MOVES is made by some event, and no other move is', () => {
    const paths: JobEvent[][] = [
      [{ type: 'JobSubmitted' }, { type: 'RestoreFailed', attempt: 1, error: 1, reason: 'r' }],
      [{ type: 'JobSubmitted' }, { type: 'CancelRequested' }],
      [...RUNNING, { type: 'SubtaskClosed', attempt: 1, subtask: '1#0', metrics: metrics('1#0') }, { type: 'SubtaskClosed', attempt: 1, subtask: '1#1', metrics: metrics('1#1') }],
      [...RUNNING, failure(1, noRestart)],
      [...RUNNING, { type: 'CancelRequested' }],
      [...RUNNING, failure(1, restart(1)), { type: 'RestartTimerFired', attempt: 2 }, loaded(2)],
      [...RUNNING, failure(1, restart(1)), { type: 'MasterCrashed', error: 1 }],
      [...RUNNING, failure(1, restart(1)), { type: 'CancelRequested' }],
    ];
    const made = new Set<string>();
    for (const path of paths) {
      let from = initialLifecycle(2).status;
      for (const c of run(path).commands) {
        if (c.type !== 'PublishStatus') continue;
        made.add(`${from}->${c.status}`);
        from = c.status;
      }
    }
    const legal = Object.entries(JOB_STATUS_MOVES).flatMap(([from, to]) => to.map((t) => `${from}->${t}`));
    expect([...made].sort()).toEqual(legal.sort());
  });
});

describe('purity', () => {
  test('the given state is never changed, and the returned one is frozen', () => {
    const before = run(RUNNING).state;
    const snapshot = JSON.stringify(before);
    const after = transition(before, failure(1, restart(5))).state;
    expect(JSON.stringify(before)).toBe(snapshot);
    expect(after).not.toBe(before);
    expect(Object.isFrozen(after)).toBe(true);
    expect(Object.isFrozen(after.restarts)).toBe(true);
  });
});
