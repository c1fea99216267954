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
import type { NamespaceMap, StateTable } from './StateTable';

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
 * Outside the default namespace it holds the current namespace's map (found
 * once per namespace, not per access), so each access is one lookup by key.
 */
export abstract class AbstractHeapState<V = any> implements InternalKvState {
  /** The default-namespace map, held directly: the per-record path. */
  private readonly defaults: CopyOnWriteStateMap<StateKey, V>;
  /** undefined: VOID_NAMESPACE. */
  private nsId: string | undefined = undefined;
  private ns: Namespace | VoidNamespace = VOID_NAMESPACE;
  private idGiven = false;
  private frozen: Namespace | undefined;
  /** The map of namespace nsId, when looked up and it had one; re-looked up once dropped. */
  private space: NamespaceMap<V> | undefined;

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
    const m = this.currentSpace();
    return m === undefined ? undefined : m.entries.get(k);
  }

  /** The value, owned by the live view: safe to mutate in place. */
  protected currentForUpdate(): V | undefined {
    const k = this.scope.currentKey();
    if (this.nsId === undefined) return this.defaults.getForUpdate(k, copyValue);
    const m = this.currentSpace();
    return m === undefined ? undefined : this.table.writable(m).getForUpdate(k, copyValue);
  }

  protected store(value: V): void {
    const k = this.scope.currentKey();
    if (this.nsId === undefined) {
      this.defaults.set(k, value);
      return;
    }
    let m = this.currentSpace();
    if (m === undefined) this.space = m = this.table.addNamespace(this.nsId, this.frozenNamespace());
    this.table.writable(m).set(k, value);
  }

  protected erase(): void {
    const k = this.scope.currentKey();
    if (this.nsId === undefined) {
      this.defaults.delete(k);
      return;
    }
    const m = this.currentSpace();
    if (m !== undefined) this.table.erase(m, k);
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
    const { nsId, ns, idGiven, frozen, space } = this;
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
      this.space = space; // re-looked up if dropped meanwhile
    }
  }

  private enter(namespace: Namespace | VoidNamespace, id: string | undefined): void {
    if (namespace === VOID_NAMESPACE) {
      this.nsId = undefined;
      this.ns = VOID_NAMESPACE;
      this.frozen = undefined;
      this.space = undefined;
      return;
    }
    const nid = id ?? namespaceId(namespace);
    if (nid !== this.nsId) {
      this.nsId = nid;
      this.frozen = undefined;
      this.space = undefined;
    }
    this.ns = namespace;
    this.idGiven = id !== undefined;
  }

  /** The map of the current namespace (not the default one), undefined while it has none. */
  private currentSpace(): NamespaceMap<V> | undefined {
    const m = this.space;
    if (m !== undefined && !m.dropped) return m;
    return (this.space = this.table.namespace(this.nsId!));
  }

  /** The current namespace as stored with a new namespace map: checked (when an id was given) and frozen once per namespace. */
  private frozenNamespace(): Namespace {
    if (this.frozen === undefined) {
      if (this.idGiven) namespaceId(this.ns); // throws TypeError for what is not plain data
      this.frozen = frozenNamespace(this.ns as Namespace);
    }
    return this.frozen;
  }
}
