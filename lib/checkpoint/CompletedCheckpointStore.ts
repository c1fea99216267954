/**
 * The completed checkpoints a job keeps (Flink's CompletedCheckpointStore
 * with `state.checkpoints.num-retained`), pure: it says which checkpoints to
 * discard, the caller deletes them.
 *
 * Retention orders checkpoints by id, never by completion time: adding a
 * checkpoint keeps the `retained` highest ids, so a checkpoint that finished
 * writing late never pushes out a newer one, and the newest completed
 * checkpoint (the job's final one included) is never discarded.
 */

export interface CompletedCheckpoint {
  readonly id: number;
  /** Its metadata location. */
  readonly location: string;
  /** The storage directory holding its files. */
  readonly dir: string;
}

export class CompletedCheckpointStore {
  /** Ascending by id. */
  private readonly kept: CompletedCheckpoint[] = [];

  constructor(readonly retained: number) {
    if (!(Number.isInteger(retained) && retained >= 1)) throw new RangeError(`retained must be a positive integer, got ${retained}`);
  }

  /** Adds a completed checkpoint; returns the checkpoints to discard now (possibly the one added, if it is older than all kept). */
  add(c: CompletedCheckpoint): CompletedCheckpoint[] {
    if (this.kept.some((k) => k.id === c.id)) return [];
    let i = this.kept.length;
    while (i > 0 && this.kept[i - 1].id > c.id) i--;
    this.kept.splice(i, 0, c);
    return this.kept.length > this.retained ? this.kept.splice(0, this.kept.length - this.retained) : [];
  }

  /** Newest (highest id) first. */
  all(): CompletedCheckpoint[] {
    return [...this.kept].reverse();
  }

  get latest(): CompletedCheckpoint | undefined {
    return this.kept[this.kept.length - 1];
  }

  /** Removes and returns every checkpoint but the newest (when the job finished, the final one subsumes them). */
  takeAllButLatest(): CompletedCheckpoint[] {
    return this.kept.splice(0, Math.max(0, this.kept.length - 1));
  }

  /** Removes and returns every checkpoint. */
  takeAll(): CompletedCheckpoint[] {
    return this.kept.splice(0, this.kept.length);
  }
}
