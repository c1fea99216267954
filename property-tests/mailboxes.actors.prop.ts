/**
 * Property: the actor boundary is bounded too (the twin of
 * mailboxes.prop.ts for the job's inside). User actors feed an ActorSource
 * and receive an ActorSink's output, with random behaviour on both sides:
 *
 * - producers (1–3) that await each acknowledgement (pushTo) or flood
 *   (dispatch bursts without waiting), batches of random sizes, some above
 *   maxBatchSize; random capacity, maxParked and maxBatchSize;
 * - a target that acknowledges at once, after a random delay per message
 *   (a slow actor), or later in random order (acknowledgements batched on
 *   a timer); random window and sink parallelism.
 *
 * Observed from outside: the ingress never holds more than its bound and
 * nothing ever waits in its nact mailbox; per writer, deliveries that
 * reached the target minus acknowledgements it sent never exceed the
 * window; every accepted record reaches the target exactly once, refused
 * ones never, and all of them before job.result() resolves.
 *
 * Replay: FC_SEED=<seed> npx jest property-tests/mailboxes.actors.prop.ts
 */
import fc from 'fast-check';
import { dispatch, spawn, start, stop, type Ref } from 'nact';
import {
  acknowledge,
  ActorSink,
  ActorSource,
  IngressOverflowError,
  pushTo,
  StreamExecutionEnvironment,
  type IngressReply,
  type SinkDelivery,
} from '../index';
import { seededRandom } from '../lib/testing/random';

const RUNS = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 25 : 15));

const producerArb = fc.record({
  mode: fc.constantFrom('await' as const, 'flood' as const),
  batches: fc.integer({ min: 1, max: 60 }),
  /** Batches per burst for a flooding producer (one burst per event-loop turn). */
  burst: fc.integer({ min: 1, max: 20 }),
});

const scenario = fc.record({
  producers: fc.array(producerArb, { minLength: 1, maxLength: 3 }),
  capacity: fc.integer({ min: 1, max: 48 }),
  maxParked: fc.integer({ min: 0, max: 4 }),
  maxBatchSize: fc.integer({ min: 1, max: 16 }),
  /** Largest batch a producer makes; above maxBatchSize it is refused as TOO_LARGE. */
  largestBatch: fc.integer({ min: 1, max: 24 }),
  window: fc.integer({ min: 1, max: 8 }),
  sinkP: fc.integer({ min: 1, max: 3 }),
  ack: fc.constantFrom('at-once' as const, 'slow' as const, 'later-shuffled' as const),
  slowChance: fc.double({ min: 0, max: 0.3, noNaN: true }),
  frameSize: fc.integer({ min: 1, max: 32 }),
  seed: fc.integer(),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

const turn = () => new Promise<void>((r) => setImmediate(r));

/** A target actor with the chosen acknowledgement behaviour, observed at dispatch time. */
function spawnTarget(system: Ref<any>, sc: Scenario, random: () => number) {
  const seen: number[] = [];
  const unacked = new Map<unknown, number>();
  const probe = { peakUnacked: 0, seen, acksSent: 0 };
  const ack = (m: SinkDelivery<number>) => {
    unacked.set(m.ackTo, unacked.get(m.ackTo)! - 1);
    probe.acksSent++;
    acknowledge(m);
  };
  let later: SinkDelivery<number>[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const ackLater = () => {
    const batch = later;
    later = [];
    for (let i = batch.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [batch[i], batch[j]] = [batch[j], batch[i]];
    }
    for (const m of batch) ack(m);
  };
  const ref = spawn(
    system,
    async (s: undefined, m: SinkDelivery<number>) => {
      seen.push(m.payload);
      if (sc.ack === 'at-once') ack(m);
      else if (sc.ack === 'slow') {
        if (random() < sc.slowChance) await new Promise((r) => setTimeout(r, 1));
        ack(m);
      } else {
        later.push(m);
        const t = setTimeout(() => {
          timers.delete(t);
          ackLater();
        }, Math.floor(random() * 3));
        timers.add(t);
      }
      return s;
    },
    'target',
  ) as Ref<SinkDelivery<number>>;
  const concrete = require('nact/lib/system-map').find((ref as any).system.name, ref);
  const original = concrete.dispatch.bind(concrete);
  concrete.dispatch = (m: SinkDelivery<number>, sender?: unknown) => {
    const n = (unacked.get(m.ackTo) ?? 0) + 1;
    unacked.set(m.ackTo, n);
    probe.peakUnacked = Math.max(probe.peakUnacked, n);
    original(m, sender);
  };
  return { ref, probe, writers: () => unacked.size, clear: () => timers.forEach(clearTimeout) };
}

describe('bounded mailboxes at the actor boundary', () => {
  test('the ingress holds at most its bound, each sink writer at most window unacknowledged, accepted records delivered exactly once before the result', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        const system = start();
        const random = seededRandom(sc.seed);
        const target = spawnTarget(system, sc, seededRandom(sc.seed ^ 0x2545f491));
        try {
          const source = new ActorSource<number>(system, 'in', { capacity: sc.capacity, maxParked: sc.maxParked, maxBatchSize: sc.maxBatchSize });
          const sink = new ActorSink<number>(target.ref, undefined, { window: sc.window });
          const env = StreamExecutionEnvironment.create({ parent: system, bufferTimeoutMs: 1, frameSize: sc.frameSize, random: seededRandom(sc.seed) });
          env
            .fromSource(source)
            .map((x) => x)
            .rebalance()
            .sinkTo(sink)
            .setParallelism(sc.sinkP);
          const job = env.executeAsync('actor boundary');

          let peakHeld = 0;
          let peakMailbox = 0;
          const observe = () => {
            peakHeld = Math.max(peakHeld, source.buffer.held);
            peakMailbox = Math.max(peakMailbox, source.mailboxLength);
          };
          let sampling = true;
          const sampler = (async () => {
            while (sampling) {
              observe();
              await turn();
            }
          })();

          // every record is unique: producer, batch, index
          const batchOf = (p: number, b: number) =>
            Array.from({ length: Math.floor(random() * (sc.largestBatch + 1)) }, (_, i) => p * 1_000_000 + b * 1_000 + i);
          const accepted: number[] = [];
          const refused: number[] = [];
          const floodReplies: { ref: Ref<IngressReply>; replies: IngressReply[]; batches: number[][] }[] = [];

          const producers = sc.producers.map(async (p, pi) => {
            if (p.mode === 'await') {
              for (let b = 0; b < p.batches; b++) {
                const records = batchOf(pi, b);
                try {
                  await pushTo(source.ref, records);
                  accepted.push(...records);
                } catch (e) {
                  expect(e).toBeInstanceOf(IngressOverflowError);
                  refused.push(...records);
                }
                observe();
              }
              return;
            }
            const replies: IngressReply[] = [];
            const ref = spawn(system, (s: undefined, r: IngressReply) => {
              replies.push(r);
              return s;
            }, `producer-${pi}`);
            const batches: number[][] = [];
            floodReplies.push({ ref, replies, batches });
            for (let b = 0; b < p.batches; b++) {
              const records = batchOf(pi, b);
              batches.push(records);
              dispatch(source.ref, { type: 'Push', records, replyTo: ref, seq: b });
              observe();
              if ((b + 1) % p.burst === 0) await turn();
            }
          });
          await Promise.all(producers);
          dispatch(source.ref, { type: 'End' });
          await job.result();
          const seenAtResult = target.probe.seen.length;
          const acksAtResult = target.probe.acksSent;
          sampling = false;
          await sampler;

          // every flooding producer hears back about every batch
          for (const f of floodReplies) {
            for (let i = 0; i < 100_000 && f.replies.length < f.batches.length; i++) await turn();
            expect(f.replies).toHaveLength(f.batches.length);
            for (const r of f.replies) (r.type === 'Accepted' ? accepted : refused).push(...f.batches[r.seq!]);
          }

          // the ingress: never above its bound, nothing in nact's mailbox
          expect(peakMailbox).toBe(0);
          expect(peakHeld).toBeLessThanOrEqual(source.buffer.bound);
          expect(source.buffer.peakHeld).toBeLessThanOrEqual(source.buffer.bound);
          // the sink: per writer, never more than window unacknowledged
          expect(target.probe.peakUnacked).toBeLessThanOrEqual(sc.window);
          for (const m of sink.metrics()) expect(m.peakUnacknowledged).toBeLessThanOrEqual(sc.window);
          // exactly once, and all of it before the result
          const byValue = (a: number, b: number) => a - b;
          expect([...target.probe.seen].sort(byValue)).toEqual([...accepted].sort(byValue));
          expect(seenAtResult).toBe(accepted.length);
          expect(acksAtResult).toBe(accepted.length);
          const refusedSet = new Set(refused);
          expect(target.probe.seen.some((v) => refusedSet.has(v))).toBe(false);
          source.stop();
        } finally {
          target.clear();
          stop(system);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
