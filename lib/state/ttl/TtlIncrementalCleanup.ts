/**
 * Incremental cleanup of one TTL state (Flink's TtlIncrementalCleanup for
 * heap state): each access of the state first checks up to `cleanupSize`
 * other keys and removes their expired values, so keys that are never read
 * again do not stay forever.
 *
 * A cursor walks a list of the state's keys taken from the backend, each
 * with the oldest last-access time among its values then, and takes a new
 * list when it reaches the end (at most once per run, so a key is not
 * checked twice in one access): every key is checked once per pass, at
 * O(1) amortised cost per check. Taking the list costs one walk over the
 * state's entries (a pause proportional to the state's size, once per
 * pass). A key whose oldest value had not expired by now is passed over
 * cheaply — writes and reads since then only make its values newer —
 * while the others are checked for real: the backend is set to the key,
 * its state cleaned up, and the backend set back to the key of the access.
 * The key of the access itself is not checked: the access does that. A key
 * removed since the list was taken is skipped; one added is seen in the
 * next pass.
 */
import type { StateKey } from '../KeyGroup';

/** What the cleanup needs of the keyed-state backend (HeapKeyedStateBackend's public methods). */
export interface CleanupBackend {
  entries(stateName: string): Iterable<[StateKey, unknown]>;
  currentKey(): StateKey;
  setCurrentKey(key: StateKey): void;
}

/** What the cleanup needs of the state it cleans. */
export interface CleanableState {
  readonly name: string;
  readonly config: { readonly ttl: number };
  /**
   * The oldest last-access time among the values of a stored entry
   * (-Infinity when a value was written without TTL and needs stamping;
   * undefined when it holds nothing).
   */
  oldestAccess(stored: unknown): number | undefined;
  /** Removes the expired values of the backend's current key (and stamps those written without TTL). */
  cleanupCurrentKey(now: number): void;
}

export class TtlIncrementalCleanup {
  private keys: StateKey[] = [];
  private oldest: number[] = [];
  private next = 0;
  private running = false;
  private readonly ttl: number;

  constructor(
    private readonly backend: CleanupBackend,
    private readonly state: CleanableState,
    private readonly cleanupSize: number,
  ) {
    this.ttl = state.config.ttl;
  }

  /** Checks up to `cleanupSize` keys other than the current one. */
  run(now: number): void {
    if (this.running) return;
    this.running = true;
    let current: StateKey | undefined;
    let moved = false;
    let refilled = false;
    try {
      for (let n = 0; n < this.cleanupSize; n++) {
        if (this.next >= this.keys.length) {
          if (refilled) break;
          this.refill();
          refilled = true;
          if (this.keys.length === 0) break;
        }
        const i = this.next++;
        if (this.oldest[i] + this.ttl > now) continue; // nothing there had expired yet
        current ??= this.backend.currentKey(); // StateAccessError with no current key, as the access itself
        const key = this.keys[i];
        if (key === current) continue;
        this.backend.setCurrentKey(key);
        moved = true;
        this.state.cleanupCurrentKey(now);
      }
    } finally {
      this.running = false;
      if (moved) this.backend.setCurrentKey(current!);
    }
  }

  private refill(): void {
    const keys: StateKey[] = [];
    const oldest: number[] = [];
    for (const [k, v] of this.backend.entries(this.state.name)) {
      const t = this.state.oldestAccess(v);
      if (t === undefined) continue;
      keys.push(k);
      oldest.push(t);
    }
    this.keys = keys;
    this.oldest = oldest;
    this.next = 0;
  }
}
