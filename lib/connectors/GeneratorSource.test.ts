/**
 * GeneratorSource and its RateLimiter: readers emit generate(i) for their
 * strided splits in batches of batchSizeHint and report END_OF_INPUT with the
 * last batch; snapshotState() + addSplits() on a new reader continues exactly
 * (property: random stop points and a change of parallelism p → q through
 * assignSplits still yield each index 0..count-1 exactly once); the rate
 * limiter on a ManualClock grants about rate × elapsed and available()
 * resolves after the clock advances; invalid arguments → ConfigurationError.
 */
import fc from 'fast-check';
import { StreamExecutionEnvironment } from '../api/StreamExecutionEnvironment';
import { ConfigurationError } from '../errors';
import { ManualClock } from '../testing/ManualClock';
import { GeneratorSource, RateLimiter, type GeneratorSplit } from './GeneratorSource';
import { assignSplits, type InputStatus, type SourceReader } from './Source';

function reader<T>(source: GeneratorSource<T>, index: number, parallelism: number, batch: number, clock = new ManualClock()) {
  return source.createReader({ indexOfSubtask: index, parallelism, batchSizeHint: batch, clock });
}

function poll<T>(r: SourceReader<T, GeneratorSplit>): { records: T[]; status: InputStatus } {
  const records: T[] = [];
  const status = r.pollNext({ collect: (v) => records.push(v) });
  return { records, status };
}

/** Polls until END_OF_INPUT (bounded by maxPolls), returning everything emitted. */
function drainReader<T>(r: SourceReader<T, GeneratorSplit>, maxPolls = 10_000): T[] {
  const out: T[] = [];
  for (let i = 0; i < maxPolls; i++) {
    const { records, status } = poll(r);
    out.push(...records);
    if (status === 'END_OF_INPUT') return out;
  }
  throw new Error('reader did not reach END_OF_INPUT');
}

/** Flushes pending promise callbacks. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('GeneratorSource', () => {
  test('boundedness and strided splits', () => {
    const s = new GeneratorSource(10, (i) => i);
    expect(s.boundedness).toBe('BOUNDED');
    expect(new GeneratorSource('unbounded', (i) => i).boundedness).toBe('CONTINUOUS_UNBOUNDED');
    expect(new GeneratorSource(Infinity, (i) => i).boundedness).toBe('CONTINUOUS_UNBOUNDED');
    expect(s.createSplits(3)).toEqual([
      { splitId: 'gen-0-of-3', next: 0, step: 3 },
      { splitId: 'gen-1-of-3', next: 1, step: 3 },
      { splitId: 'gen-2-of-3', next: 2, step: 3 },
    ]);
  });

  test('one reader emits generate(i) in batches of batchSizeHint; END_OF_INPUT comes with the last batch', () => {
    const s = new GeneratorSource(10, (i) => `r${i}`);
    const r = reader(s, 0, 1, 4);
    r.addSplits(s.createSplits(1));
    expect(poll(r)).toEqual({ records: ['r0', 'r1', 'r2', 'r3'], status: 'MORE_AVAILABLE' });
    expect(poll(r)).toEqual({ records: ['r4', 'r5', 'r6', 'r7'], status: 'MORE_AVAILABLE' });
    expect(poll(r)).toEqual({ records: ['r8', 'r9'], status: 'END_OF_INPUT' });
    expect(poll(r)).toEqual({ records: [], status: 'END_OF_INPUT' });
    expect(r.snapshotState(1)).toEqual([]);
  });

  test('a count that is a multiple of the batch ends with a full batch', () => {
    const s = new GeneratorSource(8, (i) => i);
    const r = reader(s, 0, 1, 4);
    r.addSplits(s.createSplits(1));
    expect(poll(r)).toEqual({ records: [0, 1, 2, 3], status: 'MORE_AVAILABLE' });
    expect(poll(r)).toEqual({ records: [4, 5, 6, 7], status: 'END_OF_INPUT' });
  });

  test('parallel readers each get their stride; together every index once', () => {
    const s = new GeneratorSource(11, (i) => i * 10);
    const outs = [0, 1, 2].map((i) => {
      const r = reader(s, i, 3, 2);
      r.addSplits(assignSplits(s.createSplits(3), i, 3));
      return drainReader(r);
    });
    expect(outs).toEqual([
      [0, 30, 60, 90],
      [10, 40, 70, 100],
      [20, 50, 80],
    ]);
    const r = reader(s, 0, 3, 3);
    r.addSplits(assignSplits(s.createSplits(3), 1, 3));
    expect(poll(r)).toEqual({ records: [10, 40, 70], status: 'MORE_AVAILABLE' });
  });

  test('count 0, and a reader with no splits, end at once', () => {
    const s = new GeneratorSource(0, (i) => i);
    const r = reader(s, 0, 1, 4);
    r.addSplits(s.createSplits(1));
    expect(poll(r)).toEqual({ records: [], status: 'END_OF_INPUT' });
    const idle = reader(new GeneratorSource(10, (i) => i), 3, 4, 4);
    idle.addSplits([]);
    expect(poll(idle)).toEqual({ records: [], status: 'END_OF_INPUT' });
  });

  test('a reader with several splits emits in index order across them (timestamps stay as ordered as the generator)', () => {
    const s = new GeneratorSource(12, (i) => i);
    const r = reader(s, 0, 1, 2);
    r.addSplits(s.createSplits(2)); // both splits in one reader: evens and odds
    expect(poll(r).records).toEqual([0, 1]);
    expect(poll(r).records).toEqual([2, 3]);
    expect(drainReader(r)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    // Splits of a 4-way job restored at parallelism 3: the reader with splits 0 and 3 still yields 0, 3, 4, 7, 8, ...
    const t = new GeneratorSource(16, (i) => i);
    const r3 = reader(t, 0, 3, 5);
    r3.addSplits([t.createSplits(4)[0], t.createSplits(4)[3]]);
    expect(drainReader(r3)).toEqual([0, 3, 4, 7, 8, 11, 12, 15]);
  });

  test('unbounded generator keeps going', () => {
    const s = new GeneratorSource('unbounded', (i) => i);
    const r = reader(s, 0, 1, 100);
    r.addSplits(s.createSplits(1));
    for (let k = 0; k < 50; k++) expect(poll(r).status).toBe('MORE_AVAILABLE');
    expect(r.snapshotState(1)).toEqual([{ splitId: 'gen-0-of-1', next: 5000, step: 1 }]);
  });

  test('snapshotState() then a new reader with addSplits(snapshot) continues exactly', () => {
    const s = new GeneratorSource(20, (i) => i);
    const r1 = reader(s, 0, 1, 3);
    r1.addSplits(s.createSplits(1));
    const before = [...poll(r1).records, ...poll(r1).records];
    const snap = r1.snapshotState(7);
    expect(snap).toEqual([{ splitId: 'gen-0-of-1', next: 6, step: 1 }]);
    // the snapshot is a copy: the old reader going on does not change it
    poll(r1);
    expect(snap[0].next).toBe(6);
    const r2 = reader(s, 0, 1, 3);
    r2.addSplits(snap);
    const after = drainReader(r2);
    expect([...before, ...after]).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  test('property: random stop points and a change of parallelism p → q lose and duplicate nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 5, maxLength: 5 }),
        fc.boolean(),
        (count, p, q, batch, stops, twice) => {
          const s = new GeneratorSource(count, (i) => i);
          const seen: number[] = [];
          // phase 1: p readers, each stopped after a random number of polls
          let splits: GeneratorSplit[] = s.createSplits(p);
          const rescale = (from: GeneratorSplit[], n: number, stopAt: (i: number) => number): GeneratorSplit[] => {
            const next: GeneratorSplit[] = [];
            for (let i = 0; i < n; i++) {
              const r = reader(s, i, n, batch);
              r.addSplits(assignSplits(from, i, n));
              for (let k = 0; k < stopAt(i); k++) {
                const { records, status } = poll(r);
                seen.push(...records);
                if (status === 'END_OF_INPUT') break;
              }
              next.push(...r.snapshotState(1));
            }
            return next;
          };
          splits = rescale(splits, p, (i) => stops[i]);
          if (twice) splits = rescale(splits, q, (i) => stops[(i + 2) % 5]);
          // last phase: q readers run to the end
          for (let i = 0; i < q; i++) {
            const r = reader(s, i, q, batch);
            r.addSplits(assignSplits(splits, i, q));
            seen.push(...drainReader(r));
          }
          expect(seen.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
        },
      ),
    );
  });

  test('invalid arguments → ConfigurationError naming the option', () => {
    const cases: [() => unknown, string][] = [
      [() => new GeneratorSource(-1, (i) => i), 'fromGenerator.count'],
      [() => new GeneratorSource(1.5, (i) => i), 'fromGenerator.count'],
      [() => new GeneratorSource(NaN, (i) => i), 'fromGenerator.count'],
      [() => new GeneratorSource('many' as any, (i) => i), 'fromGenerator.count'],
      [() => new GeneratorSource(10, 'f' as any), 'fromGenerator.generator'],
      [() => new GeneratorSource(10, (i) => i, { ratePerSecond: 0 }), 'fromGenerator.ratePerSecond'],
      [() => new GeneratorSource(10, (i) => i, { ratePerSecond: -3 }), 'fromGenerator.ratePerSecond'],
      [() => new GeneratorSource(10, (i) => i, { ratePerSecond: Infinity }), 'fromGenerator.ratePerSecond'],
      [() => new GeneratorSource(10, (i) => i, { ratePerSecond: NaN }), 'fromGenerator.ratePerSecond'],
      [() => StreamExecutionEnvironment.create().fromGenerator(-5, (i) => i), 'fromGenerator.count'],
    ];
    for (const [fn, option] of cases) {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigurationError);
      expect((err as ConfigurationError).option).toBe(option);
    }
  });

  test('with ratePerSecond, a reader emits about rate/parallelism per second on its clock', () => {
    const clock = new ManualClock(1_000);
    const s = new GeneratorSource(1_000_000, (i) => i, { ratePerSecond: 200 });
    const r = reader(s, 0, 2, 1000, clock); // 100 per second for this subtask
    r.addSplits(assignSplits(s.createSplits(2), 0, 2));
    let emitted = 0;
    const first = poll(r);
    expect(first.records).toHaveLength(1); // the initial permit
    emitted += first.records.length;
    expect(poll(r)).toEqual({ records: [], status: 'NOTHING_AVAILABLE' });
    for (let t = 0; t < 50; t++) {
      clock.advance(100);
      emitted += poll(r).records.length;
    }
    // 5 s at 100/s, plus the initial permit
    expect(emitted).toBeGreaterThanOrEqual(495);
    expect(emitted).toBeLessThanOrEqual(501);
  });

  test('with ratePerSecond, isAvailable() resolves once the clock has moved far enough', async () => {
    const clock = new ManualClock();
    const s = new GeneratorSource(100, (i) => i, { ratePerSecond: 10 });
    const r = reader(s, 0, 1, 10, clock);
    r.addSplits(s.createSplits(1));
    expect(poll(r).records).toEqual([0]);
    expect(poll(r).status).toBe('NOTHING_AVAILABLE');
    let ready = false;
    void r.isAvailable().then(() => (ready = true));
    clock.advance(99);
    await tick();
    expect(ready).toBe(false);
    clock.advance(1);
    await tick();
    expect(ready).toBe(true);
    expect(poll(r).records).toEqual([1]);
  });

  test('a total rate below the parallelism still makes progress (rate per subtask < 1/s)', () => {
    // ratePerSecond 1 over 2 subtasks: 0.5 records per second each. After 10 s each reader should
    // have emitted about 5 records; it must not starve.
    const clock = new ManualClock();
    const s = new GeneratorSource(100, (i) => i, { ratePerSecond: 1 });
    const r = reader(s, 0, 2, 10, clock);
    r.addSplits(assignSplits(s.createSplits(2), 0, 2));
    let emitted = 0;
    for (let t = 0; t < 10; t++) {
      emitted += poll(r).records.length;
      clock.advance(1000);
    }
    emitted += poll(r).records.length;
    expect(emitted).toBeGreaterThanOrEqual(4);
    expect(emitted).toBeLessThanOrEqual(6);
  });
});

describe('RateLimiter', () => {
  test('starts with one permit and grants about rate × elapsed', () => {
    const clock = new ManualClock(500);
    const rl = new RateLimiter(100, clock);
    expect(rl.acquire(1000)).toBe(1);
    expect(rl.acquire(1000)).toBe(0);
    clock.advance(100);
    expect(rl.acquire(1000)).toBe(10);
    clock.advance(50);
    expect(rl.acquire(3)).toBe(3); // 5 available, 3 taken
    expect(rl.acquire(10)).toBe(2);
  });

  test('small steps accumulate fractional permits', () => {
    const clock = new ManualClock();
    const rl = new RateLimiter(30, clock);
    let granted = rl.acquire(100);
    for (let i = 0; i < 100; i++) {
      clock.advance(10);
      granted += rl.acquire(100);
    }
    // 1 s at 30/s plus the initial permit; floating-point rounding may cost one
    expect(granted).toBeGreaterThanOrEqual(30);
    expect(granted).toBeLessThanOrEqual(31);
  });

  test('holds at most one second of permits', () => {
    const clock = new ManualClock();
    const rl = new RateLimiter(50, clock);
    clock.advance(60_000);
    expect(rl.acquire(10_000)).toBe(50);
  });

  test('available() resolves at once with a permit, else after the clock advances far enough', async () => {
    const clock = new ManualClock();
    const rl = new RateLimiter(4, clock); // one permit per 250 ms
    let ready = false;
    await rl.available(); // the initial permit
    expect(rl.acquire(1)).toBe(1);
    void rl.available().then(() => (ready = true));
    await tick();
    expect(ready).toBe(false);
    clock.advance(249);
    await tick();
    expect(ready).toBe(false);
    clock.advance(1);
    await tick();
    expect(ready).toBe(true);
    expect(rl.acquire(5)).toBe(1);
  });

  test('a rate below 1 per second still grants a permit every 1/rate seconds', () => {
    const clock = new ManualClock();
    const rl = new RateLimiter(0.5, clock);
    let granted = rl.acquire(1);
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      granted += rl.acquire(1);
    }
    // 10 s at 0.5/s → about 5 permits
    expect(granted).toBeGreaterThanOrEqual(4);
    expect(granted).toBeLessThanOrEqual(6);
  });
});
