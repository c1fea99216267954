/**
 * The checkpoint coordinator's bookkeeping (Flink's CheckpointCoordinator,
 * PendingCheckpoint and CheckpointFailureManager), free of actors and timers:
 * the job master asks it whether and what to trigger, feeds it
 * acknowledgements, declines, finished subtasks and the clock, and acts on
 * what it returns.
 *
 * A checkpoint completes when every subtask acknowledged it; a subtask that
 * finished acknowledges with its final state, written into that checkpoint
 * (the job master asks it: `subtaskFinished` and `trigger` say whom), so
 * every checkpoint holds all its files. A decline or a timeout aborts the
 * checkpoint with a typed reason; more consecutive failures than tolerated
 * fail the job. A completed checkpoint subsumes older pending checkpoints
 * (Flink's subsumption; savepoints are never subsumed). Ids only grow, also
 * across restarts.
 */
import { WeirError } from '../errors';
import type { StateHandleRef } from './CheckpointStorage';
import type { CheckpointingMode } from './BarrierHandler';

export interface CheckpointConfig {
  readonly intervalMs: number;
  readonly mode: CheckpointingMode;
  /** A checkpoint not complete after this long is aborted (CHECKPOINT_EXPIRED). */
  readonly timeoutMs: number;
  /** Least time from the end of one checkpoint to the start of the next. */
  readonly minPauseMs: number;
  readonly maxConcurrent: number;
  /** Consecutive checkpoint failures tolerated before the job fails. */
  readonly tolerableFailures: number;
  /** Completed checkpoints kept in storage. */
  readonly retained: number;
  /** What happens to the job's checkpoints when it ends. */
  readonly retention: 'RETAIN_ON_CANCELLATION' | 'DELETE_ON_CANCELLATION' | 'NO_EXTERNALIZED_CHECKPOINTS';
  /** Checkpoint records the job's history keeps (CheckpointHistory; default DEFAULT_CHECKPOINT_HISTORY). */
  readonly historySize?: number;
}

export type CheckpointFailureReason =
  | 'CHECKPOINT_EXPIRED'
  | 'CHECKPOINT_DECLINED'
  /** A subtask moved on to a newer checkpoint before this one aligned (at-least-once, concurrent checkpoints). */
  | 'CHECKPOINT_SUBSUMED'
  | 'JOB_FAILOVER'
  | 'STORAGE_FAILURE'
  | 'TOO_MANY_FAILURES';

export class CheckpointFailure extends WeirError {
  constructor(
    readonly code: CheckpointFailureReason,
    readonly checkpointId: number,
    detail: string,
  ) {
    super(`checkpoint ${checkpointId} failed (${code}): ${detail}`);
  }
}

/** What a subtask reports for a checkpoint: where its state is and how the snapshot went. */
export interface SubtaskAck {
  readonly subtaskKey: string;
  readonly operatorUids: readonly string[];
  readonly subtaskIndex: number;
  /** Where the state was persisted (a file in the checkpoint's directory); undefined without checkpoint storage. */
  readonly handle: StateHandleRef | undefined;
  readonly alignmentMs: number;
  readonly syncMs: number;
  readonly asyncMs: number;
}

export interface PendingCheckpoint {
  readonly id: number;
  readonly timestamp: number;
  readonly savepoint: boolean;
  readonly terminate: boolean;
  readonly notYetAcknowledged: Set<string>;
  readonly acks: Map<string, SubtaskAck>;
  /** Every ack is in; its metadata is being written. */
  completing: boolean;
}

export type TriggerDecision =
  /** `finished`: subtasks that finished and must write their final state into the checkpoint. */
  | { readonly ok: true; readonly checkpoint: PendingCheckpoint; readonly finished: readonly string[] }
  | { readonly ok: false; readonly reason: 'TOO_MANY_CONCURRENT' | 'MIN_PAUSE' | 'NO_RUNNING_SOURCES' | 'NOT_RUNNING' };

export class CheckpointCoordinator {
  private nextId: number;
  private readonly pending = new Map<number, PendingCheckpoint>();
  private readonly finished = new Set<string>();
  /** Highest id completed (metadata stored); older pending checkpoints are subsumed. */
  private latestCompleted = 0;
  private lastCompletionTime = -Infinity;
  private consecutiveFailures = 0;

  constructor(
    readonly config: CheckpointConfig,
    /** Every subtask of the job. */
    private readonly subtasks: readonly string[],
    /** Subtasks that start barriers (sources). */
    private readonly sources: readonly string[],
    firstId = 1,
  ) {
    this.nextId = firstId;
  }

  get pendingCheckpoints(): readonly PendingCheckpoint[] {
    return [...this.pending.values()];
  }

  /** Periodic and savepoint triggers; savepoints skip the pause and concurrency limits. */
  trigger(now: number, options: { savepoint?: boolean; terminate?: boolean } = {}): TriggerDecision {
    const savepoint = options.savepoint ?? false;
    if (!savepoint) {
      if ([...this.pending.values()].filter((p) => !p.completing).length >= this.config.maxConcurrent) return { ok: false, reason: 'TOO_MANY_CONCURRENT' };
      if (now - this.lastCompletionTime < this.config.minPauseMs) return { ok: false, reason: 'MIN_PAUSE' };
    }
    if (this.runningSources().length === 0) return { ok: false, reason: 'NO_RUNNING_SOURCES' };
    const checkpoint: PendingCheckpoint = {
      id: this.nextId++,
      timestamp: now,
      savepoint,
      terminate: options.terminate ?? false,
      notYetAcknowledged: new Set(this.subtasks),
      acks: new Map(),
      completing: false,
    };
    this.pending.set(checkpoint.id, checkpoint);
    return { ok: true, checkpoint, finished: [...this.finished] };
  }

  /** Sources still running: where barriers are injected. */
  runningSources(): string[] {
    return this.sources.filter((s) => !this.finished.has(s));
  }

  /** Returns the checkpoint when this ack completed it. Acks for unknown (aborted) checkpoints are ignored. */
  acknowledge(checkpointId: number, ack: SubtaskAck): PendingCheckpoint | undefined {
    const p = this.pending.get(checkpointId);
    if (p === undefined || !p.notYetAcknowledged.delete(ack.subtaskKey)) return undefined;
    p.acks.set(ack.subtaskKey, ack);
    return this.completeIfDone(p);
  }

  /**
   * A subtask finished. Returns the pending checkpoints it has not
   * acknowledged: it must write its final state into each (and into every
   * later one, see `trigger`).
   */
  subtaskFinished(subtaskKey: string): PendingCheckpoint[] {
    this.finished.add(subtaskKey);
    return [...this.pending.values()].filter((p) => p.notYetAcknowledged.has(subtaskKey));
  }

  /** Subtasks that finished (they acknowledge with their final state). */
  finishedSubtasks(): string[] {
    return [...this.finished];
  }

  get allFinished(): boolean {
    return this.finished.size === this.subtasks.length;
  }

  /** Once every subtask finished: the job's last checkpoint, which every subtask acknowledges with its final state. */
  finalCheckpoint(now: number): PendingCheckpoint {
    if (!this.allFinished) throw new Error('not every subtask has finished');
    const p: PendingCheckpoint = {
      id: this.nextId++,
      timestamp: now,
      savepoint: false,
      terminate: false,
      notYetAcknowledged: new Set(this.subtasks),
      acks: new Map(),
      completing: false,
    };
    this.pending.set(p.id, p);
    return p;
  }

  /**
   * A completed checkpoint's metadata was stored: it counts as the latest
   * completion. Returns the older pending checkpoints it subsumes (to abort
   * as CHECKPOINT_SUBSUMED); false when it is itself older than a completed
   * one (then it is subsumed: discard it, do not count it).
   */
  completed(checkpointId: number, now: number): { readonly current: boolean; readonly subsumed: readonly number[] } {
    const p = this.pending.get(checkpointId);
    this.pending.delete(checkpointId);
    if (p?.savepoint) {
      this.consecutiveFailures = 0;
      return { current: true, subsumed: [] };
    }
    if (checkpointId < this.latestCompleted) return { current: false, subsumed: [] };
    this.latestCompleted = checkpointId;
    this.lastCompletionTime = now;
    this.consecutiveFailures = 0;
    const subsumed = [...this.pending.values()].filter((x) => x.id < checkpointId && !x.savepoint).map((x) => x.id);
    return { current: true, subsumed };
  }

  /** Aborts a checkpoint; returns the failure, and whether the job must now fail. */
  fail(checkpointId: number, reason: CheckpointFailureReason, detail: string): { failure: CheckpointFailure; failJob: boolean } | undefined {
    const p = this.pending.get(checkpointId);
    if (p === undefined) return undefined;
    this.pending.delete(checkpointId);
    const failure = new CheckpointFailure(reason, checkpointId, detail);
    if (p.savepoint || reason === 'JOB_FAILOVER' || reason === 'CHECKPOINT_SUBSUMED') return { failure, failJob: false };
    this.consecutiveFailures++;
    return { failure, failJob: this.consecutiveFailures > this.config.tolerableFailures };
  }

  /** Checkpoints past their timeout. */
  expired(now: number): PendingCheckpoint[] {
    return [...this.pending.values()].filter((p) => !p.completing && now - p.timestamp >= this.config.timeoutMs);
  }

  /** Job failover: every pending checkpoint is dropped, finished subtasks run again. */
  reset(): number[] {
    const ids = [...this.pending.keys()];
    this.pending.clear();
    this.finished.clear();
    return ids;
  }

  /** Whether checkpoint `id` is still pending (not completed or aborted). */
  isPending(id: number): boolean {
    return this.pending.has(id);
  }

  /** The next id is at least `id + 1` (after a restore from checkpoint `id`). */
  advancePast(id: number): void {
    if (this.nextId <= id) this.nextId = id + 1;
  }

  private completeIfDone(p: PendingCheckpoint): PendingCheckpoint | undefined {
    if (p.completing || p.notYetAcknowledged.size > 0) return undefined;
    p.completing = true;
    return p;
  }
}
