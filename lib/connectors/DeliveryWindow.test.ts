/**
 * DeliveryWindow, the sending side of the actor sink's acknowledged
 * delivery: sends at once while there is room, a backlog in order beyond
 * the window, acknowledgements in any order (duplicates and unknown ones
 * ignored), oldest() for timeouts, the two promises (backlog sent, all
 * acknowledged), fail(), re-entrant sends, validation, and a fast-check
 * model test (never more than `window` unacknowledged; every message sent
 * once, in order; settled exactly when everything was acknowledged).
 */
import fc from 'fast-check';
import { DeliveryWindow } from './DeliveryWindow';

/** A window whose transport records what was sent. */
function recording<M>(window: number): { w: DeliveryWindow<M>; sent: [number, M][] } {
  const sent: [number, M][] = [];
  const w = new DeliveryWindow<M>(window, (seq, m) => sent.push([seq, m]));
  return { w, sent };
}

/** Lets pending promise reactions run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function state(p: Promise<unknown>): { settled: boolean; error?: unknown } {
  const s: { settled: boolean; error?: unknown } = { settled: false };
  p.then(
    () => (s.settled = true),
    (e) => {
      s.settled = true;
      s.error = e;
    },
  );
  return s;
}

describe('DeliveryWindow: sending and acknowledging', () => {
  test('sends at once while there is room, with consecutive sequence numbers from 0', () => {
    const { w, sent } = recording<string>(3);
    expect(w.offer('a', 10)).toBe(true);
    expect(w.offer('b', 11)).toBe(true);
    expect(w.offer('c', 12)).toBe(true);
    expect(sent).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]);
    expect([w.unacknowledged, w.backlogSize, w.sent, w.isSettled]).toEqual([3, 0, 3, false]);
  });

  test('a full window keeps further messages in a backlog, sent in order as acknowledgements free room', () => {
    const { w, sent } = recording<string>(2);
    w.offer('a', 0);
    w.offer('b', 0);
    expect(w.offer('c', 0)).toBe(false);
    expect(w.offer('d', 0)).toBe(false);
    expect(sent.map(([, m]) => m)).toEqual(['a', 'b']);
    expect([w.unacknowledged, w.backlogSize]).toEqual([2, 2]);
    expect(w.acknowledge(1, 5)).toBe(true); // out of order: b first
    expect(sent).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]);
    expect([w.unacknowledged, w.backlogSize]).toEqual([2, 1]);
    w.acknowledge(0, 6);
    expect(sent.map(([s]) => s)).toEqual([0, 1, 2, 3]);
    expect([w.unacknowledged, w.backlogSize, w.peakUnacknowledged]).toEqual([2, 0, 2]);
  });

  test('a message offered behind a backlog waits even when room appears only later', () => {
    const { w } = recording<number>(1);
    w.offer(1, 0);
    expect(w.offer(2, 0)).toBe(false);
    expect(w.offer(3, 0)).toBe(false);
    w.acknowledge(0, 0);
    expect([w.unacknowledged, w.backlogSize]).toEqual([1, 1]);
  });

  test('a duplicate or unknown acknowledgement changes nothing', () => {
    const { w, sent } = recording<number>(1);
    w.offer(1, 0);
    w.offer(2, 0);
    expect(w.acknowledge(7, 0)).toBe(false);
    expect(w.acknowledge(-1, 0)).toBe(false);
    expect(sent).toHaveLength(1);
    expect(w.acknowledge(0, 0)).toBe(true);
    expect(w.acknowledge(0, 0)).toBe(false);
    expect(sent).toHaveLength(2);
    expect([w.acknowledged, w.unexpectedAcks, w.unacknowledged]).toEqual([1, 3, 1]);
  });

  test('oldest() is the earliest unacknowledged delivery and its send time', () => {
    const { w } = recording<string>(3);
    expect(w.oldest()).toBeUndefined();
    w.offer('a', 100);
    w.offer('b', 105);
    w.offer('c', 110);
    expect(w.oldest()).toEqual({ seq: 0, sentAt: 100 });
    w.acknowledge(1, 111);
    expect(w.oldest()).toEqual({ seq: 0, sentAt: 100 });
    w.acknowledge(0, 112);
    expect(w.oldest()).toEqual({ seq: 2, sentAt: 110 });
    w.offer('d', 120);
    w.acknowledge(2, 121);
    expect(w.oldest()).toEqual({ seq: 3, sentAt: 120 });
  });

  test('a backlog message is stamped with the time it was sent, not offered', () => {
    const { w } = recording<string>(1);
    w.offer('a', 0);
    w.offer('b', 5);
    w.acknowledge(0, 40);
    expect(w.oldest()).toEqual({ seq: 1, sentAt: 40 });
  });

  test('a transport that acknowledges synchronously from send() still sends everything once, in order', () => {
    const sent: number[] = [];
    const w: DeliveryWindow<number> = new DeliveryWindow<number>(2, (seq, m) => {
      sent.push(m);
      w.acknowledge(seq, 0);
    });
    for (let i = 0; i < 10; i++) expect(w.offer(i, 0)).toBe(true);
    expect(sent).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([w.isSettled, w.sent, w.acknowledged, w.peakUnacknowledged]).toEqual([true, 10, 10, 1]);
  });

  test.each([0, -1, 1.5, Number.NaN, Infinity])('the constructor refuses window %p with RangeError', (window) => {
    expect(() => new DeliveryWindow(window, () => {})).toThrow(RangeError);
  });
});

describe('DeliveryWindow: waiting', () => {
  test('whenSent() resolves when the backlog is empty; at once when it already is', async () => {
    const { w } = recording<number>(1);
    await w.whenSent();
    w.offer(1, 0);
    w.offer(2, 0);
    w.offer(3, 0);
    const s = state(w.whenSent());
    expect(w.whenSent()).toBe(w.whenSent()); // one shared promise
    w.acknowledge(0, 0);
    await flush();
    expect(s.settled).toBe(false);
    w.acknowledge(1, 0);
    await flush();
    expect(s).toEqual({ settled: true });
    expect(w.unacknowledged).toBe(1);
  });

  test('whenSettled() resolves when everything offered was sent and acknowledged', async () => {
    const { w } = recording<number>(2);
    await w.whenSettled();
    w.offer(1, 0);
    w.offer(2, 0);
    w.offer(3, 0);
    const s = state(w.whenSettled());
    w.acknowledge(0, 0);
    w.acknowledge(1, 0);
    await flush();
    expect(s.settled).toBe(false);
    w.acknowledge(2, 0);
    await flush();
    expect(s).toEqual({ settled: true });
    expect(w.isSettled).toBe(true);
  });

  test('fail() rejects the waiters, makes offer() throw, and stops sending; the first failure wins', async () => {
    const { w, sent } = recording<number>(1);
    w.offer(1, 0);
    w.offer(2, 0);
    const sentP = state(w.whenSent());
    const settledP = state(w.whenSettled());
    const boom = new Error('boom');
    w.fail(boom);
    w.fail(new Error('later'));
    await flush();
    expect(sentP).toEqual({ settled: true, error: boom });
    expect(settledP).toEqual({ settled: true, error: boom });
    expect(w.failed).toBe(boom);
    expect(() => w.offer(3, 0)).toThrow(boom);
    w.acknowledge(0, 0);
    expect(sent).toHaveLength(1);
    await expect(w.whenSent()).rejects.toBe(boom);
    await expect(w.whenSettled()).rejects.toBe(boom);
  });

  test('a waiter nobody awaits any more does not become an unhandled rejection when the window fails', async () => {
    const unhandled: unknown[] = [];
    const trap = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', trap);
    try {
      const { w } = recording<number>(1);
      w.offer(1, 0);
      w.offer(2, 0);
      void w.whenSent();
      void w.whenSettled();
      w.fail(new Error('nobody listens'));
      void w.whenSettled();
      await flush();
      await flush();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', trap);
    }
  });

  test('a send() that fails the window stops the pump at once, and the offer that caused it throws', () => {
    const sent: number[] = [];
    const w: DeliveryWindow<number> = new DeliveryWindow<number>(4, (seq, m) => {
      sent.push(m);
      if (m === 2) w.fail(new Error('target gone'));
    });
    w.offer(1, 0);
    expect(() => w.offer(2, 0)).toThrow('target gone');
    expect(() => w.offer(3, 0)).toThrow('target gone');
    expect(sent).toEqual([1, 2]);
    expect(w.backlogSize).toBe(0);
  });
});

describe('DeliveryWindow: model property', () => {
  type Op = { kind: 'offer' } | { kind: 'ack'; pick: number } | { kind: 'dup'; pick: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 3, arbitrary: fc.constant({ kind: 'offer' as const }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('ack' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('dup' as const), pick: fc.nat() }) },
  );

  test('never more than window unacknowledged; every message sent once, in order; settled iff all acknowledged', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 80 }), (window, ops) => {
        const sent: [number, number][] = [];
        const w = new DeliveryWindow<number>(window, (seq, m) => sent.push([seq, m]));
        const outstanding: number[] = []; // model: seqs sent, not acknowledged
        const acked: number[] = [];
        let offered = 0;
        let t = 0;
        const check = () => {
          for (const [seq] of sent.slice(outstanding.length + acked.length)) outstanding.push(seq);
          expect(w.unacknowledged).toBe(outstanding.length);
          expect(w.unacknowledged).toBeLessThanOrEqual(window);
          expect(w.backlogSize).toBe(offered - sent.length);
          // a backlog only while the window is full
          if (w.backlogSize > 0) expect(w.unacknowledged).toBe(window);
          expect(w.isSettled).toBe(offered === acked.length);
        };
        for (const o of ops) {
          t++;
          if (o.kind === 'offer') w.offer(offered++, t);
          else if (o.kind === 'ack') {
            if (outstanding.length === 0) continue;
            const [seq] = outstanding.splice(o.pick % outstanding.length, 1);
            expect(w.acknowledge(seq, t)).toBe(true);
            acked.push(seq);
          } else if (acked.length > 0) expect(w.acknowledge(acked[o.pick % acked.length], t)).toBe(false);
          check();
        }
        // drain: acknowledge everything, oldest first
        while (outstanding.length > 0) {
          expect(w.oldest()?.seq).toBe(Math.min(...outstanding));
          const seq = Math.min(...outstanding);
          outstanding.splice(outstanding.indexOf(seq), 1);
          w.acknowledge(seq, ++t);
          acked.push(seq);
          check();
        }
        expect(w.isSettled).toBe(true);
        expect(sent).toEqual(Array.from({ length: offered }, (_, i) => [i, i]));
        expect(w.peakUnacknowledged).toBeLessThanOrEqual(window);
      }),
    );
  });
});
