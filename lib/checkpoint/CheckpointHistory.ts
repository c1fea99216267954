/**
 * The checkpoint history of a job: one CheckpointStats per checkpoint, from
 * triggered to completed or failed, with its duration, alignment and size.
 * Every change goes to a listener (the job master publishes it as a sharedb
 * document).
 */
import type { CheckpointStats } from '../api/JobClient';

export interface CheckpointHistoryListener {
  triggered(s: CheckpointStats): void;
  completed(s: CheckpointStats): void;
  failed(s: CheckpointStats): void;
}

export class CheckpointHistory {
  private readonly stats = new Map<number, CheckpointStats>();

  constructor(private readonly listener: CheckpointHistoryListener) {}

  all(): CheckpointStats[] {
    return [...this.stats.values()];
  }

  get(id: number): CheckpointStats | undefined {
    return this.stats.get(id);
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
    this.listener.completed(s);
    return s;
  }

  failed(id: number, at: number, failureReason: string): void {
    const before = this.known(id, at);
    const s: CheckpointStats = { ...before, state: 'FAILED', failureReason, durationMs: at - before.triggerTime };
    this.stats.set(id, s);
    this.listener.failed(s);
  }

  /** Marks every checkpoint still in progress failed (the job ended or fails over). */
  failInProgress(at: number, failureReason: string): void {
    for (const s of [...this.stats.values()]) if (s.state === 'IN_PROGRESS') this.failed(s.id, at, failureReason);
  }

  private known(id: number, at: number): CheckpointStats {
    return this.stats.get(id) ?? { id, savepoint: false, triggerTime: at, state: 'IN_PROGRESS' };
  }
}
