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
