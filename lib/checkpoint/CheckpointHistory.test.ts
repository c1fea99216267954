/** CheckpointHistory: stats from trigger to completion or failure, and what the listener hears. */
import { CheckpointHistory } from './CheckpointHistory';

function setup() {
  const heard: string[] = [];
  const h = new CheckpointHistory({
    triggered: (s) => heard.push(`triggered ${s.id}`),
    completed: (s) => heard.push(`completed ${s.id} ${s.durationMs}ms`),
    failed: (s) => heard.push(`failed ${s.id} ${s.failureReason}`),
  });
  return { h, heard };
}

test('a checkpoint goes from in progress to completed with its duration, alignment, size and location', () => {
  const { h, heard } = setup();
  h.triggered(1, false, 100);
  expect(h.get(1)).toEqual({ id: 1, savepoint: false, triggerTime: 100, state: 'IN_PROGRESS' });
  const s = h.completed(1, 130, { alignmentMs: 4, sizeBytes: 2048, location: 'memory://chk-1/_metadata' });
  expect(s).toEqual({
    id: 1,
    savepoint: false,
    triggerTime: 100,
    state: 'COMPLETED',
    durationMs: 30,
    alignmentMs: 4,
    sizeBytes: 2048,
    location: 'memory://chk-1/_metadata',
  });
  expect(heard).toEqual(['triggered 1', 'completed 1 30ms']);
});

test('failures carry their reason; failInProgress fails only what is still in progress', () => {
  const { h, heard } = setup();
  h.triggered(1, false, 0);
  h.triggered(2, true, 10);
  h.triggered(3, false, 20);
  h.completed(1, 5, { alignmentMs: 0, sizeBytes: 0, location: undefined });
  h.failed(2, 15, 'CHECKPOINT_EXPIRED');
  h.failInProgress(40, 'JOB_FAILOVER');
  expect(h.all().map((s) => [s.id, s.state, s.failureReason])).toEqual([
    [1, 'COMPLETED', undefined],
    [2, 'FAILED', 'CHECKPOINT_EXPIRED'],
    [3, 'FAILED', 'JOB_FAILOVER'],
  ]);
  expect(h.get(3)!.durationMs).toBe(20);
  expect(heard.filter((x) => x.startsWith('failed'))).toEqual(['failed 2 CHECKPOINT_EXPIRED', 'failed 3 JOB_FAILOVER']);
});

test('only the newest records are kept, never dropping one in progress; counts cover the whole life', () => {
  const h = new CheckpointHistory({ triggered: () => {}, completed: () => {}, failed: () => {} }, 3);
  h.triggered(1, false, 0); // stays in progress throughout
  for (let id = 2; id <= 10; id++) {
    h.triggered(id, id === 4, id);
    if (id % 5 === 0) h.failed(id, id + 1, 'CHECKPOINT_DECLINED');
    else h.completed(id, id + 1, { alignmentMs: 0, sizeBytes: 0, location: undefined });
  }
  expect(h.all().map((s) => s.id)).toEqual([1, 9, 10]);
  expect(h.totals()).toEqual({ completed: 6, savepoints: 1, failed: 2, inProgress: 1 });
  h.failInProgress(20, 'JOB_FAILOVER');
  h.triggered(11, false, 21);
  h.completed(11, 22, { alignmentMs: 0, sizeBytes: 0, location: undefined });
  expect(h.all().map((s) => s.id)).toEqual([9, 10, 11]);
  expect(h.totals()).toEqual({ completed: 7, savepoints: 1, failed: 3, inProgress: 0 });
});

test('a history size that is not a positive integer is a configuration error', () => {
  for (const size of [0, -1, 1.5, NaN]) {
    expect(() => new CheckpointHistory({ triggered: () => {}, completed: () => {}, failed: () => {} }, size)).toThrow(expect.objectContaining({ name: 'ConfigurationError' }));
  }
});
