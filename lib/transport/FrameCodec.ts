/**
 * Length-prefixed frames on a byte stream: each frame is a 4-byte
 * big-endian payload length followed by the payload. The decoder takes
 * socket chunks of any size and yields whole payloads, in order.
 *
 * Guarantees: a length header past the limit is refused from the header
 * alone (FrameError FRAME_TOO_LARGE) — the decoder never holds more than
 * one header and one payload of at most `maxFrameBytes`; the payloads
 * decoded from a stream are the same however the stream is cut into
 * chunks; the only error the decoder throws is FrameError, and once it has
 * thrown it stays failed (a stream out of step cannot be resynchronised).
 *
 * ```ts
 * const d = new FrameDecoder({ maxFrameBytes: 1024, peer: 'node-2' });
 * const bytes = encodeFrame(Buffer.from('hi'));
 * d.pushAll(bytes.subarray(0, 3));         // → []
 * d.pushAll(bytes.subarray(3));            // → [<Buffer 68 69>]
 * ```
 */
import { FrameError } from '../errors';

/** Bytes in a frame's length header. */
export const FRAME_HEADER_BYTES = 4;
/** The default largest payload, in bytes (64 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** The largest payload a 4-byte header can state. */
const MAX_HEADER_LENGTH = 0xffff_ffff;

export interface FrameDecoderOptions {
  /** Largest payload accepted, in bytes (default DEFAULT_MAX_FRAME_BYTES; at most 2^32 - 1). */
  readonly maxFrameBytes?: number;
  /** Names the peer in errors (e.g. `node-2 127.0.0.1:40112`). */
  readonly peer?: string;
}

function checkMax(maxFrameBytes: number): number {
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 0 || maxFrameBytes > MAX_HEADER_LENGTH) {
    throw new RangeError(`maxFrameBytes must be an integer in [0, ${MAX_HEADER_LENGTH}], got ${maxFrameBytes}`);
  }
  return maxFrameBytes;
}

/** The 4-byte header for a payload of `length` bytes (write it before the payload, e.g. with writev). */
export function frameHeader(length: number, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES, peer = 'local'): Buffer {
  if (length > checkMax(maxFrameBytes)) {
    throw new FrameError('FRAME_TOO_LARGE', `a frame of ${length} bytes exceeds the limit of ${maxFrameBytes} bytes`, 0, peer);
  }
  const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  h.writeUInt32BE(length, 0);
  return h;
}

/** Header and payload in one buffer. Throws FrameError FRAME_TOO_LARGE past `maxFrameBytes`. */
export function encodeFrame(payload: Uint8Array, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES, peer = 'local'): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frameHeader(payload.length, maxFrameBytes, peer).copy(out, 0);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Incremental decoder of one connection's incoming frame stream. */
export class FrameDecoder {
  private max: number;
  readonly peer: string;
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  /** The payload being assembled, once its header is read and it spans chunks. */
  private body: Buffer | undefined;
  private bodyFilled = 0;
  /** Stream offset of the current frame's header. */
  private frameStart = 0;
  private consumed = 0;
  private failure: FrameError | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    this.max = checkMax(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.peer = options.peer ?? 'peer';
  }

  /** Largest payload accepted now, in bytes. */
  get maxFrameBytes(): number {
    return this.max;
  }

  /**
   * Changes the limit for frames whose header is still to come (a
   * connection accepts only small frames until its peer authenticated).
   */
  setMaxFrameBytes(maxFrameBytes: number): void {
    this.max = checkMax(maxFrameBytes);
  }

  /** Bytes taken from the stream so far. */
  get offset(): number {
    return this.consumed;
  }

  /** Bytes held for a frame not yet complete (at most FRAME_HEADER_BYTES + maxFrameBytes). */
  get bufferedBytes(): number {
    return this.body === undefined ? this.headerFilled : FRAME_HEADER_BYTES + this.bodyFilled;
  }

  /**
   * Takes the next chunk of the stream and hands each payload it completes to
   * `onPayload`, in order. A payload may share memory with `chunk`. Throws
   * FrameError FRAME_TOO_LARGE for a header past the limit, after handing
   * over the payloads before it; after any error every call throws it again.
   */
  push(chunk: Uint8Array, onPayload: (payload: Buffer) => void): void {
    if (this.failure !== undefined) throw this.failure;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    while (pos < buf.length) {
      if (this.body === undefined) {
        if (this.headerFilled === 0 && buf.length - pos >= FRAME_HEADER_BYTES) {
          // The common case: the header is whole in this chunk.
          const length = buf.readUInt32BE(pos);
          this.checkLength(length);
          const end = pos + FRAME_HEADER_BYTES + length;
          if (end <= buf.length) {
            this.advance(end - pos);
            pos = end;
            this.frameStart = this.consumed;
            onPayload(buf.subarray(end - length, end));
            continue;
          }
          this.startBody(length);
          this.advance(FRAME_HEADER_BYTES);
          pos += FRAME_HEADER_BYTES;
        } else {
          const n = Math.min(FRAME_HEADER_BYTES - this.headerFilled, buf.length - pos);
          buf.copy(this.header, this.headerFilled, pos, pos + n);
          this.headerFilled += n;
          this.advance(n);
          pos += n;
          if (this.headerFilled < FRAME_HEADER_BYTES) break;
          const length = this.header.readUInt32BE(0);
          this.checkLength(length);
          this.startBody(length);
        }
      }
      const body = this.body!;
      const n = Math.min(body.length - this.bodyFilled, buf.length - pos);
      buf.copy(body, this.bodyFilled, pos, pos + n);
      this.bodyFilled += n;
      this.advance(n);
      pos += n;
      if (this.bodyFilled === body.length) {
        this.body = undefined;
        this.bodyFilled = 0;
        this.headerFilled = 0;
        this.frameStart = this.consumed;
        onPayload(body);
      }
    }
  }

  /** The payloads `chunk` completes, as an array (see push). */
  pushAll(chunk: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    this.push(chunk, (p) => out.push(p));
    return out;
  }

  /** The stream ended: throws FrameError MALFORMED_FRAME if it ended inside a frame. */
  end(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.bufferedBytes > 0) {
      const what = this.body === undefined ? `inside a length header (${this.headerFilled} of ${FRAME_HEADER_BYTES} bytes)` : `inside a frame (${this.bodyFilled} of ${this.body.length} payload bytes)`;
      this.fail('MALFORMED_FRAME', `the stream ended ${what}`);
    }
  }

  private startBody(length: number): void {
    this.body = Buffer.allocUnsafe(length);
    this.bodyFilled = 0;
    this.headerFilled = FRAME_HEADER_BYTES;
  }

  private advance(n: number): void {
    this.consumed += n;
  }

  private checkLength(length: number): void {
    if (length > this.max) {
      this.fail('FRAME_TOO_LARGE', `a frame header announces ${length} bytes, over the limit of ${this.max} bytes`);
    }
  }

  private fail(code: FrameError['code'], message: string): never {
    this.failure = new FrameError(code, message, this.frameStart, this.peer);
    this.body = undefined;
    throw this.failure;
  }
}
