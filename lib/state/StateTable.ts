/**
 * The table of one keyed state: (key, namespace) → value, copy-on-write
 * (Flink's StateTable, two-dimensional like Flink's heap state).
 *
 * Two CopyOnWriteStateMaps. `values` holds the default namespace
 * (VOID_NAMESPACE) by key alone, exactly as keyed state was stored before
 * namespaces existed, so the per-record path of user state is one native
 * Map lookup and its checkpoint format is unchanged. `cells` holds every
 * other namespace under a composite string of (namespace id, key); each
 * cell carries its key, namespace and id, so snapshots and enumeration need
 * no decoding. A cell handed out by `cells.getForUpdate(…, copyCell)` is
 * owned by the live view: its `value` may be mutated or replaced.
 *
 * `snapshot()` pins both maps in O(1) (the cells map only when it holds
 * anything) and never changes afterwards.
 *
 *   const t = new StateTable();
 *   t.values.set('alice', 1);                                            // default namespace
 *   t.cells.set(cellKey('alice', 'tw:0:10'), { key: 'alice', namespace: w, namespaceId: 'tw:0:10', value: 2 });
 */
import { copyValue } from './copyValue';
import { CopyOnWriteStateMap, type StateMapSnapshot } from './CopyOnWriteStateMap';
import type { StateKey } from './KeyGroup';
import type { Namespace } from './namespace';

/** The entry of one (key, namespace) outside the default namespace. */
export interface Cell<V = any> {
  readonly key: StateKey;
  /** Frozen plain data, as checkpointed. */
  readonly namespace: Namespace;
  /** The identity of the namespace in this state (namespaceId, or the id the operator gave). */
  readonly namespaceId: string;
  value: V;
}

/**
 * The map key of a cell: injective over (namespace id, key) — the id's
 * length first, so any id (even one holding separators) parses back, then
 * the key's type, so the number 1 and the string '1' stay apart.
 */
export function cellKey(key: StateKey, namespaceId: string): string {
  return `${namespaceId.length}:${namespaceId}${typeof key}:${key}`;
}

/** A cell owned by the live view, for getForUpdate: same coordinates, value deep-copied. */
export function copyCell<V>(c: Cell<V>): Cell<V> {
  return { key: c.key, namespace: c.namespace, namespaceId: c.namespaceId, value: copyValue(c.value) };
}

export interface StateTableSnapshot<V = any> {
  /** Default-namespace entries as of the snapshot. */
  values(): IterableIterator<[StateKey, V]>;
  /** Entries of the other namespaces as of the snapshot. */
  cells(): IterableIterator<Cell<V>>;
  /** Idempotent. */
  release(): void;
}

const NO_CELLS: StateMapSnapshot<string, Cell> = { entries: () => new Map<string, Cell>().entries(), release: () => {} };

export class StateTable<V = any> {
  readonly values = new CopyOnWriteStateMap<StateKey, V>();
  readonly cells = new CopyOnWriteStateMap<string, Cell<V>>();

  /** O(1). */
  snapshot(): StateTableSnapshot<V> {
    const values = this.values.snapshot();
    // A state that never left the default namespace pins nothing more than before namespaces existed.
    const cells = this.cells.depth === 1 && this.cells.size === 0 ? NO_CELLS : this.cells.snapshot();
    return {
      values: () => values.entries(),
      cells: () => cellValues(cells.entries()),
      release: () => {
        values.release();
        cells.release();
      },
    };
  }

  /** Cells of the live view. Do not write while iterating. */
  liveCells(): IterableIterator<Cell<V>> {
    return cellValues(this.cells.entries());
  }
}

function* cellValues<V>(entries: IterableIterator<[string, Cell<V>]>): IterableIterator<Cell<V>> {
  for (const [, c] of entries) yield c;
}
