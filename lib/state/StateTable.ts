/**
 * The table of one keyed state: (key, namespace) → value, copy-on-write
 * (Flink's StateTable, two-dimensional like Flink's heap state).
 *
 * `values` holds the default namespace (VOID_NAMESPACE) by key alone,
 * exactly as keyed state was stored before namespaces existed, so the
 * per-record path of user state is one native Map lookup and its checkpoint
 * format is unchanged. Every other namespace has a NamespaceMap of its own:
 * its id, its (frozen) value and a CopyOnWriteStateMap keyed by the state
 * key exactly like `values`. An operator's state object holds the map of
 * its current namespace, so an access in a window is one native Map lookup
 * by key too, with no composite key built and no entry object allocated per
 * store. A namespace's map is dropped (and marked `dropped`, so holders look
 * the namespace up again) when its last key is erased and no snapshot needs
 * it.
 *
 * `snapshot()` is O(1) whatever the number of keys and namespaces, and the
 * snapshot never changes afterwards. It pins `values` and the set of
 * namespaces (itself a copy-on-write map); a namespace's map is pinned
 * lazily, by the first write to it after the snapshot (`writable`), or by
 * the snapshot itself when it reads a namespace nobody wrote since. One such
 * pin serves every live snapshot taken since the namespace was last pinned
 * (reference-counted). So many live namespaces (a session window per key)
 * cost nothing at the barrier, and namespaces left untouched cost nothing
 * afterwards either.
 *
 *   const t = new StateTable();
 *   t.values.set('alice', 1);                                   // default namespace
 *   const w = t.namespace('tw:0:10') ?? t.addNamespace('tw:0:10', frozenNamespace(window));
 *   t.writable(w).set('alice', 2);                              // (alice, window) — writes go through writable()
 *   t.erase(w, 'alice');
 */
import { CopyOnWriteStateMap, type StateMapSnapshot } from './CopyOnWriteStateMap';
import type { StateKey } from './KeyGroup';
import type { Namespace } from './namespace';

/** One (key, namespace) outside the default namespace, as enumeration lists it. */
export interface Cell<V = any> {
  readonly key: StateKey;
  /** Frozen plain data, as checkpointed. */
  readonly namespace: Namespace;
  /** The identity of the namespace in this state (namespaceId, or the id the operator gave). */
  readonly namespaceId: string;
  value: V;
}

/** A namespace as a snapshot or enumeration sees it: its coordinates and its entries by key. */
export interface NamespaceView<V = any> {
  readonly namespaceId: string;
  readonly namespace: Namespace;
  entries(): IterableIterator<[StateKey, V]>;
}

/** A pin of one namespace's map, shared by the live snapshots taken since the namespace was pinned before. */
interface LazyPin<V> {
  /** The table version when taken: it serves the snapshots with versions in (previous pin, version]. */
  readonly version: number;
  readonly snap: StateMapSnapshot<StateKey, V>;
  /** Live snapshots it serves. */
  refs: number;
}

/** The entries of one namespace other than the default one. Mutate `entries` only through StateTable.writable / erase. */
export class NamespaceMap<V = any> {
  readonly entries = new CopyOnWriteStateMap<StateKey, V>();
  /** The table version when the map was last pinned (or created): a write at a later version pins it first. */
  pinnedAt: number;
  pins: LazyPin<V>[] | undefined = undefined;
  /** Set when the table dropped this (empty) map: holders look the namespace up again. */
  dropped = false;

  constructor(
    readonly namespaceId: string,
    /** Frozen plain data. */
    readonly namespace: Namespace,
    version: number,
  ) {
    this.pinnedAt = version;
  }
}

export interface StateTableSnapshot<V = any> {
  /** Default-namespace entries as of the snapshot. */
  values(): IterableIterator<[StateKey, V]>;
  /** The other namespaces as of the snapshot (those with entries; maybe a few empty ones), each with its entries as of the snapshot. */
  namespaces(): IterableIterator<NamespaceView<V>>;
  /** Idempotent. */
  release(): void;
}

export class StateTable<V = any> {
  readonly values = new CopyOnWriteStateMap<StateKey, V>();
  private readonly spaces = new CopyOnWriteStateMap<string, NamespaceMap<V>>();
  /** Incremented by every snapshot(). */
  private version = 0;
  /** Versions of the live snapshots, ascending. */
  private readonly live: number[] = [];

  /** The live map of a namespace, undefined when it has no entries. */
  namespace(namespaceId: string): NamespaceMap<V> | undefined {
    return this.spaces.get(namespaceId);
  }

  /** A new, empty namespace map; the id must have none (`namespace(id)` undefined). `namespace` frozen plain data. */
  addNamespace(namespaceId: string, namespace: Namespace): NamespaceMap<V> {
    const m = new NamespaceMap<V>(namespaceId, namespace, this.version);
    this.spaces.set(namespaceId, m);
    return m;
  }

  /**
   * The entries of a namespace, ready to be written (set, delete,
   * getForUpdate): pinned first for the live snapshots that have not seen a
   * write to it yet. Call again after any snapshot().
   */
  writable(m: NamespaceMap<V>): CopyOnWriteStateMap<StateKey, V> {
    if (m.pinnedAt !== this.version) this.pin(m);
    return m.entries;
  }

  /** Deletes a key's entry in a namespace; drops the namespace's map when that was its last entry and no snapshot needs it. */
  erase(m: NamespaceMap<V>, key: StateKey): void {
    const e = this.writable(m);
    e.delete(key);
    this.dropIfEmpty(m);
  }

  /** O(1). */
  snapshot(): StateTableSnapshot<V> {
    const values = this.values.snapshot();
    // A state that never left the default namespace pins nothing more than before namespaces existed.
    if (this.spaces.depth === 1 && this.spaces.size === 0) {
      return { values: () => values.entries(), namespaces: () => [][Symbol.iterator](), release: () => values.release() };
    }
    const version = ++this.version;
    this.live.push(version);
    const spaces = this.spaces.snapshot();
    let released = false;
    return {
      values: () => values.entries(),
      namespaces: () => {
        if (released) throw new Error('snapshot used after release');
        return this.viewsAt(version, spaces);
      },
      release: () => {
        if (released) return;
        released = true;
        values.release();
        this.releaseAt(version, spaces);
      },
    };
  }

  /** The namespaces of the live view. Do not write while iterating. */
  *liveNamespaces(): IterableIterator<NamespaceView<V>> {
    for (const [, m] of this.spaces.entries()) yield { namespaceId: m.namespaceId, namespace: m.namespace, entries: () => m.entries.entries() };
  }

  /** Cells of the live view. Do not write while iterating. */
  *liveCells(): IterableIterator<Cell<V>> {
    for (const [, m] of this.spaces.entries()) {
      for (const [key, value] of m.entries.entries()) yield { key, namespace: m.namespace, namespaceId: m.namespaceId, value };
    }
  }

  /** Number of namespaces with a map (live view); some may be empty while snapshots pin them. */
  get namespaceCount(): number {
    return this.spaces.size;
  }

  private pin(m: NamespaceMap<V>): void {
    let refs = 0;
    for (const v of this.live) if (v > m.pinnedAt) refs++;
    if (refs > 0) (m.pins ??= []).push({ version: this.version, snap: m.entries.snapshot(), refs });
    m.pinnedAt = this.version;
  }

  /** The pin serving the snapshot of `version`: the oldest taken at or after it. */
  private pinFor(m: NamespaceMap<V>, version: number): LazyPin<V> | undefined {
    if (m.pins === undefined) return undefined;
    for (const p of m.pins) if (p.version >= version) return p;
    return undefined;
  }

  private *viewsAt(version: number, spaces: StateMapSnapshot<string, NamespaceMap<V>>): IterableIterator<NamespaceView<V>> {
    for (const [, m] of spaces.entries()) {
      let p = this.pinFor(m, version);
      if (p === undefined) {
        // Not written since the snapshot. Dropped since: it was empty then, and is still.
        if (m.dropped) continue;
        // Pin it now, so later writes do not show (it serves newer live snapshots too).
        this.pin(m);
        p = this.pinFor(m, version)!;
      }
      const snap = p.snap;
      yield { namespaceId: m.namespaceId, namespace: m.namespace, entries: () => snap.entries() };
    }
  }

  private releaseAt(version: number, spaces: StateMapSnapshot<string, NamespaceMap<V>>): void {
    for (const [, m] of spaces.entries()) {
      const p = this.pinFor(m, version);
      if (p === undefined || --p.refs > 0) continue;
      p.snap.release();
      m.pins!.splice(m.pins!.indexOf(p), 1);
      if (m.pins!.length === 0) m.pins = undefined;
      this.dropIfEmpty(m);
    }
    spaces.release();
    this.live.splice(this.live.indexOf(version), 1);
  }

  private dropIfEmpty(m: NamespaceMap<V>): void {
    // depth 1: no pin; a live snapshot that has not pinned it saw it as it is now (empty).
    if (m.dropped || m.entries.depth !== 1 || m.entries.size !== 0) return;
    m.dropped = true;
    this.spaces.delete(m.namespaceId);
  }
}
