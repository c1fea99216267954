import { FrameError } from '../errors';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FRAME_HEADER_BYTES, FrameDecoder, frameHeader } from './FrameCodec';

const text = (bs: Buffer[]) => bs.map((b) => b.toString());

describe('FrameCodec', () => {
  test('a frame is a 4-byte big-endian length and the payload', () => {
    expect([...encodeFrame(Buffer.from('abc'))]).toEqual([0, 0, 0, 3, 97, 98, 99]);
    expect([...frameHeader(0x01020304, 0xffffffff)]).toEqual([1, 2, 3, 4]);
  });

  test('several frames in one chunk, and a frame cut into single bytes', () => {
    const d = new FrameDecoder();
    const stream = Buffer.concat([encodeFrame(Buffer.from('one')), encodeFrame(Buffer.alloc(0)), encodeFrame(Buffer.from('three'))]);
    expect(text(d.pushAll(stream))).toEqual(['one', '', 'three']);
    const e = new FrameDecoder();
    const got: Buffer[] = [];
    for (const b of stream) got.push(...e.pushAll(Buffer.from([b])));
    expect(text(got)).toEqual(['one', '', 'three']);
    expect(e.offset).toBe(stream.length);
    expect(e.bufferedBytes).toBe(0);
    e.end();
  });

  test('a header past the limit is refused before any payload arrives, naming peer and offset', () => {
    const d = new FrameDecoder({ maxFrameBytes: 10, peer: 'node-7' });
    expect(text(d.pushAll(encodeFrame(Buffer.from('ok'))))).toEqual(['ok']);
    let err: unknown;
    try {
      d.pushAll(Buffer.from([0, 0, 0, 11]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameError);
    expect(err).toMatchObject({ code: 'FRAME_TOO_LARGE', offset: 6, peer: 'node-7' });
    expect((err as Error).message).toMatch(/11 bytes.*limit of 10 bytes.*byte 6 from node-7/);
    // Failed for good: the stream is out of step.
    expect(() => d.pushAll(encodeFrame(Buffer.from('x')))).toThrow(err as Error);
  });

  test('a huge length in a header split over chunks is refused at its last byte', () => {
    const d = new FrameDecoder();
    expect(d.pushAll(Buffer.from([0xff, 0xff]))).toEqual([]);
    expect(() => d.pushAll(Buffer.from([0xff, 0xff]))).toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE' }));
    expect(d.bufferedBytes).toBeLessThanOrEqual(FRAME_HEADER_BYTES);
  });

  test('a stream that ends inside a frame is malformed', () => {
    const d = new FrameDecoder({ peer: 'client' });
    d.pushAll(encodeFrame(Buffer.from('abcdef')).subarray(0, 7));
    expect(() => d.end()).toThrow(expect.objectContaining({ code: 'MALFORMED_FRAME', offset: 0, peer: 'client' }));
    const h = new FrameDecoder();
    h.pushAll(Buffer.from([0, 0]));
    expect(() => h.end()).toThrow(/inside a length header/);
  });

  test('encoding refuses a payload past the limit; the default limit is 64 MiB', () => {
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(64 * 1024 * 1024);
    expect(() => encodeFrame(Buffer.alloc(5), 4, 'node-1')).toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE', peer: 'node-1' }));
    expect(() => new FrameDecoder({ maxFrameBytes: -1 })).toThrow(RangeError);
  });

  test('a Uint8Array chunk that views part of a larger buffer is read at its offset', () => {
    const whole = new Uint8Array([9, 9, 0, 0, 0, 1, 65, 9]);
    expect(text(new FrameDecoder().pushAll(whole.subarray(2, 7)))).toEqual(['A']);
  });
});
