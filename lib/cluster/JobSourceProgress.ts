/**
 * The coordinator's side of a cluster run's progress line: per job, the sum
 * of what its source subtasks report having read, with the sources' exact
 * total from the job graph (as an embedded run's SourceProgress has it).
 *
 * Guarantees, matching an embedded run's SourceProgress: counts are those of
 * the current attempt only — once a report of a newer attempt arrives, the
 * older attempt's counts are dropped (its sources rewound to the restored
 * checkpoint, and the new readers count from there), reports of older
 * attempts are ignored, and from the first restart on (a later attempt, or a
 * later run after a rescale) `restarted` is set and no percentage is given.
 * Until a newer attempt reports, the latest reports stand, as the embedded
 * counters do until a reader is recreated. Within an attempt a subtask's
 * count never goes down (a late sample cannot undo its final count).
 *
 *   const p = new JobSourceProgress(jobGraph);              // a generator of 1,000 records, parallelism 2
 *   p.sampled(1, [{ subtask: { vertexId: 1, index: 0 }, recordsRead: 300 }]);
 *   p.sampled(1, [{ subtask: { vertexId: 1, index: 1 }, recordsRead: 200 }]);
 *   p.snapshot();   // { recordsRead: 500, totalRecords: 1000, percent: 50, restarted: false, bounded: true }
 */
import { progressSnapshot, sourceNodes, sourceTotals, type ProgressSnapshot, type SourceTotals } from '../cli/SourceProgress';
import type { JobGraph } from '../graph/JobGraph';
import type { SourceSubtaskCount, SubtaskMetricsData, SubtaskRef } from './WireMessages';

export class JobSourceProgress {
  private totals: SourceTotals;
  /** Stream node ids of the job's sources: their operator metrics are the sources' counts. */
  private sources: ReadonlySet<number>;
  /** Runs of the job so far (a rescale starts the next). */
  private runs = 1;
  /** The newest attempt of the current run that reported (attempts count from 1); 0 before any report. */
  private attempt = 0;
  /** Per source subtask of that attempt: records read. */
  private readonly counts = new Map<string, number>();

  constructor(jobGraph: JobGraph) {
    this.totals = sourceTotals(jobGraph);
    this.sources = new Set(sourceNodes(jobGraph).map((n) => n.id));
  }

  /** The job goes on in a new run (a rescale, from a savepoint): counting starts over; `jobGraph` is the new run's. */
  nextRun(jobGraph: JobGraph): void {
    this.totals = sourceTotals(jobGraph);
    this.sources = new Set(sourceNodes(jobGraph).map((n) => n.id));
    this.runs++;
    this.attempt = 0;
    this.counts.clear();
  }

  /** A node's sample of its source subtasks of `attempt` (of the current run). */
  sampled(attempt: number, subtasks: readonly SourceSubtaskCount[]): void {
    if (!this.reportOf(attempt)) return;
    for (const s of subtasks) this.count(s.subtask, s.recordsRead);
  }

  /** A subtask of `attempt` finished: its counters as it finished (exact, whatever the last sample said). */
  finished(attempt: number, metrics: SubtaskMetricsData): void {
    const source = metrics.operators.find((o) => this.sources.has(o.nodeId));
    if (source === undefined || !this.reportOf(attempt)) return;
    this.count({ vertexId: metrics.vertexId, index: metrics.subtaskIndex }, source.recordsOut);
  }

  snapshot(): ProgressSnapshot {
    let read = 0;
    for (const c of this.counts.values()) read += c;
    return progressSnapshot(read, this.totals, this.runs > 1 || this.attempt > 1);
  }

  /** Whether a report of `attempt` counts; a newer attempt's first report drops the older one's counts. */
  private reportOf(attempt: number): boolean {
    if (attempt < this.attempt) return false;
    if (attempt > this.attempt) {
      this.attempt = attempt;
      this.counts.clear();
    }
    return true;
  }

  private count(subtask: SubtaskRef, recordsRead: number): void {
    const key = `${subtask.vertexId}#${subtask.index}`;
    this.counts.set(key, Math.max(this.counts.get(key) ?? 0, recordsRead));
  }
}
