/**
 * The actor source at its boundary: a producer that floods (never waits for
 * acknowledgements) is refused at dispatch time while a job runs, nothing
 * waits in nact's mailbox of the ingress, the records held never exceed the
 * bound, and exactly the accepted batches reach the job, once, in order.
 * End is never refused; refusals without a replyTo and malformed messages
 * throw in the dispatching call.
 */
import { dispatch, spawn, start, stop, type Ref } from 'nact';
import {
  ActorSource,
  IngressOverflowError,
  InvalidIngressMessageError,
  pushTo,
  StreamExecutionEnvironment,
  type IngressReply,
} from '../index';

/** An actor that keeps every reply it gets. */
function replyCollector(system: Ref<any>, name: string): { ref: Ref<IngressReply>; replies: IngressReply[] } {
  const replies: IngressReply[] = [];
  const ref = spawn(system, (s: undefined, r: IngressReply) => {
    replies.push(r);
    return s;
  }, name);
  return { ref, replies };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/** Waits (event-loop turns, not time) until `cond` holds; nact handles one message per turn. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !cond(); i++) await turn();
  expect(cond()).toBe(true);
}

/** A running job reading `source` into `seen`. */
function runJob(system: Ref<any>, source: ActorSource<number>, seen: number[]) {
  const env = StreamExecutionEnvironment.create({ parent: system, bufferTimeoutMs: 1, frameSize: 16 });
  env.fromSource(source).sinkTo((x) => {
    seen.push(x);
  });
  return env.executeAsync('ingress');
}

describe('ActorSource: bounded at the actor boundary', () => {
  test('300 batches dispatched at once at capacity 100 / maxParked 1: 289 refused at dispatch time, the job gets the other 110 records', async () => {
    const system = start();
    try {
      const source = new ActorSource<number>(system, 'flood', { capacity: 100, maxParked: 1 });
      const { ref, replies } = replyCollector(system, 'replies');
      const seen: number[] = [];
      const job = runJob(system, source, seen);
      await turn();
      let peakMailbox = 0;
      let peakHeld = 0;
      for (let seq = 0; seq < 300; seq++) {
        dispatch(source.ref, { type: 'Push', records: Array.from({ length: 10 }, (_, i) => seq * 10 + i), replyTo: ref, seq });
        peakMailbox = Math.max(peakMailbox, source.mailboxLength);
        peakHeld = Math.max(peakHeld, source.buffer.held);
      }
      expect(peakMailbox).toBe(0);
      expect(peakHeld).toBe(110);
      expect(source.buffer.bound).toBe(200);
      expect(source.buffer.refusedTotal).toBe(289);
      dispatch(source.ref, { type: 'End' });
      await job.result();
      await until(() => replies.length === 300);

      const accepted = replies.filter((r) => r.type === 'Accepted').map((r) => r.seq);
      const refused = replies.filter((r) => r.type === 'Refused');
      expect(accepted).toEqual(Array.from({ length: 11 }, (_, i) => i));
      expect(refused.map((r) => r.seq)).toEqual(Array.from({ length: 289 }, (_, i) => 11 + i));
      expect(refused.every((r) => r.type === 'Refused' && r.refusal === 'FULL')).toBe(true);
      expect(seen).toEqual(Array.from({ length: 110 }, (_, i) => i));
      source.stop();
    } finally {
      stop(system);
    }
  });

  test('a producer that keeps dispatching while the job runs: the ingress never holds more than its bound, accepted records arrive exactly once', async () => {
    const system = start();
    try {
      const source = new ActorSource<number>(system, 'stream', { capacity: 64, maxParked: 2, maxBatchSize: 8 });
      const { ref, replies } = replyCollector(system, 'replies');
      const seen: number[] = [];
      const job = runJob(system, source, seen);
      let peakMailbox = 0;
      let peakHeld = 0;
      const batches: number[][] = [];
      for (let round = 0; round < 200; round++) {
        for (let k = 0; k < 25; k++) {
          const seq = batches.length;
          const records = Array.from({ length: 1 + ((seq * 7) % 8) }, (_, i) => seq * 100 + i);
          batches.push(records);
          dispatch(source.ref, { type: 'Push', records, replyTo: ref, seq });
          peakMailbox = Math.max(peakMailbox, source.mailboxLength);
          peakHeld = Math.max(peakHeld, source.buffer.held);
        }
        await turn();
      }
      dispatch(source.ref, { type: 'End' });
      await job.result();
      await until(() => replies.length === batches.length);

      expect(peakMailbox).toBe(0);
      expect(peakHeld).toBeLessThanOrEqual(source.buffer.bound);
      expect(source.buffer.peakHeld).toBeLessThanOrEqual(source.buffer.bound);
      const accepted = new Set(replies.filter((r) => r.type === 'Accepted').map((r) => r.seq));
      expect(accepted.size).toBeGreaterThan(0);
      expect(accepted.size).toBeLessThan(batches.length); // the flood was refused in part
      expect(seen).toEqual(batches.flatMap((b, seq) => (accepted.has(seq) ? b : [])));
      source.stop();
    } finally {
      stop(system);
    }
  });

  test('End is never refused: it ends the input after the queued and parked batches, and later pushes are refused as ENDED', async () => {
    const system = start();
    try {
      const source = new ActorSource<number>(system, 'end', { capacity: 4, maxParked: 1 });
      const { ref, replies } = replyCollector(system, 'replies');
      for (let seq = 0; seq < 3; seq++) dispatch(source.ref, { type: 'Push', records: [seq * 4, seq * 4 + 1, seq * 4 + 2, seq * 4 + 3], replyTo: ref, seq });
      dispatch(source.ref, { type: 'End' });
      dispatch(source.ref, { type: 'End' });
      dispatch(source.ref, { type: 'Push', records: [99], replyTo: ref, seq: 3 });
      const seen: number[] = [];
      await runJob(system, source, seen).result();
      await until(() => replies.length === 4);
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(replies.map((r) => (r.type === 'Refused' ? `${r.seq}:${r.refusal}` : `${r.seq}`)).sort()).toEqual(['0', '1', '2:FULL', '3:ENDED']);
      source.stop();
    } finally {
      stop(system);
    }
  });

  test('a refused Push without replyTo throws IngressOverflowError in the dispatching call', () => {
    const system = start();
    try {
      const source = new ActorSource<number>(system, 'noreply', { capacity: 2, maxParked: 0 });
      dispatch(source.ref, { type: 'Push', records: [1, 2] });
      let caught: unknown;
      try {
        dispatch(source.ref, { type: 'Push', records: [3] });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(IngressOverflowError);
      expect((caught as IngressOverflowError).refusal).toBe('FULL');
      expect(source.buffer.held).toBe(2);
    } finally {
      stop(system);
    }
  });

  test('a batch above maxBatchSize is refused as TOO_LARGE; pushTo rejects with the refusal', async () => {
    const system = start();
    try {
      const source = new ActorSource<number>(system, 'large', { capacity: 4 });
      const e = await pushTo(source.ref, [1, 2, 3, 4, 5]).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(IngressOverflowError);
      expect((e as IngressOverflowError).refusal).toBe('TOO_LARGE');
      await pushTo(source.ref, [1, 2, 3, 4]);
      expect(source.buffer.size).toBe(4);
    } finally {
      stop(system);
    }
  });

  test.each([
    ['a string', 'hello', /got string/],
    ['an unknown type', { type: 'Pushh', records: [1] }, /unknown message type "Pushh"/],
    ['Push without records', { type: 'Push' }, /array 'records'/],
    ['Push with a non-ref replyTo', { type: 'Push', records: [1], replyTo: 'me' }, /not an actor reference/],
  ])('%s throws InvalidIngressMessageError in the dispatching call; the ingress keeps working', async (_label, msg, text) => {
    const system = start();
    try {
      const source = new ActorSource<number>(system, 'strict');
      let caught: unknown;
      try {
        dispatch(source.ref, msg as never);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(InvalidIngressMessageError);
      expect((caught as InvalidIngressMessageError).code).toBe('INVALID_INGRESS_MESSAGE');
      expect((caught as Error).message).toMatch(/actor source 'strict'/);
      expect((caught as Error).message).toMatch(text);
      await pushTo(source.ref, [1]);
      expect(source.buffer.size).toBe(1);
    } finally {
      stop(system);
    }
  });
});
