import { JobRestarts } from './JobRestarts';

const record = (cause: string, attempt = 1) => ({ at: 0, attempt, cause, delayMs: 0 });

describe('JobRestarts', () => {
  test('adds up the restarts of every run; a planned rescale is none', () => {
    const first = {};
    const second = {};
    const r = new JobRestarts();
    r.nextRun(first);
    r.restarted(first, record('boom'));
    expect([r.count, r.lastFailure]).toEqual([1, 'boom']);
    r.nextRun(second); // a rescale by hand
    r.restarted(first, record('late, from the run that was replaced'));
    r.restarted(second, record('bang'));
    expect([r.count, r.lastFailure]).toEqual([2, 'bang']);
    // The result has the last run's restarts as that run reports them.
    expect(r.all([{ ...record('bang'), restoredCheckpoint: 7 }]).map((x) => [x.cause, x.restoredCheckpoint])).toEqual([
      ['boom', undefined],
      ['bang', 7],
    ]);
  });

  test('a run replaced after a failure is one restart, not two, and its own restarts count no more', () => {
    const first = {};
    const r = new JobRestarts();
    r.nextRun(first);
    r.replacedAfterFailure('node b was lost', 5, false);
    r.restarted(first, record('node b was lost'));
    expect([r.count, r.lastFailure]).toEqual([1, 'node b was lost']);
    // Already restarting for the failure: that restart was counted.
    const second = {};
    r.nextRun(second);
    r.restarted(second, record('node c was lost'));
    r.replacedAfterFailure('node c was lost', 6, true);
    expect(r.count).toBe(2);
    r.nextRun({});
    expect(r.all([])).toHaveLength(2);
  });
});
