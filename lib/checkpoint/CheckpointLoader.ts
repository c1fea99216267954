/**
 * Checkpoints and savepoints read back: the metadata of a completed
 * checkpoint; a completed checkpoint or savepoint loaded with every subtask
 * state file verified (a corrupt or missing file is a CorruptStateError
 * naming it) and grouped per operator uid for restore; a user-given path
 * (Flink's `-s <path>`: a savepoint or retained checkpoint directory, or its
 * `_metadata`) resolved; the retained checkpoints of a storage directory
 * listed; and keyed state read out of a checkpoint directly, for tests and
 * tools (Flink's State Processor API, in small).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CorruptStateError, RestoreError } from '../errors';
import type { JobGraph } from '../graph/JobGraph';
import type { StreamNode } from '../graph/StreamGraph';
import { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import { denormalizeKey, KeyGroupRange, type Key } from '../state/KeyGroup';
import { VOID_NAMESPACE, type Namespace, type VoidNamespace } from '../state/namespace';
import type { PendingCheckpoint } from './CheckpointCoordinator';
import { checkpointIdOf, METADATA_FILE } from './CheckpointLayout';
import { readMetadata, MAX_CLAIMED, METADATA_VERSION, type CheckpointMetadata, type ClaimedCheckpoint } from './CheckpointMetadata';
import { FileSystemCheckpointStorage, type CheckpointStorage } from './CheckpointStorage';
import { decodeSubtaskState, RestoredState, type SubtaskState } from './SubtaskState';

const types = new WeakMap<StreamNode, string>();

/**
 * What owns a uid's state, recorded in the metadata and compared on restore:
 * 'source:<Source class>', 'sink:<Sink class>' or 'operator:<operator class>'.
 */
export function operatorType(node: StreamNode): string {
  let t = types.get(node);
  if (t === undefined) {
    const of = (o: unknown) => (o as { constructor?: { name?: string } } | undefined)?.constructor?.name || 'Object';
    t = node.kind === 'source' ? `source:${of(node.source)}` : node.kind === 'sink' ? `sink:${of(node.sink)}` : `operator:${of((node.operatorFactory ?? node.twoInputOperatorFactory)?.())}`;
    types.set(node, t);
  }
  return t;
}

/** The metadata of a checkpoint all of whose acknowledgements are in. */
export function checkpointMetadata(jobGraph: JobGraph, jobId: string, p: PendingCheckpoint, claimed: readonly ClaimedCheckpoint[] = []): CheckpointMetadata {
  return {
    ...(p.savepoint || claimed.length === 0 ? {} : { claimed: claimed.slice(0, MAX_CLAIMED) }),
    version: METADATA_VERSION,
    jobId,
    jobName: jobGraph.jobName,
    checkpointId: p.id,
    timestamp: p.timestamp,
    isSavepoint: p.savepoint,
    operators: jobGraph.vertices.flatMap((v) =>
      v.nodes.map((n) => ({ uid: n.uid, parallelism: n.parallelism, maxParallelism: n.maxParallelism, type: operatorType(n) })),
    ),
    subtasks: [...p.acks.values()].flatMap((a) => (a.handle ? [{ operatorUids: a.operatorUids, subtaskIndex: a.subtaskIndex, handle: a.handle }] : [])),
  };
}

export interface LoadedCheckpoint {
  readonly metadata: CheckpointMetadata;
  readonly state: RestoredState;
  /** Where its metadata is. */
  readonly location: string;
}

/** Reads a checkpoint's metadata and every state file it names, verified. */
export async function loadCheckpoint(storage: CheckpointStorage, location: string): Promise<LoadedCheckpoint> {
  const { metadata, dir } = await readMetadata(storage, location);
  const states: SubtaskState[] = [];
  for (const s of metadata.subtasks) {
    const bytes = await storage.readFile(dir, s.handle.file, s.handle);
    states.push(decodeSubtaskState(bytes, storage.locationOf(dir, s.handle.file)));
  }
  const byUid = (f: (o: CheckpointMetadata['operators'][number]) => number | string) => new Map(metadata.operators.map((o) => [o.uid, f(o)] as const));
  return {
    metadata,
    location,
    state: new RestoredState(
      metadata.checkpointId,
      states,
      byUid((o) => o.maxParallelism) as Map<string, number>,
      byUid((o) => o.parallelism) as Map<string, number>,
      byUid((o) => o.type) as Map<string, string>,
    ),
  };
}

/** A savepoint or retained checkpoint named by a user, opened for reading. */
export interface SnapshotPath {
  /** The path as given. */
  readonly path: string;
  readonly storage: CheckpointStorage;
  /** Its `_metadata`. */
  readonly location: string;
}

/**
 * Resolves what `savepointPath` names — a savepoint directory, a retained
 * checkpoint's `chk-<n>` directory, or the `_metadata` file of either (as
 * Flink's `execution.savepoint.path`) — to a storage confined to that one
 * directory. Throws RestoreError SAVEPOINT_NOT_FOUND, synchronously, when
 * there is no metadata file there.
 */
export function resolveSnapshotPath(p: string): SnapshotPath {
  if (typeof p !== 'string' || p.length === 0) throw new RestoreError('SAVEPOINT_NOT_FOUND', String(p), 'the path must be a non-empty string');
  const abs = path.resolve(p);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new RestoreError('SAVEPOINT_NOT_FOUND', p, 'no such file or directory');
  }
  const dir = st.isDirectory() ? abs : path.dirname(abs);
  if (!st.isDirectory() && path.basename(abs) !== METADATA_FILE) {
    throw new RestoreError('SAVEPOINT_NOT_FOUND', p, `not a savepoint or checkpoint: give its directory or its ${METADATA_FILE} file`);
  }
  const metadata = path.join(dir, METADATA_FILE);
  if (!fs.existsSync(metadata)) {
    const hint = fs.readdirSync(dir).some((n) => checkpointIdOf(n) !== undefined) ? ' (it holds checkpoints: name one chk-<n> directory)' : '';
    throw new RestoreError('SAVEPOINT_NOT_FOUND', p, `no ${METADATA_FILE} file there${hint}`);
  }
  if (path.dirname(dir) === dir) throw new RestoreError('SAVEPOINT_NOT_FOUND', p, 'a savepoint cannot be the file-system root');
  return { path: p, storage: new FileSystemCheckpointStorage(path.dirname(dir)), location: metadata };
}

/** A completed checkpoint found in a checkpoint directory. */
export interface RetainedCheckpoint {
  readonly jobId: string;
  readonly jobName: string;
  readonly checkpointId: number;
  /** Trigger time (ms since the epoch). */
  readonly timestamp: number;
  /** Its `_metadata`: give it (or its directory) as `savepointPath` to resume. */
  readonly location: string;
}

/**
 * The completed checkpoints kept in a checkpoint directory (all jobs, or
 * those of `jobName`), newest first — what to resume from after the whole
 * process died. Checkpoints whose metadata does not read back are skipped.
 */
export async function listRetainedCheckpoints(directory: string, options: { jobName?: string } = {}): Promise<RetainedCheckpoint[]> {
  const storage = new FileSystemCheckpointStorage(directory);
  const found: RetainedCheckpoint[] = [];
  for (const job of await storage.list('')) {
    if (job.startsWith('.')) continue;
    let names: string[];
    try {
      names = await storage.list(job);
    } catch {
      continue;
    }
    for (const name of names) {
      if (checkpointIdOf(name) === undefined) continue;
      try {
        const location = storage.locationOf(`${job}/${name}`, METADATA_FILE);
        const { metadata } = await readMetadata(storage, location);
        if (metadata.isSavepoint || (options.jobName !== undefined && metadata.jobName !== options.jobName)) continue;
        found.push({ jobId: metadata.jobId, jobName: metadata.jobName, checkpointId: metadata.checkpointId, timestamp: metadata.timestamp, location });
      } catch (e) {
        if (!(e instanceof CorruptStateError)) throw e;
      }
    }
  }
  return found.sort((a, b) => b.timestamp - a.timestamp || b.checkpointId - a.checkpointId);
}

/**
 * The raw keyed state `stateName` of operator `uid` in a restored
 * checkpoint, by user key: the default namespace (what user functions
 * see), or `namespace` (matched by value, e.g. a window's data) when given.
 */
export function readKeyedState(state: RestoredState, uid: string, stateName: string, namespace: Namespace | VoidNamespace = VOID_NAMESPACE): Map<Key, unknown> {
  const maxParallelism = state.maxParallelism.get(uid);
  const restore = state.forSubtask(uid, 0, 1);
  const out = new Map<Key, unknown>();
  if (maxParallelism === undefined || restore === undefined) return out;
  const backend = new HeapKeyedStateBackend(maxParallelism, KeyGroupRange.of(0, maxParallelism - 1));
  backend.restore(restore.keyed);
  for (const [k, v] of backend.entries(stateName, namespace)) out.set(denormalizeKey(k), v);
  return out;
}
