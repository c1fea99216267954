/**
 * CheckpointCoordinator bookkeeping: trigger decisions (TOO_MANY_CONCURRENT,
 * MIN_PAUSE, NO_RUNNING_SOURCES; savepoints skip pause and concurrency),
 * acknowledgements completing a checkpoint exactly once, unknown ids ignored,
 * finished subtasks still acknowledging (with their final state) current and
 * later checkpoints, finalCheckpoint, subsumption by id, fail() against
 * tolerableFailures (a completion resets the
 * count, savepoint failures never fail the job), expired(now), reset(),
 * advancePast(), and that ids only grow (also as a fast-check property).
 */
import fc from 'fast-check';
import { CheckpointCoordinator, CheckpointFailure, type CheckpointConfig, type SubtaskAck } from './CheckpointCoordinator';

const SUBTASKS = ['src#0', 'src#1', 'map#0', 'sink#0'];
const SOURCES = ['src#0', 'src#1'];

function config(o: Partial<CheckpointConfig> = {}): CheckpointConfig {
  return {
    intervalMs: 100,
    mode: 'exactly-once',
    timeoutMs: 1000,
    minPauseMs: 0,
    maxConcurrent: 10,
    tolerableFailures: 0,
    retained: 1,
    retention: 'RETAIN_ON_CANCELLATION',
    ...o,
  };
}

function ack(subtaskKey: string, tag = ''): SubtaskAck {
  return {
    subtaskKey,
    operatorUids: [subtaskKey.split('#')[0]],
    subtaskIndex: Number(subtaskKey.split('#')[1]),
    handle: undefined,
    alignmentMs: tag.length,
    syncMs: 0,
    asyncMs: 0,
  };
}

function coordinator(o: Partial<CheckpointConfig> = {}, firstId?: number): CheckpointCoordinator {
  return new CheckpointCoordinator(config(o), SUBTASKS, SOURCES, firstId);
}

function triggerOk(c: CheckpointCoordinator, now = 0, options?: { savepoint?: boolean; terminate?: boolean }) {
  const d = c.trigger(now, options);
  if (!d.ok) throw new Error(`trigger refused: ${d.reason}`);
  return d.checkpoint;
}

function ackAll(c: CheckpointCoordinator, id: number, keys: readonly string[] = SUBTASKS) {
  let done;
  for (const k of keys) {
    const r = c.acknowledge(id, ack(k));
    if (r !== undefined) {
      expect(done).toBeUndefined();
      done = r;
    }
  }
  return done;
}

describe('trigger', () => {
  test('a triggered checkpoint waits for every subtask and has no acks yet', () => {
    const c = coordinator();
    const p = triggerOk(c, 42);
    expect(p.id).toBe(1);
    expect(p.timestamp).toBe(42);
    expect(p.savepoint).toBe(false);
    expect(p.terminate).toBe(false);
    expect([...p.notYetAcknowledged].sort()).toEqual([...SUBTASKS].sort());
    expect(p.acks.size).toBe(0);
    expect(p.completing).toBe(false);
    expect(c.pendingCheckpoints.map((x) => x.id)).toEqual([1]);
  });

  test('firstId sets the first id', () => {
    expect(triggerOk(coordinator({}, 17)).id).toBe(17);
  });

  test('TOO_MANY_CONCURRENT when maxConcurrent checkpoints are pending; refusals do not use up ids', () => {
    const c = coordinator({ maxConcurrent: 2 });
    expect(triggerOk(c).id).toBe(1);
    expect(triggerOk(c).id).toBe(2);
    expect(c.trigger(5)).toEqual({ ok: false, reason: 'TOO_MANY_CONCURRENT' });
    expect(c.pendingCheckpoints).toHaveLength(2);
    c.fail(1, 'CHECKPOINT_DECLINED', 'x');
    expect(triggerOk(c).id).toBe(3);
  });

  test('a checkpoint whose acks are all in (completing) no longer counts as concurrent', () => {
    const c = coordinator({ maxConcurrent: 1 });
    const p = triggerOk(c);
    expect(c.trigger(1)).toEqual({ ok: false, reason: 'TOO_MANY_CONCURRENT' });
    expect(ackAll(c, p.id)).toBe(p);
    expect(triggerOk(c, 2).id).toBe(2);
  });

  test('MIN_PAUSE: the next checkpoint starts no earlier than minPauseMs after the last completion', () => {
    const c = coordinator({ minPauseMs: 100 });
    const p = triggerOk(c, 0); // no completion yet: no pause
    ackAll(c, p.id);
    c.completed(p.id, 50);
    expect(c.trigger(50)).toEqual({ ok: false, reason: 'MIN_PAUSE' });
    expect(c.trigger(149)).toEqual({ ok: false, reason: 'MIN_PAUSE' });
    expect(triggerOk(c, 150).id).toBe(2);
  });

  test('TOO_MANY_CONCURRENT is reported before MIN_PAUSE', () => {
    const c = coordinator({ minPauseMs: 100, maxConcurrent: 1 });
    const p = triggerOk(c, 0);
    ackAll(c, p.id);
    c.completed(p.id, 10);
    triggerOk(c, 200);
    expect(c.trigger(210)).toEqual({ ok: false, reason: 'TOO_MANY_CONCURRENT' });
  });

  test('savepoints skip the concurrency limit and the minimum pause', () => {
    const c = coordinator({ minPauseMs: 1000, maxConcurrent: 1 });
    const p = triggerOk(c, 0);
    ackAll(c, p.id);
    c.completed(p.id, 10);
    expect(c.trigger(20)).toEqual({ ok: false, reason: 'MIN_PAUSE' });
    const sp = triggerOk(c, 20, { savepoint: true, terminate: true });
    expect(sp).toMatchObject({ id: 2, savepoint: true, terminate: true, timestamp: 20 });
    const sp2 = triggerOk(c, 21, { savepoint: true });
    expect(sp2).toMatchObject({ id: 3, savepoint: true, terminate: false });
    expect(c.pendingCheckpoints).toHaveLength(2);
  });

  test('NO_RUNNING_SOURCES once every source finished, also for savepoints', () => {
    const c = coordinator();
    expect(c.runningSources()).toEqual(SOURCES);
    c.subtaskFinished('src#0');
    expect(c.runningSources()).toEqual(['src#1']);
    expect(triggerOk(c).id).toBe(1);
    c.subtaskFinished('src#1');
    expect(c.runningSources()).toEqual([]);
    expect(c.trigger(0)).toEqual({ ok: false, reason: 'NO_RUNNING_SOURCES' });
    expect(c.trigger(0, { savepoint: true })).toEqual({ ok: false, reason: 'NO_RUNNING_SOURCES' });
  });
});

describe('acknowledge', () => {
  test('the last ack completes the checkpoint, exactly once', () => {
    const c = coordinator();
    const p = triggerOk(c);
    expect(c.acknowledge(1, ack('src#0'))).toBeUndefined();
    expect(c.acknowledge(1, ack('src#1'))).toBeUndefined();
    expect(c.acknowledge(1, ack('map#0'))).toBeUndefined();
    expect(p.completing).toBe(false);
    const done = c.acknowledge(1, ack('sink#0'));
    expect(done).toBe(p);
    expect(p.completing).toBe(true);
    expect(p.notYetAcknowledged.size).toBe(0);
    expect([...p.acks.keys()].sort()).toEqual([...SUBTASKS].sort());
    // a repeated ack neither completes it again nor replaces the first
    expect(c.acknowledge(1, ack('sink#0', 'again'))).toBeUndefined();
    expect(p.acks.get('sink#0')!.alignmentMs).toBe(0);
  });

  test('a duplicate ack before completion is ignored and does not complete it', () => {
    const c = coordinator();
    triggerOk(c);
    expect(c.acknowledge(1, ack('src#0'))).toBeUndefined();
    expect(c.acknowledge(1, ack('src#0'))).toBeUndefined();
    expect(c.acknowledge(1, ack('src#0'))).toBeUndefined();
    expect(c.pendingCheckpoints[0].notYetAcknowledged.size).toBe(3);
  });

  test('acks for unknown ids, or from unknown subtasks, are ignored', () => {
    const c = coordinator();
    const p = triggerOk(c);
    expect(c.acknowledge(99, ack('src#0'))).toBeUndefined();
    expect(c.acknowledge(1, ack('stranger#0'))).toBeUndefined();
    expect(p.acks.size).toBe(0);
    expect(p.notYetAcknowledged.size).toBe(4);
  });

  test('acks after a checkpoint failed or completed are ignored', () => {
    const c = coordinator();
    triggerOk(c);
    c.fail(1, 'CHECKPOINT_EXPIRED', 'late');
    expect(ackAll(c, 1)).toBeUndefined();
    const p2 = triggerOk(c);
    expect(ackAll(c, p2.id)).toBe(p2);
    c.completed(p2.id, 5);
    expect(c.pendingCheckpoints).toEqual([]);
    expect(ackAll(c, p2.id)).toBeUndefined();
  });

  test('concurrent checkpoints complete independently', () => {
    const c = coordinator();
    const p1 = triggerOk(c);
    const p2 = triggerOk(c);
    expect(ackAll(c, p2.id)).toBe(p2);
    expect(p1.completing).toBe(false);
    expect(ackAll(c, p1.id)).toBe(p1);
  });
});

describe('subtaskFinished', () => {
  test('returns the pending checkpoints the finished subtask still owes an ack (with its final state)', () => {
    const c = coordinator();
    const p1 = triggerOk(c);
    const p2 = triggerOk(c);
    c.acknowledge(p1.id, ack('sink#0'));
    expect(c.subtaskFinished('sink#0')).toEqual([p2]);
    expect(c.finishedSubtasks()).toEqual(['sink#0']);
  });

  test('a finished subtask still has to acknowledge: later checkpoints wait for it and name it', () => {
    const c = coordinator();
    c.subtaskFinished('src#0');
    const d = c.trigger(0);
    if (!d.ok) throw new Error('refused');
    expect(d.finished).toEqual(['src#0']);
    expect(d.checkpoint.notYetAcknowledged.has('src#0')).toBe(true);
    expect(ackAll(c, d.checkpoint.id, ['src#1', 'map#0', 'sink#0'])).toBeUndefined();
    expect(c.acknowledge(d.checkpoint.id, ack('src#0', 'final'))).toBe(d.checkpoint);
    expect(d.checkpoint.acks.get('src#0')!.alignmentMs).toBe('final'.length);
  });

  test('finishing never completes a checkpoint by itself', () => {
    const c = coordinator();
    const p = triggerOk(c);
    for (const k of ['src#0', 'src#1', 'map#0']) c.acknowledge(p.id, ack(k));
    expect(c.subtaskFinished('sink#0')).toEqual([p]);
    expect(p.completing).toBe(false);
  });
});

describe('finalCheckpoint', () => {
  test('throws until every subtask finished, then waits for every subtask\'s final state under a new id', () => {
    const c = coordinator();
    triggerOk(c);
    expect(c.allFinished).toBe(false);
    for (const k of SUBTASKS.slice(0, 3)) c.subtaskFinished(k);
    expect(() => c.finalCheckpoint(10)).toThrow(/not every subtask has finished/);
    c.subtaskFinished(SUBTASKS[3]);
    expect(c.allFinished).toBe(true);
    const fin = c.finalCheckpoint(20);
    expect(fin.id).toBe(2);
    expect(fin.timestamp).toBe(20);
    expect(fin.savepoint).toBe(false);
    expect([...fin.notYetAcknowledged].sort()).toEqual([...SUBTASKS].sort());
    expect(c.pendingCheckpoints.map((x) => x.id)).toContain(2);
    expect(ackAll(c, fin.id)).toBe(fin);
  });
});

describe('completion and subsumption', () => {
  test('a completed checkpoint subsumes older pending checkpoints, never savepoints', () => {
    const c = coordinator();
    const p1 = triggerOk(c);
    const sp = triggerOk(c, 0, { savepoint: true });
    const p3 = triggerOk(c);
    ackAll(c, p3.id);
    expect(c.completed(p3.id, 5)).toEqual({ current: true, subsumed: [p1.id] });
    expect(sp.id).toBe(2);
  });

  test('a checkpoint that completes after a newer one is not current (ids decide, not completion order)', () => {
    const c = coordinator();
    const p1 = triggerOk(c);
    const p2 = triggerOk(c);
    ackAll(c, p1.id);
    ackAll(c, p2.id);
    expect(c.completed(p2.id, 5)).toEqual({ current: true, subsumed: [p1.id] });
    expect(c.completed(p1.id, 6)).toEqual({ current: false, subsumed: [] });
  });

  test('isPending follows trigger, completion and failure', () => {
    const c = coordinator();
    const p = triggerOk(c);
    expect(c.isPending(p.id)).toBe(true);
    c.fail(p.id, 'CHECKPOINT_DECLINED', 'x');
    expect(c.isPending(p.id)).toBe(false);
  });
});

describe('fail and tolerableFailures', () => {
  test('fail of an unknown checkpoint returns undefined', () => {
    expect(coordinator().fail(5, 'CHECKPOINT_DECLINED', 'x')).toBeUndefined();
  });

  test('a failure removes the checkpoint and carries a typed CheckpointFailure', () => {
    const c = coordinator({ tolerableFailures: 5 });
    triggerOk(c);
    const r = c.fail(1, 'CHECKPOINT_DECLINED', 'sink said no')!;
    expect(r.failJob).toBe(false);
    expect(r.failure).toBeInstanceOf(CheckpointFailure);
    expect(r.failure.code).toBe('CHECKPOINT_DECLINED');
    expect(r.failure.checkpointId).toBe(1);
    expect(r.failure.message).toContain('sink said no');
    expect(c.pendingCheckpoints).toEqual([]);
    expect(c.fail(1, 'CHECKPOINT_DECLINED', 'again')).toBeUndefined();
  });

  test('tolerableFailures 0: the first failure fails the job', () => {
    const c = coordinator({ tolerableFailures: 0 });
    triggerOk(c);
    expect(c.fail(1, 'CHECKPOINT_EXPIRED', 'x')!.failJob).toBe(true);
  });

  test('failJob only after more than the tolerated consecutive failures', () => {
    const c = coordinator({ tolerableFailures: 2 });
    const results = [1, 2, 3, 4].map(() => {
      const p = triggerOk(c);
      return c.fail(p.id, 'CHECKPOINT_EXPIRED', 'x')!.failJob;
    });
    expect(results).toEqual([false, false, true, true]);
  });

  test('a completion resets the count of consecutive failures', () => {
    const c = coordinator({ tolerableFailures: 2 });
    const failOnce = () => c.fail(triggerOk(c, 10).id, 'CHECKPOINT_DECLINED', 'x')!.failJob;
    expect(failOnce()).toBe(false);
    expect(failOnce()).toBe(false);
    const p = triggerOk(c, 5);
    ackAll(c, p.id);
    c.completed(p.id, 6);
    expect(failOnce()).toBe(false);
    expect(failOnce()).toBe(false);
    expect(failOnce()).toBe(true);
  });

  test('savepoint failures never fail the job and do not count', () => {
    const c = coordinator({ tolerableFailures: 1 });
    for (let i = 0; i < 5; i++) {
      const sp = triggerOk(c, 0, { savepoint: true });
      expect(c.fail(sp.id, 'CHECKPOINT_EXPIRED', 'x')!.failJob).toBe(false);
    }
    expect(c.fail(triggerOk(c).id, 'CHECKPOINT_EXPIRED', 'x')!.failJob).toBe(false);
    expect(c.fail(triggerOk(c).id, 'CHECKPOINT_EXPIRED', 'x')!.failJob).toBe(true);
  });

  test('JOB_FAILOVER aborts do not count as checkpoint failures', () => {
    const c = coordinator({ tolerableFailures: 0 });
    expect(c.fail(triggerOk(c).id, 'JOB_FAILOVER', 'restart')!.failJob).toBe(false);
    expect(c.fail(triggerOk(c).id, 'CHECKPOINT_DECLINED', 'x')!.failJob).toBe(true);
  });

  test('a checkpoint subsumed by a newer one is aborted without counting as a failure', () => {
    const c = coordinator({ tolerableFailures: 0 });
    const outcome = c.fail(triggerOk(c).id, 'CHECKPOINT_SUBSUMED', 'newer barrier')!;
    expect(outcome.failJob).toBe(false);
    expect(outcome.failure.code).toBe('CHECKPOINT_SUBSUMED');
    expect(c.fail(triggerOk(c).id, 'CHECKPOINT_DECLINED', 'x')!.failJob).toBe(true);
  });
});

describe('expired', () => {
  test('lists pending checkpoints at or past their timeout, not those completing', () => {
    const c = coordinator({ timeoutMs: 100 });
    const p1 = triggerOk(c, 0);
    const p2 = triggerOk(c, 50);
    const p3 = triggerOk(c, 60);
    ackAll(c, p3.id); // completing: metadata being written
    expect(c.expired(99)).toEqual([]);
    expect(c.expired(100)).toEqual([p1]);
    expect(c.expired(149).map((p) => p.id)).toEqual([1]);
    expect(c.expired(150).map((p) => p.id)).toEqual([p1.id, p2.id]);
    // expired() only reports; fail() removes
    expect(c.pendingCheckpoints).toHaveLength(3);
  });
});

describe('reset, advancePast and ids', () => {
  test('reset drops pending checkpoints and finished subtasks; ids keep growing', () => {
    const c = coordinator();
    triggerOk(c);
    triggerOk(c);
    c.subtaskFinished('src#0');
    c.subtaskFinished('map#0');
    expect(c.reset().sort()).toEqual([1, 2]);
    expect(c.pendingCheckpoints).toEqual([]);
    expect(c.runningSources()).toEqual(SOURCES);
    const p = triggerOk(c);
    expect(p.id).toBe(3);
    expect([...p.notYetAcknowledged].sort()).toEqual([...SUBTASKS].sort());
    expect(p.acks.size).toBe(0);
    // acks of dropped checkpoints are ignored
    expect(ackAll(c, 1)).toBeUndefined();
  });

  test('advancePast moves the next id beyond a restored checkpoint, never back', () => {
    const c = coordinator();
    c.advancePast(10);
    expect(triggerOk(c).id).toBe(11);
    c.advancePast(5);
    expect(triggerOk(c).id).toBe(12);
    c.advancePast(12);
    expect(triggerOk(c).id).toBe(13);
  });

  test('ids only grow over any sequence of triggers, savepoints, finals, resets and restores', () => {
    type Op = { kind: 'trigger' } | { kind: 'savepoint' } | { kind: 'reset' } | { kind: 'advance'; id: number } | { kind: 'finishAll' } | { kind: 'ackAll' };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.constant<Op>({ kind: 'trigger' }),
      fc.constant<Op>({ kind: 'savepoint' }),
      fc.constant<Op>({ kind: 'reset' }),
      fc.integer({ min: 0, max: 30 }).map<Op>((id) => ({ kind: 'advance', id })),
      fc.constant<Op>({ kind: 'finishAll' }),
      fc.constant<Op>({ kind: 'ackAll' }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        const c = coordinator({ maxConcurrent: 2 });
        let last = 0;
        let floor = 0;
        const seen = (id: number) => {
          expect(id).toBeGreaterThan(last);
          expect(id).toBeGreaterThan(floor);
          last = id;
        };
        for (const op of ops) {
          switch (op.kind) {
            case 'trigger':
            case 'savepoint': {
              const d = c.trigger(0, { savepoint: op.kind === 'savepoint' });
              if (d.ok) seen(d.checkpoint.id);
              break;
            }
            case 'reset':
              c.reset();
              break;
            case 'advance':
              c.advancePast(op.id);
              floor = Math.max(floor, op.id);
              break;
            case 'finishAll':
              for (const k of SUBTASKS) c.subtaskFinished(k);
              seen(c.finalCheckpoint(0).id);
              c.reset();
              break;
            case 'ackAll':
              for (const p of c.pendingCheckpoints) {
                ackAll(c, p.id);
                c.completed(p.id, 0);
              }
              break;
          }
        }
      }),
    );
  });
});
