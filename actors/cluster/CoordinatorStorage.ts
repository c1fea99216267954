/**
 * Coordinator-held checkpoint storage, both ends. For clusters without a
 * disk every node reaches: a node's subtasks write their state files, and
 * restores read them, through the coordinator, which keeps them in its own
 * checkpoint directory (and in savepoint directories on its side).
 *
 * - `CoordinatorStorage` is the node's end: a CheckpointStorage whose file
 *   I/O is requests to the coordinator; its locations are the coordinator's
 *   paths. Directories are created and removed by the job master on the
 *   coordinator, so a node only writes and reads files.
 * - `StateFileService` is the coordinator's end, one per node connection:
 *   it runs the node's requests against the file system, within the
 *   directories the job may use (the coordinator says which: writes in its
 *   checkpoint and savepoint directories; reads there and in the directory
 *   of each snapshot its runs started from, not above it) — a request for
 *   any other place is refused.
 *
 * Files travel in chunks (DEFAULT_STATE_CHUNK_BYTES each, one frame each),
 * so a subtask's state is not limited by the frame size. A write opens a
 * transfer (StateFileWrite, with the payload's size, checksum and first
 * chunk) and sends the rest in order (StateFileChunk), one chunk in flight:
 * the coordinator streams them to a temporary file in the target directory
 * and publishes it under its name only once every byte arrived and hashes
 * to the declared checksum. A transfer that fails is discarded at once; the
 * transfers of a node whose connection closes (it died, or was lost) are
 * discarded when it closes — their temporary files removed, nothing
 * published. A read asks for ranges (StateFileRead with offset and length),
 * each served from disk on its own, and the node verifies the assembled
 * payload against the size and checksum at the end.
 */
import * as path from 'node:path';
import { DEFAULT_MAX_READ_BYTES, FileSystemCheckpointStorage, type ExpectedFile, type StagedFile, type StateHandleRef } from '../../lib/checkpoint/CheckpointStorage';
import { checkChunkBytes, ChunkAssembly, chunkRanges, DEFAULT_STATE_CHUNK_BYTES, MAX_STATE_CHUNK_BYTES, RangedRead, sha256Hex } from '../../lib/checkpoint/StateFileTransfer';
import type { StateFileChunk, StateFileRead, StateFileReply, StateFileWrite } from '../../lib/cluster/WireMessages';
import { CheckpointStorageError, CorruptStateError, describe, StateTransferError } from '../../lib/errors';

/** A node's storage request, before the requester numbers it. */
export type StateFileRequest = Omit<StateFileWrite, 'requestId'> | Omit<StateFileChunk, 'requestId'> | Omit<StateFileRead, 'requestId'>;

/** How a node reaches the coordinator's storage: one request, one reply. */
export type StorageRequester = (request: StateFileRequest) => Promise<StateFileReply>;

export class CoordinatorStorage extends FileSystemCheckpointStorage {
  private readonly chunkBytes: number;

  /**
   * @param root the directory on the coordinator's side
   * @param jobId the job (run) the files belong to; the coordinator checks the directory against it
   * @param chunkBytes bytes per chunk written and per range read (default DEFAULT_STATE_CHUNK_BYTES; below the frame limit)
   */
  constructor(
    root: string,
    private readonly jobId: string,
    private readonly request: StorageRequester,
    chunkBytes = DEFAULT_STATE_CHUNK_BYTES,
  ) {
    super(root);
    this.chunkBytes = checkChunkBytes(chunkBytes);
  }

  override async createDirectory(): Promise<void> {
    // The job master creates a checkpoint's directory before its barriers go out.
  }

  override async writeFile(dir: string, name: string, payload: Uint8Array): Promise<StateHandleRef> {
    const size = payload.byteLength;
    const checksum = sha256Hex(payload);
    const [first, ...rest] = chunkRanges(size, this.chunkBytes);
    const bytes = (r: { offset: number; length: number }) => payload.subarray(r.offset, r.offset + r.length);
    let reply = await this.request({ type: 'StateFileWrite', jobId: this.jobId, root: this.root, dir, name, size, checksum, payload: bytes(first) });
    for (const r of rest) {
      if (reply.error !== undefined || reply.handle !== undefined) break;
      if (reply.transferId === undefined) break;
      reply = await this.request({ type: 'StateFileChunk', transferId: reply.transferId, offset: r.offset, payload: bytes(r) });
    }
    if (reply.error !== undefined || reply.handle === undefined) throw new CheckpointStorageError(`the coordinator could not store ${name}: ${reply.error ?? 'no handle'}`);
    if (reply.handle.size !== size || reply.handle.checksum !== checksum) {
      throw new CheckpointStorageError(`the coordinator stored ${name} as ${reply.handle.size} bytes (${reply.handle.checksum}), not ${size} bytes (${checksum})`);
    }
    return reply.handle;
  }

  override async readFile(dir: string, name: string, expected?: ExpectedFile, maxBytes = DEFAULT_MAX_READ_BYTES): Promise<Uint8Array> {
    const location = `${this.locationOf(dir, name)} (on the coordinator)`;
    const check = expected === undefined ? undefined : { size: expected.size, checksum: expected.checksum };
    const read = new RangedRead(location, check, maxBytes);
    for (let range = read.next(this.chunkBytes); range !== undefined; range = read.next(this.chunkBytes)) {
      const reply = await this.request({ type: 'StateFileRead', jobId: this.jobId, root: this.root, dir, name, expected: check, maxBytes, ...range });
      if (reply.error !== undefined || reply.payload === undefined || reply.handle === undefined) {
        const message = `${location}: ${reply.error ?? 'no payload'}`;
        throw reply.corrupt ? new CorruptStateError(message) : new CheckpointStorageError(message);
      }
      read.accept(range.offset, reply.handle, reply.payload);
    }
    return read.finish();
  }

  override async list(): Promise<string[]> {
    throw new CheckpointStorageError('a node does not list the coordinator\'s checkpoint storage');
  }

  override async removeDirectory(): Promise<void> {
    throw new CheckpointStorageError('a node does not remove directories of the coordinator\'s checkpoint storage');
  }
}

/**
 * Open write transfers one node connection may hold at once (each holds a
 * file descriptor and a temporary file); an opening past it is refused
 * (TOO_MANY_TRANSFERS). A node writes one file per subtask and checkpoint.
 */
export const MAX_OPEN_TRANSFERS = 256;

/** One open write on the coordinator. */
interface WriteTransfer {
  readonly assembly: ChunkAssembly;
  readonly staged: StagedFile;
  /** The chunks' writes, in order: the last chunk publishes only after every earlier one is on disk. */
  writing: Promise<void>;
}

export interface StateFileServiceOptions {
  /** Open transfers allowed at once (default MAX_OPEN_TRANSFERS). */
  readonly maxOpenTransfers?: number;
}

/**
 * The coordinator's end of coordinator-held storage for one node
 * connection: its open write transfers, by id. `close` (when the connection
 * closes) discards every transfer still open. Holds no file's bytes beyond
 * the chunk being written or the range being read.
 */
export class StateFileService {
  private readonly transfers = new Map<number, WriteTransfer>();
  private nextTransferId = 1;
  private closed = false;
  private readonly maxOpenTransfers: number;

  constructor(options: StateFileServiceOptions = {}) {
    this.maxOpenTransfers = options.maxOpenTransfers ?? MAX_OPEN_TRANSFERS;
  }

  /** Write transfers open now. */
  get openTransfers(): number {
    return this.transfers.size;
  }

  /**
   * Runs a node's storage request on this process's file system. An opening
   * or a read must name a `root` within one of `allowed` (absolute
   * directories); a chunk belongs to a transfer opened on this connection.
   * The reply says what failed otherwise. Never throws.
   */
  async serve(request: StateFileWrite | StateFileChunk | StateFileRead, allowed: readonly string[]): Promise<StateFileReply> {
    const reply = { type: 'StateFileReply' as const, requestId: request.requestId, transferId: undefined, handle: undefined, payload: undefined, error: undefined, corrupt: false };
    try {
      if (request.type === 'StateFileChunk') return { ...reply, ...(await this.chunk(request)) };
      const root = path.resolve(request.root);
      if (!allowed.some((a) => isWithin(root, a))) {
        return { ...reply, error: `'${request.root}' is not a checkpoint or savepoint directory of job ${request.jobId}` };
      }
      const storage = new FileSystemCheckpointStorage(root);
      if (request.type === 'StateFileWrite') return { ...reply, ...(await this.open(storage, request)) };
      const length = Math.min(request.length, MAX_STATE_CHUNK_BYTES);
      const range = await storage.readRange(request.dir, request.name, request.offset, length, request.expected, request.maxBytes);
      return { ...reply, handle: { file: request.name, size: range.size, checksum: range.checksum }, payload: range.bytes };
    } catch (e) {
      return { ...reply, error: errorText(e), corrupt: e instanceof CorruptStateError };
    }
  }

  /** Discards every open transfer (the connection closed): temporary files removed, nothing published. */
  async close(): Promise<void> {
    this.closed = true;
    const open = [...this.transfers.values()];
    this.transfers.clear();
    await Promise.all(open.map((t) => t.staged.discard()));
  }

  private async open(storage: FileSystemCheckpointStorage, request: StateFileWrite): Promise<Partial<StateFileReply>> {
    if (this.closed) throw new StateTransferError('UNKNOWN_TRANSFER', 'the connection closed');
    if (this.transfers.size >= this.maxOpenTransfers) {
      throw new StateTransferError('TOO_MANY_TRANSFERS', `${this.transfers.size} state file transfers are open on this connection, at most ${this.maxOpenTransfers} may be`);
    }
    const assembly = new ChunkAssembly(request.size, request.checksum);
    assembly.accept(0, request.payload);
    const staged = await storage.stageFile(request.dir, request.name, request.size, request.checksum);
    if (this.closed) {
      await staged.discard();
      throw new StateTransferError('UNKNOWN_TRANSFER', 'the connection closed');
    }
    const transfer: WriteTransfer = { assembly, staged, writing: staged.write(0, request.payload) };
    const transferId = this.nextTransferId++;
    this.transfers.set(transferId, transfer);
    return this.settle(transferId, transfer);
  }

  private async chunk(request: StateFileChunk): Promise<Partial<StateFileReply>> {
    const transfer = this.transfers.get(request.transferId);
    if (transfer === undefined) throw new StateTransferError('UNKNOWN_TRANSFER', `no state file transfer ${request.transferId} is open on this connection`);
    try {
      transfer.assembly.accept(request.offset, request.payload);
    } catch (e) {
      await this.discard(request.transferId, transfer);
      throw e;
    }
    transfer.writing = transfer.writing.then(() => transfer.staged.write(request.offset, request.payload));
    return this.settle(request.transferId, transfer);
  }

  /** Waits for the transfer's writes; once every byte arrived, verifies and publishes it. Discards it on any failure. */
  private async settle(transferId: number, transfer: WriteTransfer): Promise<Partial<StateFileReply>> {
    const complete = transfer.assembly.complete;
    if (complete) this.transfers.delete(transferId);
    try {
      await transfer.writing;
      if (!complete) return { transferId };
      transfer.assembly.verify();
      return { handle: await transfer.staged.publish() };
    } catch (e) {
      await this.discard(transferId, transfer);
      throw e;
    }
  }

  private async discard(transferId: number, transfer: WriteTransfer): Promise<void> {
    if (this.transfers.get(transferId) === transfer) this.transfers.delete(transferId);
    await transfer.staged.discard();
  }
}

/** An error for the reply: typed transfer errors keep their code. */
function errorText(e: unknown): string {
  return e instanceof StateTransferError ? `${e.code}: ${e.message}` : describe(e);
}

function isWithin(p: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
