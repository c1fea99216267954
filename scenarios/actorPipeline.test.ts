/**
 * End to end: actor source → job → actor sink inside a caller's actor
 * system, bounded at both ends: the ingress parks or refuses, the sink waits
 * for the dashboard's acknowledgements, and the job's result comes after the
 * dashboard handled every update.
 */
import { dispatch, spawn, start, stop } from 'nact';
import { order, runActorPipeline } from './actorPipeline';
import { ActorSource, IngressOverflowError, pushTo, StreamExecutionEnvironment, type IngressReply } from '../index';

describe('actor source → job → actor sink', () => {
  test('every order reaches the dashboard exactly once per update, before the job reports its result', async () => {
    const n = 3_000;
    const run = await runActorPipeline(n, 40, 120, 8);
    expect(run.updates).toBe(n); // counted when result() resolved
    expect(run.peakUnacknowledged).toBeGreaterThan(0);
    expect(run.peakUnacknowledged).toBeLessThanOrEqual(8);
    const expected = new Map<string, { revenue: number; orders: number }>();
    for (let i = 0; i < n; i++) {
      const o = order(i);
      const e = expected.get(o.product) ?? { revenue: 0, orders: 0 };
      expected.set(o.product, { revenue: e.revenue + o.price, orders: e.orders + 1 });
    }
    expect(run.dashboard.size).toBe(expected.size);
    for (const [product, e] of expected) {
      expect(run.dashboard.get(product)).toEqual({ product, ...e });
    }
    expect(run.peakQueued).toBeLessThanOrEqual(run.capacity);
  });

  test('a producer that outruns a slow job is made to wait; memory stays within capacity', async () => {
    const system = start();
    try {
      const source = new ActorSource<number>(system, 'numbers', { capacity: 100, maxParked: 1000 });
      const seen: number[] = [];
      const env = StreamExecutionEnvironment.create({ parent: system, bufferTimeoutMs: 1, frameSize: 16 });
      env
        .fromSource(source)
        .map((x) => x * 2)
        .sinkTo(async (x) => {
          await new Promise((r) => setTimeout(r, 0));
          seen.push(x);
        });
      const job = env.executeAsync('slow job');
      // 50 batches of 20 sent without waiting: far more than the 100-record capacity.
      const acks = Array.from({ length: 50 }, (_, b) => pushTo(source.ref, Array.from({ length: 20 }, (_, k) => b * 20 + k)));
      await Promise.all(acks);
      dispatch(source.ref, { type: 'End' });
      await job.result();
      expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i * 2));
      expect(source.buffer.parkedTotal).toBeGreaterThan(0);
      expect(source.buffer.peakSize).toBeLessThanOrEqual(100);
      source.stop();
    } finally {
      stop(system);
    }
  });

  test('a producer ignoring acknowledgements is refused, with a reason, not dropped silently', async () => {
    const system = start();
    try {
      const source = new ActorSource<number>(system, 'strict', { capacity: 10, maxParked: 2 });
      const replies: IngressReply[] = [];
      const collector = spawn(system, (s: undefined, r: IngressReply) => {
        replies.push(r);
        return s;
      }, 'replies');
      for (let seq = 0; seq < 6; seq++) dispatch(source.ref, { type: 'Push', records: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], replyTo: collector, seq });
      // refused at dispatch time; the replies arrive one per event-loop turn
      for (let i = 0; i < 100 && replies.length < 4; i++) await new Promise((r) => setImmediate(r));
      expect(replies.filter((r) => r.type === 'Accepted').map((r) => r.seq)).toEqual([0]);
      const refused = replies.filter((r) => r.type === 'Refused');
      expect(refused.map((r) => r.seq)).toEqual([3, 4, 5]);
      expect(refused[0].type === 'Refused' && refused[0].reason).toMatch(/wait for each acknowledgement/);
      expect(refused.every((r) => r.type === 'Refused' && r.refusal === 'FULL')).toBe(true);
      await expect(pushTo(source.ref, [1])).rejects.toBeInstanceOf(IngressOverflowError);
      source.stop();
    } finally {
      stop(system);
    }
  });

  test("the engine's actors live under the caller's parent actor and are gone after the job", async () => {
    const system = start();
    try {
      const parent = spawn(system, (s: undefined) => s, 'backend');
      const childNames = () => [...(require('nact/lib/system-map').find((system as any).system.name, parent).children.keys())] as string[];
      const env = StreamExecutionEnvironment.create({ parent, parallelism: 2 });
      let during: string[] = [];
      env.fromGenerator(5_000, (i) => i).rebalance().map((x) => x + 1).sinkTo(() => {
        if (during.length === 0) during = childNames();
      });
      const job = env.executeAsync('embedded');
      await job.result();
      expect(during).toHaveLength(1);
      expect(during[0]).toMatch(/^job-/);
      await new Promise((r) => setImmediate(r));
      expect(childNames()).toEqual([]);
    } finally {
      stop(system);
    }
  });
});
