/**
 * Where a job's checkpoints and savepoints lie in a CheckpointStorage
 * (Flink's layout, with the job in it):
 *
 *   <root>/<jobId>/chk-<n>/_metadata            checkpoint n of one job run
 *   <root>/<jobId>/chk-<n>/<subtask>.state      one file per subtask
 *   <target>/savepoint-<job>-<n>/_metadata      a savepoint, in a directory of its own
 *
 * Every checkpoint and savepoint directory holds every byte it needs and
 * names its files relatively (plain names), so a savepoint or a retained
 * checkpoint can be moved, and one run never reuses a name of another.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { checkName, FileSystemCheckpointStorage, type CheckpointStorage } from './CheckpointStorage';

export const METADATA_FILE = '_metadata';
const STATE_SUFFIX = '.state';
/** Encoded subtask keys longer than this are shortened and made unique by a hash. */
const MAX_ENCODED_KEY = 200;

/** The directory of one job run's checkpoints. */
export function jobDirectory(jobId: string): string {
  return checkName(jobId, 'job id');
}

/** `<jobId>/chk-<n>`. */
export function checkpointDirectory(jobId: string, checkpointId: number): string {
  return `${jobDirectory(jobId)}/chk-${checkCheckpointId(checkpointId)}`;
}

/** The checkpoint id of a `chk-<n>` directory name; undefined for other names. */
export function checkpointIdOf(name: string): number | undefined {
  const m = /^chk-(0|[1-9]\d{0,15})$/.exec(name);
  return m === null ? undefined : Number(m[1]);
}

/** `savepoint-<last 12 hex digits of the job id>-<n>`: unique per job run and savepoint. */
export function savepointDirectoryName(jobId: string, checkpointId: number): string {
  const job = jobId.replace(/[^0-9a-fA-F]/g, '').slice(-12).toLowerCase() || 'job';
  return `savepoint-${job}-${checkCheckpointId(checkpointId)}`;
}

/** Where checkpoint `checkpointId` of a job goes: the job's storage, or a savepoint's own directory under `savepointTarget`. */
export function snapshotLocation(
  jobStorage: CheckpointStorage | undefined,
  jobId: string,
  checkpointId: number,
  savepointTarget: string | undefined,
  /** The storage of a savepoint directory (default: the file system here; a node of a cluster may write through the coordinator). */
  savepointStorage: (target: string) => CheckpointStorage = (target) => new FileSystemCheckpointStorage(target),
): { readonly storage: CheckpointStorage; readonly dir: string } | undefined {
  if (savepointTarget !== undefined) return { storage: savepointStorage(savepointTarget), dir: savepointDirectoryName(jobId, checkpointId) };
  return jobStorage === undefined ? undefined : { storage: jobStorage, dir: checkpointDirectory(jobId, checkpointId) };
}

/**
 * The directory of the snapshot a user-given path names: the path itself for
 * a savepoint or `chk-<n>` directory, its directory for its `_metadata`
 * file. (A checkpoint base directory is resolved to one checkpoint first.)
 */
export function snapshotDirectoryOf(p: string): string {
  const abs = path.resolve(p);
  return path.basename(abs) === METADATA_FILE ? path.dirname(abs) : abs;
}

/**
 * The file name of a subtask's state, unique per key (also on
 * case-insensitive file systems): [a-z0-9._-] stay, every other byte of the
 * UTF-8 encoding becomes %XX; very long results keep a readable start plus
 * `~` and the sha256 of the key.
 */
export function stateFileName(subtaskKey: string): string {
  let out = '';
  for (const byte of Buffer.from(subtaskKey, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[a-z0-9_-]/.test(c) || (c === '.' && out.length > 0) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.length > MAX_ENCODED_KEY) out = `${out.slice(0, 100)}~${createHash('sha256').update(subtaskKey, 'utf8').digest('hex')}`;
  return out + STATE_SUFFIX;
}

function checkCheckpointId(checkpointId: number): number {
  if (!Number.isSafeInteger(checkpointId) || checkpointId < 0) {
    throw new RangeError(`checkpoint id must be a non-negative safe integer, got ${String(checkpointId)}`);
  }
  return checkpointId;
}
