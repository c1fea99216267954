/**
 * Tests of the live job documents: status transitions, restarts, checkpoint
 * history with counts and latestCompleted, trimming, serialised concurrent
 * writes, and what a second connection (a dashboard) and subscribe() see.
 */
import ShareDB from 'sharedb';
import type { Doc } from 'sharedb/lib/client';
import { ConfigurationError } from '../errors';
import {
  JobDocumentError,
  JobDocuments,
  type CheckpointRecord,
  type CheckpointsDocument,
  type JobDocument,
  type JobStatus,
} from './JobDocuments';

jest.setTimeout(5000);

const open: JobDocuments[] = [];
function docs(backend?: ShareDB, historySize?: number): JobDocuments {
  const d = new JobDocuments(backend, historySize === undefined ? {} : { historySize });
  open.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map(d => d.close()));
});

function pending(id: number, triggerTime = 1000 + id): CheckpointRecord {
  return { id, savepoint: false, triggerTime, state: 'IN_PROGRESS' };
}
const done = (n: number) => ({ durationMs: 10 + n, alignmentMs: n, sizeBytes: 100 * n, location: `mem://chk-${n}` });

/** Recomputes counts over a history that was never trimmed. */
function tally(history: readonly CheckpointRecord[]) {
  return {
    completed: history.filter(r => r.state === 'COMPLETED').length,
    failed: history.filter(r => r.state === 'FAILED').length,
    inProgress: history.filter(r => r.state === 'IN_PROGRESS').length,
  };
}

async function expectError(p: Promise<unknown>, code: string, text: string): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(JobDocumentError);
  expect((err as JobDocumentError).code).toBe(code);
  expect((err as Error).message).toContain(text);
}

/** Resolves once `doc` (subscribed on a raw connection) satisfies `pred`. */
function docUntil<T>(doc: Doc, pred: (data: T) => boolean): Promise<void> {
  return new Promise(resolve => {
    const check = () => {
      if (doc.type !== null && pred(doc.data as T)) {
        doc.off('op batch', check);
        doc.off('create', check);
        resolve();
      }
    };
    doc.on('op batch', check);
    doc.on('create', check);
    check();
  });
}

/** Records a subscribe() listener's calls; `until` waits for a matching one. */
class Recorder {
  readonly calls: unknown[] = [];
  private waiters: { pred: (d: unknown) => boolean; resolve: () => void }[] = [];
  readonly listener = (data: unknown): void => {
    this.calls.push(data);
    this.waiters = this.waiters.filter(w => (w.pred(data) ? (w.resolve(), false) : true));
  };
  until(pred: (d: unknown) => boolean): Promise<void> {
    if (this.calls.some(pred)) return Promise.resolve();
    return new Promise(resolve => this.waiters.push({ pred, resolve }));
  }
}

describe('JobDocuments: jobs', () => {
  test('createJob creates both documents', async () => {
    const d = docs();
    await d.createJob('j1', 'word count', 500);
    expect(await d.getJob('j1')).toEqual({ jobId: 'j1', name: 'word count', status: 'CREATED', startTime: 500, restarts: 0 });
    expect(await d.getCheckpoints('j1')).toEqual({ jobId: 'j1', history: [], counts: { completed: 0, failed: 0, inProgress: 0 } });
  });

  test('a second createJob for the same id is rejected and changes nothing', async () => {
    const d = docs();
    await d.createJob('j1', 'first', 1);
    await d.setStatus('j1', 'RUNNING', 2);
    await expectError(d.createJob('j1', 'second', 3), 'JOB_EXISTS', "'j1'");
    expect(await d.getJob('j1')).toMatchObject({ name: 'first', status: 'RUNNING', startTime: 1 });
  });

  test('status transitions set endTime only for terminal states, and lastFailure when given', async () => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    const seen: Partial<JobDocument>[] = [];
    const steps: [JobStatus, number, string?][] = [
      ['RUNNING', 10],
      ['FAILING', 20, 'boom'],
      ['RESTARTING', 30],
      ['RUNNING', 40],
      ['FINISHED', 50],
    ];
    for (const [status, at, failure] of steps) {
      await d.setStatus('j', status, at, failure);
      const job = (await d.getJob('j'))!;
      seen.push({ status: job.status, endTime: job.endTime, lastFailure: job.lastFailure });
    }
    expect(seen).toEqual([
      { status: 'RUNNING', endTime: undefined, lastFailure: undefined },
      { status: 'FAILING', endTime: undefined, lastFailure: 'boom' },
      { status: 'RESTARTING', endTime: undefined, lastFailure: 'boom' },
      { status: 'RUNNING', endTime: undefined, lastFailure: 'boom' },
      { status: 'FINISHED', endTime: 50, lastFailure: 'boom' },
    ]);
    const job = (await d.getJob('j'))!;
    expect(Object.keys(job).sort()).toEqual(['endTime', 'jobId', 'lastFailure', 'name', 'restarts', 'startTime', 'status']);
  });

  test.each<JobStatus>(['FINISHED', 'FAILED', 'CANCELED'])('%s is terminal: endTime = at', async status => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    await d.setStatus('j', 'RUNNING', 5);
    await d.setStatus('j', status, 77);
    expect(await d.getJob('j')).toMatchObject({ status, endTime: 77 });
  });

  test.each<JobStatus>(['CREATED', 'RUNNING', 'FAILING', 'RESTARTING', 'CANCELLING'])('%s is not terminal: no endTime', async status => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    await d.setStatus('j', 'FAILED', 9); // endTime set, then must go away again
    await d.setStatus('j', status, 77);
    const job = (await d.getJob('j'))!;
    expect(job.status).toBe(status);
    expect('endTime' in job).toBe(false);
  });

  test('an invalid status is rejected and changes nothing', async () => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    await expectError(d.setStatus('j', 'DONE' as JobStatus, 1), 'INVALID_ARGUMENT', 'status');
    expect((await d.getJob('j'))!.status).toBe('CREATED');
  });

  test('recordRestart counts restarts and keeps the last failure', async () => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    await d.recordRestart('j', 'first');
    await d.recordRestart('j', 'second');
    await d.recordRestart('j', 'third');
    expect(await d.getJob('j')).toMatchObject({ restarts: 3, lastFailure: 'third' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => d.recordRestart('j', `c${i}`)));
    expect(await d.getJob('j')).toMatchObject({ restarts: 23, lastFailure: 'c19' });
  });

  test('calls for an unknown job reject naming the job; reads resolve undefined', async () => {
    const d = docs();
    await expectError(d.setStatus('ghost-7', 'RUNNING', 1), 'UNKNOWN_JOB', "'ghost-7'");
    await expectError(d.recordRestart('ghost-7', 'x'), 'UNKNOWN_JOB', "'ghost-7'");
    await expectError(d.checkpointTriggered('ghost-7', pending(1)), 'UNKNOWN_JOB', "'ghost-7'");
    await expectError(d.checkpointCompleted('ghost-7', 1, done(1)), 'UNKNOWN_JOB', "'ghost-7'");
    await expectError(d.checkpointFailed('ghost-7', 1, { durationMs: 1, failureReason: 'X' }), 'UNKNOWN_JOB', "'ghost-7'");
    expect(await d.getJob('ghost-7')).toBeUndefined();
    expect(await d.getCheckpoints('ghost-7')).toBeUndefined();
    // The job can still be created afterwards, and then it works.
    await d.createJob('ghost-7', 'late', 3);
    await d.setStatus('ghost-7', 'RUNNING', 4);
    expect((await d.getJob('ghost-7'))!.status).toBe('RUNNING');
  });

  test('calls queued right after createJob (not awaited) run after it', async () => {
    const d = docs();
    const all = [
      d.createJob('j', 'n', 0),
      d.setStatus('j', 'RUNNING', 1),
      d.checkpointTriggered('j', pending(1)),
      d.checkpointCompleted('j', 1, done(1)),
    ];
    await Promise.all(all);
    expect((await d.getJob('j'))!.status).toBe('RUNNING');
    expect((await d.getCheckpoints('j'))!.counts).toEqual({ completed: 1, failed: 0, inProgress: 0 });
  });

  test('reads are copies: mutating them does not touch the document', async () => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    const job = (await d.getJob('j'))!;
    job.status = 'FAILED';
    job.restarts = 99;
    expect(await d.getJob('j')).toMatchObject({ status: 'CREATED', restarts: 0 });
  });
});

describe('JobDocuments: checkpoints', () => {
  test('triggered → completed / failed updates history, counts and latestCompleted', async () => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    await d.checkpointTriggered('j', pending(1));
    await d.checkpointTriggered('j', { ...pending(2), savepoint: true });
    await d.checkpointTriggered('j', pending(3));
    let c = (await d.getCheckpoints('j'))!;
    expect(c.counts).toEqual({ completed: 0, failed: 0, inProgress: 3 });
    expect(c.latestCompleted).toBeUndefined();

    await d.checkpointCompleted('j', 2, done(2));
    await d.checkpointFailed('j', 1, { durationMs: 600, failureReason: 'CHECKPOINT_EXPIRED' });
    c = (await d.getCheckpoints('j'))!;
    expect(c.history).toEqual([
      { id: 1, savepoint: false, triggerTime: 1001, state: 'FAILED', durationMs: 600, failureReason: 'CHECKPOINT_EXPIRED' },
      { id: 2, savepoint: true, triggerTime: 1002, state: 'COMPLETED', durationMs: 12, alignmentMs: 2, sizeBytes: 200, location: 'mem://chk-2' },
      { id: 3, savepoint: false, triggerTime: 1003, state: 'IN_PROGRESS' },
    ]);
    expect(c.counts).toEqual({ completed: 1, failed: 1, inProgress: 1 });
    expect(c.latestCompleted).toEqual(c.history[1]);

    await d.checkpointCompleted('j', 3, done(3));
    c = (await d.getCheckpoints('j'))!;
    expect(c.counts).toEqual({ completed: 2, failed: 1, inProgress: 0 });
    expect(c.latestCompleted).toEqual(c.history[2]);
    expect(c.latestCompleted!.id).toBe(3);
  });

  test('absent fields are omitted, not stored as undefined', async () => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    await d.checkpointTriggered('j', { ...pending(1), location: undefined, sizeBytes: undefined });
    const rec = (await d.getCheckpoints('j'))!.history[0]!;
    expect(Object.keys(rec).sort()).toEqual(['id', 'savepoint', 'state', 'triggerTime']);
  });

  test('a record triggered in a final state is counted by that state', async () => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    await d.checkpointTriggered('j', { ...pending(1), state: 'FAILED', durationMs: 0, failureReason: 'STORAGE_FAILURE' });
    await d.checkpointTriggered('j', { ...pending(2), state: 'COMPLETED', durationMs: 5, location: 'mem://2' });
    const c = (await d.getCheckpoints('j'))!;
    expect(c.counts).toEqual({ completed: 1, failed: 1, inProgress: 0 });
    expect(c.latestCompleted).toMatchObject({ id: 2, location: 'mem://2' });
  });

  test('bad transitions are rejected and leave the document unchanged', async () => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    await d.checkpointTriggered('j', pending(1));
    await d.checkpointCompleted('j', 1, done(1));
    const before = await d.getCheckpoints('j');
    await expectError(d.checkpointTriggered('j', pending(1)), 'DUPLICATE_CHECKPOINT', 'checkpoint 1');
    await expectError(d.checkpointCompleted('j', 1, done(1)), 'CHECKPOINT_NOT_IN_PROGRESS', 'COMPLETED');
    await expectError(d.checkpointFailed('j', 1, { durationMs: 1, failureReason: 'X' }), 'CHECKPOINT_NOT_IN_PROGRESS', "'j'");
    await expectError(d.checkpointCompleted('j', 42, done(42)), 'UNKNOWN_CHECKPOINT', 'checkpoint 42');
    await expectError(d.checkpointTriggered('j', { ...pending(5), state: 'DONE' as 'COMPLETED' }), 'INVALID_ARGUMENT', 'state');
    await expectError(d.checkpointTriggered('j', { ...pending(5), id: -1 }), 'INVALID_ARGUMENT', 'checkpoint id');
    await expectError(d.checkpointCompleted('j', 1, { ...done(1), sizeBytes: Number.NaN }), 'INVALID_ARGUMENT', 'sizeBytes');
    expect(await d.getCheckpoints('j')).toEqual(before);
  });

  test('latestCompleted does not move back when an older checkpoint completes later', async () => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    await d.checkpointTriggered('j', pending(1));
    await d.checkpointTriggered('j', pending(2));
    await d.checkpointCompleted('j', 2, done(2));
    await d.checkpointCompleted('j', 1, done(1));
    const c = (await d.getCheckpoints('j'))!;
    expect(c.latestCompleted!.id).toBe(2);
    expect(c.counts.completed).toBe(2);
  });

  test('history keeps the newest historySize records; counts and latestCompleted are totals', async () => {
    const d = docs(undefined, 3);
    await d.createJob('j', 'n', 0);
    for (let id = 1; id <= 6; id++) {
      await d.checkpointTriggered('j', pending(id));
      if (id === 4) await d.checkpointFailed('j', id, { durationMs: 1, failureReason: 'CHECKPOINT_DECLINED' });
      else await d.checkpointCompleted('j', id, done(id));
    }
    let c = (await d.getCheckpoints('j'))!;
    expect(c.history.map(r => r.id)).toEqual([4, 5, 6]);
    expect(c.counts).toEqual({ completed: 5, failed: 1, inProgress: 0 });
    expect(c.latestCompleted).toEqual(c.history[2]);

    // latestCompleted survives when its record is trimmed away.
    await d.checkpointTriggered('j', pending(7));
    await d.checkpointFailed('j', 7, { durationMs: 1, failureReason: 'X' });
    await d.checkpointTriggered('j', pending(8));
    await d.checkpointTriggered('j', pending(9));
    c = (await d.getCheckpoints('j'))!;
    expect(c.history.map(r => r.id)).toEqual([7, 8, 9]);
    expect(c.latestCompleted).toMatchObject({ id: 6, state: 'COMPLETED', location: 'mem://chk-6' });
    expect(c.counts).toEqual({ completed: 5, failed: 2, inProgress: 2 });
  });

  test('an in-progress checkpoint is never trimmed, so its completion is still counted', async () => {
    const d = docs(undefined, 2);
    await d.createJob('j', 'n', 0);
    await d.checkpointTriggered('j', pending(1));
    await d.checkpointTriggered('j', pending(2));
    await d.checkpointTriggered('j', pending(3));
    let c = (await d.getCheckpoints('j'))!;
    expect(c.history.map(r => r.id)).toEqual([1, 2, 3]);
    await d.checkpointCompleted('j', 1, done(1)); // now finished, so it goes
    c = (await d.getCheckpoints('j'))!;
    expect(c.history.map(r => r.id)).toEqual([2, 3]);
    expect(c.counts).toEqual({ completed: 1, failed: 0, inProgress: 2 });
    expect(c.latestCompleted!.id).toBe(1);
  });

  test('historySize must be a positive integer', () => {
    expect(() => new JobDocuments(undefined, { historySize: 0 })).toThrow(ConfigurationError);
    expect(() => new JobDocuments(undefined, { historySize: 2.5 })).toThrow(/historySize/);
  });
});

describe('JobDocuments: concurrency', () => {
  test('many concurrent checkpoint calls leave a consistent document', async () => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    const calls: Promise<void>[] = [];
    for (let id = 1; id <= 60; id++) {
      calls.push(d.checkpointTriggered('j', pending(id)));
      if (id % 5 === 0) calls.push(d.checkpointFailed('j', id, { durationMs: id, failureReason: 'CHECKPOINT_EXPIRED' }));
      else if (id % 7 !== 0) calls.push(d.checkpointCompleted('j', id, done(id)));
      calls.push(d.setStatus('j', id % 2 === 0 ? 'RUNNING' : 'RESTARTING', id));
      calls.push(d.recordRestart('j', `f${id}`));
    }
    await Promise.all(calls);
    const c = (await d.getCheckpoints('j'))!;
    expect(c.history.map(r => r.id)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(c.counts).toEqual(tally(c.history));
    expect(c.counts).toEqual({ completed: 41, failed: 12, inProgress: 7 });
    expect(c.latestCompleted).toEqual(c.history[58]); // 59 is the highest completed id
    expect(await d.getJob('j')).toMatchObject({ restarts: 60, lastFailure: 'f60', status: 'RUNNING' });

    // What a fresh reader fetches from the backend is the same.
    const conn = d.backend.connect();
    try {
      const doc = conn.get('checkpoints', 'j');
      await new Promise<void>((res, rej) => doc.fetch(err => (err ? rej(err) : res())));
      expect(doc.data).toEqual(c);
    } finally {
      conn.close();
    }
  });

  test('concurrent calls on documents this instance has not loaded yet leave a consistent document', async () => {
    const backend = new ShareDB();
    try {
      await docs(backend).createJob('j', 'n', 0);
      const fresh = docs(backend); // its connection has loaded nothing yet
      const calls: Promise<void>[] = [];
      for (let id = 1; id <= 20; id++) {
        calls.push(fresh.checkpointTriggered('j', pending(id)), fresh.checkpointCompleted('j', id, done(id)), fresh.recordRestart('j', `f${id}`));
      }
      await Promise.all(calls);
      const c = (await fresh.getCheckpoints('j'))!;
      expect(c.history.map(r => r.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(c.counts).toEqual({ completed: 20, failed: 0, inProgress: 0 });
      expect(await fresh.getJob('j')).toMatchObject({ restarts: 20, lastFailure: 'f20' });
    } finally {
      await Promise.all(open.splice(0).map(d => d.close()));
      await new Promise<void>(res => backend.close(() => res()));
    }
  });

  test('concurrent calls with trimming keep the newest records', async () => {
    const d = docs(undefined, 10);
    await d.createJob('j', 'n', 0);
    const calls: Promise<void>[] = [];
    for (let id = 1; id <= 40; id++) calls.push(d.checkpointTriggered('j', pending(id)), d.checkpointCompleted('j', id, done(id)));
    await Promise.all(calls);
    const c = (await d.getCheckpoints('j'))!;
    expect(c.history.map(r => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => i + 31));
    expect(c.counts).toEqual({ completed: 40, failed: 0, inProgress: 0 });
    expect(c.latestCompleted!.id).toBe(40);
  });

  test('a failing call does not block the queue behind it', async () => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    const results = await Promise.allSettled([
      d.checkpointCompleted('j', 1, done(1)), // not triggered yet: rejected
      d.checkpointTriggered('j', pending(1)),
      d.checkpointCompleted('j', 1, done(1)),
    ]);
    expect(results.map(r => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect((await d.getCheckpoints('j'))!.counts).toEqual({ completed: 1, failed: 0, inProgress: 0 });
  });

  test('two JobDocuments on one backend see each other’s jobs', async () => {
    const backend = new ShareDB();
    try {
      const a = docs(backend);
      const b = docs(backend);
      await a.createJob('j', 'n', 0);
      await expectError(b.createJob('j', 'again', 1), 'JOB_EXISTS', "'j'");
      await b.setStatus('j', 'RUNNING', 2);
      await b.recordRestart('j', 'x');
      await a.recordRestart('j', 'y');
      expect(await b.getJob('j')).toMatchObject({ status: 'RUNNING', restarts: 2, lastFailure: 'y' });
    } finally {
      await Promise.all(open.splice(0).map(d => d.close()));
      await new Promise<void>(res => backend.close(() => res()));
    }
  });
});

describe('JobDocuments: watching', () => {
  test('a second connection from the same backend sees every update, each one consistent', async () => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    const conn = d.backend.connect();
    try {
      const doc = conn.get('checkpoints', 'j');
      await new Promise<void>((res, rej) => doc.subscribe(err => (err ? rej(err) : res())));
      const snapshots: CheckpointsDocument[] = [];
      doc.on('op batch', () => snapshots.push(structuredClone(doc.data as CheckpointsDocument)));

      const calls: Promise<void>[] = [];
      for (let id = 1; id <= 10; id++) calls.push(d.checkpointTriggered('j', pending(id)), d.checkpointCompleted('j', id, done(id)));
      await Promise.all(calls);
      await docUntil<CheckpointsDocument>(doc, data => data.counts.completed === 10);

      expect(doc.data).toEqual(await d.getCheckpoints('j'));
      expect(snapshots.length).toBeGreaterThan(1);
      for (const s of snapshots) {
        expect(s.counts).toEqual(tally(s.history));
        const completed = s.history.filter(r => r.state === 'COMPLETED');
        expect(s.latestCompleted).toEqual(completed.length === 0 ? undefined : completed[completed.length - 1]);
      }
    } finally {
      conn.close();
    }
  });

  test('a second connection watching the jobs doc sees status changes', async () => {
    const d = docs();
    const conn = d.backend.connect();
    try {
      const doc = conn.get('jobs', 'j');
      await new Promise<void>((res, rej) => doc.subscribe(err => (err ? rej(err) : res())));
      expect(doc.type).toBeNull(); // not created yet
      await d.createJob('j', 'n', 0);
      await d.setStatus('j', 'CANCELED', 9);
      await docUntil<JobDocument>(doc, data => data.status === 'CANCELED');
      expect(doc.data).toMatchObject({ status: 'CANCELED', endTime: 9 });
    } finally {
      conn.close();
    }
  });

  test('subscribe() calls the listener on change and unsubscribe stops it', async () => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    const rec = new Recorder();
    const unsubscribe = d.subscribe('jobs', 'j', rec.listener);
    await rec.until(() => true); // the current data, once subscribed
    expect(rec.calls).toEqual([expect.objectContaining({ status: 'CREATED' })]);

    await d.setStatus('j', 'RUNNING', 1);
    await rec.until(data => (data as JobDocument).status === 'RUNNING');
    await d.recordRestart('j', 'oops');
    await rec.until(data => (data as JobDocument).restarts === 1);
    expect(rec.calls.map(c => (c as JobDocument).status)).toEqual(['CREATED', 'RUNNING', 'RUNNING']);
    expect(rec.calls[2]).toMatchObject({ restarts: 1, lastFailure: 'oops' });

    unsubscribe();
    unsubscribe(); // idempotent
    const count = rec.calls.length;
    // A later subscriber seeing the change shows it was published.
    const probe = new Recorder();
    const stopProbe = d.subscribe('jobs', 'j', probe.listener);
    await probe.until(() => true);
    await d.setStatus('j', 'FINISHED', 2);
    await probe.until(data => (data as JobDocument).status === 'FINISHED');
    stopProbe();
    expect(rec.calls.length).toBe(count);
  });

  test('subscribe() before the job exists gets the created document, and data are copies', async () => {
    const d = docs();
    const rec = new Recorder();
    const unsubscribe = d.subscribe('checkpoints', 'j', data => {
      rec.listener(structuredClone(data));
      (data as CheckpointsDocument).history = []; // must not corrupt anything
    });
    try {
      // Wait until the subscription is established: it sees the doc created.
      await d.createJob('j', 'n', 0);
      await rec.until(data => data !== undefined);
      await d.checkpointTriggered('j', pending(1));
      await rec.until(data => (data as CheckpointsDocument).history.length === 1);
      await d.checkpointTriggered('j', pending(2));
      await rec.until(data => (data as CheckpointsDocument).history.length === 2);
      expect((await d.getCheckpoints('j'))!.history.map(r => r.id)).toEqual([1, 2]);
    } finally {
      unsubscribe();
    }
  });

  test('subscribe() rejects a bad collection', () => {
    const d = docs();
    expect(() => d.subscribe('metrics' as 'jobs', 'j', () => {})).toThrow(/metrics/);
  });

  test('after close(), calls are rejected', async () => {
    const d = docs();
    await d.createJob('j', 'n', 0);
    const stop = d.subscribe('jobs', 'j', () => {});
    await d.close();
    stop();
    await expectError(d.setStatus('j', 'RUNNING', 1), 'CLOSED', 'closed');
    await expectError(d.getJob('j'), 'CLOSED', 'closed');
    expect(() => d.subscribe('jobs', 'j', () => {})).toThrow(/closed/);
  });
});

describe('memory over many jobs', () => {
  const opLog = (backend: ShareDB, collection: string, id: string): unknown[] =>
    ((backend as unknown as { db: { ops: Record<string, Record<string, unknown[]>> } }).db.ops[collection] ?? {})[id] ?? [];

  test('forget deletes a job\'s documents and frees their op log', async () => {
    const d = docs();
    await d.createJob('j1', 'one', 0);
    await d.checkpointTriggered('j1', pending(1));
    await d.createJob('j2', 'two', 0);
    await d.forget('j1');
    expect(await d.getJob('j1')).toBeUndefined();
    expect(await d.getCheckpoints('j1')).toBeUndefined();
    expect(opLog(d.backend, 'jobs', 'j1').every((op) => op === null)).toBe(true);
    expect(opLog(d.backend, 'checkpoints', 'j1').every((op) => op === null)).toBe(true);
    expect(await d.getJob('j2')).toMatchObject({ name: 'two' });
  });

  test('a long history keeps only recent ops in the log, and the document stays right', async () => {
    const d = docs(undefined, 10);
    await d.createJob('long', 'long', 0);
    for (let i = 1; i <= 150; i++) {
      await d.checkpointTriggered('long', pending(i));
      await d.checkpointCompleted('long', i, done(i));
    }
    const live = opLog(d.backend, 'checkpoints', 'long').filter((op) => op !== null);
    expect(live.length).toBeLessThan(64);
    const doc = (await d.getCheckpoints('long'))!;
    expect(doc.counts).toEqual({ completed: 150, failed: 0, inProgress: 0 });
    expect(doc.history).toHaveLength(10);
    expect(doc.latestCompleted?.id).toBe(150);
  });
});

test("loading the engine leaves sharedb's process-wide logger as the application set it", () => {
  jest.isolateModules(() => {
    const ShareDB = require('sharedb');
    const mine = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    ShareDB.logger.setMethods(mine);
    require('../../index');
    ShareDB.logger.warn('still mine');
    expect(mine.warn).toHaveBeenCalledWith('still mine');
  });
});
