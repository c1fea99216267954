/**
 * The heap keyed-state backend of one keyed operator subtask.
 *
 * Holds one CopyOnWriteStateMap per registered state. `snapshot()` is the
 * synchronous part of a checkpoint: O(number of states), independent of the
 * number of keys, and the snapshot never changes afterwards. `write()` on the
 * snapshot is the asynchronous part: it serialises entries grouped by key
 * group (yielding to the event loop every few thousand entries) into a
 * KeyedStateHandle. `restore()` takes any set of handles — from the same or a
 * different parallelism — and keeps the key groups of this backend's range.
 * Values go through the state-value walk (stateValues.ts): one that cannot
 * be written faithfully fails `write()` with a StateSerializationError
 * naming the state and the key; restored values of a state type that is not
 * registered yet wait until the state's descriptor (which may declare it)
 * is seen.
 */
import { StateAccessError, CorruptStateError, KeyGroupMismatchError, preview } from '../errors';
import { decodeState, encodeState } from './codec';
import { CopyOnWriteStateMap, type StateMapSnapshot } from './CopyOnWriteStateMap';
import { assignToKeyGroup, denormalizeKey, KeyGroupRange, type StateKey } from './KeyGroup';
import {
  HeapAggregatingState,
  HeapListState,
  HeapMapState,
  HeapReducingState,
  HeapValueState,
  type KeyContext,
} from './KeyedState';
import type { StateDescriptor, StateKind } from './StateDescriptor';
import { fromEncodable, resolveStateValue } from './stateValueReader';
import { asStateSerializationError, toEncodable } from './stateValues';
import { UnresolvedStateValue } from './taggedForm';

/** Serialised keyed state of one subtask: one encoded block per non-empty key group. */
export interface KeyedStateHandle {
  readonly keyGroupRange: { readonly start: number; readonly end: number };
  readonly states: readonly { readonly name: string; readonly kind: StateKind }[];
  /**
   * Encoded columns `{ s: stateIndex[], k: key[], v: value[], t?: index[] }` per key group;
   * `t` lists the entries whose value is in tagged form (registered types, Buffers, ...).
   */
  readonly keyGroups: readonly { readonly keyGroup: number; readonly bytes: Uint8Array }[];
}

export interface KeyedStateSnapshot {
  /** Serialises the snapshot; may be called once. Releases the snapshot when done. */
  write(): Promise<KeyedStateHandle>;
  /** Drops the snapshot without writing it. */
  release(): void;
}

type Table = CopyOnWriteStateMap<StateKey, unknown>;

interface Registered {
  readonly name: string;
  readonly kind: StateKind;
  readonly table: Table;
  state?: unknown;
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

  /** The state object for a descriptor; the same object on every call with the same name. */
  getState(descriptor: StateDescriptor): unknown {
    let r = this.states.get(descriptor.name);
    if (r === undefined) {
      r = { name: descriptor.name, kind: descriptor.kind, table: new CopyOnWriteStateMap() };
      this.states.set(descriptor.name, r);
    } else if (r.kind !== descriptor.kind) {
      throw new StateAccessError(
        `state '${descriptor.name}' is registered as ${r.kind} state and cannot be used as ${descriptor.kind} state`,
      );
    }
    if (r.pending) resolvePending(r);
    if (r.state === undefined) r.state = createState(this, r.table, descriptor);
    return r.state;
  }

  /** Keys with a value in the named state (live view; do not write while iterating). */
  *keys(stateName: string): IterableIterator<StateKey> {
    const r = this.states.get(stateName);
    if (r) for (const [k] of r.table.entries()) yield k;
  }

  /** Raw entries of the named state: key → value (a list, a Map, an accumulator, per the state's kind). */
  *entries(stateName: string): IterableIterator<[StateKey, unknown]> {
    const r = this.states.get(stateName);
    if (r?.pending) resolvePending(r);
    if (r) yield* r.table.entries();
  }

  /** Number of keys in the named state. */
  size(stateName: string): number {
    return this.states.get(stateName)?.table.size ?? 0;
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
        const cols = decodeState<KeyGroupColumns>(g.bytes, `key group ${g.keyGroup}`);
        if (!isColumns(cols)) throw new CorruptStateError(`key group ${g.keyGroup}: not a column block`);
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
          r.table.set(k, v);
        }
      }
    }
  }

  private registeredFor(name: string, kind: StateKind): Registered {
    let r = this.states.get(name);
    if (r === undefined) {
      r = { name, kind, table: new CopyOnWriteStateMap() };
      this.states.set(name, r);
    } else if (r.kind !== kind) {
      throw new CorruptStateError(`state '${name}' was checkpointed as ${kind} state but is registered as ${r.kind}`);
    }
    return r;
  }
}

/** Restored values of a state type registered since (by the state's descriptor); UnknownStateTypeError if still unknown. */
function resolvePending(r: Registered): void {
  const waiting: [StateKey, UnresolvedStateValue][] = [];
  for (const [k, v] of r.table.entries()) if (v instanceof UnresolvedStateValue) waiting.push([k, v]);
  for (const [k, v] of waiting) r.table.set(k, resolveStateValue(v, () => describeEntry(r.name, k)));
  r.pending = false;
}

function describeEntry(state: string, key: StateKey): string {
  return `keyed state '${state}' (key ${preview(denormalizeKey(key))})`;
}

function createState(keys: KeyContext, table: Table, d: StateDescriptor): unknown {
  switch (d.kind) {
    case 'value':
      return new HeapValueState(keys, table, d);
    case 'list':
      return new HeapListState(keys, table, d);
    case 'map':
      return new HeapMapState(keys, table, d);
    case 'reducing':
      return new HeapReducingState(keys, table, d);
    case 'aggregating':
      return new HeapAggregatingState(keys, table, d);
  }
}

interface KeyGroupColumns {
  readonly s: number[];
  readonly k: StateKey[];
  readonly v: unknown[];
  /** Ascending indexes of the entries whose value is in tagged form; absent when none. */
  t?: number[];
}

function isColumns(c: unknown): c is KeyGroupColumns {
  const x = c as KeyGroupColumns;
  return (
    typeof x === 'object' && x !== null && Array.isArray(x.s) && Array.isArray(x.k) && Array.isArray(x.v) &&
    x.s.length === x.k.length && x.k.length === x.v.length && (x.t === undefined || isIndexList(x.t, x.v.length))
  );
}

/** Strictly ascending integers in [0, length). */
function isIndexList(t: unknown, length: number): boolean {
  if (!Array.isArray(t)) return false;
  let last = -1;
  for (const i of t) {
    if (!Number.isInteger(i) || i <= last || i >= length) return false;
    last = i;
  }
  return true;
}

async function writeHandle(
  registered: readonly Registered[],
  snaps: readonly StateMapSnapshot<StateKey, unknown>[],
  range: KeyGroupRange,
  maxParallelism: number,
): Promise<KeyedStateHandle> {
  const groups = new Map<number, KeyGroupColumns>();
  let n = 0;
  for (let i = 0; i < snaps.length; i++) {
    for (const [k, v] of snaps[i].entries()) {
      let p: unknown;
      try {
        p = toEncodable(v);
      } catch (e) {
        throw asStateSerializationError(e, { kind: 'keyed', state: registered[i].name, key: denormalizeKey(k) });
      }
      const g = assignToKeyGroup(k, maxParallelism);
      let cols = groups.get(g);
      if (cols === undefined) groups.set(g, (cols = { s: [], k: [], v: [] }));
      if (p !== v) (cols.t ??= []).push(cols.v.length);
      cols.s.push(i);
      cols.k.push(k);
      cols.v.push(p);
      if (++n % YIELD_EVERY === 0) await yieldToEventLoop();
    }
  }
  const keyGroups: { keyGroup: number; bytes: Uint8Array }[] = [];
  for (const g of [...groups.keys()].sort((a, b) => a - b)) {
    keyGroups.push({ keyGroup: g, bytes: encodeState(groups.get(g)) });
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
