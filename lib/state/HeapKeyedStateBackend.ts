/**
 * The heap keyed-state backend of one keyed operator subtask.
 *
 * Holds one StateTable ((key, namespace) → value, copy-on-write) per
 * registered state. User functions get state objects in the default
 * namespace (`getState`); operators get a second object per state whose
 * namespace they set (`getInternalState`, InternalKvState.ts). `snapshot()`
 * is the synchronous part of a checkpoint: O(number of states), independent
 * of the number of keys and namespaces, and the snapshot never changes
 * afterwards. `write()` on the snapshot is the asynchronous part: it
 * serialises entries grouped by key group (yielding to the event loop every
 * few thousand entries) into a KeyedStateHandle (format: keyGroupColumns.ts;
 * default-namespace state is written as before namespaces existed). `restore()` takes any set of handles — from the same or a
 * different parallelism — and keeps the key groups of this backend's range.
 * Values go through the state-value walk (stateValues.ts): one that cannot
 * be written faithfully fails `write()` with a StateSerializationError
 * naming the state and the key; restored values of a state type that is not
 * registered yet wait until the state's descriptor (which may declare it)
 * is seen.
 */
import { StateAccessError, CorruptStateError, KeyGroupMismatchError, preview } from '../errors';
import { encodeState } from './codec';
import type {
  InternalAggregatingState,
  InternalListState,
  InternalMapState,
  InternalReducingState,
  InternalValueState,
} from './InternalKvState';
import { KeyGroupColumnsBuilder, readKeyGroupColumns } from './keyGroupColumns';
import { assignToKeyGroup, denormalizeKey, KeyGroupRange, type StateKey } from './KeyGroup';
import {
  HeapAggregatingState,
  HeapListState,
  HeapMapState,
  HeapReducingState,
  HeapValueState,
  type KeyContext,
} from './KeyedState';
import { namespaceId, VOID_NAMESPACE, type Namespace, type VoidNamespace } from './namespace';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  StateKind,
  ValueStateDescriptor,
} from './StateDescriptor';
import { StateTable, type StateTableSnapshot } from './StateTable';
import { fromEncodable, resolveStateValue } from './stateValueReader';
import { asStateSerializationError, toEncodable } from './stateValues';
import { UnresolvedStateValue } from './taggedForm';

/** Serialised keyed state of one subtask: one encoded block per non-empty key group. */
export interface KeyedStateHandle {
  readonly keyGroupRange: { readonly start: number; readonly end: number };
  readonly states: readonly { readonly name: string; readonly kind: StateKind }[];
  /**
   * Encoded columns `{ s: stateIndex[], k: key[], v: value[], t?: index[], n?, ni?, nv? }` per
   * key group (keyGroupColumns.ts): `t` lists the entries whose value is in tagged form
   * (registered types, Buffers, ...); `n`, `ni`, `nv` the namespaces, absent when all are default.
   */
  readonly keyGroups: readonly { readonly keyGroup: number; readonly bytes: Uint8Array }[];
}

export interface KeyedStateSnapshot {
  /** Serialises the snapshot; may be called once. Releases the snapshot when done. */
  write(): Promise<KeyedStateHandle>;
  /** Drops the snapshot without writing it. */
  release(): void;
}

interface Registered {
  readonly name: string;
  readonly kind: StateKind;
  readonly table: StateTable;
  /** The user-facing object: default namespace only. */
  state?: unknown;
  /** The operator's object: its namespace can be set. */
  internal?: unknown;
  /** Some restored values wait for their state type (UnresolvedStateValue). */
  pending?: boolean;
}

const YIELD_EVERY = 4096;

export class HeapKeyedStateBackend implements KeyContext {
  private key: StateKey | undefined;
  private readonly states = new Map<string, Registered>();

  constructor(
    readonly maxParallelism: number,
    readonly keyGroupRange: KeyGroupRange,
  ) {}

  /**
   * Scopes state access to `key`. Throws KeyGroupMismatchError when the key's
   * key group is outside this backend's range: the record was routed by
   * another key (a non-deterministic key selector), and its state would land
   * on the wrong subtask and be lost on restore.
   */
  setCurrentKey(key: StateKey): void {
    if (key !== this.key) {
      const g = assignToKeyGroup(key, this.maxParallelism);
      if (g < this.keyGroupRange.start || g > this.keyGroupRange.end) {
        throw new KeyGroupMismatchError(denormalizeKey(key), g, this.keyGroupRange);
      }
      this.key = key;
    }
  }

  currentKey(): StateKey {
    if (this.key === undefined) throw new StateAccessError('keyed state accessed with no current key');
    return this.key;
  }

  /**
   * The user-facing state object for a descriptor, in the default namespace;
   * the same object on every call with the same name. StateAccessError when
   * the name is registered with another kind.
   */
  getState(descriptor: StateDescriptor): unknown {
    const r = this.registered(descriptor);
    if (r.state === undefined) r.state = createState(this, r.table, descriptor, false);
    return r.state;
  }

  /**
   * The operator's object for a descriptor (Flink's getPartitionedState /
   * InternalKvState): same table as `getState`'s object, but its current
   * namespace can be set and list, reducing and aggregating state merge
   * namespaces. The same object on every call with the same name; it starts
   * in the default namespace.
   */
  getInternalState<T>(descriptor: ValueStateDescriptor<T>): InternalValueState<T>;
  getInternalState<T>(descriptor: ListStateDescriptor<T>): InternalListState<T>;
  getInternalState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): InternalMapState<UK, UV>;
  getInternalState<T>(descriptor: ReducingStateDescriptor<T>): InternalReducingState<T>;
  getInternalState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): InternalAggregatingState<IN, OUT>;
  getInternalState(descriptor: StateDescriptor): unknown {
    const r = this.registered(descriptor);
    if (r.internal === undefined) r.internal = createState(this, r.table, descriptor, true);
    return r.internal;
  }

  private registered(descriptor: StateDescriptor): Registered {
    let r = this.states.get(descriptor.name);
    if (r === undefined) {
      r = { name: descriptor.name, kind: descriptor.kind, table: new StateTable() };
      this.states.set(descriptor.name, r);
    } else if (r.kind !== descriptor.kind) {
      throw new StateAccessError(
        `state '${descriptor.name}' is registered as ${r.kind} state and cannot be used as ${descriptor.kind} state`,
      );
    }
    if (r.pending) resolvePending(r);
    return r;
  }

  /**
   * Keys with a value in the named state in one namespace, the default one
   * unless given (live view; do not write while iterating). A namespace is
   * matched by `id` when given (one lookup), else by value (namespaceId): a
   * scan of the state's namespaces, not of their entries.
   */
  *keys(stateName: string, namespace: Namespace | VoidNamespace = VOID_NAMESPACE, id?: string): IterableIterator<StateKey> {
    for (const [k] of this.entries(stateName, namespace, id)) yield k;
  }

  /**
   * Raw entries of the named state in one namespace (as `keys`): key → value
   * (a list, a Map, an accumulator, per the state's kind).
   */
  *entries(stateName: string, namespace: Namespace | VoidNamespace = VOID_NAMESPACE, id?: string): IterableIterator<[StateKey, unknown]> {
    const r = this.states.get(stateName);
    if (r === undefined) return;
    if (r.pending) resolvePending(r);
    if (namespace === VOID_NAMESPACE) {
      yield* r.table.values.entries();
      return;
    }
    if (id !== undefined) {
      const m = r.table.namespace(id);
      if (m !== undefined) yield* m.entries.entries();
      return;
    }
    const wanted = namespaceId(namespace);
    for (const m of r.table.liveNamespaces()) if (namespaceId(m.namespace) === wanted) yield* m.entries();
  }

  /**
   * Every (key, namespace) with a value in the named state, default
   * namespace first (as VOID_NAMESPACE), with the namespace's id (Flink's
   * getKeysAndNamespaces): for an operator that rebuilds what it keeps
   * about its namespaces, or cleans them up. Live view; do not write while
   * iterating.
   */
  *keysAndNamespaces(stateName: string): IterableIterator<[key: StateKey, namespace: Namespace | VoidNamespace, id: string | undefined]> {
    const r = this.states.get(stateName);
    if (r === undefined) return;
    for (const [k] of r.table.values.entries()) yield [k, VOID_NAMESPACE, undefined];
    for (const m of r.table.liveNamespaces()) for (const [k] of m.entries()) yield [k, m.namespace, m.namespaceId];
  }

  /** Number of keys in the named state's default namespace. */
  size(stateName: string): number {
    return this.states.get(stateName)?.table.values.size ?? 0;
  }

  /** O(number of states): pins every table. */
  snapshot(): KeyedStateSnapshot {
    const registered = [...this.states.values()];
    const snaps = registered.map((r) => r.table.snapshot());
    const release = () => snaps.forEach((s) => s.release());
    return {
      release,
      write: async () => {
        try {
          return await writeHandle(registered, snaps, this.keyGroupRange, this.maxParallelism);
        } finally {
          release();
        }
      },
    };
  }

  /** Loads the entries of this backend's key groups from any number of handles. */
  restore(handles: readonly KeyedStateHandle[]): void {
    for (const h of handles) {
      const overlap = this.keyGroupRange.intersection(KeyGroupRange.of(h.keyGroupRange.start, h.keyGroupRange.end));
      if (overlap.size === 0) continue;
      const registered = h.states.map((s) => this.registeredFor(s.name, s.kind));
      for (const g of h.keyGroups) {
        if (!overlap.contains(g.keyGroup)) continue;
        const cols = readKeyGroupColumns(g.bytes, g.keyGroup);
        const tagged = cols.t ?? [];
        let next = 0;
        for (let j = 0; j < cols.k.length; j++) {
          const r = registered[cols.s[j]];
          const k = cols.k[j];
          if (r === undefined) throw new CorruptStateError(`key group ${g.keyGroup}: unknown state index ${cols.s[j]}`);
          if (assignToKeyGroup(k, this.maxParallelism) !== g.keyGroup) {
            throw new CorruptStateError(`key group ${g.keyGroup}: key ${String(k)} belongs to another key group`);
          }
          let v = cols.v[j];
          if (tagged[next] === j) {
            next++;
            v = fromEncodable(v, () => describeEntry(r.name, k), true);
            if (v instanceof UnresolvedStateValue) r.pending = true;
          }
          const ns = cols.n === undefined ? 0 : cols.n[j];
          if (ns === 0) {
            r.table.values.set(k, v);
          } else {
            const id = cols.ni![ns - 1];
            const m = r.table.namespace(id) ?? r.table.addNamespace(id, cols.nv![ns - 1]);
            r.table.writable(m).set(k, v);
          }
        }
      }
    }
  }

  private registeredFor(name: string, kind: StateKind): Registered {
    let r = this.states.get(name);
    if (r === undefined) {
      r = { name, kind, table: new StateTable() };
      this.states.set(name, r);
    } else if (r.kind !== kind) {
      throw new CorruptStateError(`state '${name}' was checkpointed as ${kind} state but is registered as ${r.kind}`);
    }
    return r;
  }
}

/** Restored values of a state type registered since (by the state's descriptor); UnknownStateTypeError if still unknown. */
function resolvePending(r: Registered): void {
  const { values } = r.table;
  const waiting: [StateKey, UnresolvedStateValue][] = [];
  for (const [k, v] of values.entries()) if (v instanceof UnresolvedStateValue) waiting.push([k, v]);
  for (const [k, v] of waiting) values.set(k, resolveStateValue(v, () => describeEntry(r.name, k)));
  const waitingCells = [...r.table.liveCells()].filter((c) => c.value instanceof UnresolvedStateValue);
  for (const c of waitingCells) {
    const value = resolveStateValue(c.value as UnresolvedStateValue, () => describeEntry(r.name, c.key, c.namespace));
    r.table.writable(r.table.namespace(c.namespaceId)!).set(c.key, value);
  }
  r.pending = false;
}

function describeEntry(state: string, key: StateKey, namespace?: Namespace): string {
  const ns = namespace === undefined ? '' : `, namespace ${preview(namespace)}`;
  return `keyed state '${state}' (key ${preview(denormalizeKey(key))}${ns})`;
}

function createState(keys: KeyContext, table: StateTable, d: StateDescriptor, namespaced: boolean): unknown {
  switch (d.kind) {
    case 'value':
      return new HeapValueState(keys, table, d, namespaced);
    case 'list':
      return new HeapListState(keys, table, d, namespaced);
    case 'map':
      return new HeapMapState(keys, table, d, namespaced);
    case 'reducing':
      return new HeapReducingState(keys, table, d, namespaced);
    case 'aggregating':
      return new HeapAggregatingState(keys, table, d, namespaced);
  }
}

async function writeHandle(
  registered: readonly Registered[],
  snaps: readonly StateTableSnapshot[],
  range: KeyGroupRange,
  maxParallelism: number,
): Promise<KeyedStateHandle> {
  const groups = new Map<number, KeyGroupColumnsBuilder>();
  let n = 0;
  const add = (i: number, k: StateKey, v: unknown, cell?: { readonly namespaceId: string; readonly namespace: Namespace }) => {
    let p: unknown;
    try {
      p = toEncodable(v);
    } catch (e) {
      throw asStateSerializationError(e, { kind: 'keyed', state: registered[i].name, key: denormalizeKey(k) });
    }
    const g = assignToKeyGroup(k, maxParallelism);
    let cols = groups.get(g);
    if (cols === undefined) groups.set(g, (cols = new KeyGroupColumnsBuilder()));
    cols.add(i, k, p, p !== v, cell);
    return ++n % YIELD_EVERY === 0;
  };
  for (let i = 0; i < snaps.length; i++) {
    for (const [k, v] of snaps[i].values()) if (add(i, k, v)) await yieldToEventLoop();
    for (const ns of snaps[i].namespaces()) {
      for (const [k, v] of ns.entries()) if (add(i, k, v, ns)) await yieldToEventLoop();
    }
  }
  const keyGroups: { keyGroup: number; bytes: Uint8Array }[] = [];
  for (const g of [...groups.keys()].sort((a, b) => a - b)) {
    keyGroups.push({ keyGroup: g, bytes: encodeState(groups.get(g)!.columns) });
    if (keyGroups.length % 16 === 0) await yieldToEventLoop();
  }
  return {
    keyGroupRange: { start: range.start, end: range.end },
    states: registered.map((r) => ({ name: r.name, kind: r.kind })),
    keyGroups,
  };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
