/**
 * A cluster job's restarts over its whole life. A job lives through runs
 * (a rescale, by hand or adaptive, stops one and starts the next), and each
 * run's job master counts only its own restarts; this adds them up, in
 * order, so the job's count — in JobEnded, `weir list` and the progress
 * reports — never starts again at 0 with a new run.
 *
 * A restart is the job going on after a failure: a run's own restart, or
 * the replacement of a run because a failure took its slots (an adaptive
 * job shrinking after a lost node). A planned rescale is not one. Once a run
 * is being replaced, or another run is current, its restarts no longer
 * count (they are for a failure already counted, or for a run that is
 * gone).
 */
import type { RestartRecord } from '../api/JobClient';

export class JobRestarts {
  private readonly records: RestartRecord[] = [];
  /** Where the current run's own restarts begin in `records`. */
  private runStart = 0;
  /** The run whose restarts count now (undefined while a run is being replaced after a failure). */
  private counted: unknown;

  constructor(firstRun?: unknown) {
    this.counted = firstRun;
  }

  /** Restarts so far. */
  get count(): number {
    return this.records.length;
  }

  /** The cause of the newest restart. */
  get lastFailure(): string | undefined {
    return this.records[this.records.length - 1]?.cause;
  }

  /** `run` restarted itself after a failure; ignored unless it is the run that counts. */
  restarted(run: unknown, record: RestartRecord): void {
    if (run === undefined || run !== this.counted) return;
    this.records.push(record);
  }

  /**
   * The current run is replaced because of a failure (`cause`): one restart
   * of the job, unless the run is already restarting for it. Its own
   * restarts count no more.
   */
  replacedAfterFailure(cause: string, at: number, alreadyRestarting: boolean): void {
    if (!alreadyRestarting) this.records.push({ at, attempt: 0, cause, delayMs: 0 });
    this.counted = undefined;
  }

  /** `run` is the current run from now on. */
  nextRun(run: unknown): void {
    this.counted = run;
    this.runStart = this.records.length;
  }

  /**
   * Every restart of the job, oldest first, for its result: those before the
   * last run, then the last run's own as its result has them (with what each
   * restored).
   */
  all(lastRun: readonly RestartRecord[]): RestartRecord[] {
    return [...this.records.slice(0, this.runStart), ...lastRun];
  }
}
