/**
 * Chunked transfer of state files to and from coordinator-held checkpoint
 * storage, as pure bookkeeping (no I/O): which byte ranges a file travels
 * in, the write side's check that chunks arrive in order, within the
 * declared size and hash to the declared checksum (`ChunkAssembly`, used
 * by the coordinator), and the read side's assembly of ranges into the
 * payload, verified at the end against the stored file's size and checksum
 * and what the reader expected (`RangedRead`, used by a node).
 *
 * Sizes and offsets are payload bytes (without the storage's file frame).
 * A chunk travels in one cluster frame, so no state file is limited by the
 * frame size, and each side holds at most one chunk per transfer beyond
 * what it has anyway (the node its whole payload, the coordinator nothing:
 * writes stream to a temporary file, reads are served range by range).
 */
import { createHash, type Hash } from 'node:crypto';
import { ConfigurationError, CorruptStateError, StateTransferError } from '../errors';
import type { ExpectedFile } from './CheckpointStorage';

/**
 * Default chunk size, in bytes (4 MiB). A chunk travels in one frame, so it
 * must stay well below the frame limit (64 MiB by default) with room for
 * the message around it; and the coordinator holds up to one chunk per
 * transfer in flight, so smaller chunks bound its memory when many subtasks
 * write at once. 4 MiB keeps that small while a round trip per chunk costs
 * little against the time to move the bytes.
 */
export const DEFAULT_STATE_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The most payload bytes the coordinator sends in one read reply, in bytes
 * (16 MiB: a quarter of the default frame limit), whatever length a node
 * asks for; also the largest chunk size a node may be configured with.
 */
export const MAX_STATE_CHUNK_BYTES = 16 * 1024 * 1024;

const CHECKSUM = /^[0-9a-f]{64}$/;

/** Hex sha256 of `bytes` (the checksum state handles carry). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A chunk size option, checked: an integer number of bytes in [1, MAX_STATE_CHUNK_BYTES]. */
export function checkChunkBytes(chunkBytes: number, option = 'stateChunkBytes'): number {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_STATE_CHUNK_BYTES) {
    throw new ConfigurationError(option, `must be a whole number of bytes in [1, ${MAX_STATE_CHUNK_BYTES}], got ${chunkBytes}`);
  }
  return chunkBytes;
}

/** A byte range: `length` bytes from `offset`. */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/**
 * The ranges a payload of `size` bytes travels in: `chunkBytes` each, the
 * last one shorter; one empty range for an empty payload (the opening of a
 * transfer is always sent).
 */
export function chunkRanges(size: number, chunkBytes: number): ByteRange[] {
  checkChunkBytes(chunkBytes);
  if (size === 0) return [{ offset: 0, length: 0 }];
  const ranges: ByteRange[] = [];
  for (let offset = 0; offset < size; offset += chunkBytes) ranges.push({ offset, length: Math.min(chunkBytes, size - offset) });
  return ranges;
}

/**
 * The write side of one transfer (on the coordinator): a file of `size`
 * bytes whose sha256 is `checksum` was declared; chunks must follow each
 * other without gaps or overlaps and stay within `size`, and once every
 * byte arrived they must hash to `checksum`. Every violation is a
 * StateTransferError; the caller then discards the transfer.
 */
export class ChunkAssembly {
  private receivedBytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private verified = false;

  /**
   * @param size the file's payload size in bytes
   * @param checksum the payload's hex sha256 (64 lowercase hex digits)
   */
  constructor(
    readonly size: number,
    readonly checksum: string,
  ) {
    if (!Number.isSafeInteger(size) || size < 0) throw new StateTransferError('BAD_DECLARATION', `a state file's size must be a whole number of bytes ≥ 0, got ${size}`);
    if (typeof checksum !== 'string' || !CHECKSUM.test(checksum)) {
      throw new StateTransferError('BAD_DECLARATION', `a state file's checksum must be a hex sha256 (64 lowercase hex digits), got ${JSON.stringify(checksum)}`);
    }
  }

  /** Bytes received so far. */
  get received(): number {
    return this.receivedBytes;
  }

  /** Whether every declared byte arrived. */
  get complete(): boolean {
    return this.receivedBytes === this.size;
  }

  /**
   * Takes the `bytes` at `offset` (bytes from the payload's start): they
   * must start where the bytes so far end, and end within the declared size.
   */
  accept(offset: number, bytes: Uint8Array): void {
    if (offset !== this.receivedBytes) {
      throw new StateTransferError('OUT_OF_ORDER', `a chunk at byte ${offset} arrived, the next one must start at byte ${this.receivedBytes}`);
    }
    if (offset + bytes.byteLength > this.size) {
      throw new StateTransferError('PAST_DECLARED_SIZE', `a chunk of ${bytes.byteLength} bytes at byte ${offset} ends past the declared size of ${this.size} bytes`);
    }
    this.hash.update(bytes);
    this.receivedBytes += bytes.byteLength;
  }

  /** Once complete: the bytes must hash to the declared checksum (CHECKSUM_MISMATCH otherwise). Call once. */
  verify(): void {
    if (!this.complete) throw new StateTransferError('OUT_OF_ORDER', `only ${this.receivedBytes} of ${this.size} bytes arrived`);
    if (this.verified) throw new Error('a transfer is verified once');
    this.verified = true;
    const actual = this.hash.digest('hex');
    if (actual !== this.checksum) {
      throw new StateTransferError('CHECKSUM_MISMATCH', `the ${this.size} bytes received hash to ${actual}, the transfer declared ${this.checksum}`);
    }
  }
}

/** What a read reply says about the stored file: its payload size in bytes and the checksum in its header. */
export interface StoredFile {
  readonly size: number;
  readonly checksum: string;
}

/**
 * The read side of one file (on a node): asks for ranges of `chunkBytes`
 * until every byte is here, each reply naming the stored file's size and
 * checksum. The first reply's size is checked against `expected` (or
 * `maxBytes` without), every later reply must name the same file, and the
 * assembled payload must hash to the stored checksum and the expected one.
 * A file that does not fit is a CorruptStateError naming `location`, as a
 * read in one piece would be.
 */
export class RangedRead {
  private file: StoredFile | undefined;
  private buffer: Buffer | undefined;
  private receivedBytes = 0;
  private readonly hash: Hash = createHash('sha256');

  /**
   * @param location the file, for messages
   * @param expected size (bytes) and checksum it must have, if known
   * @param maxBytes the largest payload read without `expected`, in bytes
   */
  constructor(
    private readonly location: string,
    private readonly expected: ExpectedFile | undefined,
    private readonly maxBytes: number,
  ) {}

  /** The next range to ask for (at most `chunkBytes` long), or undefined once every byte is here. */
  next(chunkBytes: number): ByteRange | undefined {
    if (this.file === undefined) return { offset: 0, length: chunkBytes };
    if (this.receivedBytes === this.file.size) return undefined;
    return { offset: this.receivedBytes, length: Math.min(chunkBytes, this.file.size - this.receivedBytes) };
  }

  /** Takes a reply: `bytes` from `offset` of the stored `file`. */
  accept(offset: number, file: StoredFile, bytes: Uint8Array): void {
    if (this.file === undefined) this.first(file);
    else if (file.size !== this.file.size || file.checksum !== this.file.checksum) {
      throw this.corrupt('changed while it was read', `it had ${this.file.size} bytes (${this.file.checksum}), now ${file.size} bytes (${file.checksum})`);
    }
    const size = this.file!.size;
    if (offset !== this.receivedBytes) throw new StateTransferError('OUT_OF_ORDER', `a range at byte ${offset} arrived, byte ${this.receivedBytes} was asked for`);
    if (offset + bytes.byteLength > size) throw new StateTransferError('PAST_DECLARED_SIZE', `a range of ${bytes.byteLength} bytes at byte ${offset} ends past the file's ${size} bytes`);
    if (bytes.byteLength === 0 && this.receivedBytes < size) throw this.corrupt('truncated', `no bytes at byte ${offset} of ${size}`);
    this.buffer!.set(bytes, offset);
    this.hash.update(bytes);
    this.receivedBytes += bytes.byteLength;
  }

  /** The payload, once every byte is here and it hashes to the stored (and expected) checksum. */
  finish(): Uint8Array {
    if (this.file === undefined || this.receivedBytes !== this.file.size) throw new StateTransferError('OUT_OF_ORDER', `${this.location}: the read is not complete`);
    const actual = this.hash.digest('hex');
    if (actual !== this.file.checksum) throw this.corrupt('checksum mismatch', `payload hashes to ${actual}, the file header says ${this.file.checksum}`);
    return new Uint8Array(this.buffer!.buffer, this.buffer!.byteOffset, this.buffer!.byteLength);
  }

  private first(file: StoredFile): void {
    if (!Number.isSafeInteger(file.size) || file.size < 0) throw this.corrupt('size mismatch', `the coordinator reports ${file.size} bytes`);
    const e = this.expected;
    if (e !== undefined && file.size !== e.size) {
      throw this.corrupt(file.size < e.size ? 'truncated' : 'size mismatch', `payload has ${file.size} bytes, the handle says ${e.size}`);
    }
    if (e === undefined && file.size > this.maxBytes) throw this.corrupt('too large', `${file.size} bytes, at most ${this.maxBytes} are read`);
    if (e !== undefined && file.checksum !== e.checksum) throw this.corrupt('checksum mismatch', `file holds payload ${file.checksum}, the handle says ${e.checksum}`);
    this.file = file;
    this.buffer = Buffer.alloc(file.size);
  }

  private corrupt(reason: string, detail: string): CorruptStateError {
    return new CorruptStateError(`checkpoint file '${this.location}': ${reason} (${detail})`);
  }
}
