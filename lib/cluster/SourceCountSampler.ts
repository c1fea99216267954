/**
 * A node's side of a cluster run's progress line: the source subtasks of one
 * job attempt, each with a function that reads how many records it emitted
 * (its chain's own counter, so counting costs nothing on the data path),
 * sampled at the reporting interval.
 *
 * Guarantees: `sample()` gives every counter of the attempt when any of them
 * changed since the last sample it gave, and undefined otherwise — an idle
 * or finished job costs no messages, and a report always carries the whole
 * attempt, so the coordinator only keeps the latest value per subtask.
 *
 *   const s = new SourceCountSampler();
 *   s.add({ vertexId: 1, index: 0 }, () => reader.count);
 *   s.sample();   // [{ subtask: { vertexId: 1, index: 0 }, recordsRead: 42 }]
 *   s.sample();   // undefined (nothing changed)
 */
import type { SourceSubtaskCount, SubtaskRef } from './WireMessages';

export class SourceCountSampler {
  private readonly counters = new Map<string, { readonly subtask: SubtaskRef; readonly read: () => number }>();
  /** Per subtask: the count the last sample gave. */
  private readonly reported = new Map<string, number>();

  /** Counts `subtask`'s records with `read` (records emitted since the subtask started) from now on. */
  add(subtask: SubtaskRef, read: () => number): void {
    this.counters.set(`${subtask.vertexId}#${subtask.index}`, { subtask, read });
  }

  /** Every counter, when one changed since the last sample; undefined otherwise (and with no counters). */
  sample(): SourceSubtaskCount[] | undefined {
    let changed = false;
    const counts: SourceSubtaskCount[] = [];
    for (const [key, { subtask, read }] of this.counters) {
      const recordsRead = read();
      if (this.reported.get(key) !== recordsRead) changed = true;
      this.reported.set(key, recordsRead);
      counts.push({ subtask, recordsRead });
    }
    return changed ? counts : undefined;
  }

  /** Forgets every counter (the attempt stopped). */
  clear(): void {
    this.counters.clear();
    this.reported.clear();
  }
}
