/**
 * Coordinator-held checkpoint storage, both ends. For clusters without a
 * disk every node reaches: a node's subtasks write their state files, and
 * restores read them, through the coordinator, which keeps them in its own
 * checkpoint directory (and in savepoint directories on its side).
 *
 * - `CoordinatorStorage` is the node's end: a CheckpointStorage whose file
 *   I/O is a StateFileWrite / StateFileRead request to the coordinator; its
 *   locations are the coordinator's paths. Directories are created and
 *   removed by the job master on the coordinator, so a node only writes
 *   and reads files.
 * - `serveStateFile` is the coordinator's end: it runs a request against the
 *   file system, within the directories the job may use (its checkpoint
 *   directory, its savepoint directories, the snapshot it started from) —
 *   a request for any other place is refused.
 *
 * A file travels in one frame, so a subtask's state is limited to the frame
 * size (64 MiB by default).
 */
import * as path from 'node:path';
import { FileSystemCheckpointStorage, type ExpectedFile, type StateHandleRef } from '../../lib/checkpoint/CheckpointStorage';
import type { StateFileRead, StateFileReply, StateFileWrite } from '../../lib/cluster/WireMessages';
import { CheckpointStorageError, CorruptStateError, describe } from '../../lib/errors';

/** How a node reaches the coordinator's storage: one request, one reply. */
export type StorageRequester = (request: Omit<StateFileWrite, 'requestId'> | Omit<StateFileRead, 'requestId'>) => Promise<StateFileReply>;

export class CoordinatorStorage extends FileSystemCheckpointStorage {
  /**
   * @param root the directory on the coordinator's side
   * @param jobId the job (run) the files belong to; the coordinator checks the directory against it
   */
  constructor(
    root: string,
    private readonly jobId: string,
    private readonly request: StorageRequester,
  ) {
    super(root);
  }

  override async createDirectory(): Promise<void> {
    // The job master creates a checkpoint's directory before its barriers go out.
  }

  override async writeFile(dir: string, name: string, payload: Uint8Array): Promise<StateHandleRef> {
    const reply = await this.request({ type: 'StateFileWrite', jobId: this.jobId, root: this.root, dir, name, payload });
    if (reply.error !== undefined || reply.handle === undefined) throw new CheckpointStorageError(`the coordinator could not store ${name}: ${reply.error ?? 'no handle'}`);
    return reply.handle;
  }

  override async readFile(dir: string, name: string, expected?: ExpectedFile, maxBytes?: number): Promise<Uint8Array> {
    const check = expected === undefined ? undefined : { size: expected.size, checksum: expected.checksum };
    const reply = await this.request({ type: 'StateFileRead', jobId: this.jobId, root: this.root, dir, name, expected: check, maxBytes });
    if (reply.error !== undefined || reply.payload === undefined) {
      const message = `${this.locationOf(dir, name)} (on the coordinator): ${reply.error ?? 'no payload'}`;
      throw reply.corrupt ? new CorruptStateError(message) : new CheckpointStorageError(message);
    }
    return reply.payload;
  }

  override async list(): Promise<string[]> {
    throw new CheckpointStorageError('a node does not list the coordinator\'s checkpoint storage');
  }

  override async removeDirectory(): Promise<void> {
    throw new CheckpointStorageError('a node does not remove directories of the coordinator\'s checkpoint storage');
  }
}

/**
 * Runs a node's storage request on this process's file system, if `root`
 * lies within one of `allowed` (absolute directories); the reply says what
 * failed otherwise. Never throws.
 */
export async function serveStateFile(request: StateFileWrite | StateFileRead, allowed: readonly string[]): Promise<StateFileReply> {
  const reply = { type: 'StateFileReply' as const, requestId: request.requestId, handle: undefined, payload: undefined, error: undefined, corrupt: false };
  const root = path.resolve(request.root);
  if (!allowed.some((a) => isWithin(root, a))) {
    return { ...reply, error: `'${request.root}' is not a checkpoint or savepoint directory of job ${request.jobId}` };
  }
  try {
    const storage = new FileSystemCheckpointStorage(root);
    if (request.type === 'StateFileWrite') return { ...reply, handle: await storage.writeFile(request.dir, request.name, request.payload) };
    return { ...reply, payload: Buffer.from(await storage.readFile(request.dir, request.name, request.expected, request.maxBytes)) };
  } catch (e) {
    return { ...reply, error: describe(e), corrupt: e instanceof CorruptStateError };
  }
}

function isWithin(p: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
