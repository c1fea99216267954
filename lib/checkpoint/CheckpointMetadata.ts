/**
 * The `_metadata` file of a checkpoint or savepoint (Flink's
 * CheckpointMetadata): which job wrote it, its operators (uid, parallelism,
 * maxParallelism, and what kind of operator or source owns the uid), and
 * per subtask the state file inside the same directory. It is written last:
 * a checkpoint is complete exactly when its metadata exists.
 *
 * Decoding is strict — every field is checked, file names must be plain
 * names — so a crafted or damaged file yields a CorruptStateError naming
 * the field, never a path outside the checkpoint's directory.
 */
import { CorruptStateError } from '../errors';
import { decodeState, encodeState } from '../state/codec';
import { checkName, type CheckpointStorage, type StateHandleRef } from './CheckpointStorage';
import { METADATA_FILE } from './CheckpointLayout';

export const METADATA_VERSION = 2;

export interface OperatorMetadata {
  readonly uid: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** What owns the uid, e.g. 'source:GeneratorSource', 'operator:StreamGroupedReduce', 'sink:FileSink'. */
  readonly type: string;
}

export interface SubtaskMetadata {
  readonly operatorUids: readonly string[];
  readonly subtaskIndex: number;
  readonly handle: StateHandleRef;
}

/**
 * A retained checkpoint of an earlier run, in the same checkpoint directory,
 * that a run restored in CLAIM mode and had not finished deleting (with the
 * older and unfinished checkpoints of that run) when this checkpoint was
 * taken. A run that claims this checkpoint finishes those deletions, so a
 * process killed while it deletes leaves nothing behind for good.
 */
export interface ClaimedCheckpoint {
  /** The run's directory name (its job id) inside the checkpoint directory. */
  readonly jobId: string;
  readonly checkpointId: number;
}

/** At most this many claimed checkpoints are carried (a longer chain is cut, oldest first). */
export const MAX_CLAIMED = 64;

export interface CheckpointMetadata {
  readonly version: typeof METADATA_VERSION;
  readonly jobId: string;
  readonly jobName: string;
  readonly checkpointId: number;
  /** Trigger time (ms since the epoch). */
  readonly timestamp: number;
  readonly isSavepoint: boolean;
  readonly operators: readonly OperatorMetadata[];
  readonly subtasks: readonly SubtaskMetadata[];
  /** Absent or empty in savepoints and in runs that claimed nothing. */
  readonly claimed?: readonly ClaimedCheckpoint[];
}

/** Writes the metadata into `dir` (atomically); returns its location. */
export async function writeMetadata(storage: CheckpointStorage, dir: string, metadata: CheckpointMetadata): Promise<string> {
  await storage.writeFile(dir, METADATA_FILE, encodeState(metadata));
  return storage.locationOf(dir, METADATA_FILE);
}

/** Reads and checks the metadata at `location`; also returns the directory its files are in. */
export async function readMetadata(storage: CheckpointStorage, location: string): Promise<{ metadata: CheckpointMetadata; dir: string }> {
  const { dir, name } = storage.parseLocation(location);
  if (name !== METADATA_FILE) throw new CorruptStateError(`'${location}' is not a checkpoint metadata file (${METADATA_FILE})`);
  const payload = await storage.readFile(dir, name);
  return { metadata: decodeMetadata(payload, location), dir };
}

/** Decodes and shape-checks a metadata payload. */
export function decodeMetadata(payload: Uint8Array, location: string): CheckpointMetadata {
  const what = `checkpoint metadata '${location}'`;
  const m = decodeState<unknown>(payload, what);
  const invalid = (field: string, why = 'is missing or invalid'): CorruptStateError => new CorruptStateError(`cannot decode ${what}: '${field}' ${why}`);
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const isCount = (v: unknown, min: number): boolean => Number.isSafeInteger(v) && (v as number) >= min;
  const isText = (v: unknown): v is string => typeof v === 'string' && v.length <= 4096;
  if (!isObj(m)) throw invalid('(root)');
  if (m.version !== METADATA_VERSION) {
    throw invalid('version', `is ${JSON.stringify(m.version)}; this version of Weir reads metadata version ${METADATA_VERSION}`);
  }
  if (!isText(m.jobId) || !isText(m.jobName)) throw invalid(isText(m.jobId) ? 'jobName' : 'jobId');
  if (!isCount(m.checkpointId, 0)) throw invalid('checkpointId');
  if (typeof m.timestamp !== 'number' || !Number.isFinite(m.timestamp)) throw invalid('timestamp');
  if (typeof m.isSavepoint !== 'boolean') throw invalid('isSavepoint');
  if (!Array.isArray(m.operators)) throw invalid('operators');
  const uids = new Set<string>();
  m.operators.forEach((o: unknown, i) => {
    if (!isObj(o) || !isText(o.uid) || !isCount(o.parallelism, 1) || !isCount(o.maxParallelism, 1) || !isText(o.type) || uids.has(o.uid)) {
      throw invalid(`operators[${i}]`);
    }
    uids.add(o.uid);
  });
  if (!Array.isArray(m.subtasks)) throw invalid('subtasks');
  const files = new Set<string>();
  m.subtasks.forEach((s: unknown, i) => {
    const h = isObj(s) ? s.handle : undefined;
    if (
      !isObj(s) ||
      !Array.isArray(s.operatorUids) ||
      !s.operatorUids.every((u: unknown) => isText(u) && uids.has(u)) ||
      !isCount(s.subtaskIndex, 0) ||
      !isObj(h) ||
      !isCount(h.size, 0) ||
      typeof h.checksum !== 'string' ||
      !/^[0-9a-f]{64}$/.test(h.checksum)
    ) {
      throw invalid(`subtasks[${i}]`);
    }
    try {
      checkName(h.file);
    } catch (e) {
      throw invalid(`subtasks[${i}].handle.file`, `is not a plain file name inside the checkpoint directory (${(e as Error).message})`);
    }
    if (h.file === METADATA_FILE || files.has(h.file as string)) throw invalid(`subtasks[${i}].handle.file`, 'names the metadata or another subtask\'s file');
    files.add(h.file as string);
  });
  if (m.claimed !== undefined) {
    if (!Array.isArray(m.claimed) || m.claimed.length > MAX_CLAIMED) throw invalid('claimed');
    m.claimed.forEach((c: unknown, i) => {
      if (!isObj(c) || !isCount(c.checkpointId, 0)) throw invalid(`claimed[${i}]`);
      try {
        checkName(c.jobId, 'job directory name');
      } catch (e) {
        throw invalid(`claimed[${i}].jobId`, `is not a plain directory name (${(e as Error).message})`);
      }
    });
  }
  return m as unknown as CheckpointMetadata;
}
