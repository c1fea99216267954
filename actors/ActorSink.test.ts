/**
 * The actor sink at its boundary: job.result() settles only after the
 * target acknowledged every delivery (it saw all 5,000); a slow target
 * back-pressures the job (never more than `window` deliveries
 * unacknowledged per writer, its nact mailbox stays small); a target that
 * does not acknowledge, or is stopped, fails the job with
 * ActorSinkDeliveryError naming the sink and the target; the
 * acknowledgement actors are gone after the job ends, fails or is
 * cancelled, with no unhandled rejection.
 */
import { spawn, start, stop, type Ref } from 'nact';
import {
  acknowledge,
  ActorSink,
  ActorSinkDeliveryError,
  ActorSource,
  ConfigurationError,
  isSinkDelivery,
  JobExecutionError,
  StreamExecutionEnvironment,
  type SinkDelivery,
} from '../index';

const systemMap = require('nact/lib/system-map');
function childrenOf(system: Ref<any>): string[] {
  return [...systemMap.find((system as any).system.name).children.keys()];
}
function mailboxOf(ref: Ref<any>): number {
  return systemMap.find((ref as any).system.name, ref).mailbox.length;
}

const turn = () => new Promise<void>((r) => setImmediate(r));
/** Waits (event-loop turns, not time) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !cond(); i++) await turn();
  expect(cond()).toBe(true);
}

/**
 * A target that records every delivery and acknowledges it after `delay`
 * (ms; undefined = at once). `unacked` counts, per writer (its ackTo),
 * deliveries dispatched to it minus acknowledgements it sent: an outside
 * view of what each writer has in flight.
 */
function target<M>(system: Ref<any>, name: string, delay?: () => number | undefined) {
  const seen: M[] = [];
  const unacked = new Map<unknown, number>();
  let peakUnacked = 0;
  let peakMailbox = 0;
  let arrived = 0;
  const ref = spawn(
    system,
    async (s: undefined, msg: SinkDelivery<M>) => {
      peakMailbox = Math.max(peakMailbox, mailboxOf(ref));
      seen.push(msg.payload);
      const d = delay?.();
      if (d !== undefined) await new Promise((r) => setTimeout(r, d));
      unacked.set(msg.ackTo, unacked.get(msg.ackTo)! - 1);
      acknowledge(msg);
      return s;
    },
    name,
  ) as Ref<SinkDelivery<M>>;
  // count arrivals at dispatch time, before nact queues them
  const concrete = systemMap.find((ref as any).system.name, ref);
  const original = concrete.dispatch.bind(concrete);
  concrete.dispatch = (msg: SinkDelivery<M>, sender?: unknown) => {
    arrived++;
    const n = (unacked.get(msg.ackTo) ?? 0) + 1;
    unacked.set(msg.ackTo, n);
    peakUnacked = Math.max(peakUnacked, n);
    original(msg, sender);
  };
  return {
    ref,
    seen,
    get arrived() {
      return arrived;
    },
    get peakUnacked() {
      return peakUnacked;
    },
    get peakMailbox() {
      return peakMailbox;
    },
  };
}

describe('ActorSink: acknowledged delivery', () => {
  test('job.result() settles after the last acknowledgement: the target saw all 5,000', async () => {
    const system = start();
    try {
      let n = 0;
      const t = target<number>(system, 'target', () => (++n % 250 === 0 ? 1 : undefined)); // now and then a slow one
      const env = StreamExecutionEnvironment.create({ parent: system });
      env.fromGenerator(5_000, (i) => i).sinkTo(new ActorSink<number>(t.ref), 'to-target');
      await env.execute('deliver');
      expect(t.seen).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
    } finally {
      stop(system);
    }
  });

  test('a slow target back-pressures the job: never more than window deliveries in flight per writer', async () => {
    const system = start();
    try {
      const t = target<{ v: number; subtask: number }>(system, 'slow', () => 1);
      const sink = new ActorSink<number, { v: number; subtask: number }>(t.ref, (v, subtask) => ({ v, subtask }), { window: 8 });
      const env = StreamExecutionEnvironment.create({ parent: system, parallelism: 2, frameSize: 64 });
      env.fromGenerator(400, (i) => i).rebalance().sinkTo(sink, 'slow-sink');
      await env.execute('slow target');
      expect(t.seen.map((m) => m.v).sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, i) => i));
      expect(new Set(t.seen.map((m) => m.subtask))).toEqual(new Set([0, 1]));
      expect(t.peakUnacked).toBe(8); // the window was used, never exceeded
      expect(t.peakMailbox).toBeLessThanOrEqual(2 * 8);
      const metrics = sink.metrics();
      expect(metrics.map((m) => m.subtaskIndex).sort()).toEqual([0, 1]);
      for (const m of metrics) {
        expect(m.peakUnacknowledged).toBeLessThanOrEqual(8);
        expect(m.sent).toBe(m.acknowledged);
        expect(m.unacknowledged).toBe(0);
      }
      expect(metrics.reduce((n, m) => n + m.sent, 0)).toBe(400);
    } finally {
      stop(system);
    }
  });

  test('the target gets an envelope; toMessage shapes its payload with the subtask index', async () => {
    const system = start();
    try {
      const got: unknown[] = [];
      const ref = spawn(system, (s: undefined, msg: unknown) => {
        got.push(msg);
        if (isSinkDelivery(msg)) acknowledge(msg);
        return s;
      }, 'raw') as Ref<SinkDelivery<string>>;
      const env = StreamExecutionEnvironment.create({ parent: system });
      env.fromCollection([1, 2]).sinkTo(new ActorSink<number, string>(ref, (v, subtask) => `${subtask}:${v}`));
      await env.execute('envelope');
      expect(got).toEqual([
        { type: 'SinkDelivery', payload: '0:1', seq: 0, ackTo: expect.objectContaining({ type: 'actor' }) },
        { type: 'SinkDelivery', payload: '0:2', seq: 1, ackTo: expect.objectContaining({ type: 'actor' }) },
      ]);
    } finally {
      stop(system);
    }
  });

  test('each writer has its own acknowledgement actor, stopped when the job ends', async () => {
    const system = start();
    try {
      const ackActors = new Set<string>();
      let allAlive = true;
      const ref = spawn(system, (s: undefined, msg: SinkDelivery<number>) => {
        const name = (msg.ackTo as unknown as { name: string }).name;
        ackActors.add(name);
        allAlive &&= childrenOf(system).includes(name); // alive while its delivery is unacknowledged
        acknowledge(msg);
        return s;
      }, 'target') as Ref<SinkDelivery<number>>;
      const env = StreamExecutionEnvironment.create({ parent: system, parallelism: 3 });
      env.fromGenerator(300, (i) => i).rebalance().sinkTo(new ActorSink<number>(ref));
      await env.execute('cleanup');
      expect(ackActors.size).toBe(3);
      expect([...ackActors].every((n) => n.startsWith('weir-ack-'))).toBe(true);
      expect(allAlive).toBe(true);
      expect(childrenOf(system).filter((n) => n.startsWith('weir-ack-'))).toEqual([]);
    } finally {
      stop(system);
    }
  });

  test('acknowledgement actors can live under a given parent', async () => {
    const system = start();
    try {
      const home = spawn(system, (s: undefined) => s, 'home');
      const homeChildren = () => [...systemMap.find((system as any).system.name, home).children.keys()] as string[];
      let during: string[] = [];
      const ref = spawn(system, (s: undefined, msg: SinkDelivery<number>) => {
        during = homeChildren();
        acknowledge(msg);
        return s;
      }, 'target') as Ref<SinkDelivery<number>>;
      const env = StreamExecutionEnvironment.create({ parent: system });
      env.fromGenerator(50, (i) => i).sinkTo(new ActorSink<number>(ref, undefined, { parent: home }), 'under-home');
      await env.execute('parent');
      // named after the sink's uid (sanitised for nact) and the subtask
      expect(during).toEqual([expect.stringMatching(/^weir-ack-\w+_under-home_\d+-0-\d+$/)]);
      expect(homeChildren()).toEqual([]);
    } finally {
      stop(system);
    }
  });
});

describe('ActorSink: failures', () => {
  test('a target that never acknowledges fails the job with ActorSinkDeliveryError (ACK_TIMEOUT) naming the sink and the target', async () => {
    const system = start();
    try {
      const mute = spawn(system, (s: undefined) => s, 'mute') as Ref<SinkDelivery<number>>;
      const env = StreamExecutionEnvironment.create({ parent: system });
      env.fromGenerator(10, (i) => i).sinkTo(new ActorSink<number>(mute, undefined, { window: 4, ackTimeoutMs: 30 }), 'mute-sink');
      const e = await env.execute('no acks').catch((x: unknown) => x);
      expect(e).toBeInstanceOf(JobExecutionError);
      const cause = rootCause(e);
      expect(cause).toBeInstanceOf(ActorSinkDeliveryError);
      const d = cause as ActorSinkDeliveryError;
      expect([d.code, d.reason, d.subtaskIndex, d.seq, d.timeoutMs]).toEqual(['ACTOR_SINK_DELIVERY_FAILED', 'ACK_TIMEOUT', 0, 0, 30]);
      expect(d.sink).toMatch(/mute-sink/); // the sink operator's uid
      expect(d.target).toMatch(/\/mute$/);
      expect(d.message).toMatch(/actor sink '[^']*mute-sink[^']*'.*\/mute did not acknowledge delivery #0 within 30 ms/);
      await until(() => !childrenOf(system).some((n) => n.startsWith('weir-ack-')));
    } finally {
      stop(system);
    }
  });

  test('a stopped target fails the job with ActorSinkDeliveryError (TARGET_STOPPED), not a silent loss', async () => {
    const system = start();
    try {
      const gone = spawn(system, (s: undefined) => s, 'gone') as Ref<SinkDelivery<number>>;
      stop(gone);
      const env = StreamExecutionEnvironment.create({ parent: system });
      env.fromGenerator(10, (i) => i).sinkTo(new ActorSink<number>(gone), 'to-gone');
      const e = await env.execute('stopped target').catch((x: unknown) => x);
      const cause = rootCause(e) as ActorSinkDeliveryError;
      expect(cause).toBeInstanceOf(ActorSinkDeliveryError);
      expect([cause.reason, cause.seq]).toEqual(['TARGET_STOPPED', 0]);
      expect(cause.sink).toMatch(/to-gone/);
      expect(cause.message).toMatch(/\/gone is stopped/);
    } finally {
      stop(system);
    }
  });

  test('cancelling a job whose target stopped acknowledging: the acknowledgement actor goes, no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const trap = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', trap);
    const system = start();
    try {
      let acks = 3;
      const stingy = spawn(system, (s: undefined, msg: SinkDelivery<number>) => {
        if (acks-- > 0) acknowledge(msg);
        return s;
      }, 'stingy') as Ref<SinkDelivery<number>>;
      const source = new ActorSource<number>(system, 'input');
      const env = StreamExecutionEnvironment.create({ parent: system });
      env.fromSource(source).sinkTo(new ActorSink<number>(stingy, undefined, { window: 2, ackTimeoutMs: 20 }));
      const job = env.executeAsync('cancelled');
      const result = job.result().catch((x: unknown) => x);
      for (let i = 0; i < 10; i++) source.buffer.offer([i], () => {});
      await until(() => childrenOf(system).some((n) => n.startsWith('weir-ack-')));
      await job.cancel();
      await result;
      await until(() => !childrenOf(system).some((n) => n.startsWith('weir-ack-')));
      await new Promise((r) => setTimeout(r, 60)); // past the acknowledgement timeout
      expect(unhandled).toEqual([]);
      source.stop();
    } finally {
      stop(system);
      process.off('unhandledRejection', trap);
    }
  });

  test.each([
    ['window 0', { window: 0 }, 'ActorSink.window'],
    ['window 1.5', { window: 1.5 }, 'ActorSink.window'],
    ['ackTimeoutMs -1', { ackTimeoutMs: -1 }, 'ActorSink.ackTimeoutMs'],
    ['ackTimeoutMs NaN', { ackTimeoutMs: Number.NaN }, 'ActorSink.ackTimeoutMs'],
  ])('%s is refused with ConfigurationError', (_label, options, option) => {
    const system = start();
    try {
      const ref = spawn(system, (s: undefined) => s, 't') as Ref<SinkDelivery<number>>;
      const e = (() => {
        try {
          new ActorSink<number>(ref, undefined, options);
        } catch (x) {
          return x;
        }
      })();
      expect(e).toBeInstanceOf(ConfigurationError);
      expect((e as ConfigurationError).option).toBe(option);
    } finally {
      stop(system);
    }
  });

  test('acknowledge() of anything but a SinkDelivery is a TypeError', () => {
    expect(() => acknowledge({ type: 'update' } as never)).toThrow(TypeError);
    expect(isSinkDelivery({ type: 'SinkDelivery', seq: 1 })).toBe(false);
    expect(isSinkDelivery({ type: 'SinkDelivery', seq: 1, ackTo: null })).toBe(false);
  });
});

function rootCause(e: unknown): unknown {
  let c = e;
  while (c instanceof Error && c.cause !== undefined) c = c.cause;
  return c;
}
