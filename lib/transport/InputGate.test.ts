/**
 * InputGate, the consumer end of a subtask's channels: round-robin polling
 * over channels, blocked channels skipped, end-of-partition finishes a channel
 * (and the gate after all), credit return in batches of ceil(credits/2) (none
 * for a finished channel), ChannelProtocolError on a receive beyond credits,
 * maxQueued. Plus a fast-check model of OutputChannel → InputGate traffic under
 * random interleavings: never more held than credits, nothing lost or
 * reordered, and no stall once production stops.
 */
import fc from 'fast-check';
import { END_OF_PARTITION, type ChannelBuffer, type RecordFrame } from './ChannelBuffer';
import { ChannelProtocolError, InputGate } from './InputGate';
import { OutputChannel } from './OutputChannel';

function rec(...values: unknown[]): RecordFrame {
  return { kind: 'records', values, timestamps: undefined };
}

/** Polls until empty, marking each processed; returns [channel, first value or 'EOP'] pairs. */
function drain(gate: InputGate): [number, unknown][] {
  const out: [number, unknown][] = [];
  for (let next = gate.poll(); next !== undefined; next = gate.poll()) {
    out.push([next.channel, next.buffer.kind === 'records' ? next.buffer.values[0] : 'EOP']);
    gate.processed(next.channel);
  }
  return out;
}

describe('InputGate polling', () => {
  test('round-robin over channels that have data', () => {
    const gate = new InputGate(3, 4);
    expect(gate.numberOfChannels).toBe(3);
    expect(gate.totalCredits).toBe(12);
    gate.receive(0, rec('a1'));
    gate.receive(0, rec('a2'));
    gate.receive(0, rec('a3'));
    gate.receive(1, rec('b1'));
    gate.receive(2, rec('c1'));
    gate.receive(2, rec('c2'));
    expect(gate.queuedBuffers).toBe(6);
    expect(drain(gate)).toEqual([
      [0, 'a1'],
      [1, 'b1'],
      [2, 'c1'],
      [0, 'a2'],
      [2, 'c2'],
      [0, 'a3'],
    ]);
    expect(gate.queuedBuffers).toBe(0);
    expect(gate.hasReady).toBe(false);
    expect(gate.poll()).toBeUndefined();
  });

  test('the cursor continues after the channel last served, not from channel 0', () => {
    const gate = new InputGate(3, 4);
    gate.receive(1, rec('b1'));
    expect(gate.poll()!.channel).toBe(1);
    gate.processed(1);
    gate.receive(0, rec('a1'));
    gate.receive(2, rec('c1'));
    expect(gate.poll()!.channel).toBe(2);
    expect(gate.poll()!.channel).toBe(0);
  });

  test('per-channel FIFO order is kept', () => {
    const gate = new InputGate(1, 8);
    for (let i = 0; i < 8; i++) gate.receive(0, rec(i));
    expect(drain(gate).map(([, v]) => v)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('blocked channels are skipped and keep their buffers', () => {
    const gate = new InputGate(2, 4);
    gate.receive(0, rec('a1'));
    gate.receive(1, rec('b1'));
    gate.receive(1, rec('b2'));
    gate.setBlocked(0, true);
    expect(drain(gate)).toEqual([
      [1, 'b1'],
      [1, 'b2'],
    ]);
    expect(gate.hasReady).toBe(false);
    expect(gate.queuedBuffers).toBe(1);
    gate.setBlocked(0, false);
    expect(gate.hasReady).toBe(true);
    expect(drain(gate)).toEqual([[0, 'a1']]);
  });

  test('end-of-partition marks its channel finished; the gate is finished after all channels', () => {
    const gate = new InputGate(2, 4);
    expect(gate.isFinished).toBe(false);
    gate.receive(0, rec('a'));
    gate.receive(0, END_OF_PARTITION);
    gate.receive(1, rec('b'));
    expect(drain(gate)).toEqual([
      [0, 'a'],
      [1, 'b'],
      [0, 'EOP'],
    ]);
    expect(gate.isFinished).toBe(false);
    expect(() => gate.receive(0, rec('late'))).toThrow(ChannelProtocolError);
    gate.receive(1, END_OF_PARTITION);
    // not finished before the end-of-partition is polled
    expect(gate.isFinished).toBe(false);
    expect(drain(gate)).toEqual([[1, 'EOP']]);
    expect(gate.isFinished).toBe(true);
  });

  test('a gate with no channels is finished at once', () => {
    const gate = new InputGate(0, 4);
    expect(gate.isFinished).toBe(true);
    expect(gate.poll()).toBeUndefined();
  });
});

describe('InputGate end of partition', () => {
  test('a buffer behind an end of partition is refused even before the end is polled', () => {
    const gate = new InputGate(1, 4);
    gate.receive(0, END_OF_PARTITION);
    expect(() => gate.receive(0, rec('late'))).toThrow(ChannelProtocolError);
  });

  test('a refused buffer does not use up a credit', () => {
    const gate = new InputGate(1, 1);
    gate.receive(0, rec('a'));
    expect(() => gate.receive(0, rec('over'))).toThrow(ChannelProtocolError);
    gate.poll();
    gate.processed(0);
    expect(gate.takeCredits()).toEqual([{ channel: 0, credits: 1 }]);
    gate.receive(0, rec('b'));
    expect(gate.queuedBuffers).toBe(1);
  });
});

describe('InputGate credits', () => {
  test('nothing returned below ceil(credits/2); the batch is returned at the threshold', () => {
    const gate = new InputGate(2, 5); // threshold 3
    for (let i = 0; i < 5; i++) gate.receive(0, rec(i));
    gate.receive(1, rec('x'));
    const polled = (n: number) => {
      for (let i = 0; i < n; i++) {
        const next = gate.poll()!;
        gate.processed(next.channel);
      }
    };
    polled(2); // ch0 0, ch1 x
    expect(gate.takeCredits()).toEqual([]);
    polled(1); // ch0 1
    expect(gate.takeCredits()).toEqual([]);
    polled(1); // ch0 2 → 3 due on ch0
    expect(gate.takeCredits()).toEqual([{ channel: 0, credits: 3 }]);
    expect(gate.takeCredits()).toEqual([]); // returned once
    // three more received fit: 5 credits − 2 still outstanding
    for (let i = 0; i < 3; i++) gate.receive(0, rec(`r${i}`));
    expect(() => gate.receive(0, rec('over'))).toThrow(ChannelProtocolError);
  });

  test('credits of 1 are returned one by one; credits of 2 too (ceil(2/2) = 1)', () => {
    for (const credits of [1, 2]) {
      const gate = new InputGate(1, credits);
      gate.receive(0, rec('a'));
      gate.poll();
      expect(gate.takeCredits()).toEqual([]); // polled, not yet processed
      gate.processed(0);
      expect(gate.takeCredits()).toEqual([{ channel: 0, credits: 1 }]);
    }
  });

  test('credits 8: threshold 4', () => {
    const gate = new InputGate(1, 8);
    for (let i = 0; i < 8; i++) gate.receive(0, rec(i));
    for (let i = 0; i < 3; i++) {
      gate.poll();
      gate.processed(0);
      expect(gate.takeCredits()).toEqual([]);
    }
    gate.poll();
    gate.processed(0);
    expect(gate.takeCredits()).toEqual([{ channel: 0, credits: 4 }]);
  });

  test('receiving beyond the credits throws ChannelProtocolError naming the channel', () => {
    const gate = new InputGate(2, 2);
    gate.receive(1, rec(1));
    gate.receive(1, rec(2));
    let err: unknown;
    try {
      gate.receive(1, rec(3));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ChannelProtocolError);
    expect((err as ChannelProtocolError).code).toBe('CHANNEL_PROTOCOL');
    expect((err as Error).message).toContain('channel 1');
    // polling alone frees no credit: the buffer is outstanding until its credit is returned
    gate.poll();
    gate.processed(1);
    expect(() => gate.receive(1, rec(3))).toThrow(ChannelProtocolError);
    // the other channel has its own credits
    gate.receive(0, rec('ok'));
    expect(() => gate.receive(5, rec('?'))).toThrow(ChannelProtocolError);
  });

  test('once credits are taken back the channel may receive again', () => {
    const gate = new InputGate(1, 2);
    gate.receive(0, rec(1));
    gate.receive(0, rec(2));
    gate.poll();
    gate.processed(0);
    expect(gate.takeCredits()).toEqual([{ channel: 0, credits: 1 }]);
    gate.receive(0, rec(3));
    expect(() => gate.receive(0, rec(4))).toThrow(ChannelProtocolError);
  });

  test('end of partition: due credits are dropped (no credit for the finished channel) and outstanding is reset', () => {
    const gate = new InputGate(2, 8); // threshold 4
    gate.receive(0, rec('a'));
    gate.receive(0, rec('b'));
    gate.receive(0, END_OF_PARTITION);
    gate.receive(1, rec('c'));
    drain(gate);
    // channel 0: 3 processed (below the threshold, but finished) → reset silently; channel 1: 1 due, below threshold
    expect(gate.takeCredits()).toEqual([]);
    const internals = (gate as unknown as { channels: { outstanding: number; due: number; finished: boolean }[] }).channels;
    expect(internals[0]).toMatchObject({ outstanding: 0, due: 0, finished: true });
    expect(internals[1]).toMatchObject({ outstanding: 1, due: 1, finished: false });
  });

  test('end of partition with a full batch due still sends no credit for that channel', () => {
    const gate = new InputGate(1, 2); // threshold 1
    gate.receive(0, rec('a'));
    gate.receive(0, END_OF_PARTITION);
    drain(gate);
    expect(gate.isFinished).toBe(true);
    expect(gate.takeCredits()).toEqual([]);
  });

  test('maxQueued is the peak of received-and-unprocessed buffers', () => {
    const gate = new InputGate(2, 4);
    expect(gate.maxQueued).toBe(0);
    gate.receive(0, rec(1));
    gate.receive(1, rec(2));
    gate.receive(1, rec(3));
    expect(gate.maxQueued).toBe(3);
    drain(gate);
    gate.receive(0, rec(4));
    expect(gate.maxQueued).toBe(3);
    expect(gate.queuedBuffers).toBe(1);
    gate.receive(0, rec(5));
    gate.receive(0, rec(6));
    gate.receive(1, rec(7));
    expect(gate.maxQueued).toBe(4);
  });
});

describe('OutputChannel → InputGate protocol (property)', () => {
  type Cmd =
    | { kind: 'produce'; channel: number }
    | { kind: 'process' }
    | { kind: 'deliver'; channel: number }
    | { kind: 'credit'; channel: number }
    | { kind: 'flush'; channel: number };

  const cmdArb = (channels: number): fc.Arbitrary<Cmd> =>
    fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: channels - 1 }).map((channel) => ({ kind: 'produce' as const, channel })) },
      { weight: 2, arbitrary: fc.constant({ kind: 'process' as const }) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: channels - 1 }).map((channel) => ({ kind: 'deliver' as const, channel })) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: channels - 1 }).map((channel) => ({ kind: 'credit' as const, channel })) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: channels - 1 }).map((channel) => ({ kind: 'flush' as const, channel })) },
    );

  test('bounded, lossless, ordered, and live under random interleavings', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }).chain((channels) =>
          fc.record({
            channels: fc.constant(channels),
            credits: fc.integer({ min: 1, max: 5 }),
            frameSize: fc.integer({ min: 1, max: 4 }),
            cmds: fc.array(cmdArb(channels), { maxLength: 300 }),
          }),
        ),
        ({ channels, credits, frameSize, cmds }) => {
          const gate = new InputGate(channels, credits);
          const inFlight: ChannelBuffer[][] = Array.from({ length: channels }, () => []);
          const creditsInFlight: number[][] = Array.from({ length: channels }, () => []);
          const producers = Array.from(
            { length: channels },
            (_, c) => new OutputChannel(c, credits, frameSize, (b) => inFlight[c].push(b)),
          );
          const produced: number[][] = Array.from({ length: channels }, () => []);
          const received: number[][] = Array.from({ length: channels }, () => []);
          const eopSeen: boolean[] = new Array(channels).fill(false);
          let next = 0;

          const checkBound = () => {
            for (let c = 0; c < channels; c++) {
              // buffers the consumer holds or will hold for this channel never exceed its credits
              expect(inFlight[c].length + producers[c].availableCredits).toBeLessThanOrEqual(credits);
            }
            expect(gate.queuedBuffers).toBeLessThanOrEqual(gate.totalCredits);
          };
          const process = (): boolean => {
            const got = gate.poll();
            if (got === undefined) return false;
            if (got.buffer.kind === 'records') {
              expect(eopSeen[got.channel]).toBe(false);
              for (const v of got.buffer.values) received[got.channel].push(v as number);
            } else eopSeen[got.channel] = true;
            gate.processed(got.channel);
            for (const r of gate.takeCredits()) creditsInFlight[r.channel].push(r.credits);
            return true;
          };
          const deliver = (c: number): boolean => {
            const b = inFlight[c].shift();
            if (b === undefined) return false;
            gate.receive(c, b); // throws ChannelProtocolError if the producer overran its credits
            return true;
          };
          const credit = (c: number): boolean => {
            const n = creditsInFlight[c].shift();
            if (n === undefined) return false;
            producers[c].addCredit(n);
            return true;
          };

          for (const cmd of cmds) {
            switch (cmd.kind) {
              case 'produce':
                // a task takes input only while its output is available
                if (producers[cmd.channel].isAvailable) {
                  produced[cmd.channel].push(next);
                  producers[cmd.channel].add(next++, undefined);
                }
                break;
              case 'process':
                process();
                break;
              case 'deliver':
                deliver(cmd.channel);
                break;
              case 'credit':
                credit(cmd.channel);
                break;
              case 'flush':
                producers[cmd.channel].flush();
                break;
            }
            checkBound();
            expect(gate.maxQueued).toBeLessThanOrEqual(gate.totalCredits);
          }

          // Production stops: end of input on every channel, then deliver everything until quiet.
          for (const p of producers) p.addEvent(END_OF_PARTITION);
          let progress = true;
          let rounds = 0;
          while (progress) {
            expect(++rounds).toBeLessThan(10_000);
            progress = false;
            for (let c = 0; c < channels; c++) {
              while (deliver(c)) progress = true;
              while (credit(c)) progress = true;
            }
            while (process()) progress = true;
            checkBound();
          }
          // nothing stuck anywhere: the producers never stalled
          for (let c = 0; c < channels; c++) {
            expect(producers[c].backlogSize).toBe(0);
            expect(producers[c].pendingRecords).toBe(0);
            expect(inFlight[c]).toEqual([]);
            expect(received[c]).toEqual(produced[c]);
          }
          expect(eopSeen).toEqual(new Array(channels).fill(true));
          expect(gate.isFinished).toBe(true);
          expect(gate.queuedBuffers).toBe(0);
          expect(gate.maxQueued).toBeLessThanOrEqual(gate.totalCredits);
        },
      ),
    );
  });

  test('without a final flush, a full window of credits is always returned (no stall mid-stream)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 60 }), (credits, records) => {
        // frameSize 1: every record is a buffer; deliver and process eagerly, return credits as the gate says
        const gate = new InputGate(1, credits);
        const wire: ChannelBuffer[] = [];
        const out = new OutputChannel(0, credits, 1, (b) => wire.push(b));
        const got: unknown[] = [];
        for (let i = 0; i < records; i++) {
          // producer respects back-pressure: if unavailable, the consumer must be able to make progress
          let spins = 0;
          while (!out.isAvailable) {
            expect(++spins).toBeLessThan(100);
            while (wire.length > 0) gate.receive(0, wire.shift()!);
            for (let n = gate.poll(); n !== undefined; n = gate.poll()) {
              got.push(...(n.buffer as RecordFrame).values);
              gate.processed(n.channel);
            }
            for (const r of gate.takeCredits()) out.addCredit(r.credits);
          }
          out.add(i, undefined);
        }
        // the last frame may wait in the backlog for a credit that the consumer owes
        for (let spins = 0; wire.length > 0 || out.backlogSize > 0; spins++) {
          expect(spins).toBeLessThan(100);
          while (wire.length > 0) gate.receive(0, wire.shift()!);
          for (let n = gate.poll(); n !== undefined; n = gate.poll()) {
            got.push(...(n.buffer as RecordFrame).values);
            gate.processed(n.channel);
          }
          for (const r of gate.takeCredits()) out.addCredit(r.credits);
        }
        expect(got).toEqual(Array.from({ length: records }, (_, i) => i));
      }),
    );
  });
});
