/**
 * IngressBuffer, the bounded acknowledged queue behind the actor source:
 * immediate (synchronous) acceptance when a batch fits, parking when full and
 * FIFO admission as take() frees room, IngressOverflowError beyond maxParked,
 * above maxBatchSize and after end() (with its refusal kind), the bound on
 * held records under a flood, an oversized batch admitted into an empty queue,
 * available()/isEnded, the counters, constructor validation, and a
 * fast-check model test (bounded size, order, one acknowledgement per
 * accepted batch, nothing lost).
 */
import fc from 'fast-check';
import { IngressOverflowError } from '../errors';
import { IngressBuffer } from './IngressBuffer';

/** Records whether (and how often) an acknowledgement ran. */
function ack(): { (): void; calls: number } {
  const f = (() => {
    f.calls++;
  }) as { (): void; calls: number };
  f.calls = 0;
  return f;
}

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Lets pending promise reactions run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('IngressBuffer: offer and take', () => {
  test('a batch that fits is accepted at once; the callback runs synchronously', () => {
    const buf = new IngressBuffer<number>({ capacity: 4 });
    const order: string[] = [];
    buf.offer([1, 2, 3], () => order.push('accepted'));
    order.push('after offer');
    expect(order).toEqual(['accepted', 'after offer']);
    expect(buf.size).toBe(3);
    expect(buf.parkedBatches).toBe(0);
    expect(buf.take(10)).toEqual([1, 2, 3]);
    expect(buf.size).toBe(0);
  });

  test('the callback runs after the records are queued', () => {
    const buf = new IngressBuffer<string>({ capacity: 4 });
    let sizeSeen = -1;
    buf.offer(['a', 'b'], () => (sizeSeen = buf.size));
    expect(sizeSeen).toBe(2);
  });

  test('a batch that exactly fills the capacity is accepted', () => {
    const buf = new IngressBuffer<number>({ capacity: 3 });
    const a = ack();
    buf.offer([1], ack());
    buf.offer([2, 3], a);
    expect(a.calls).toBe(1);
    expect(buf.size).toBe(3);
  });

  test('take(max) returns at most max records, oldest first', () => {
    const buf = new IngressBuffer<number>({ capacity: 10 });
    buf.offer([1, 2, 3], ack());
    buf.offer([4, 5], ack());
    expect(buf.take(2)).toEqual([1, 2]);
    expect(buf.take(0)).toEqual([]);
    expect(buf.take(2)).toEqual([3, 4]);
    expect(buf.size).toBe(1);
    expect(buf.take(5)).toEqual([5]);
    expect(buf.take(5)).toEqual([]);
  });

  test('a batch that does not fit is parked, unacknowledged, and accepted once take() frees room', () => {
    const buf = new IngressBuffer<number>({ capacity: 4 });
    buf.offer([1, 2, 3], ack());
    const a = ack();
    buf.offer([4, 5], a);
    expect(a.calls).toBe(0);
    expect(buf.size).toBe(3);
    expect(buf.parkedBatches).toBe(1);
    // one record out: 2 + 2 = 4 fits
    expect(buf.take(1)).toEqual([1]);
    expect(a.calls).toBe(1);
    expect(buf.parkedBatches).toBe(0);
    expect(buf.size).toBe(4);
    expect(buf.take(10)).toEqual([2, 3, 4, 5]);
    expect(a.calls).toBe(1);
  });

  test('take() that frees too little keeps the batch parked', () => {
    const buf = new IngressBuffer<number>({ capacity: 4 });
    buf.offer([1, 2, 3, 4], ack());
    const a = ack();
    buf.offer([5, 6, 7], a);
    expect(buf.take(2)).toEqual([1, 2]);
    expect(a.calls).toBe(0);
    expect(buf.parkedBatches).toBe(1);
    expect(buf.take(1)).toEqual([3]);
    expect(a.calls).toBe(1);
    expect(buf.take(10)).toEqual([4, 5, 6, 7]);
  });

  test('parked batches are accepted in FIFO order, a later small one never overtakes', () => {
    const buf = new IngressBuffer<string>({ capacity: 3, maxParked: 5 });
    const order: string[] = [];
    buf.offer(['a1', 'a2', 'a3'], () => order.push('A'));
    buf.offer(['b1', 'b2'], () => order.push('B'));
    // C would fit after one take, but B is waiting before it
    buf.offer(['c1'], () => order.push('C'));
    buf.offer(['d1', 'd2'], () => order.push('D'));
    expect(order).toEqual(['A']);
    expect(buf.parkedBatches).toBe(3);

    expect(buf.take(1)).toEqual(['a1']); // 2 queued, B (2) does not fit, C must not overtake
    expect(order).toEqual(['A']);
    expect(buf.take(1)).toEqual(['a2']); // 1 queued: B fits (3); C does not
    expect(order).toEqual(['A', 'B']);
    expect(buf.take(3)).toEqual(['a3', 'b1', 'b2']); // empty: C (1) and D (2) both fit
    expect(order).toEqual(['A', 'B', 'C', 'D']);
    expect(buf.take(10)).toEqual(['c1', 'd1', 'd2']);
  });

  test('a batch offered while others are parked is parked too, even when it would fit', () => {
    const buf = new IngressBuffer<number>({ capacity: 3 });
    buf.offer([1, 2], ack());
    buf.offer([3, 4], ack()); // parked
    const small = ack();
    buf.offer([], small);
    expect(small.calls).toBe(0);
    expect(buf.parkedBatches).toBe(2);
  });

  test('beyond maxParked a batch is refused with IngressOverflowError, nothing changes', () => {
    const buf = new IngressBuffer<number>({ capacity: 2, maxParked: 2 });
    buf.offer([1, 2], ack());
    const p1 = ack();
    const p2 = ack();
    buf.offer([3], p1);
    buf.offer([4], p2);
    const refused = ack();
    const e = caught(() => buf.offer([5], refused));
    expect(e).toBeInstanceOf(IngressOverflowError);
    expect((e as IngressOverflowError).code).toBe('INGRESS_OVERFLOW');
    expect(refused.calls).toBe(0);
    expect(buf.parkedBatches).toBe(2);
    expect(buf.parkedTotal).toBe(2);
    expect(buf.size).toBe(2);
    // the refused batch never shows up
    const out = [...buf.take(2), ...buf.take(2), ...buf.take(2)];
    expect(out).toEqual([1, 2, 3, 4]);
    expect(refused.calls).toBe(0);
    expect([p1.calls, p2.calls]).toEqual([1, 1]);
  });

  test('maxParked 0 refuses every batch that does not fit at once', () => {
    const buf = new IngressBuffer<number>({ capacity: 2, maxParked: 0 });
    buf.offer([1], ack());
    expect(() => buf.offer([2, 3], ack())).toThrow(IngressOverflowError);
    const ok = ack();
    buf.offer([2], ok);
    expect(ok.calls).toBe(1);
    expect(buf.parkedTotal).toBe(0);
  });

  test('a batch larger than the capacity (up to maxBatchSize) is admitted into an empty queue', () => {
    const buf = new IngressBuffer<number>({ capacity: 2, maxBatchSize: 5 });
    const big = ack();
    buf.offer([1, 2, 3, 4, 5], big);
    expect(big.calls).toBe(1);
    expect(buf.size).toBe(5);
    expect(buf.peakSize).toBe(5);
    // while it is queued, nothing else fits
    const next = ack();
    buf.offer([6], next);
    expect(next.calls).toBe(0);
    expect(buf.take(3)).toEqual([1, 2, 3]);
    expect(next.calls).toBe(0); // 2 queued: 2 + 1 > 2
    expect(buf.take(1)).toEqual([4]);
    expect(next.calls).toBe(1); // 1 queued: 1 + 1 = 2 fits
  });

  test('an oversized batch waits for an empty queue, then is admitted', () => {
    const buf = new IngressBuffer<number>({ capacity: 3, maxBatchSize: 5 });
    buf.offer([1, 2], ack());
    const big = ack();
    buf.offer([3, 4, 5, 6, 7], big);
    expect(big.calls).toBe(0);
    expect(buf.take(1)).toEqual([1]);
    expect(big.calls).toBe(0);
    expect(buf.take(1)).toEqual([2]);
    expect(big.calls).toBe(1);
    expect(buf.size).toBe(5);
    expect(buf.take(10)).toEqual([3, 4, 5, 6, 7]);
  });

  test('a producer that offers its next batch from the acknowledgement streams everything in order', () => {
    const buf = new IngressBuffer<number>({ capacity: 3, maxParked: 1, maxBatchSize: 4 });
    const batches = [[1, 2], [3, 4], [5], [6, 7, 8, 9], [10]];
    let next = 0;
    const push = (): void => {
      if (next < batches.length) buf.offer(batches[next++], push);
    };
    push(); // [1,2] accepted, which offers [3,4] (parked)
    expect(next).toBe(2);
    const out: number[] = [];
    for (let guard = 0; buf.size > 0; guard++) {
      expect(guard).toBeLessThan(100);
      out.push(...buf.take(1));
    }
    expect(out).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(next).toBe(batches.length);
    expect(buf.parkedBatches).toBe(0);
  });
});

describe('IngressBuffer: end and available', () => {
  test('available() resolves at once when records are queued', async () => {
    const buf = new IngressBuffer<number>();
    buf.offer([1], ack());
    let resolved = false;
    void buf.available().then(() => (resolved = true));
    await flush();
    expect(resolved).toBe(true);
  });

  test('available() on an empty queue waits for the next offer', async () => {
    const buf = new IngressBuffer<number>();
    let resolved = false;
    const p = buf.available().then(() => (resolved = true));
    await flush();
    expect(resolved).toBe(false);
    buf.offer([7], ack());
    await p;
    expect(resolved).toBe(true);
    expect(buf.take(1)).toEqual([7]);
  });

  test('every waiter is woken, not only the last one', async () => {
    const buf = new IngressBuffer<number>();
    const woken: number[] = [];
    const ps = [1, 2, 3].map((i) => buf.available().then(() => woken.push(i)));
    await flush();
    expect(woken).toEqual([]);
    buf.offer([1], ack());
    await Promise.all(ps);
    expect(woken.sort()).toEqual([1, 2, 3]);
  });

  test('available() resolves after take() admitted a parked batch', async () => {
    const buf = new IngressBuffer<number>({ capacity: 1 });
    buf.offer([1], ack());
    buf.offer([2], ack()); // parked
    expect(buf.take(1)).toEqual([1]); // admits [2]
    let resolved = false;
    void buf.available().then(() => (resolved = true));
    await flush();
    expect(resolved).toBe(true);
  });

  test('end() wakes a waiter, sets isEnded, and available() resolves from then on', async () => {
    const buf = new IngressBuffer<number>();
    expect(buf.isEnded).toBe(false);
    let resolved = false;
    const p = buf.available().then(() => (resolved = true));
    await flush();
    expect(resolved).toBe(false);
    buf.end();
    expect(buf.isEnded).toBe(true);
    await p;
    expect(resolved).toBe(true);
    let again = false;
    void buf.available().then(() => (again = true));
    await flush();
    expect(again).toBe(true);
  });

  test('after end() offers are refused, queued records can still be taken', () => {
    const buf = new IngressBuffer<number>();
    buf.offer([1, 2], ack());
    buf.end();
    const late = ack();
    expect(() => buf.offer([3], late)).toThrow(IngressOverflowError);
    expect(late.calls).toBe(0);
    expect(buf.take(10)).toEqual([1, 2]);
    expect(buf.isEnded).toBe(true);
  });
});

describe('IngressBuffer: counters and options', () => {
  test('accepted, taken, peakSize and parkedTotal', () => {
    const buf = new IngressBuffer<number>({ capacity: 4 });
    expect([buf.accepted, buf.taken, buf.peakSize, buf.parkedTotal]).toEqual([0, 0, 0, 0]);
    buf.offer([1, 2, 3], ack());
    buf.offer([4, 5], ack()); // parked
    buf.offer([6], ack()); // parked (behind)
    expect([buf.accepted, buf.taken, buf.peakSize, buf.parkedTotal]).toEqual([3, 0, 3, 2]);
    buf.take(1); // 2 queued + [4,5] = 4; [6] waits
    expect([buf.accepted, buf.taken, buf.peakSize, buf.parkedTotal]).toEqual([5, 1, 4, 2]);
    buf.take(3); // 1 queued + [6]
    expect([buf.accepted, buf.taken, buf.peakSize, buf.parkedTotal]).toEqual([6, 4, 4, 2]);
    buf.take(10);
    expect([buf.accepted, buf.taken, buf.peakSize, buf.parkedTotal]).toEqual([6, 6, 4, 2]);
    expect(buf.size).toBe(0);
  });

  test('defaults: capacity 1024, maxParked 64', () => {
    const buf = new IngressBuffer<number>();
    expect(buf.capacity).toBe(1024);
    expect(buf.maxParked).toBe(64);
    const big = ack();
    buf.offer(Array.from({ length: 1024 }, (_, i) => i), big);
    expect(big.calls).toBe(1);
    for (let i = 0; i < 64; i++) buf.offer([i], ack());
    expect(buf.parkedBatches).toBe(64);
    expect(() => buf.offer([0], ack())).toThrow(IngressOverflowError);
  });

  test.each([
    ['capacity 0', { capacity: 0 }],
    ['capacity -1', { capacity: -1 }],
    ['capacity 1.5', { capacity: 1.5 }],
    ['capacity NaN', { capacity: Number.NaN }],
    ['capacity Infinity', { capacity: Infinity }],
    ['maxParked -1', { maxParked: -1 }],
    ['maxParked 0.5', { maxParked: 0.5 }],
    ['maxParked NaN', { maxParked: Number.NaN }],
  ])('constructor refuses %s with RangeError', (_label, options) => {
    expect(() => new IngressBuffer(options)).toThrow(RangeError);
  });

  test('constructor accepts capacity 1 and maxParked 0', () => {
    const buf = new IngressBuffer({ capacity: 1, maxParked: 0 });
    expect(buf.capacity).toBe(1);
    expect(buf.maxParked).toBe(0);
  });
});

describe('IngressBuffer: the bound on held records', () => {
  test('bound = max(capacity, maxBatchSize) + maxParked × maxBatchSize; maxBatchSize defaults to the capacity', () => {
    expect(new IngressBuffer({ capacity: 100, maxParked: 1 }).bound).toBe(200);
    expect(new IngressBuffer({ capacity: 100, maxParked: 1, maxBatchSize: 10 }).bound).toBe(110);
    expect(new IngressBuffer({ capacity: 10, maxParked: 2, maxBatchSize: 30 }).bound).toBe(90);
    const d = new IngressBuffer();
    expect(d.maxBatchSize).toBe(1024);
    expect(d.bound).toBe(1024 + 64 * 1024);
  });

  test('a batch above maxBatchSize is refused as TOO_LARGE, even into an empty queue', () => {
    const buf = new IngressBuffer<number>({ capacity: 4, maxBatchSize: 3 });
    const a = ack();
    const e = caught(() => buf.offer([1, 2, 3, 4], a));
    expect(e).toBeInstanceOf(IngressOverflowError);
    expect((e as IngressOverflowError).refusal).toBe('TOO_LARGE');
    expect((e as Error).message).toMatch(/4 records .* maxBatchSize 3/);
    expect(a.calls).toBe(0);
    expect([buf.size, buf.held, buf.refusedTotal]).toEqual([0, 0, 1]);
  });

  test('refusals name their kind: FULL when nothing may park, ENDED after end()', () => {
    const buf = new IngressBuffer<number>({ capacity: 1, maxParked: 0 });
    buf.offer([1], ack());
    expect((caught(() => buf.offer([2], ack())) as IngressOverflowError).refusal).toBe('FULL');
    buf.end();
    expect((caught(() => buf.offer([], ack())) as IngressOverflowError).refusal).toBe('ENDED');
    expect(buf.refusedTotal).toBe(2);
  });

  test('held counts queued and parked records; a flood never takes it above the bound', () => {
    const buf = new IngressBuffer<number>({ capacity: 100, maxParked: 1 });
    let accepted = 0;
    let refused = 0;
    for (let b = 0; b < 300; b++) {
      try {
        buf.offer(Array.from({ length: 10 }, (_, i) => b * 10 + i), () => accepted++);
      } catch (e) {
        expect(e).toBeInstanceOf(IngressOverflowError);
        refused++;
      }
      expect(buf.held).toBeLessThanOrEqual(buf.bound);
    }
    expect([accepted, buf.parkedBatches, refused]).toEqual([10, 1, 289]);
    expect([buf.size, buf.held, buf.peakHeld]).toEqual([100, 110, 110]);
    expect(buf.take(5)).toEqual([0, 1, 2, 3, 4]);
    expect(buf.held).toBe(105); // the parked batch does not fit yet: 95 + 10 > 100
    buf.take(5);
    expect([accepted, buf.parkedBatches, buf.size, buf.held]).toEqual([11, 0, 100, 100]);
  });

  test.each([
    ['maxBatchSize 0', { maxBatchSize: 0 }],
    ['maxBatchSize 2.5', { maxBatchSize: 2.5 }],
    ['maxBatchSize NaN', { maxBatchSize: Number.NaN }],
  ])('constructor refuses %s with RangeError', (_label, options) => {
    expect(() => new IngressBuffer(options)).toThrow(RangeError);
  });
});

describe('IngressBuffer: model property', () => {
  type Op = { kind: 'offer'; n: number } | { kind: 'take'; max: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('offer' as const), n: fc.integer({ min: 0, max: 8 }) }),
    fc.record({ kind: fc.constant('take' as const), max: fc.integer({ min: 0, max: 7 }) }),
  );

  test('bounded size and held records, acceptance order preserved, one acknowledgement per accepted batch, nothing lost', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 4 }),
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        fc.array(op, { maxLength: 60 }),
        (capacity, maxParked, maxBatchSize, ops) => {
          const buf = new IngressBuffer<{ batch: number; i: number }>({ capacity, maxParked, maxBatchSize });
          const maxBatch = maxBatchSize ?? capacity;
          expect(buf.bound).toBe(Math.max(capacity, maxBatch) + maxParked * maxBatch);
          const acks: number[] = []; // per batch: times acknowledged
          const sizes: number[] = []; // per batch: record count
          const sizeWhenAccepted: number[] = []; // per batch: queue size just before it was enqueued
          const acceptOrder: number[] = [];
          const refused = new Set<number>();
          const out: { batch: number; i: number }[] = [];
          let peak = 0;
          let parkedTotal = 0;

          let peakHeld = 0;
          const check = () => {
            peak = Math.max(peak, buf.size);
            // held = queued + the records of parked batches, never above the bound
            const parkedRecords = buf.held - buf.size;
            expect(parkedRecords).toBeGreaterThanOrEqual(0);
            expect(parkedRecords).toBeLessThanOrEqual(buf.parkedBatches * maxBatch);
            expect(buf.held).toBeLessThanOrEqual(buf.bound);
            peakHeld = Math.max(peakHeld, buf.held);
            if (buf.size > capacity) {
              // only one batch, admitted into an empty queue, can exceed the capacity
              const queuedBatches = new Set(acceptOrder.filter((b) => sizes[b] > 0).filter((b) => {
                const taken = out.filter((r) => r.batch === b).length;
                return taken < sizes[b];
              }));
              expect(queuedBatches.size).toBe(1);
              const [b] = [...queuedBatches];
              expect(sizes[b]).toBeGreaterThan(capacity);
              expect(sizeWhenAccepted[b]).toBe(0);
            }
          };

          for (const o of ops) {
            if (o.kind === 'offer') {
              const b = sizes.length;
              sizes.push(o.n);
              acks.push(0);
              sizeWhenAccepted.push(-1);
              const records = Array.from({ length: o.n }, (_, i) => ({ batch: b, i }));
              const parkedBefore = buf.parkedBatches;
              const sizeBefore = buf.size;
              let sync = false;
              try {
                buf.offer(records, () => {
                  acks[b]++;
                  acceptOrder.push(b);
                  sync = true;
                  sizeWhenAccepted[b] = buf.size - o.n;
                });
              } catch (e) {
                expect(e).toBeInstanceOf(IngressOverflowError);
                if (o.n > maxBatch) expect((e as IngressOverflowError).refusal).toBe('TOO_LARGE');
                else {
                  expect((e as IngressOverflowError).refusal).toBe('FULL');
                  expect(parkedBefore).toBe(maxParked);
                }
                expect(buf.parkedBatches).toBe(parkedBefore);
                expect(buf.size).toBe(sizeBefore);
                refused.add(b);
                continue;
              }
              expect(o.n).toBeLessThanOrEqual(maxBatch);
              const fits = sizeBefore + o.n <= capacity || sizeBefore === 0;
              // synchronous acceptance exactly when nothing waits and it fits
              expect(sync).toBe(parkedBefore === 0 && fits);
              if (!sync) parkedTotal++;
            } else {
              const got = buf.take(o.max);
              expect(got.length).toBeLessThanOrEqual(o.max);
              out.push(...got);
            }
            check();
          }
          // drain: everything accepted or parked comes out
          for (let guard = 0; buf.size > 0 || buf.parkedBatches > 0; guard++) {
            expect(guard).toBeLessThan(1000);
            out.push(...buf.take(3));
            check();
          }

          const offered = sizes.map((_, b) => b).filter((b) => !refused.has(b));
          // every non-refused batch acknowledged exactly once, refused ones never
          sizes.forEach((_, b) => expect(acks[b]).toBe(refused.has(b) ? 0 : 1));
          // batches accepted in the order they were offered
          expect(acceptOrder).toEqual(offered);
          // records out in acceptance order, nothing lost, nothing duplicated
          const expected = offered.flatMap((b) => Array.from({ length: sizes[b] }, (_, i) => ({ batch: b, i })));
          expect(out).toEqual(expected);
          expect(buf.accepted).toBe(expected.length);
          expect(buf.taken).toBe(expected.length);
          expect(buf.peakSize).toBe(peak);
          expect(buf.peakHeld).toBe(peakHeld);
          expect(buf.parkedTotal).toBe(parkedTotal);
          expect(buf.refusedTotal).toBe(refused.size);
        },
      ),
    );
  });
});
