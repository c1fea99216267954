/**
 * Checkpoint metadata written and read back: the metadata of a completed
 * checkpoint; a completed checkpoint or savepoint loaded with every subtask
 * state file verified (a corrupt or missing file is a CorruptStateError
 * naming it) and grouped per operator uid for restore; and keyed state read
 * out of a checkpoint directly, for tests and tools (Flink's State
 * Processor API, in small).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CorruptStateError } from '../errors';
import { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import { denormalizeKey, KeyGroupRange, type Key } from '../state/KeyGroup';
import { FileSystemCheckpointStorage, type CheckpointMetadata, type CheckpointStorage } from './CheckpointStorage';
import { decodeSubtaskState, RestoredState, type SubtaskState } from './SubtaskState';
import type { JobGraph } from '../graph/JobGraph';
import type { PendingCheckpoint } from './CheckpointCoordinator';

/** The metadata of a checkpoint all of whose acknowledgements are in. */
export function checkpointMetadata(jobGraph: JobGraph, p: PendingCheckpoint): CheckpointMetadata {
  return {
    version: 1,
    jobName: jobGraph.jobName,
    checkpointId: p.id,
    timestamp: p.timestamp,
    isSavepoint: p.savepoint,
    operators: jobGraph.vertices.flatMap((v) => v.nodes.map((n) => ({ uid: n.uid, parallelism: n.parallelism, maxParallelism: n.maxParallelism }))),
    subtasks: [...p.acks.values()].flatMap((a) => (a.handle ? [{ operatorUids: a.operatorUids, subtaskIndex: a.subtaskIndex, handle: a.handle }] : [])),
  };
}

export interface LoadedCheckpoint {
  readonly metadata: CheckpointMetadata;
  readonly state: RestoredState;
}

export async function loadCheckpoint(storage: CheckpointStorage, location: string): Promise<LoadedCheckpoint> {
  const metadata = await storage.readMetadata(location);
  const states: SubtaskState[] = [];
  for (const s of metadata.subtasks) {
    const bytes = await storage.readSubtaskState(s.handle);
    states.push(decodeSubtaskState(bytes, s.handle.location));
  }
  const maxParallelism = new Map(metadata.operators.map((o) => [o.uid, o.maxParallelism]));
  const parallelism = new Map(metadata.operators.map((o) => [o.uid, o.parallelism]));
  return { metadata, state: new RestoredState(metadata.checkpointId, states, maxParallelism, parallelism) };
}

/** A savepoint given by its directory or its _metadata file: the storage that reads it and the metadata location. */
export function savepointLocation(p: string): { storage: CheckpointStorage; location: string } {
  const file = fs.existsSync(p) && fs.statSync(p).isDirectory() ? path.join(p, '_metadata') : p;
  if (!fs.existsSync(file)) throw new CorruptStateError(`savepoint '${p}': no _metadata file there`);
  return { storage: new FileSystemCheckpointStorage(path.dirname(path.dirname(file)), { prefix: 'savepoint' }), location: file };
}

/** The raw keyed state `stateName` of operator `uid` in a restored checkpoint, by user key. */
export function readKeyedState(state: RestoredState, uid: string, stateName: string): Map<Key, unknown> {
  const maxParallelism = state.maxParallelism.get(uid);
  const restore = state.forSubtask(uid, 0, 1);
  const out = new Map<Key, unknown>();
  if (maxParallelism === undefined || restore === undefined) return out;
  const backend = new HeapKeyedStateBackend(maxParallelism, KeyGroupRange.of(0, maxParallelism - 1));
  backend.restore(restore.keyed);
  for (const [k, v] of backend.entries(stateName)) out.set(denormalizeKey(k), v);
  return out;
}
