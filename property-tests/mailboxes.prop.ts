/**
 * Property: mailboxes are bounded. With random source speeds (a paced test
 * source that bursts and pauses) and random sink speeds (writes that take a
 * random while), random frame sizes, credits and parallelism, an outside
 * probe counts for every subtask the buffers sent to it minus those it has
 * processed. That count — frames in its mailbox or input queue — never
 * exceeds the credits the subtask grants (credits per channel × channels),
 * and the job still completes with every record delivered exactly once.
 *
 * Replay: FC_SEED=<seed> npx jest property-tests/mailboxes.prop.ts
 */
import fc from 'fast-check';
import { StreamExecutionEnvironment } from '../index';
import { MailboxProbe, subtaskKey } from '../lib/testing/ChannelProbe';
import { seededRandom } from '../lib/testing/random';
import { TestSource } from '../lib/testing/TestSource';

const scenario = fc.record({
  records: fc.integer({ min: 0, max: 600 }),
  sourceP: fc.integer({ min: 1, max: 3 }),
  mapP: fc.integer({ min: 1, max: 4 }),
  keyedP: fc.integer({ min: 1, max: 4 }),
  sinkP: fc.integer({ min: 1, max: 3 }),
  frameSize: fc.integer({ min: 1, max: 32 }),
  credits: fc.integer({ min: 1, max: 4 }),
  pauseChance: fc.double({ min: 0, max: 0.5, noNaN: true }),
  slowSinkChance: fc.double({ min: 0, max: 0.3, noNaN: true }),
  seed: fc.integer(),
});

describe('bounded mailboxes', () => {
  test('no subtask ever holds more frames than its input credits, and nothing is lost', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        const probe = new MailboxProbe();
        const env = StreamExecutionEnvironment.create({
          frameSize: sc.frameSize,
          channelCredits: sc.credits,
          bufferTimeoutMs: 1,
          random: seededRandom(sc.seed),
          channelProbe: probe,
        });
        const items = Array.from({ length: sc.records }, (_, i) => i);
        const sinkRandom = seededRandom(sc.seed ^ 0x5bd1e995);
        const seen: number[] = [];
        env
          .fromSource(new TestSource(items, { seed: sc.seed, pauseChance: sc.pauseChance, maxPauseMs: 3 }))
          .setParallelism(sc.sourceP)
          .map((i) => ({ i, key: i % 7 }))
          .setParallelism(sc.mapP)
          .keyBy((r) => r.key)
          .reduce((a, b) => ({ i: b.i, key: a.key }))
          .setParallelism(sc.keyedP)
          .rebalance()
          .sinkTo((r) => {
            seen.push(r.i);
            if (sinkRandom() < sc.slowSinkChance) return new Promise<void>((res) => setTimeout(res, 1));
          })
          .setParallelism(sc.sinkP);
        const result = await env.execute('mailbox bounds');

        expect([...seen].sort((a, b) => a - b)).toEqual(items);
        for (const s of result.subtasks) {
          const peak = probe.peaks().get(subtaskKey({ vertexId: s.vertexId, index: s.subtaskIndex })) ?? 0;
          expect(peak).toBeLessThanOrEqual(s.inputCredits);
          expect(s.maxQueuedBuffers).toBeLessThanOrEqual(s.inputCredits);
        }
        for (const held of probe.outstanding().values()) expect(held).toBe(0);
        expect(probe.sent).toBe(probe.processed);
      }),
    );
  });
});
