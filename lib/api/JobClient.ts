/**
 * What a running or finished job looks like from outside: the JobClient
 * (status, cancel, result) returned by executeAsync(), and the JobResult a
 * finished job yields.
 */
import type { JobGraph } from '../graph/JobGraph';
import type { SubtaskMetrics } from '../operators/StreamTask';
import type { JobDocuments } from '../monitoring/JobDocuments';
import type { FaultEvent } from '../faults/Fault';
import type { JobStatus } from '../job/JobStatus';

export type { JobStatus } from '../job/JobStatus';

/** One checkpoint as the job master saw it (also published as a sharedb document). */
export interface CheckpointStats {
  readonly id: number;
  readonly savepoint: boolean;
  readonly triggerTime: number;
  readonly state: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  readonly durationMs?: number;
  /** Longest barrier alignment over the subtasks. */
  readonly alignmentMs?: number;
  readonly sizeBytes?: number;
  readonly failureReason?: string;
  /** The metadata location of a completed checkpoint. */
  readonly location?: string;
}

/** Checkpoints of a job's whole life by outcome (the history keeps only the newest records). */
export interface CheckpointCounts {
  /** Completed checkpoints, savepoints not included. */
  readonly completed: number;
  /** Completed savepoints. */
  readonly savepoints: number;
  /** Failed checkpoints and savepoints. */
  readonly failed: number;
  readonly inProgress: number;
}

/** A restart of the job after a failure. */
export interface RestartRecord {
  readonly at: number;
  /** The attempt that failed (1 = the first run). */
  readonly attempt: number;
  readonly cause: string;
  readonly delayMs: number;
  /** The checkpoint the next attempt restored, if any. */
  readonly restoredCheckpoint?: number;
  /** Newer checkpoints that could not be read back (corrupt or missing files), and why. */
  readonly unusableCheckpoints?: readonly string[];
}

export interface OperatorResult {
  readonly uid: string;
  readonly name: string;
  readonly parallelism: number;
  /** Records the operator took in, over all its subtasks (0 for sources). */
  readonly recordsIn: number;
  /** Records the operator emitted, over all its subtasks (0 for sinks). */
  readonly recordsOut: number;
}

export interface JobResult {
  readonly jobId: string;
  readonly jobName: string;
  readonly status: 'FINISHED';
  readonly durationMs: number;
  /** Per operator, in topological order. */
  readonly operators: readonly OperatorResult[];
  readonly subtasks: readonly SubtaskMetrics[];
  /** What sinks with a coordinator report (executeAndCollect's records), by sink uid. */
  readonly sinkResults: Readonly<Record<string, unknown>>;
  /** The checkpoint history: the newest records (`historySize`, 100 by default), oldest first. */
  readonly checkpoints: readonly CheckpointStats[];
  /** Checkpoints of the job's whole life by outcome. */
  readonly checkpointCounts: CheckpointCounts;
  readonly restarts: readonly RestartRecord[];
  /** Faults injected during the run (weir/testing), in order. */
  readonly faults: readonly FaultEvent[];
  /** Location of the final checkpoint, written when checkpointing is on. */
  readonly finalCheckpoint: string | undefined;
  /** Set when the job ended by stopWithSavepoint(). */
  readonly savepoint: string | undefined;
}

export interface JobClient {
  readonly jobId: string;
  readonly jobName: string;
  status(): JobStatus;
  /** Stops every actor of the job; resolves once they are stopped. */
  cancel(): Promise<void>;
  /** Resolves when the job finishes; rejects with JobExecutionError or JobCancelledError. */
  result(): Promise<JobResult>;
  /** Takes a savepoint into `directory`; resolves with its metadata location. */
  triggerSavepoint(directory: string): Promise<string>;
  /** Takes a savepoint, sources stopping at its barrier, then ends the job; resolves with the savepoint location. */
  stopWithSavepoint(directory: string): Promise<string>;
  /** The checkpoint history: the newest records (100 by default), oldest first. */
  checkpoints(): readonly CheckpointStats[];
  /** Checkpoints of the job's whole life by outcome. */
  checkpointCounts(): CheckpointCounts;
  /** The engine's live documents ('jobs' and 'checkpoints' collections, doc id = jobId). */
  readonly documents: JobDocuments;
}

/** Per-operator record counts of a job graph, summed over its subtasks' metrics. */
export function operatorResults(jobGraph: JobGraph, subtasks: readonly SubtaskMetrics[]): OperatorResult[] {
  const totals = new Map<number, { recordsIn: number; recordsOut: number }>();
  for (const s of subtasks) {
    for (const m of s.operators) {
      const t = totals.get(m.nodeId) ?? { recordsIn: 0, recordsOut: 0 };
      totals.set(m.nodeId, { recordsIn: t.recordsIn + m.recordsIn, recordsOut: t.recordsOut + m.recordsOut });
    }
  }
  return jobGraph.vertices.flatMap((v) =>
    v.nodes.map((n) => ({ uid: n.uid, name: n.name, parallelism: n.parallelism, ...(totals.get(n.id) ?? { recordsIn: 0, recordsOut: 0 }) })),
  );
}

/** The operator entry of a result by uid or name; throws if absent. */
export function operatorResult(result: JobResult, uidOrName: string): OperatorResult {
  const op = result.operators.find((o) => o.uid === uidOrName) ?? result.operators.find((o) => o.name === uidOrName);
  if (op === undefined) throw new Error(`no operator '${uidOrName}' in job '${result.jobName}'`);
  return op;
}
