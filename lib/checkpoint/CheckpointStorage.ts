/**
 * Checkpoint storage: where subtask state snapshots and checkpoint metadata
 * are kept, in memory (tests) or on the file system (default for the CLI).
 *
 * Guarantees:
 * - Every stored blob is framed as magic `WEIRCKP1`, the sha256 of the
 *   payload (32 bytes), then the payload; every read verifies the frame, so
 *   a missing, foreign, truncated or altered file is a CorruptStateError that
 *   names the file and the reason — never wrong state handed to an operator.
 * - A checkpoint is complete exactly when its metadata was written; the
 *   metadata is written last and atomically, so `listCompleted` never shows a
 *   checkpoint whose state files are not all in place.
 * - On the file system every file is written atomically (temp file, fsync,
 *   rename, fsync of the directory): a crash leaves the old file or the new
 *   one, never a partial one under the final name.
 * - Storages with different prefixes share a directory without seeing each
 *   other's checkpoints (e.g. `chk` and `savepoint`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConfigurationError, CorruptStateError } from '../errors';
import { decodeState, encodeState } from '../state/codec';

/** Where one stored payload is, and what it must be. */
export interface StateHandleRef {
  readonly location: string;
  /** Payload size in bytes (without the frame). */
  readonly size: number;
  /** Hex sha256 of the payload. */
  readonly checksum: string;
}

export interface CheckpointMetadata {
  readonly version: 1;
  readonly jobName: string;
  readonly checkpointId: number;
  /** Trigger time (ms since the epoch). */
  readonly timestamp: number;
  readonly isSavepoint: boolean;
  readonly operators: readonly { readonly uid: string; readonly parallelism: number; readonly maxParallelism: number }[];
  readonly subtasks: readonly {
    readonly operatorUids: readonly string[];
    readonly subtaskIndex: number;
    readonly handle: StateHandleRef;
  }[];
}

export interface CheckpointStorage {
  /** Persists one subtask's encoded state for a checkpoint; the handle goes into the metadata. */
  writeSubtaskState(checkpointId: number, subtaskKey: string, payload: Uint8Array): Promise<StateHandleRef>;
  /** Writes the metadata atomically; from then on the checkpoint is complete and listed. Returns its location. */
  writeMetadata(metadata: CheckpointMetadata): Promise<string>;
  /** Reads and verifies metadata (CorruptStateError on missing file, bad format, checksum mismatch). */
  readMetadata(location: string): Promise<CheckpointMetadata>;
  /** Reads and verifies a subtask state payload (CorruptStateError as above; also if size/checksum differ from the ref). */
  readSubtaskState(ref: StateHandleRef): Promise<Uint8Array>;
  /** Locations of checkpoints whose metadata was written, newest checkpoint id first. */
  listCompleted(): Promise<string[]>;
  /** Removes everything of a checkpoint (its state files and metadata); no error if already gone. */
  discard(checkpointId: number): Promise<void>;
}

// ---------------------------------------------------------------------------
// Framing, names and verification shared by both implementations.

const MAGIC = new TextEncoder().encode('WEIRCKP1');
const DIGEST_BYTES = 32;
const HEADER_BYTES = MAGIC.length + DIGEST_BYTES;
const METADATA_FILE = '_metadata';
const STATE_SUFFIX = '.state';
/** Encoded subtask keys longer than this are shortened and made unique by a hash. */
const MAX_ENCODED_KEY = 200;

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function frame(payload: Uint8Array): { readonly bytes: Uint8Array; readonly checksum: string } {
  const digest = sha256(payload);
  const bytes = new Uint8Array(HEADER_BYTES + payload.byteLength);
  bytes.set(MAGIC, 0);
  bytes.set(digest, MAGIC.length);
  bytes.set(payload, HEADER_BYTES);
  return { bytes, checksum: digest.toString('hex') };
}

function corrupt(location: string, reason: string, detail?: string, cause?: unknown): CorruptStateError {
  return new CorruptStateError(
    `checkpoint file '${location}': ${reason}${detail === undefined ? '' : ` (${detail})`}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Verifies a framed blob and returns its payload (a view into `bytes`).
 * With `expected`, the payload must also have the size and checksum of the ref.
 */
function unframe(bytes: Uint8Array, location: string, expected?: StateHandleRef): Uint8Array {
  const magicPart = bytes.subarray(0, MAGIC.length);
  if (!magicPart.every((b, i) => b === MAGIC[i])) {
    throw corrupt(location, 'not a Weir checkpoint file', 'bad magic');
  }
  if (bytes.byteLength < HEADER_BYTES) {
    throw corrupt(location, 'truncated', `${bytes.byteLength} bytes, the header alone needs ${HEADER_BYTES}`);
  }
  const payload = bytes.subarray(HEADER_BYTES);
  if (expected !== undefined && payload.byteLength !== expected.size) {
    throw payload.byteLength < expected.size
      ? corrupt(location, 'truncated', `payload has ${payload.byteLength} bytes, the handle says ${expected.size}`)
      : corrupt(location, 'size mismatch', `payload has ${payload.byteLength} bytes, the handle says ${expected.size}`);
  }
  const stored = toHex(bytes.subarray(MAGIC.length, HEADER_BYTES));
  const actual = sha256(payload).toString('hex');
  if (actual !== stored) {
    throw corrupt(location, 'checksum mismatch', `payload hashes to ${actual}, the file header says ${stored}`);
  }
  if (expected !== undefined && actual !== expected.checksum) {
    throw corrupt(location, 'checksum mismatch', `file holds payload ${actual}, the handle says ${expected.checksum}`);
  }
  return payload;
}

/**
 * A file name for a subtask key, unique per key (also on case-insensitive
 * file systems): [a-z0-9._-] stay, every other byte of the UTF-8 encoding
 * becomes %XX (upper-case hex). Very long results keep a readable start and
 * end in `~` plus the sha256 of the key ('~' never occurs otherwise).
 */
function encodeSubtaskKey(subtaskKey: string): string {
  let out = '';
  for (const byte of Buffer.from(subtaskKey, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[a-z0-9._-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.length > MAX_ENCODED_KEY) out = `${out.slice(0, 100)}~${sha256(Buffer.from(subtaskKey, 'utf8')).toString('hex')}`;
  return out + STATE_SUFFIX;
}

function checkPrefix(prefix: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(prefix) || prefix.length > 100) {
    throw new ConfigurationError(
      'prefix',
      `'${prefix}' must be 1-100 letters, digits, '_', '.' or '-', starting with a letter or digit`,
    );
  }
  return prefix;
}

function checkCheckpointId(checkpointId: number): number {
  if (!Number.isSafeInteger(checkpointId) || checkpointId < 0) {
    throw new RangeError(`checkpoint id must be a non-negative safe integer, got ${String(checkpointId)}`);
  }
  return checkpointId;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Decodes and shape-checks a metadata payload. */
function decodeMetadata(payload: Uint8Array, location: string): CheckpointMetadata {
  const what = `checkpoint metadata '${location}'`;
  const m = decodeState<unknown>(payload, what);
  const invalid = (field: string): CorruptStateError =>
    new CorruptStateError(`cannot decode ${what}: '${field}' is missing or invalid`);
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const isCount = (v: unknown, min: number): boolean => Number.isSafeInteger(v) && (v as number) >= min;
  if (!isObj(m)) throw invalid('(root)');
  if (m.version !== 1) throw invalid('version');
  if (typeof m.jobName !== 'string') throw invalid('jobName');
  if (!isCount(m.checkpointId, 0)) throw invalid('checkpointId');
  if (typeof m.timestamp !== 'number' || !Number.isFinite(m.timestamp)) throw invalid('timestamp');
  if (typeof m.isSavepoint !== 'boolean') throw invalid('isSavepoint');
  if (!Array.isArray(m.operators)) throw invalid('operators');
  m.operators.forEach((o: unknown, i) => {
    if (!isObj(o) || typeof o.uid !== 'string' || !isCount(o.parallelism, 1) || !isCount(o.maxParallelism, 1)) {
      throw invalid(`operators[${i}]`);
    }
  });
  if (!Array.isArray(m.subtasks)) throw invalid('subtasks');
  m.subtasks.forEach((s: unknown, i) => {
    if (
      !isObj(s) ||
      !Array.isArray(s.operatorUids) ||
      !s.operatorUids.every((u: unknown) => typeof u === 'string') ||
      !isCount(s.subtaskIndex, 0) ||
      !isObj(s.handle) ||
      typeof s.handle.location !== 'string' ||
      !isCount(s.handle.size, 0) ||
      typeof s.handle.checksum !== 'string' ||
      !/^[0-9a-f]{64}$/.test(s.handle.checksum)
    ) {
      throw invalid(`subtasks[${i}]`);
    }
  });
  return m as unknown as CheckpointMetadata;
}

// ---------------------------------------------------------------------------

/**
 * Keeps framed blobs in a Map keyed by location (`memory://<prefix>-<id>/<file>`).
 * `files` is exposed so tests can corrupt or delete entries; several storages
 * may share one map (like one directory) when their prefixes differ.
 */
export class MemoryCheckpointStorage implements CheckpointStorage {
  readonly files: Map<string, Uint8Array>;
  readonly prefix: string;

  constructor(options?: { prefix?: string; files?: Map<string, Uint8Array> }) {
    this.prefix = checkPrefix(options?.prefix ?? 'chk');
    this.files = options?.files ?? new Map();
  }

  private dir(checkpointId: number): string {
    return `memory://${this.prefix}-${checkCheckpointId(checkpointId)}/`;
  }

  async writeSubtaskState(checkpointId: number, subtaskKey: string, payload: Uint8Array): Promise<StateHandleRef> {
    const location = this.dir(checkpointId) + encodeSubtaskKey(subtaskKey);
    const { bytes, checksum } = frame(payload);
    this.files.set(location, bytes);
    return { location, size: payload.byteLength, checksum };
  }

  async writeMetadata(metadata: CheckpointMetadata): Promise<string> {
    const location = this.dir(metadata.checkpointId) + METADATA_FILE;
    this.files.set(location, frame(encodeState(metadata)).bytes);
    return location;
  }

  async readMetadata(location: string): Promise<CheckpointMetadata> {
    return decodeMetadata(unframe(this.get(location), location), location);
  }

  async readSubtaskState(ref: StateHandleRef): Promise<Uint8Array> {
    // A copy: the caller may not alter what is stored.
    return unframe(this.get(ref.location), ref.location, ref).slice();
  }

  async listCompleted(): Promise<string[]> {
    const pattern = new RegExp(`^memory://${escapeRegExp(this.prefix)}-(0|[1-9]\\d*)/${METADATA_FILE}$`);
    const found: { id: number; location: string }[] = [];
    for (const location of this.files.keys()) {
      const m = pattern.exec(location);
      if (m !== null) found.push({ id: Number(m[1]), location });
    }
    return found.sort((a, b) => b.id - a.id).map((f) => f.location);
  }

  async discard(checkpointId: number): Promise<void> {
    const dir = this.dir(checkpointId);
    this.files.delete(dir + METADATA_FILE);
    for (const location of [...this.files.keys()]) if (location.startsWith(dir)) this.files.delete(location);
  }

  private get(location: string): Uint8Array {
    const bytes = this.files.get(location);
    if (bytes === undefined) throw corrupt(location, 'missing');
    return bytes;
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
    if (!DIR_SYNC_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    await handle?.close();
  }
}

/** Writes `bytes` to `path` so that `path` holds either its old content or all of `bytes`. */
async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true });
  const tmp = `${path}.tmp-${randomBytes(8).toString('hex')}`;
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined); // best effort; the original error is what matters
    throw e;
  }
  await fsyncDirectory(directory);
}

/**
 * Stores checkpoints as `<directory>/<prefix>-<id>/<subtaskKey>.state` and
 * `<directory>/<prefix>-<id>/_metadata`. Locations are absolute file paths.
 */
export class FileSystemCheckpointStorage implements CheckpointStorage {
  readonly prefix: string;
  private readonly root: string;

  constructor(
    readonly directory: string,
    options?: { prefix?: string },
  ) {
    this.prefix = checkPrefix(options?.prefix ?? 'chk');
    this.root = resolve(directory);
  }

  private dir(checkpointId: number): string {
    return join(this.root, `${this.prefix}-${checkCheckpointId(checkpointId)}`);
  }

  async writeSubtaskState(checkpointId: number, subtaskKey: string, payload: Uint8Array): Promise<StateHandleRef> {
    const location = join(this.dir(checkpointId), encodeSubtaskKey(subtaskKey));
    const { bytes, checksum } = frame(payload);
    await writeFileAtomic(location, bytes);
    return { location, size: payload.byteLength, checksum };
  }

  async writeMetadata(metadata: CheckpointMetadata): Promise<string> {
    const location = join(this.dir(metadata.checkpointId), METADATA_FILE);
    await writeFileAtomic(location, frame(encodeState(metadata)).bytes);
    await fsyncDirectory(this.root); // the checkpoint directory's own entry
    return location;
  }

  async readMetadata(location: string): Promise<CheckpointMetadata> {
    return decodeMetadata(unframe(await readBlob(location), location), location);
  }

  async readSubtaskState(ref: StateHandleRef): Promise<Uint8Array> {
    return unframe(await readBlob(ref.location), ref.location, ref);
  }

  async listCompleted(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const pattern = new RegExp(`^${escapeRegExp(this.prefix)}-(0|[1-9]\\d*)$`);
    const found: { id: number; location: string }[] = [];
    for (const name of names) {
      const m = pattern.exec(name);
      if (m === null) continue;
      const location = join(this.root, name, METADATA_FILE);
      if (await isFile(location)) found.push({ id: Number(m[1]), location });
    }
    return found.sort((a, b) => b.id - a.id).map((f) => f.location);
  }

  async discard(checkpointId: number): Promise<void> {
    const dir = this.dir(checkpointId);
    // Metadata first: a discard cut short never leaves a listed checkpoint without its state.
    try {
      await unlink(join(dir, METADATA_FILE));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
    }
    await rm(dir, { recursive: true, force: true });
  }
}

async function readBlob(location: string): Promise<Uint8Array> {
  let buf: Buffer;
  try {
    buf = await readFile(location);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw corrupt(location, 'missing', undefined, e);
    throw corrupt(location, 'cannot read', err.code ?? err.message, e);
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
