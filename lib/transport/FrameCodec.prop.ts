/**
 * Fuzz of the frame decoder, the first code to read a peer's bytes. Random
 * byte streams, valid frame streams cut into random chunks or at every
 * boundary, and oversize headers: the decoder throws nothing but
 * FrameError, never holds more than one header plus `maxFrameBytes`, and
 * decodes a valid stream to the same payloads however it is chunked.
 *
 * Replay: FC_SEED=<seed> npx jest lib/transport/FrameCodec.prop.ts
 */
import fc from 'fast-check';
import { FrameError } from '../errors';
import { encodeFrame, FRAME_HEADER_BYTES, FrameDecoder } from './FrameCodec';

const MAX = 64;

/** Cuts `bytes` at the given fractions (sorted positions). */
function cut(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * (bytes.length + 1))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...at, bytes.length]) {
    if (p < prev) continue;
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

/** Feeds the chunks; returns the payloads, or the FrameError that stopped it. Anything else thrown fails the property. */
function feed(d: FrameDecoder, chunks: Buffer[]): { payloads: Buffer[]; error?: FrameError } {
  const payloads: Buffer[] = [];
  for (const c of chunks) {
    try {
      d.push(c, (p) => payloads.push(p));
    } catch (e) {
      if (e instanceof FrameError) return { payloads, error: e };
      throw e;
    }
    expect(d.bufferedBytes).toBeLessThanOrEqual(FRAME_HEADER_BYTES + MAX);
  }
  return { payloads };
}

const payloadsArb = fc.array(fc.uint8Array({ maxLength: MAX }), { maxLength: 12 });
const cutsArb = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { maxLength: 20 });

describe('FrameDecoder (fuzz)', () => {
  test('random bytes in random chunks: only FrameError, bounded buffering, consistent offsets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), cutsArb, (bytes, cuts) => {
        const d = new FrameDecoder({ maxFrameBytes: MAX, peer: 'fuzz' });
        const { error } = feed(d, cut(Buffer.from(bytes), cuts));
        if (error === undefined) {
          expect(d.offset).toBe(bytes.length);
          try {
            d.end();
          } catch (e) {
            expect(e).toBeInstanceOf(FrameError);
            expect((e as FrameError).code).toBe('MALFORMED_FRAME');
          }
        } else {
          expect(error.code).toBe('FRAME_TOO_LARGE');
          expect(error.offset).toBeLessThanOrEqual(bytes.length);
        }
      }),
    );
  });

  test('a valid stream decodes to its payloads however it is chunked', () => {
    fc.assert(
      fc.property(payloadsArb, cutsArb, (payloads, cuts) => {
        const stream = Buffer.concat(payloads.map((p) => encodeFrame(p, MAX)));
        const { payloads: got, error } = feed(new FrameDecoder({ maxFrameBytes: MAX }), cut(stream, cuts));
        expect(error).toBeUndefined();
        expect(got.map((b) => [...b])).toEqual(payloads.map((p) => [...p]));
      }),
    );
  });

  test('a valid stream split at every single boundary decodes the same', () => {
    fc.assert(
      fc.property(payloadsArb, (payloads) => {
        const stream = Buffer.concat(payloads.map((p) => encodeFrame(p, MAX)));
        const want = payloads.map((p) => [...p]);
        for (let i = 0; i <= stream.length; i++) {
          const d = new FrameDecoder({ maxFrameBytes: MAX });
          const got = [...d.pushAll(stream.subarray(0, i)), ...d.pushAll(stream.subarray(i))];
          expect(got.map((b) => [...b])).toEqual(want);
          d.end();
        }
      }),
    );
  });

  test('an oversize header after valid frames is refused at its own offset, whatever follows, without buffering it', () => {
    fc.assert(
      fc.property(payloadsArb, fc.integer({ min: MAX + 1, max: 0xffffffff }), fc.uint8Array({ maxLength: 200 }), cutsArb, (payloads, length, tail, cuts) => {
        const valid = Buffer.concat(payloads.map((p) => encodeFrame(p, MAX)));
        const header = Buffer.alloc(4);
        header.writeUInt32BE(length);
        const { payloads: got, error } = feed(new FrameDecoder({ maxFrameBytes: MAX, peer: 'fuzz' }), cut(Buffer.concat([valid, header, tail]), cuts));
        expect(got.length).toBe(payloads.length);
        expect(error).toMatchObject({ code: 'FRAME_TOO_LARGE', offset: valid.length, peer: 'fuzz' });
      }),
    );
  });
});
