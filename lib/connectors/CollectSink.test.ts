/**
 * CollectSink driven directly (no actors): the writer's transactions are the
 * records between two pre-commits, with ids attempt/subtask/checkpoint; the
 * committer hands them to the coordinator, which keeps each transaction id
 * once (a transaction committed again after a restore is not duplicated) and
 * keeps per-subtask order; nothing is visible before it is committed.
 */
import fc from 'fast-check';
import { ManualClock } from '../testing/ManualClock';
import { CollectSink, type CollectTransaction } from './CollectSink';
import type { OperatorCoordinator } from './Sink';
import type { TwoPhaseCommitSinkInitContext } from './TwoPhaseCommitSink';

const W = { timestamp: undefined };

function ctx(o: Partial<TwoPhaseCommitSinkInitContext> = {}): TwoPhaseCommitSinkInitContext {
  return {
    indexOfSubtask: 0,
    parallelism: 2,
    operatorUid: 'collect',
    clock: new ManualClock(),
    sendToCoordinator: () => {},
    jobId: 'job-1',
    attemptNumber: 1,
    restoredCommittables: [],
    ...o,
  };
}

/** A coordinator plus contexts whose sendToCoordinator feeds it (FIFO per subtask, as the runtime does). */
function wired(): { coordinator: OperatorCoordinator; ctxFor: (subtask: number, attempt?: number) => TwoPhaseCommitSinkInitContext } {
  const sink = new CollectSink<unknown>();
  const coordinator = sink.createCoordinator();
  return {
    coordinator,
    ctxFor: (subtask, attempt = 1) => ctx({ indexOfSubtask: subtask, attemptNumber: attempt, sendToCoordinator: (e) => coordinator.handleEvent(subtask, e) }),
  };
}

describe('CollectSink writer', () => {
  test('a transaction holds the records since the last pre-commit, with id attempt/subtask/checkpoint', () => {
    const w = new CollectSink<string>().createWriter(ctx({ indexOfSubtask: 1, attemptNumber: 3 }));
    w.write('a', W);
    w.write('b', W);
    const t1 = w.prepareCommit(4);
    expect(t1).toEqual([{ id: '3/1/4', job: 'job-1', records: ['a', 'b'] }]);
    expect(w.prepareCommit(5)).toEqual([]);
    w.write('c', W);
    const t2 = w.prepareCommit(6);
    expect(t2).toEqual([{ id: '3/1/6', job: 'job-1', records: ['c'] }]);
    // the first transaction is not changed by later writes
    expect(t1[0].records).toEqual(['a', 'b']);
  });
});

describe('CollectSink committer and coordinator', () => {
  test('nothing is visible before commit; commit sends the transactions to the coordinator', async () => {
    const { coordinator, ctxFor } = wired();
    const sink = new CollectSink<string>();
    const w = sink.createWriter(ctxFor(0));
    w.write('a', W);
    const txns = w.prepareCommit(1);
    expect(coordinator.result!()).toEqual([]);
    await sink.createCommitter(ctxFor(0)).commit(txns);
    expect(coordinator.result!()).toEqual(['a']);
  });

  test('a transaction committed twice (e.g. re-committed after a restore) is kept once', async () => {
    const { coordinator, ctxFor } = wired();
    const sink = new CollectSink<string>();
    const w1 = sink.createWriter(ctxFor(0, 1));
    w1.write('a', W);
    w1.write('b', W);
    const t1 = w1.prepareCommit(1);
    await sink.createCommitter(ctxFor(0, 1)).commit(t1);
    w1.write('c', W); // never checkpointed: lost with the failure, replayed below
    // attempt 2 restores checkpoint 1 and commits its committables again
    const c2 = ctxFor(0, 2);
    await sink.createCommitter(c2).commit(t1);
    await sink.createCommitter(c2).commit(t1);
    const w2 = sink.createWriter(c2);
    w2.write('c', W);
    const t2 = w2.prepareCommit(2);
    expect(t2[0].id).toBe('2/0/2');
    await sink.createCommitter(c2).commit(t2);
    expect(coordinator.result!()).toEqual(['a', 'b', 'c']);
  });

  test('a batch mixing new and already committed transactions adds only the new ones', () => {
    const coordinator = new CollectSink<string>().createCoordinator();
    const t1: CollectTransaction = { id: '1/0/1', job: 'job-1', records: ['a'] };
    const t2: CollectTransaction = { id: '1/0/2', job: 'job-1', records: ['b', 'c'] };
    coordinator.handleEvent(0, [t1]);
    coordinator.handleEvent(0, [t1, t2]);
    coordinator.handleEvent(0, [t2, t1]);
    expect(coordinator.result!()).toEqual(['a', 'b', 'c']);
  });

  test('transactions of different subtasks or attempts with the same checkpoint are distinct', () => {
    const coordinator = new CollectSink<string>().createCoordinator();
    coordinator.handleEvent(0, [{ id: '1/0/1', records: ['x'] }]);
    coordinator.handleEvent(1, [{ id: '1/1/1', records: ['x'] }]);
    coordinator.handleEvent(0, [{ id: '2/0/1', records: ['x'] }]);
    expect(coordinator.result!()).toEqual(['x', 'x', 'x']);
  });

  test('per-subtask order is kept under any interleaving of subtasks, with duplicates (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }).chain((p) =>
          fc.tuple(
            fc.constant(p),
            fc.array(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 }), { minLength: p, maxLength: p }),
            fc.array(fc.nat(), { maxLength: 60 }),
            fc.array(fc.boolean(), { maxLength: 60 }),
          ),
        ),
        ([p, sizes, order, repeats]) => {
          const sink = new CollectSink<string>();
          const coordinator = sink.createCoordinator();
          // each subtask's commits, in the order it sends them
          const perSubtask: CollectTransaction[][] = sizes.map((txnSizes, s) => {
            const w = sink.createWriter(ctx({ indexOfSubtask: s }));
            return txnSizes.flatMap((n, k) => {
              for (let i = 0; i < n; i++) w.write(`s${s}-t${k}-${i}`, W);
              return w.prepareCommit(k + 1);
            });
          });
          const cursor = perSubtask.map(() => 0);
          const sent: CollectTransaction[][] = perSubtask.map(() => []);
          let o = 0;
          let r = 0;
          const step = (s: number) => {
            const txn = perSubtask[s][cursor[s]++];
            coordinator.handleEvent(s, [txn]);
            sent[s].push(txn);
            // sometimes re-send something already sent (a re-commit after restore)
            if (repeats[r++ % Math.max(1, repeats.length)] === true) coordinator.handleEvent(s, [sent[s][o % sent[s].length]]);
          };
          for (;;) {
            const open = perSubtask.map((_, s) => s).filter((s) => cursor[s] < perSubtask[s].length);
            if (open.length === 0) break;
            step(open[(order[o++ % Math.max(1, order.length)] ?? 0) % open.length]);
          }
          const result = coordinator.result!() as string[];
          const expectedAll = perSubtask.flat().flatMap((t) => t.records as string[]);
          expect([...result].sort()).toEqual([...expectedAll].sort());
          for (let s = 0; s < p; s++) {
            const mine = result.filter((x) => x.startsWith(`s${s}-`));
            expect(mine).toEqual(perSubtask[s].flatMap((t) => t.records as string[]));
          }
        },
      ),
    );
  });
});

test("transactions restored from another job are not committed again: they belong to that job's result", async () => {
  const sink = new CollectSink<string>();
  const coordinator = sink.createCoordinator();
  const send = (e: unknown) => coordinator.handleEvent(0, e);
  const old = sink.createWriter(ctx({ jobId: 'job-a' }));
  old.write('from a', W);
  const restored = old.prepareCommit(7);
  const w = sink.createWriter(ctx({ jobId: 'job-b', restoredCommittables: restored }));
  w.write('from b', W);
  await sink.createCommitter(ctx({ jobId: 'job-b', sendToCoordinator: send })).commit([...restored, ...w.prepareCommit(8)]);
  expect(coordinator.result!()).toEqual(['from b']);
});
