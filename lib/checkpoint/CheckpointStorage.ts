/**
 * Checkpoint storage: a small store of framed files in directories, in
 * memory (tests, the embedded default) or on the file system. The layout of
 * jobs, checkpoints and savepoints on top of it is CheckpointLayout's; the
 * metadata format is CheckpointMetadata's.
 *
 * Guarantees:
 * - Every stored file is framed as magic `WEIRCKP1`, the sha256 of the
 *   payload (32 bytes), then the payload; every read verifies the frame, so
 *   a missing, foreign, truncated or altered file is a CorruptStateError that
 *   names the file and the reason — never wrong state handed to an operator.
 * - Files are untrusted input when read back: names are plain (no
 *   separators, no `..`), so nothing outside the storage's root is reached;
 *   only regular files are read (no symbolic links, devices or pipes), and
 *   their size is checked against what is expected before a byte is read.
 * - Files are written only into a directory that was created for them
 *   (`createDirectory`): a write that arrives after its checkpoint was
 *   discarded fails instead of leaving an orphan.
 * - On the file system every file is written atomically (temp file, fsync,
 *   rename, fsync of the directory): a crash leaves the old file or the new
 *   one, never a partial one under the final name. A file written in pieces
 *   (`stageFile`, coordinator-held storage) is published the same way, and
 *   read back in ranges (`readRange`) with the same checks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CheckpointStorageError, ConfigurationError, CorruptStateError, StateTransferError } from '../errors';

/** Where one stored payload is inside its checkpoint directory, and what it must be. */
export interface StateHandleRef {
  /** A plain file name inside the checkpoint's directory. */
  readonly file: string;
  /** Payload size in bytes (without the frame). */
  readonly size: number;
  /** Hex sha256 of the payload. */
  readonly checksum: string;
}

/** What a file read must find. */
export interface ExpectedFile {
  readonly size: number;
  readonly checksum: string;
}

/**
 * A file being written in pieces (coordinator-held storage): its bytes go to
 * a temporary file next to where it is published, with the frame header
 * written first from the declared checksum. Nothing appears under the
 * file's name until `publish`; the caller verifies the bytes (size and
 * checksum) before publishing.
 */
export interface StagedFile {
  /** The temporary file's path. */
  readonly tempPath: string;
  /** Writes `bytes` at `offset` bytes from the payload's start. */
  write(offset: number, bytes: Uint8Array): Promise<void>;
  /** Syncs the file, renames it to its name and syncs the directory; the file's handle. */
  publish(): Promise<StateHandleRef>;
  /** Closes and removes the temporary file (no error if it is gone); nothing is published. Safe to call more than once. */
  discard(): Promise<void>;
}

/** One range of a stored file's payload, with what the file's frame says about the whole payload. */
export interface FileRange {
  /** The whole payload's size in bytes. */
  readonly size: number;
  /** The hex sha256 of the whole payload, from the file's header. */
  readonly checksum: string;
  /** The bytes asked for (fewer at the payload's end). */
  readonly bytes: Uint8Array;
}

export interface CheckpointStorage {
  /** Where the files are, as users see it: an absolute directory, or `memory://`. */
  readonly root: string;
  /** Creates directory `dir` (`a/b`: names below the root). Files are written only into created directories. */
  createDirectory(dir: string): Promise<void>;
  /** Writes one framed file atomically; a CheckpointStorageError if `dir` does not exist (any more) or the write fails. */
  writeFile(dir: string, name: string, payload: Uint8Array): Promise<StateHandleRef>;
  /**
   * Reads and verifies one file. With `expected`, its size and checksum must
   * match (the size is checked before reading); without, the payload may
   * hold at most `maxBytes`. CorruptStateError when missing, not a regular
   * file, too large, truncated or altered.
   */
  readFile(dir: string, name: string, expected?: ExpectedFile, maxBytes?: number): Promise<Uint8Array>;
  /** Names in `dir` ('' for the root); none if it does not exist. */
  list(dir: string): Promise<string[]>;
  /** Removes `dir` with everything in it; no error if it is gone. */
  removeDirectory(dir: string): Promise<void>;
  /** The user-facing location of a file (an absolute path, or `memory://dir/name`). */
  locationOf(dir: string, name: string): string;
  /** The directory and file of a location inside this storage; CorruptStateError outside its root. */
  parseLocation(location: string): { readonly dir: string; readonly name: string };
}

// ---------------------------------------------------------------------------
// Framing and names, shared by both implementations.

const MAGIC = new TextEncoder().encode('WEIRCKP1');
const DIGEST_BYTES = 32;
/** Bytes before the payload of a stored file. */
export const FRAME_HEADER_BYTES = MAGIC.length + DIGEST_BYTES;
/** Default limit for a file read without an expected size (metadata). */
export const DEFAULT_MAX_READ_BYTES = 64 * 1024 * 1024;

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

function frame(payload: Uint8Array): { readonly bytes: Uint8Array; readonly checksum: string } {
  const digest = sha256(payload);
  const bytes = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength);
  bytes.set(MAGIC, 0);
  bytes.set(digest, MAGIC.length);
  bytes.set(payload, FRAME_HEADER_BYTES);
  return { bytes, checksum: digest.toString('hex') };
}

function corrupt(location: string, reason: string, detail?: string, cause?: unknown): CorruptStateError {
  return new CorruptStateError(
    `checkpoint file '${location}': ${reason}${detail === undefined ? '' : ` (${detail})`}`,
    cause === undefined ? undefined : { cause },
  );
}

/** Checks a file's total size against what a read expects, before reading it. */
function checkSize(location: string, total: number, expected: ExpectedFile | undefined, maxBytes: number): void {
  if (total < FRAME_HEADER_BYTES) {
    throw corrupt(location, total === 0 ? 'empty' : 'truncated', `${total} bytes, the header alone needs ${FRAME_HEADER_BYTES}`);
  }
  const payload = total - FRAME_HEADER_BYTES;
  if (expected !== undefined && payload !== expected.size) {
    throw corrupt(location, payload < expected.size ? 'truncated' : 'size mismatch', `payload has ${payload} bytes, the handle says ${expected.size}`);
  }
  if (expected === undefined && payload > maxBytes) throw corrupt(location, 'too large', `${payload} bytes, at most ${maxBytes} are read`);
}

/** Verifies a framed blob and returns its payload (a view into `bytes`). */
function unframe(bytes: Uint8Array, location: string, expected?: ExpectedFile): Uint8Array {
  if (!MAGIC.every((b, i) => bytes[i] === b)) throw corrupt(location, 'not a Weir checkpoint file', 'bad magic');
  const payload = bytes.subarray(FRAME_HEADER_BYTES);
  const stored = Buffer.from(bytes.subarray(MAGIC.length, FRAME_HEADER_BYTES)).toString('hex');
  const actual = sha256(payload).toString('hex');
  if (actual !== stored) throw corrupt(location, 'checksum mismatch', `payload hashes to ${actual}, the file header says ${stored}`);
  if (expected !== undefined && actual !== expected.checksum) {
    throw corrupt(location, 'checksum mismatch', `file holds payload ${actual}, the handle says ${expected.checksum}`);
  }
  return payload;
}

const NAME = /^[A-Za-z0-9_~%+=-][A-Za-z0-9._~%+=-]{0,254}$/;

/** A plain file or directory name: no separators, not `.` or `..`; CorruptStateError otherwise (names come from files). */
export function checkName(name: unknown, what = 'file name'): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new CorruptStateError(`${what} ${JSON.stringify(name)} is not a plain name (letters, digits, '._~%+=-', no path separators)`);
  }
  return name;
}

/** A directory below a storage root: plain names joined by '/'. */
export function checkDirectory(dir: string): string[] {
  if (dir === '') return [];
  return dir.split('/').map((s) => checkName(s, 'directory name'));
}

function ioCode(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? '';
}

function storageError(what: string, e: unknown): CheckpointStorageError {
  const code = ioCode(e);
  const hint =
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? ': not writable (check the directory and its permissions)'
      : code === 'ENOSPC' || code === 'EDQUOT'
        ? ': no space left'
        : '';
  return new CheckpointStorageError(`${what}${hint} (${code || (e as Error)?.message || String(e)})`, e);
}

// ---------------------------------------------------------------------------

/**
 * Keeps framed blobs in a Map keyed by location (`memory://<dir>/<name>`).
 * `files` is exposed so tests can corrupt or delete entries.
 */
export class MemoryCheckpointStorage implements CheckpointStorage {
  readonly root = 'memory://';
  readonly files: Map<string, Uint8Array>;
  private readonly directories = new Set<string>();

  constructor(options?: { files?: Map<string, Uint8Array> }) {
    this.files = options?.files ?? new Map();
  }

  async createDirectory(dir: string): Promise<void> {
    const parts = checkDirectory(dir);
    for (let i = 1; i <= parts.length; i++) this.directories.add(parts.slice(0, i).join('/'));
  }

  async writeFile(dir: string, name: string, payload: Uint8Array): Promise<StateHandleRef> {
    checkDirectory(dir);
    if (!this.directories.has(dir)) throw new CheckpointStorageError(`cannot write '${this.locationOf(dir, name)}': its directory does not exist (discarded?)`);
    const { bytes, checksum } = frame(payload);
    this.files.set(this.locationOf(dir, checkName(name)), bytes);
    return { file: name, size: payload.byteLength, checksum };
  }

  async readFile(dir: string, name: string, expected?: ExpectedFile, maxBytes = DEFAULT_MAX_READ_BYTES): Promise<Uint8Array> {
    const location = this.locationOf(dir, name);
    const bytes = this.files.get(location);
    if (bytes === undefined) throw corrupt(location, 'missing');
    checkSize(location, bytes.byteLength, expected, maxBytes);
    // A copy: the caller may not alter what is stored.
    return unframe(bytes, location, expected).slice();
  }

  async list(dir: string): Promise<string[]> {
    const prefix = dir === '' ? '' : `${dir}/`;
    const names = new Set<string>();
    for (const d of this.directories) if (d.startsWith(prefix) && d.length > prefix.length) names.add(d.slice(prefix.length).split('/')[0]);
    for (const location of this.files.keys()) {
      const rest = location.slice(this.root.length);
      if (rest.startsWith(prefix)) names.add(rest.slice(prefix.length).split('/')[0]);
    }
    return [...names];
  }

  async removeDirectory(dir: string): Promise<void> {
    checkDirectory(dir);
    const prefix = `${dir}/`;
    for (const d of [...this.directories]) if (d === dir || d.startsWith(prefix)) this.directories.delete(d);
    for (const location of [...this.files.keys()]) if (location.startsWith(this.root + prefix)) this.files.delete(location);
  }

  locationOf(dir: string, name: string): string {
    return `${this.root}${dir === '' ? '' : `${dir}/`}${name}`;
  }

  parseLocation(location: string): { dir: string; name: string } {
    if (!location.startsWith(this.root)) throw new CorruptStateError(`'${location}' is not a location of in-memory checkpoint storage`);
    const parts = location.slice(this.root.length).split('/');
    const name = checkName(parts.pop());
    const dir = parts.join('/');
    checkDirectory(dir);
    return { dir, name };
  }
}

// ---------------------------------------------------------------------------

/** Directory fsync is not possible everywhere (e.g. Windows); only those refusals are ignored. */
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EBADF', 'ENOTSUP']);

async function fsyncDirectory(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (e) {
    if (!DIR_SYNC_UNSUPPORTED.has(ioCode(e))) throw e;
  } finally {
    await handle?.close();
  }
}

/** Opening for read never follows a symbolic link and never blocks on a pipe. */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Stores files under `<directory>/<dir>/<name>`; locations are absolute paths. */
export class FileSystemCheckpointStorage implements CheckpointStorage {
  readonly root: string;

  constructor(directory: string) {
    if (typeof directory !== 'string' || directory.length === 0) throw new ConfigurationError('checkpointStorage', 'a checkpoint directory must be a non-empty path');
    this.root = resolve(directory);
  }

  private path(dir: string, name?: string): string {
    const parts = checkDirectory(dir);
    return join(this.root, ...parts, ...(name === undefined ? [] : [checkName(name)]));
  }

  async createDirectory(dir: string): Promise<void> {
    const path = this.path(dir);
    try {
      await mkdir(path, { recursive: true });
      await fsyncDirectory(dirname(path));
    } catch (e) {
      throw storageError(`cannot create checkpoint directory '${path}'`, e);
    }
  }

  async writeFile(dir: string, name: string, payload: Uint8Array): Promise<StateHandleRef> {
    const path = this.path(dir, name);
    const { bytes, checksum } = frame(payload);
    const tmp = `${path}.tmp-${randomBytes(8).toString('hex')}`;
    try {
      // 'wx' never creates the directory: a discarded checkpoint stays discarded.
      const handle = await open(tmp, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, path);
      await fsyncDirectory(dirname(path));
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => undefined); // best effort; the original error is what matters
      if (ioCode(e) === 'ENOENT') throw new CheckpointStorageError(`cannot write '${path}': its directory does not exist (discarded?)`, e);
      throw storageError(`cannot write '${path}'`, e);
    }
    return { file: name, size: payload.byteLength, checksum };
  }

  async readFile(dir: string, name: string, expected?: ExpectedFile, maxBytes = DEFAULT_MAX_READ_BYTES): Promise<Uint8Array> {
    const location = this.path(dir, name);
    const { handle, total } = await openForRead(location, expected, maxBytes);
    try {
      const buf = Buffer.allocUnsafe(total);
      await readFully(handle, buf, 0, location);
      return unframe(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), location, expected);
    } finally {
      await handle.close();
    }
  }

  /**
   * Reads payload bytes [offset, offset + length) of a stored file (fewer at
   * its end), checked as `readFile` checks the whole: a regular file, its
   * size against `expected` (or at most `maxBytes` without), its magic, and
   * the checksum in its header against `expected`'s. The payload's own
   * checksum can only be checked once every range is read: the reader does
   * that. An offset past the payload is a StateTransferError.
   */
  async readRange(dir: string, name: string, offset: number, length: number, expected?: ExpectedFile, maxBytes = DEFAULT_MAX_READ_BYTES): Promise<FileRange> {
    const location = this.path(dir, name);
    const { handle, total } = await openForRead(location, expected, maxBytes);
    try {
      const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
      await readFully(handle, header, 0, location);
      if (!MAGIC.every((b, i) => header[i] === b)) throw corrupt(location, 'not a Weir checkpoint file', 'bad magic');
      const checksum = header.subarray(MAGIC.length).toString('hex');
      if (expected !== undefined && checksum !== expected.checksum) {
        throw corrupt(location, 'checksum mismatch', `file holds payload ${checksum}, the handle says ${expected.checksum}`);
      }
      const size = total - FRAME_HEADER_BYTES;
      if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
        throw new StateTransferError('PAST_DECLARED_SIZE', `a read at byte ${offset} of '${location}', whose payload has ${size} bytes`);
      }
      const bytes = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - offset)));
      await readFully(handle, bytes, FRAME_HEADER_BYTES + offset, location);
      return { size, checksum, bytes };
    } finally {
      await handle.close();
    }
  }

  /**
   * Starts writing file `name` in `dir` in pieces: a payload of `size` bytes
   * whose hex sha256 is `checksum`. The temporary file is created in `dir`
   * itself (so a discarded checkpoint's directory takes it along), never
   * creating the directory: a CheckpointStorageError if it does not exist.
   */
  async stageFile(dir: string, name: string, size: number, checksum: string): Promise<StagedFile> {
    const path = this.path(dir, name);
    if (!/^[0-9a-f]{64}$/.test(checksum)) throw new CheckpointStorageError(`cannot write '${path}': ${JSON.stringify(checksum)} is not a hex sha256`);
    const tempPath = `${path}.tmp-${randomBytes(8).toString('hex')}`;
    let handle;
    try {
      handle = await open(tempPath, 'wx');
      const header = new Uint8Array(FRAME_HEADER_BYTES);
      header.set(MAGIC, 0);
      header.set(Buffer.from(checksum, 'hex'), MAGIC.length);
      await handle.write(header, 0, header.byteLength, 0);
    } catch (e) {
      await handle?.close().catch(() => undefined);
      await rm(tempPath, { force: true }).catch(() => undefined);
      if (ioCode(e) === 'ENOENT') throw new CheckpointStorageError(`cannot write '${path}': its directory does not exist (discarded?)`, e);
      throw storageError(`cannot write '${path}'`, e);
    }
    const file = handle;
    let state: 'open' | 'published' | 'discarded' = 'open';
    const discard = async () => {
      if (state !== 'open') return;
      state = 'discarded';
      await file.close().catch(() => undefined);
      await rm(tempPath, { force: true }).catch(() => undefined);
    };
    return {
      tempPath,
      write: async (offset, bytes) => {
        if (state !== 'open') throw new CheckpointStorageError(`cannot write '${path}': its transfer was ${state}`);
        try {
          let at = 0;
          while (at < bytes.byteLength) {
            const { bytesWritten } = await file.write(bytes, at, bytes.byteLength - at, FRAME_HEADER_BYTES + offset + at);
            at += bytesWritten;
          }
        } catch (e) {
          throw storageError(`cannot write '${path}'`, e);
        }
      },
      publish: async () => {
        if (state !== 'open') throw new CheckpointStorageError(`cannot publish '${path}': its transfer was ${state}`);
        try {
          await file.sync();
          state = 'published';
          await file.close();
          await rename(tempPath, path);
          await fsyncDirectory(dirname(path));
        } catch (e) {
          state = 'open';
          await discard();
          if (ioCode(e) === 'ENOENT') throw new CheckpointStorageError(`cannot write '${path}': its directory does not exist (discarded?)`, e);
          throw storageError(`cannot write '${path}'`, e);
        }
        return { file: name, size, checksum };
      },
      discard,
    };
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await readdir(this.path(dir));
    } catch (e) {
      if (ioCode(e) === 'ENOENT' || ioCode(e) === 'ENOTDIR') return [];
      throw storageError(`cannot list '${this.path(dir)}'`, e);
    }
  }

  async removeDirectory(dir: string): Promise<void> {
    const path = this.path(dir);
    if (path === this.root) throw new CheckpointStorageError(`refusing to remove the storage root '${path}'`);
    try {
      await rm(path, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      throw storageError(`cannot remove '${path}'`, e);
    }
  }

  locationOf(dir: string, name: string): string {
    return this.path(dir, name);
  }

  parseLocation(location: string): { dir: string; name: string } {
    const rel = relative(this.root, resolve(location));
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new CorruptStateError(`'${location}' is outside the checkpoint storage '${this.root}'`);
    }
    const parts = rel.split(sep);
    const name = checkName(parts.pop());
    const dir = parts.join('/');
    checkDirectory(dir);
    return { dir, name };
  }
}

type ReadHandle = Awaited<ReturnType<typeof open>>;

/** Opens a stored file for reading: a regular file (no link, device or pipe) whose size fits what the read expects. */
async function openForRead(location: string, expected: ExpectedFile | undefined, maxBytes: number): Promise<{ handle: ReadHandle; total: number }> {
  let handle: ReadHandle;
  try {
    handle = await open(location, READ_FLAGS);
  } catch (e) {
    const code = ioCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw corrupt(location, 'missing', undefined, e);
    if (code === 'ELOOP') throw corrupt(location, 'not a regular file', 'a symbolic link', e);
    throw corrupt(location, 'cannot read', code || (e as Error).message, e);
  }
  try {
    let st: Stats;
    try {
      st = await handle.stat();
    } catch (e) {
      throw corrupt(location, 'cannot read', ioCode(e), e);
    }
    if (!st.isFile()) throw corrupt(location, 'not a regular file', st.isDirectory() ? 'a directory' : 'a device, socket or pipe');
    checkSize(location, st.size, expected, maxBytes);
    return { handle, total: st.size };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** Fills `buf` from the file at `position`; CorruptStateError if the file ends first. */
async function readFully(handle: ReadHandle, buf: Buffer, position: number, location: string): Promise<void> {
  let at = 0;
  while (at < buf.byteLength) {
    const { bytesRead } = await handle.read(buf, at, buf.byteLength - at, position + at);
    if (bytesRead === 0) throw corrupt(location, 'truncated', 'the file shrank while it was read');
    at += bytesRead;
  }
}

/** Whether a path is an existing directory (false when missing). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (e) {
    if (ioCode(e) === 'ENOENT' || ioCode(e) === 'ENOTDIR') return false;
    throw e;
  }
}
