/**
 * Incremental cleanup of one TTL state (Flink's TtlIncrementalCleanup for
 * heap state): each access of the state first checks up to `cleanupSize`
 * other keys and removes their expired values, so keys that are never read
 * again do not stay forever.
 *
 * A cursor walks a list of the state's keys taken from the backend, and
 * takes a new list when it reaches the end (at most once per run, so a key
 * is not checked twice in one access): every key is checked once per pass,
 * at O(1) amortised cost per check. A key removed since the list was taken
 * is skipped; one added is seen in the next pass. The backend is set to
 * each checked key and set back to the key of the access afterwards. The
 * key of the access itself is not checked: the access does that.
 */
import type { StateKey } from '../KeyGroup';

/** What the cleanup needs of the keyed-state backend (HeapKeyedStateBackend's public methods). */
export interface CleanupBackend {
  keys(stateName: string): Iterable<StateKey>;
  currentKey(): StateKey;
  setCurrentKey(key: StateKey): void;
}

export class TtlIncrementalCleanup {
  private cursor: StateKey[] = [];
  private next = 0;
  private running = false;

  constructor(
    private readonly backend: CleanupBackend,
    private readonly stateName: string,
    private readonly cleanupSize: number,
    /** Removes the expired values of the backend's current key. */
    private readonly cleanupCurrentKey: (now: number) => void,
  ) {}

  /** Checks up to `cleanupSize` keys other than the current one. */
  run(now: number): void {
    if (this.running) return;
    const current = this.backend.currentKey(); // StateAccessError with no current key, as the access itself
    this.running = true;
    let refilled = false;
    let moved = false;
    try {
      for (let n = 0; n < this.cleanupSize; n++) {
        if (this.next >= this.cursor.length) {
          if (refilled) break;
          this.cursor = [...this.backend.keys(this.stateName)];
          this.next = 0;
          refilled = true;
          if (this.cursor.length === 0) break;
        }
        const key = this.cursor[this.next++];
        if (key === current) continue;
        this.backend.setCurrentKey(key);
        moved = true;
        this.cleanupCurrentKey(now);
      }
    } finally {
      this.running = false;
      if (moved) this.backend.setCurrentKey(current);
    }
  }
}
