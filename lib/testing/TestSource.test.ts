/**
 * TestSource: without a pace it emits every item of its strided splits in
 * batches of batchSizeHint, then END_OF_INPUT; with a seeded pace it bursts
 * (1..hint records), sometimes returns NOTHING_AVAILABLE, and isAvailable()
 * resolves only once a ManualClock passes the pause; the same seed replays
 * the same polls; and snapshotState()/addSplits() resume exactly — no item
 * lost or duplicated — at another parallelism (fast-check property).
 */
import fc from 'fast-check';
import { assignSplits, type InputStatus, type SourceReader } from '../connectors/Source';
import { ManualClock } from './ManualClock';
import { TestSource, type TestSourcePace, type TestSourceSplit } from './TestSource';

type Reader<T> = SourceReader<T, TestSourceSplit>;

function open<T>(source: TestSource<T>, index: number, parallelism: number, batchSizeHint: number, clock: ManualClock): Reader<T> {
  return source.createReader({ indexOfSubtask: index, parallelism, batchSizeHint, clock });
}

function poll<T>(reader: Reader<T>): { status: InputStatus; batch: T[] } {
  const batch: T[] = [];
  const status = reader.pollNext({ collect: (v) => void batch.push(v) });
  return { status, batch };
}

/** Polls until END_OF_INPUT, moving the clock past every pause. */
function drain<T>(reader: Reader<T>, clock: ManualClock, maxPauseMs: number): T[] {
  const out: T[] = [];
  for (let guard = 0; ; guard++) {
    if (guard > 10_000) throw new Error('source did not end');
    const { status, batch } = poll(reader);
    out.push(...batch);
    if (status === 'END_OF_INPUT') return out;
    if (status === 'NOTHING_AVAILABLE') {
      expect(batch).toEqual([]);
      clock.advance(maxPauseMs + 1);
    }
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TestSource without a pace', () => {
  test('createSplits strides the items over the parallelism', () => {
    const splits = new TestSource(range(5)).createSplits(3);
    expect(splits).toEqual([
      { splitId: 'test-0', next: 0, step: 3 },
      { splitId: 'test-1', next: 1, step: 3 },
      { splitId: 'test-2', next: 2, step: 3 },
    ]);
  });

  test('emits everything in batches of batchSizeHint, then END_OF_INPUT', () => {
    const source = new TestSource(range(10));
    const reader = open(source, 0, 1, 4, new ManualClock());
    reader.addSplits(source.createSplits(1));
    expect(poll(reader)).toEqual({ status: 'MORE_AVAILABLE', batch: [0, 1, 2, 3] });
    expect(poll(reader)).toEqual({ status: 'MORE_AVAILABLE', batch: [4, 5, 6, 7] });
    expect(poll(reader)).toEqual({ status: 'END_OF_INPUT', batch: [8, 9] });
    expect(poll(reader)).toEqual({ status: 'END_OF_INPUT', batch: [] });
  });

  test('a last batch that exactly fills the hint ends the input at once', () => {
    const source = new TestSource(['a', 'b', 'c', 'd']);
    const reader = open(source, 0, 1, 2, new ManualClock());
    reader.addSplits(source.createSplits(1));
    expect(poll(reader)).toEqual({ status: 'MORE_AVAILABLE', batch: ['a', 'b'] });
    expect(poll(reader)).toEqual({ status: 'END_OF_INPUT', batch: ['c', 'd'] });
  });

  test('each subtask emits its stride; together every item exactly once', () => {
    const items = range(11);
    const source = new TestSource(items);
    const splits = source.createSplits(3);
    const clock = new ManualClock();
    const outs = [0, 1, 2].map((i) => {
      const r = open(source, i, 3, 2, clock);
      r.addSplits(assignSplits(splits, i, 3));
      return drain(r, clock, 0);
    });
    expect(outs).toEqual([
      [0, 3, 6, 9],
      [1, 4, 7, 10],
      [2, 5, 8],
    ]);
  });

  test('a reader with several splits reads them one after another and never pauses', () => {
    const source = new TestSource(range(6));
    const reader = open(source, 0, 1, 10, new ManualClock());
    reader.addSplits(source.createSplits(2));
    expect(poll(reader)).toEqual({ status: 'MORE_AVAILABLE', batch: [0, 2, 4] });
    expect(poll(reader)).toEqual({ status: 'END_OF_INPUT', batch: [1, 3, 5] });
  });

  test('no items, or no splits: END_OF_INPUT at once', () => {
    const empty = new TestSource<number>([]);
    const r1 = open(empty, 0, 1, 4, new ManualClock());
    r1.addSplits(empty.createSplits(1));
    expect(poll(r1)).toEqual({ status: 'END_OF_INPUT', batch: [] });
    expect(r1.snapshotState(1)).toEqual([]);

    const source = new TestSource(range(3));
    const r2 = open(source, 0, 1, 4, new ManualClock());
    expect(poll(r2)).toEqual({ status: 'END_OF_INPUT', batch: [] });
  });

  test('more subtasks than items: the surplus splits are empty', () => {
    const source = new TestSource(['x', 'y']);
    const splits = source.createSplits(4);
    const clock = new ManualClock();
    const outs = [0, 1, 2, 3].map((i) => {
      const r = open(source, i, 4, 5, clock);
      r.addSplits([splits[i]]);
      return drain(r, clock, 0);
    });
    expect(outs).toEqual([['x'], ['y'], [], []]);
  });

  test('snapshotState gives the current positions, as copies', () => {
    const source = new TestSource(range(10));
    const reader = open(source, 0, 1, 3, new ManualClock());
    const splits = source.createSplits(2);
    reader.addSplits(splits);
    expect(splits[0].next).toBe(0); // addSplits copies
    poll(reader); // 0 2 4
    const snap = reader.snapshotState(1);
    expect(snap).toEqual([
      { splitId: 'test-0', next: 6, step: 2 },
      { splitId: 'test-1', next: 1, step: 2 },
    ]);
    (snap[0] as { next: number }).next = 100;
    expect(poll(reader).batch).toEqual([6, 8]);
  });
});

describe('TestSource with a pace', () => {
  const pace: TestSourcePace = { seed: 7, pauseChance: 0.5, maxPauseMs: 20 };

  test('sometimes NOTHING_AVAILABLE, bursts of 1..hint, and still every item in order', () => {
    const items = range(200);
    const source = new TestSource(items, pace);
    const clock = new ManualClock();
    const reader = open(source, 0, 1, 8, clock);
    reader.addSplits(source.createSplits(1));
    const out: number[] = [];
    const statuses: InputStatus[] = [];
    const bursts: number[] = [];
    for (let guard = 0; guard < 10_000; guard++) {
      const { status, batch } = poll(reader);
      statuses.push(status);
      out.push(...batch);
      if (status === 'NOTHING_AVAILABLE') {
        expect(batch).toEqual([]);
        clock.advance(pace.maxPauseMs + 1);
      } else {
        bursts.push(batch.length);
      }
      if (status === 'END_OF_INPUT') break;
    }
    expect(statuses[statuses.length - 1]).toBe('END_OF_INPUT');
    expect(out).toEqual(items);
    expect(statuses.filter((s) => s === 'NOTHING_AVAILABLE').length).toBeGreaterThan(0);
    expect(bursts.every((b) => b >= 1 && b <= 8)).toBe(true);
    // bursty: not every burst is the full hint
    expect(new Set(bursts.slice(0, -1)).size).toBeGreaterThan(1);
  });

  test('isAvailable() resolves only once the ManualClock moves, within maxPauseMs', async () => {
    const source = new TestSource(range(500), { seed: 3, pauseChance: 0.6, maxPauseMs: 50 });
    const clock = new ManualClock();
    const reader = open(source, 0, 1, 4, clock);
    reader.addSplits(source.createSplits(1));
    const waits: number[] = [];
    for (let guard = 0; guard < 10_000 && waits.length < 10; guard++) {
      const { status } = poll(reader);
      if (status === 'END_OF_INPUT') break;
      if (status !== 'NOTHING_AVAILABLE') continue;
      let resolved = false;
      const p = reader.isAvailable().then(() => (resolved = true));
      await flush();
      expect(resolved).toBe(false); // the clock has not moved
      expect(clock.pendingTimers).toBe(1);
      const t0 = clock.now();
      clock.advance(0);
      await flush();
      // step 1 ms at a time until it resolves
      while (!resolved) {
        expect(clock.now() - t0).toBeLessThan(50);
        clock.advance(1);
        await flush();
      }
      await p;
      waits.push(clock.now() - t0);
      expect(clock.pendingTimers).toBe(0);
    }
    expect(waits).toHaveLength(10);
    expect(waits.every((w) => w >= 0 && w <= 50)).toBe(true);
    expect(waits.some((w) => w > 0)).toBe(true);
  });

  test('polls during a pause emit nothing and do not disturb the pace (a twin reader stays in step)', () => {
    const pace: TestSourcePace = { seed: 11, pauseChance: 0.4, maxPauseMs: 6 };
    const source = new TestSource(range(300), pace);
    const clockA = new ManualClock();
    const clockB = new ManualClock();
    const a = open(source, 0, 1, 4, clockA);
    const b = open(source, 0, 1, 4, clockB);
    a.addSplits(source.createSplits(1));
    b.addSplits(source.createSplits(1));
    const outA: number[] = [];
    const outB: number[] = [];
    let pausedPolls = 0;
    for (let guard = 0; guard < 10_000; guard++) {
      const pa = poll(a);
      const pb = poll(b);
      expect(pb).toEqual(pa);
      outA.push(...pa.batch);
      outB.push(...pb.batch);
      if (pa.status === 'END_OF_INPUT') break;
      if (pa.status !== 'NOTHING_AVAILABLE') continue;
      // A: how long until isAvailable() fires (its timer runs synchronously on advance)
      void a.isAvailable();
      expect(clockA.pendingTimers).toBe(1);
      const t0 = clockA.now();
      clockA.advance(0);
      while (clockA.pendingTimers > 0) {
        expect(clockA.now() - t0).toBeLessThan(pace.maxPauseMs);
        clockA.advance(1);
      }
      // B: polls at every millisecond of that wait are paused
      while (clockB.now() < clockA.now()) {
        expect(poll(b)).toEqual({ status: 'NOTHING_AVAILABLE', batch: [] });
        pausedPolls++;
        clockB.advance(1);
      }
    }
    expect(outA).toEqual(range(300));
    expect(outB).toEqual(outA);
    expect(pausedPolls).toBeGreaterThan(0);
  });

  test('the same seed replays the same polls', () => {
    const run = () => {
      const source = new TestSource(range(100), { seed: 42, pauseChance: 0.3, maxPauseMs: 10 });
      const clock = new ManualClock();
      const reader = open(source, 1, 2, 5, clock);
      reader.addSplits(source.createSplits(2).slice(1));
      const log: string[] = [];
      for (let guard = 0; guard < 10_000; guard++) {
        const { status, batch } = poll(reader);
        log.push(`${status}:${batch.join(',')}`);
        if (status === 'END_OF_INPUT') break;
        if (status === 'NOTHING_AVAILABLE') clock.advance(11);
      }
      return log;
    };
    const a = run();
    expect(run()).toEqual(a);
    expect(a.some((l) => l.startsWith('NOTHING_AVAILABLE'))).toBe(true);
  });
});

describe('TestSource: resume from a snapshot at another parallelism', () => {
  test('property: no item lost or duplicated across a restore with rescaling', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 4, maxLength: 4 }),
        fc.option(fc.record({ seed: fc.integer({ min: 0, max: 1000 }), pauseChance: fc.double({ min: 0, max: 0.7, noNaN: true }), maxPauseMs: fc.integer({ min: 0, max: 30 }) }), { nil: undefined }),
        (n, before, after, hint, pollsBefore, pace) => {
          const items = range(n).map((i) => `item-${i}`);
          const source = new TestSource(items, pace);
          const clock = new ManualClock();
          const maxPause = pace?.maxPauseMs ?? 0;

          // first run: each subtask polls a few times, then every subtask snapshots
          const splits = source.createSplits(before);
          const emitted: string[] = [];
          const snapshot: TestSourceSplit[] = [];
          for (let i = 0; i < before; i++) {
            const r = open(source, i, before, hint, clock);
            r.addSplits(assignSplits(splits, i, before));
            for (let k = 0; k < pollsBefore[i]; k++) {
              const { status, batch } = poll(r);
              emitted.push(...batch);
              if (status === 'NOTHING_AVAILABLE') clock.advance(maxPause + 1);
              if (status === 'END_OF_INPUT') break;
            }
            snapshot.push(...r.snapshotState(1));
          }
          // the snapshot is plain data
          expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);

          // restore: splits dealt round-robin over the new parallelism
          for (let i = 0; i < after; i++) {
            const r = open(source, i, after, hint, clock);
            r.addSplits(assignSplits(snapshot, i, after));
            emitted.push(...drain(r, clock, maxPause));
          }
          expect([...emitted].sort()).toEqual([...items].sort());
          expect(new Set(emitted).size).toBe(emitted.length);
        },
      ),
    );
  });

  test('a concrete rescale 3 → 2 mid-stream', () => {
    const items = range(20);
    const source = new TestSource(items);
    const clock = new ManualClock();
    const splits = source.createSplits(3);
    const emitted: number[] = [];
    const snapshot: TestSourceSplit[] = [];
    for (let i = 0; i < 3; i++) {
      const r = open(source, i, 3, 2, clock);
      r.addSplits(assignSplits(splits, i, 3));
      emitted.push(...poll(r).batch);
      snapshot.push(...r.snapshotState(5));
    }
    expect(emitted).toEqual([0, 3, 1, 4, 2, 5]);
    expect(snapshot.map((s) => s.next)).toEqual([6, 7, 8]);
    const rest = [0, 1].map((i) => {
      const r = open(source, i, 2, 100, clock);
      r.addSplits(assignSplits(snapshot, i, 2));
      return drain(r, clock, 0);
    });
    expect(rest).toEqual([
      [6, 9, 12, 15, 18, 8, 11, 14, 17],
      [7, 10, 13, 16, 19],
    ]);
  });
});
