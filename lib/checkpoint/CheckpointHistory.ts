/**
 * The checkpoint history of a job: one CheckpointStats per checkpoint, from
 * triggered to completed or failed, with its duration, alignment and size,
 * and counts over the job's whole life. Every change goes to a listener
 * (the job master publishes it as a sharedb document).
 *
 * Bounded, as Flink's (`web.checkpoints.history`): the newest `size`
 * records are kept (a checkpoint still in progress is never dropped), so a
 * job checkpointing every second for months holds the same few records;
 * the counts keep growing.
 */
import type { CheckpointCounts, CheckpointStats } from '../api/JobClient';
import { ConfigurationError } from '../errors';

export interface CheckpointHistoryListener {
  triggered(s: CheckpointStats): void;
  completed(s: CheckpointStats): void;
  failed(s: CheckpointStats): void;
}

/** Records kept by default: the same bound as the published checkpoint documents. */
export const DEFAULT_CHECKPOINT_HISTORY = 100;

export class CheckpointHistory {
  /** By id, in the order triggered. */
  private readonly stats = new Map<number, CheckpointStats>();
  private readonly counts = { completed: 0, savepoints: 0, failed: 0 };

  /** `size`: records kept, ≥ 1 (ConfigurationError otherwise). */
  constructor(
    private readonly listener: CheckpointHistoryListener,
    private readonly size = DEFAULT_CHECKPOINT_HISTORY,
  ) {
    if (!Number.isSafeInteger(size) || size < 1) throw new ConfigurationError('checkpointHistorySize', `must be a positive integer, got ${String(size)}`);
  }

  /** The records kept, oldest first. */
  all(): CheckpointStats[] {
    return [...this.stats.values()];
  }

  get(id: number): CheckpointStats | undefined {
    return this.stats.get(id);
  }

  /** Counts over the job's life, including records no longer kept. */
  totals(): CheckpointCounts {
    let inProgress = 0;
    for (const s of this.stats.values()) if (s.state === 'IN_PROGRESS') inProgress++;
    return { ...this.counts, inProgress };
  }

  triggered(id: number, savepoint: boolean, at: number): void {
    const s: CheckpointStats = { id, savepoint, triggerTime: at, state: 'IN_PROGRESS' };
    this.stats.set(id, s);
    this.listener.triggered(s);
  }

  completed(id: number, at: number, fields: { alignmentMs: number; sizeBytes: number; location: string | undefined }): CheckpointStats {
    const before = this.known(id, at);
    const s: CheckpointStats = { ...before, state: 'COMPLETED', durationMs: at - before.triggerTime, ...fields };
    this.stats.set(id, s);
    if (s.savepoint) this.counts.savepoints++;
    else this.counts.completed++;
    this.trim();
    this.listener.completed(s);
    return s;
  }

  failed(id: number, at: number, failureReason: string): void {
    const before = this.known(id, at);
    const s: CheckpointStats = { ...before, state: 'FAILED', failureReason, durationMs: at - before.triggerTime };
    this.stats.set(id, s);
    this.counts.failed++;
    this.trim();
    this.listener.failed(s);
  }

  /** Marks every checkpoint still in progress failed (the job ended or fails over). */
  failInProgress(at: number, failureReason: string): void {
    for (const s of [...this.stats.values()]) if (s.state === 'IN_PROGRESS') this.failed(s.id, at, failureReason);
  }

  private known(id: number, at: number): CheckpointStats {
    return this.stats.get(id) ?? { id, savepoint: false, triggerTime: at, state: 'IN_PROGRESS' };
  }

  /** Drops the oldest finished records past `size`. */
  private trim(): void {
    let excess = this.stats.size - this.size;
    for (const [id, s] of this.stats) {
      if (excess <= 0) break;
      if (s.state === 'IN_PROGRESS') continue;
      this.stats.delete(id);
      excess--;
    }
  }
}
