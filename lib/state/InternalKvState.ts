/**
 * The namespace dimension of keyed state, for operators (Flink's
 * InternalKvState and InternalMergingState): a state object reads and
 * writes the entry of the backend's current key in its own current
 * namespace — a window, a trigger's window, or VOID_NAMESPACE, where all
 * state user functions see lives.
 *
 * Guarantees:
 * - Namespaces of one key are isolated from each other and from the default
 *   namespace; `clear()` clears the current (key, namespace) only.
 * - A state starts in VOID_NAMESPACE; user-facing state objects (from
 *   `getState`) stay there: setCurrentNamespace on one is a StateAccessError.
 * - `mergeNamespaces(target, sources)` (list, reducing, aggregating state)
 *   moves the sources' values of the current key into the target — list
 *   elements appended after the target's in source order; reduced or
 *   merged with the aggregate function's `merge` otherwise — and clears the
 *   sources. The current namespace is unchanged afterwards.
 * - The default-namespace path costs one branch on top of the table lookup.
 *
 *   const contents = backend.getInternalState(listDescriptor) as InternalListState<Event>;
 *   backend.setCurrentKey(key);
 *   contents.setCurrentNamespace(window.toData(), window.key());
 *   contents.add(event);
 *   contents.mergeNamespaces(stateWindow.toData(), merged.map((w) => w.toData()), (d) => windowFromData(d).key());
 */
import { StateAccessError } from '../errors';
import { copyValue } from './copyValue';
import type { CopyOnWriteStateMap } from './CopyOnWriteStateMap';
import type { StateKey } from './KeyGroup';
import type { AggregatingState, KeyContext, ListState, MapState, ReducingState, ValueState } from './KeyedState';
import { frozenNamespace, namespaceId, VOID_NAMESPACE, type Namespace, type VoidNamespace } from './namespace';
import { cellKey, copyCell, type Cell, type StateTable } from './StateTable';

export interface InternalKvState {
  readonly name: string;
  /**
   * Scopes the following accesses of this state to `namespace`
   * (VOID_NAMESPACE: the default one). `id` is the namespace's identity in
   * this state, `namespaceId(namespace)` when omitted; an operator may pass
   * its own (e.g. `window.key()`) to skip that computation, and must then
   * use the same scheme for this state every time — equal ids for equal
   * namespaces, different ids otherwise — since the id is checkpointed
   * with the entry. TypeError when the namespace is not plain data (checked
   * when it is first written, if `id` was given); StateAccessError on a
   * user-facing state.
   */
  setCurrentNamespace(namespace: Namespace | VoidNamespace, id?: string): void;
  currentNamespace(): Namespace | VoidNamespace;
}

export interface InternalMergingState extends InternalKvState {
  /**
   * Merges the current key's values in `sources` into `target` and clears
   * the sources; sources without a value are skipped. `idOf` is this
   * state's id scheme (as given to setCurrentNamespace), namespaceId by
   * default. Aggregating state needs an aggregate function with `merge`
   * (StateAccessError otherwise, before anything changes).
   */
  mergeNamespaces(target: Namespace | VoidNamespace, sources: readonly (Namespace | VoidNamespace)[], idOf?: (namespace: Namespace) => string): void;
}

export type InternalValueState<T> = ValueState<T> & InternalKvState;
export type InternalListState<T> = ListState<T> & InternalMergingState;
export type InternalMapState<UK, UV> = MapState<UK, UV> & InternalKvState;
export type InternalReducingState<T> = ReducingState<T> & InternalMergingState;
export type InternalAggregatingState<IN, OUT> = AggregatingState<IN, OUT> & InternalMergingState;

/**
 * The entry of the current (key, namespace) of one state table: current /
 * store / erase for the state kinds, which never look at namespaces themselves.
 */
export abstract class AbstractHeapState<V = any> implements InternalKvState {
  /** The default-namespace map, held directly: the per-record path. */
  private readonly defaults: CopyOnWriteStateMap<StateKey, V>;
  /** undefined: VOID_NAMESPACE. */
  private nsId: string | undefined = undefined;
  private ns: Namespace | VoidNamespace = VOID_NAMESPACE;
  private idGiven = false;
  private frozen: Namespace | undefined;
  private lastKey: StateKey | undefined;
  private lastCellKey = '';

  constructor(
    protected readonly scope: KeyContext,
    private readonly table: StateTable<V>,
    readonly name: string,
    /** False for user-facing states: they stay in VOID_NAMESPACE. */
    private readonly namespaced: boolean,
  ) {
    this.defaults = table.values;
  }

  setCurrentNamespace(namespace: Namespace | VoidNamespace, id?: string): void {
    if (!this.namespaced) {
      throw new StateAccessError(
        `state '${this.name}' was obtained for user functions and stays in the default namespace; operators use getInternalState() for namespaces`,
      );
    }
    this.enter(namespace, id);
  }

  currentNamespace(): Namespace | VoidNamespace {
    return this.ns;
  }

  clear(): void {
    this.erase();
  }

  protected current(): V | undefined {
    const k = this.scope.currentKey();
    if (this.nsId === undefined) return this.defaults.get(k);
    return this.table.cells.get(this.cellKeyOf(k))?.value;
  }

  /** The value, owned by the live view: safe to mutate in place. */
  protected currentForUpdate(): V | undefined {
    const k = this.scope.currentKey();
    if (this.nsId === undefined) return this.defaults.getForUpdate(k, copyValue);
    return this.table.cells.getForUpdate(this.cellKeyOf(k), copyCell)?.value;
  }

  protected store(value: V): void {
    const k = this.scope.currentKey();
    if (this.nsId === undefined) {
      this.defaults.set(k, value);
      return;
    }
    const ck = this.cellKeyOf(k);
    const old = this.table.cells.get(ck);
    this.table.cells.set(ck, { key: k, namespace: old?.namespace ?? this.frozenNamespace(), namespaceId: this.nsId, value } satisfies Cell<V>);
  }

  protected erase(): void {
    const k = this.scope.currentKey();
    if (this.nsId === undefined) this.defaults.delete(k);
    else this.table.cells.delete(this.cellKeyOf(k));
  }

  /**
   * mergeNamespaces for a kind: `merge(into, from)` combines two values,
   * `into` owned (mutable), and returns the result.
   */
  protected mergeWith(
    target: Namespace | VoidNamespace,
    sources: readonly (Namespace | VoidNamespace)[],
    idOf: (namespace: Namespace) => string,
    merge: (into: V, from: V) => V,
  ): void {
    if (!this.namespaced) this.setCurrentNamespace(target); // throws the StateAccessError
    const { nsId, ns, idGiven, frozen } = this;
    const at = (n: Namespace | VoidNamespace) => this.enter(n, n === VOID_NAMESPACE ? undefined : idOf(n));
    try {
      let merged: V | undefined;
      for (const s of sources) {
        at(s);
        const v = this.currentForUpdate();
        if (v === undefined) continue;
        this.erase();
        merged = merged === undefined ? v : merge(merged, v);
      }
      if (merged === undefined) return;
      at(target);
      const t = this.currentForUpdate();
      this.store(t === undefined ? merged : merge(t, merged));
    } finally {
      this.nsId = nsId;
      this.ns = ns;
      this.idGiven = idGiven;
      this.frozen = frozen;
      this.lastKey = undefined;
    }
  }

  private enter(namespace: Namespace | VoidNamespace, id: string | undefined): void {
    if (namespace === VOID_NAMESPACE) {
      this.nsId = undefined;
      this.ns = VOID_NAMESPACE;
      this.frozen = undefined;
      return;
    }
    const nid = id ?? namespaceId(namespace);
    if (nid !== this.nsId) {
      this.nsId = nid;
      this.frozen = undefined;
      this.lastKey = undefined;
    }
    this.ns = namespace;
    this.idGiven = id !== undefined;
  }

  private cellKeyOf(k: StateKey): string {
    if (k !== this.lastKey) {
      this.lastKey = k;
      this.lastCellKey = cellKey(k, this.nsId!);
    }
    return this.lastCellKey;
  }

  /** The current namespace as stored in a new cell: checked (when an id was given) and frozen once per namespace. */
  private frozenNamespace(): Namespace {
    if (this.frozen === undefined) {
      if (this.idGiven) namespaceId(this.ns); // throws TypeError for what is not plain data
      this.frozen = frozenNamespace(this.ns as Namespace);
    }
    return this.frozen;
  }
}
