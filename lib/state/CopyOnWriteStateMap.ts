/**
 * A native-Map state table with O(1) snapshots that never change afterwards.
 *
 * The table is a stack of layers. Reads look from the top layer down; writes
 * go to the top layer only. Taking a snapshot pins the current layers (they
 * are never written again while the snapshot lives) and pushes a fresh empty
 * top layer: constant time whatever the number of keys. Deletions over a
 * pinned layer are recorded as tombstones.
 *
 * When no snapshot is live the stack folds back into one Map (cost: the keys
 * written meanwhile), so steady-state access is a single native Map lookup.
 * Layers above the newest pinned layer fold into the top as soon as the
 * snapshots that pinned them are released.
 *
 * Values read for update from a pinned layer are copied into the top layer
 * first (`getForUpdate`), the idea behind Flink's CopyOnWriteStateMap: user
 * code may mutate what it gets from state without touching a snapshot.
 *
 *   const m = new CopyOnWriteStateMap<string, number>();
 *   m.set('a', 1);
 *   const snap = m.snapshot();
 *   m.set('a', 2);
 *   [...snap.entries()]   // [['a', 1]]
 *   snap.release();
 */

const TOMBSTONE: unique symbol = Symbol('tombstone');
type Slot<V> = V | typeof TOMBSTONE;

export class CopyOnWriteStateMap<K, V> {
  private layers: Map<K, Slot<V>>[] = [new Map()];
  private top: Map<K, Slot<V>> = this.layers[0];
  /** pins[i]: live snapshots whose view ends at layer i. */
  private pins: number[] = [0];

  get(key: K): V | undefined {
    const v = this.top.get(key);
    if (v !== undefined) return v === TOMBSTONE ? undefined : v;
    for (let i = this.layers.length - 2; i >= 0; i--) {
      const w = this.layers[i].get(key);
      if (w !== undefined) return w === TOMBSTONE ? undefined : w;
    }
    return undefined;
  }

  /**
   * The value for a key, owned by the top layer: a value found in a pinned
   * layer is copied with `copy` and stored on top, so mutating it is safe.
   */
  getForUpdate(key: K, copy: (v: V) => V): V | undefined {
    const v = this.top.get(key);
    if (v !== undefined) return v === TOMBSTONE ? undefined : v;
    for (let i = this.layers.length - 2; i >= 0; i--) {
      const w = this.layers[i].get(key);
      if (w !== undefined) {
        if (w === TOMBSTONE) return undefined;
        const c = copy(w);
        this.top.set(key, c);
        return c;
      }
    }
    return undefined;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  /** Stores a value; `undefined` is not a value (use delete). */
  set(key: K, value: V): void {
    this.top.set(key, value);
  }

  delete(key: K): void {
    if (this.layers.length === 1) this.top.delete(key);
    else this.top.set(key, TOMBSTONE);
  }

  /** Entries of the live view. Do not write while iterating. */
  entries(): IterableIterator<[K, V]> {
    return viewEntries(this.layers, this.layers.length - 1);
  }

  /** Number of live keys (O(n) while snapshots are live, O(1) otherwise). */
  get size(): number {
    if (this.layers.length === 1) return this.top.size;
    let n = 0;
    for (const _ of this.entries()) n++;
    return n;
  }

  /** Layers currently stacked; 1 when no snapshot is live. */
  get depth(): number {
    return this.layers.length;
  }

  /** Pins the current contents in O(1). Release the snapshot when done with it. */
  snapshot(): StateMapSnapshot<K, V> {
    const pinned = this.layers.length - 1;
    this.pins[pinned]++;
    const top: Map<K, Slot<V>> = new Map();
    this.layers.push(top);
    this.pins.push(0);
    this.top = top;
    const view = this.layers.slice();
    let released = false;
    return {
      entries: () => {
        if (released) throw new Error('snapshot used after release');
        return viewEntries(view, pinned);
      },
      release: () => {
        if (released) return;
        released = true;
        this.unpin(view[pinned]);
      },
    };
  }

  private unpin(layer: Map<K, Slot<V>>): void {
    const i = this.layers.indexOf(layer);
    this.pins[i]--;
    // Fold every layer above the newest pinned one into a single top layer.
    let newestPinned = -1;
    for (let j = this.pins.length - 1; j >= 0; j--) {
      if (this.pins[j] > 0) {
        newestPinned = j;
        break;
      }
    }
    const target = newestPinned + 1; // the layer everything above folds into
    if (target >= this.layers.length - 1) return;
    const into = this.layers[target];
    const dropTombstones = target === 0;
    for (let j = target + 1; j < this.layers.length; j++) {
      for (const [k, v] of this.layers[j]) {
        if (v === TOMBSTONE && dropTombstones) into.delete(k);
        else into.set(k, v);
      }
    }
    this.layers.length = target + 1;
    this.pins.length = target + 1;
    this.top = into;
  }
}

/** A frozen view of a state table. */
export interface StateMapSnapshot<K, V> {
  /** Entries as of the snapshot; safe to iterate lazily, across awaits. */
  entries(): IterableIterator<[K, V]>;
  /** Lets the table fold its layers again. Idempotent. */
  release(): void;
}

function* viewEntries<K, V>(layers: Map<K, Slot<V>>[], topIndex: number): IterableIterator<[K, V]> {
  for (let i = topIndex; i >= 0; i--) {
    for (const [k, v] of layers[i]) {
      if (v === TOMBSTONE) continue;
      let shadowed = false;
      for (let j = i + 1; j <= topIndex; j++) {
        if (layers[j].has(k)) {
          shadowed = true;
          break;
        }
      }
      if (!shadowed) yield [k, v as V];
    }
  }
}
