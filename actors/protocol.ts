/**
 * The messages between the engine's actors (a closed set per actor, as
 * discriminated unions), and typed actor references. Commands are
 * imperative, events past tense. Messages from subtasks carry their
 * attempt number, so the job master ignores stragglers of an attempt it
 * already replaced.
 */
import { dispatch, type Ref } from 'nact';
import type { SubtaskAck } from '../lib/checkpoint/CheckpointCoordinator';
import type { RestoredState } from '../lib/checkpoint/SubtaskState';
import type { ClaimedCheckpoint } from '../lib/checkpoint/CheckpointMetadata';
import type { SubtaskId } from '../lib/graph/ExecutionGraph';
import type { SubtaskMetrics } from '../lib/operators/StreamTask';
import type { ChannelBuffer, CheckpointBarrier } from '../lib/transport/ChannelBuffer';

/** A nact ref that remembers its message type (nact's Ref<T> does not check T). */
export type TRef<M> = Ref<M> & { readonly __msg?: (m: M) => void };

export function tell<M>(ref: TRef<M>, msg: NoInfer<M>): void {
  dispatch(ref as Ref<M>, msg);
}

export type SubtaskMsg =
  /** Every subtask of the attempt exists: open the task and start. */
  | { readonly type: 'Deploy' }
  | { readonly type: 'DeliverBuffer'; readonly channel: number; readonly buffer: ChannelBuffer }
  | { readonly type: 'GrantCredit'; readonly channel: number; readonly credits: number }
  | { readonly type: 'FlushOutputs' }
  | { readonly type: 'Continue' }
  | { readonly type: 'WaitEnded'; readonly error?: unknown }
  | { readonly type: 'TriggerCheckpoint'; readonly barrier: CheckpointBarrier }
  /** A finished subtask acknowledges checkpoint `checkpointId` with its final state (written into that checkpoint). */
  | { readonly type: 'WriteFinalState'; readonly checkpointId: number; readonly target: string | undefined }
  | { readonly type: 'NotifyCheckpointComplete'; readonly checkpointId: number }
  | { readonly type: 'AbortCheckpoint'; readonly checkpointId: number }
  /**
   * The final checkpoint, or the savepoint of a stop-with-savepoint,
   * completed: commit it, close the operators, report SubtaskClosed.
   */
  | { readonly type: 'CloseTask'; readonly checkpointId: number }
  | { readonly type: 'Fail'; readonly error: unknown };

export type JobMasterMsg =
  | { readonly type: 'StartJob' }
  /** Input ended and the final state is taken; the subtask stays until CloseTask. */
  | { readonly type: 'SubtaskFinished'; readonly attempt: number; readonly subtask: SubtaskId; readonly metrics: SubtaskMetrics }
  /** After CloseTask; the metrics as the subtask closed (after a stop-with-savepoint the subtask never reported SubtaskFinished). */
  | { readonly type: 'SubtaskClosed'; readonly attempt: number; readonly subtask: SubtaskId; readonly metrics: SubtaskMetrics }
  | { readonly type: 'SubtaskFailed'; readonly subtask: string; readonly error: unknown }
  | { readonly type: 'AcknowledgeCheckpoint'; readonly attempt: number; readonly checkpointId: number; readonly ack: SubtaskAck }
  | {
      readonly type: 'DeclineCheckpoint';
      readonly attempt: number;
      readonly checkpointId: number;
      readonly subtaskKey: string;
      readonly reason: string;
      /** Why: a newer checkpoint overtook it (not counted as a failure), or its state could not be stored. */
      readonly cause: 'SUBSUMED' | 'STORAGE_FAILURE' | 'DECLINED';
    }
  | { readonly type: 'OperatorEventSent'; readonly attempt: number; readonly operatorUid: string; readonly subtaskIndex: number; readonly event: unknown }
  | { readonly type: 'CheckpointTick' }
  /** The directory of a triggered checkpoint exists: barriers may go out. */
  | { readonly type: 'CheckpointPrepared'; readonly checkpointId: number; readonly error?: unknown }
  | { readonly type: 'CheckpointStored'; readonly checkpointId: number; readonly location: string | undefined }
  | { readonly type: 'CheckpointStoreFailed'; readonly checkpointId: number; readonly error: unknown }
  | {
      readonly type: 'RestoreLoaded';
      readonly attempt: number;
      readonly state: RestoredState | undefined;
      /** Restore candidates skipped as unusable, and why. */
      readonly notes: readonly string[];
      /** What was restored, for the logs ('checkpoint 7', 'savepoint …'). */
      readonly restored?: string;
      /** Where the restored snapshot is, as a directory path other processes can open (file-system storage only). */
      readonly restoredFrom?: string;
      /** Set when the job starts: the snapshot it started from (savepointPath) was loaded. */
      readonly initial?: { readonly checkpointId: number; readonly isSavepoint: boolean; readonly claimed: readonly ClaimedCheckpoint[] };
    }
  | { readonly type: 'RestoreFailed'; readonly attempt: number; readonly error: unknown; readonly reason: string }
  | { readonly type: 'RestartJob'; readonly attempt: number }
  | {
      readonly type: 'TriggerSavepoint';
      readonly directory: string;
      readonly terminate: boolean;
      readonly reply: (result: { location: string } | { error: unknown }) => void;
    }
  | { readonly type: 'CancelJob' };

/** Subtask actor names carry the attempt: `v<vertex>-<index>-a<attempt>`. */
export function subtaskActorName(id: SubtaskId, attempt: number): string {
  return `v${id.vertexId}-${id.index}-a${attempt}`;
}

export function attemptOfActorName(name: string): number | undefined {
  const m = /-a(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Stable across attempts: the key a subtask's state is stored under. */
export function subtaskKey(id: SubtaskId): string {
  return `${id.vertexId}#${id.index}`;
}
