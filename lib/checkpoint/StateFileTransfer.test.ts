/**
 * The bookkeeping of chunked state-file transfers: the ranges a payload
 * travels in, the write side's order, size and checksum checks (typed
 * StateTransferErrors), and the read side's assembly and verification.
 */
import { randomBytes } from 'node:crypto';
import { ConfigurationError, CorruptStateError, StateTransferError } from '../errors';
import { ChunkAssembly, chunkRanges, checkChunkBytes, MAX_STATE_CHUNK_BYTES, RangedRead, sha256Hex } from './StateFileTransfer';

const code = (c: string) => expect.objectContaining({ constructor: StateTransferError, code: c });

describe('chunkRanges', () => {
  test('covers the payload in order, chunkBytes each and the last one shorter; one empty range for an empty payload', () => {
    expect(chunkRanges(10, 4)).toEqual([
      { offset: 0, length: 4 },
      { offset: 4, length: 4 },
      { offset: 8, length: 2 },
    ]);
    expect(chunkRanges(8, 4)).toEqual([
      { offset: 0, length: 4 },
      { offset: 4, length: 4 },
    ]);
    expect(chunkRanges(0, 4)).toEqual([{ offset: 0, length: 0 }]);
  });

  test('a chunk size outside [1, MAX_STATE_CHUNK_BYTES] is a configuration error', () => {
    for (const bad of [0, -1, 1.5, MAX_STATE_CHUNK_BYTES + 1, NaN]) expect(() => checkChunkBytes(bad)).toThrow(ConfigurationError);
    expect(checkChunkBytes(MAX_STATE_CHUNK_BYTES)).toBe(MAX_STATE_CHUNK_BYTES);
  });
});

describe('ChunkAssembly (the write side)', () => {
  const payload = randomBytes(10);
  const checksum = sha256Hex(payload);

  test('chunks in order, within the size, hashing to the declared checksum: complete and verified', () => {
    const a = new ChunkAssembly(10, checksum);
    for (const r of chunkRanges(10, 3)) {
      expect(a.complete).toBe(false);
      a.accept(r.offset, payload.subarray(r.offset, r.offset + r.length));
    }
    expect(a.received).toBe(10);
    expect(a.complete).toBe(true);
    expect(() => a.verify()).not.toThrow();
  });

  test('an empty file is complete at once', () => {
    const a = new ChunkAssembly(0, sha256Hex(new Uint8Array(0)));
    a.accept(0, new Uint8Array(0));
    expect(a.complete).toBe(true);
    a.verify();
  });

  test('a gap, an overlap or a repeated chunk is OUT_OF_ORDER', () => {
    const a = new ChunkAssembly(10, checksum);
    a.accept(0, payload.subarray(0, 4));
    expect(() => a.accept(5, payload.subarray(5, 6))).toThrow(code('OUT_OF_ORDER'));
    expect(() => a.accept(3, payload.subarray(3, 6))).toThrow(code('OUT_OF_ORDER'));
    expect(() => a.accept(0, payload.subarray(0, 4))).toThrow(code('OUT_OF_ORDER'));
    expect(a.received).toBe(4);
  });

  test('a chunk ending past the declared size is PAST_DECLARED_SIZE', () => {
    const a = new ChunkAssembly(10, checksum);
    a.accept(0, payload.subarray(0, 8));
    expect(() => a.accept(8, randomBytes(3))).toThrow(code('PAST_DECLARED_SIZE'));
    expect(() => new ChunkAssembly(2, checksum).accept(0, payload)).toThrow(code('PAST_DECLARED_SIZE'));
  });

  test('bytes that do not hash to the declared checksum are CHECKSUM_MISMATCH', () => {
    const a = new ChunkAssembly(10, checksum);
    const altered = Buffer.from(payload);
    altered[9] ^= 1;
    a.accept(0, altered);
    expect(() => a.verify()).toThrow(code('CHECKSUM_MISMATCH'));
  });

  test('verifying before the last byte arrived fails', () => {
    const a = new ChunkAssembly(10, checksum);
    a.accept(0, payload.subarray(0, 5));
    expect(() => a.verify()).toThrow(code('OUT_OF_ORDER'));
  });

  test('an impossible declaration is BAD_DECLARATION', () => {
    expect(() => new ChunkAssembly(-1, checksum)).toThrow(code('BAD_DECLARATION'));
    expect(() => new ChunkAssembly(1.5, checksum)).toThrow(code('BAD_DECLARATION'));
    expect(() => new ChunkAssembly(10, 'abc')).toThrow(code('BAD_DECLARATION'));
    expect(() => new ChunkAssembly(10, checksum.toUpperCase())).toThrow(code('BAD_DECLARATION'));
  });
});

describe('RangedRead (the read side)', () => {
  const payload = randomBytes(25);
  const file = { size: 25, checksum: sha256Hex(payload) };

  /** Runs a read against `serve` (offset, length → file and bytes), as a node does. */
  function read(r: RangedRead, chunkBytes: number, serve: (offset: number, length: number) => { file: typeof file; bytes: Uint8Array }): Uint8Array {
    for (let range = r.next(chunkBytes); range !== undefined; range = r.next(chunkBytes)) {
      const reply = serve(range.offset, range.length);
      r.accept(range.offset, reply.file, reply.bytes);
    }
    return r.finish();
  }
  const honest = (offset: number, length: number) => ({ file, bytes: payload.subarray(offset, offset + length) });

  test('assembles ranges of chunkBytes into the payload, verified', () => {
    expect(Buffer.from(read(new RangedRead('f', file, 1 << 20), 4, honest)).equals(payload)).toBe(true);
    expect(Buffer.from(read(new RangedRead('f', undefined, 100), 25, honest)).equals(payload)).toBe(true);
  });

  test('a reply shorter than asked is followed by a range from where it ended', () => {
    const short = (offset: number, length: number) => honest(offset, Math.min(length, 3));
    expect(Buffer.from(read(new RangedRead('f', file, 1 << 20), 10, short)).equals(payload)).toBe(true);
  });

  test('an empty file is one range', () => {
    const empty = { size: 0, checksum: sha256Hex(new Uint8Array(0)) };
    expect(read(new RangedRead('f', empty, 0), 4, () => ({ file: empty, bytes: new Uint8Array(0) })).byteLength).toBe(0);
  });

  test('a size other than expected, or past maxBytes without expectation, is corrupt before any bytes are kept', () => {
    expect(() => read(new RangedRead('f', { ...file, size: 26 }, 1 << 20), 4, honest)).toThrow(/truncated/);
    expect(() => read(new RangedRead('f', { ...file, size: 24 }, 1 << 20), 4, honest)).toThrow(/size mismatch/);
    expect(() => read(new RangedRead('f', undefined, 24), 4, honest)).toThrow(/too large/);
    expect(() => read(new RangedRead('f', { ...file, checksum: sha256Hex(randomBytes(3)) }, 1 << 20), 4, honest)).toThrow(CorruptStateError);
  });

  test('a file that changes between ranges is corrupt', () => {
    const other = { ...file, checksum: sha256Hex(randomBytes(3)) };
    expect(() => read(new RangedRead('f', undefined, 100), 4, (o, l) => ({ file: o === 0 ? file : other, bytes: payload.subarray(o, o + l) }))).toThrow(
      /changed while it was read/,
    );
  });

  test('bytes that do not hash to the stored checksum are corrupt', () => {
    const altered = Buffer.from(payload);
    altered[20] ^= 1;
    expect(() => read(new RangedRead('f', undefined, 100), 4, (o, l) => ({ file, bytes: altered.subarray(o, o + l) }))).toThrow(/checksum mismatch/);
  });

  test('an empty reply before the end is truncated; a range at the wrong offset or past the end is a transfer error', () => {
    expect(() => read(new RangedRead('f', file, 100), 4, (o, l) => (o >= 8 ? { file, bytes: new Uint8Array(0) } : honest(o, l)))).toThrow(/truncated/);
    const r = new RangedRead('f', file, 100);
    r.accept(0, file, payload.subarray(0, 4));
    expect(() => r.accept(8, file, payload.subarray(8, 12))).toThrow(code('OUT_OF_ORDER'));
    expect(() => r.accept(4, file, randomBytes(30))).toThrow(code('PAST_DECLARED_SIZE'));
    expect(() => r.finish()).toThrow(code('OUT_OF_ORDER'));
  });
});
