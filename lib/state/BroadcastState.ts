/**
 * Broadcast state (Flink's BroadcastState and ReadOnlyBroadcastState): map
 * state of an operator fed by a broadcast stream, one copy per subtask,
 * kept the same on every subtask because only the broadcast side writes it
 * (every subtask sees every broadcast record, in the same order) — the
 * rules of a rules engine, a lookup table, a configuration.
 *
 * The operator holds a BroadcastStateStore: the maps of the descriptors
 * given to `stream.broadcast(...)`, a writable view for
 * `processBroadcastElement` and a read-only view for `processElement` and
 * `onTimer`. The store refuses writes (StateAccessError) whenever the
 * operator has not opened it for writing, so a BroadcastState kept in a
 * field and written from `processElement` fails too.
 *
 * Checkpoints: each subtask writes its own copy, tagged with its index, as
 * one item of the operator list `__broadcast`. On restore every new
 * subtask takes one copy — subtask i the copy of old subtask i, subtasks
 * beyond the old parallelism the copy of old subtask (i mod old
 * parallelism) — so the state survives any rescale (Flink's BROADCAST
 * redistribution). A restored state whose descriptor is no longer declared
 * is kept and checkpointed again, never dropped silently.
 *
 * Values: `put` stores a copy (copyValue) unless object reuse is on, so
 * changing the record after storing it does not change the state; a
 * checkpoint copies the maps when it is taken, so later writes never change
 * it. Values read back are the stored objects: treat them as read-only
 * (changing one in `processElement` would make this subtask's copy differ
 * from the others').
 */
import { CorruptStateError, preview, StateAccessError } from '../errors';
import { copyValue } from './copyValue';
import { MapStateDescriptor } from './StateDescriptor';

/** Reading broadcast state (Flink's ReadOnlyBroadcastState); what `processElement` and `onTimer` get. */
export interface ReadOnlyBroadcastState<K, V> {
  get(key: K): V | undefined;
  contains(key: K): boolean;
  entries(): IterableIterator<[K, V]>;
  keys(): IterableIterator<K>;
  values(): IterableIterator<V>;
  isEmpty(): boolean;
  /** Number of entries. */
  size(): number;
}

/** Broadcast state as `processBroadcastElement` sees it: reads and writes (Flink's BroadcastState). */
export interface BroadcastState<K, V> extends ReadOnlyBroadcastState<K, V> {
  put(key: K, value: V): void;
  putAll(entries: Iterable<readonly [K, V]>): void;
  remove(key: K): void;
  clear(): void;
}

/** The operator list each subtask's copy of its broadcast states is checkpointed in (one item per subtask). */
export const BROADCAST_STATE = '__broadcast';

/** One subtask's broadcast states in a checkpoint. */
export interface BroadcastStateCopy {
  readonly subtask: number;
  /** [state name, entries] per state. */
  readonly states: readonly (readonly [string, readonly (readonly [unknown, unknown])[]])[];
}

/** Where the writing side is named in errors. */
const WRITER = 'processBroadcastElement()';

export class BroadcastStateStore {
  private readonly declared: ReadonlyMap<string, MapStateDescriptor<unknown, unknown>>;
  private readonly maps = new Map<string, Map<unknown, unknown>>();
  private readonly readViews = new Map<string, ReadOnlyView<unknown, unknown>>();
  private readonly writeViews = new Map<string, WritableView<unknown, unknown>>();
  private restored: readonly unknown[] = [];
  private subtask = 0;
  /** Copy values on put (no object reuse). */
  copyIn = true;
  /** Where the function currently runs, for error messages ('processElement()', 'onTimer()', ...). */
  reader = 'processElement()';
  /** True only while the broadcast side runs: the one moment writes are allowed. */
  writable = false;

  /** `descriptors`: those given to `broadcast(...)`; the only states the function may ask for. */
  constructor(descriptors: readonly MapStateDescriptor<any, any>[]) {
    this.declared = new Map(descriptors.map((d) => [d.name, d]));
  }

  /** The names of the declared states. */
  get names(): string[] {
    return [...this.declared.keys()];
  }

  /** Before open: keeps every old subtask's copy (CorruptStateError when an item is not one); open picks this subtask's. */
  initializeState(restored: { readonly allLists: Readonly<Record<string, readonly unknown[]>> } | undefined): void {
    const items = restored?.allLists[BROADCAST_STATE] ?? [];
    items.forEach((item, i) => checkCopy(item, i));
    this.restored = items;
  }

  /**
   * Restores this subtask's copy (subtask `subtaskIndex`): the copy of the
   * old subtask with that index, else of old subtask (index mod number of copies).
   */
  open(subtaskIndex: number, objectReuse: boolean): void {
    this.subtask = subtaskIndex;
    this.copyIn = !objectReuse;
    const copies = this.restored as readonly BroadcastStateCopy[];
    this.restored = [];
    if (copies.length === 0) return;
    const mine = copies.find((c) => c.subtask === subtaskIndex) ?? [...copies].sort((a, b) => a.subtask - b.subtask)[subtaskIndex % copies.length];
    for (const [name, entries] of mine.states) {
      const m = this.mapOf(name);
      m.clear();
      for (const [k, v] of entries) m.set(k, v);
    }
  }

  /** The read-only view of `descriptor`'s state. StateAccessError unless it was declared. */
  readOnly<K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V> {
    const name = this.check(descriptor);
    let v = this.readViews.get(name);
    if (v === undefined) this.readViews.set(name, (v = new ReadOnlyView(name, this.mapOf(name), this)));
    return v as unknown as ReadOnlyBroadcastState<K, V>;
  }

  /** The writable view of `descriptor`'s state (writes succeed only while `writable`). StateAccessError unless declared. */
  writableState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V> {
    const name = this.check(descriptor);
    let v = this.writeViews.get(name);
    if (v === undefined) this.writeViews.set(name, (v = new WritableView(name, this.mapOf(name), this)));
    return v as unknown as BroadcastState<K, V>;
  }

  /** This subtask's copy, deep-copied now: later writes never change it. */
  snapshotState(): Record<string, unknown[]> {
    const states = [...this.maps].map(([name, m]) => [name, copyValue([...m])] as const);
    const copy: BroadcastStateCopy = { subtask: this.subtask, states };
    return { [BROADCAST_STATE]: [copy] };
  }

  /** The error for a write outside the broadcast side. */
  refuse(name: string, method: string): StateAccessError {
    return new StateAccessError(
      `broadcast state '${name}' is read-only in ${this.reader}: ${method}() is refused. ` +
        `Only the broadcast side (${WRITER}) writes broadcast state, so that every subtask keeps the same copy`,
    );
  }

  private mapOf(name: string): Map<unknown, unknown> {
    let m = this.maps.get(name);
    if (m === undefined) this.maps.set(name, (m = new Map()));
    return m;
  }

  private check(descriptor: MapStateDescriptor<unknown, unknown>): string {
    if (!(descriptor instanceof MapStateDescriptor)) {
      throw new StateAccessError(`getBroadcastState() needs a MapStateDescriptor, got ${preview(descriptor)}`);
    }
    if (!this.declared.has(descriptor.name)) {
      const known = this.names.map((n) => `'${n}'`).join(', ') || 'none';
      throw new StateAccessError(
        `broadcast state '${descriptor.name}' was not declared: pass its descriptor to broadcast(...) on the broadcast stream (declared: ${known})`,
      );
    }
    return descriptor.name;
  }
}

class ReadOnlyView<K, V> implements ReadOnlyBroadcastState<K, V> {
  constructor(
    protected readonly name: string,
    protected readonly map: Map<K, V>,
    protected readonly store: BroadcastStateStore,
  ) {}
  get(key: K): V | undefined {
    return this.map.get(key);
  }
  contains(key: K): boolean {
    return this.map.has(key);
  }
  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
  keys(): IterableIterator<K> {
    return this.map.keys();
  }
  values(): IterableIterator<V> {
    return this.map.values();
  }
  isEmpty(): boolean {
    return this.map.size === 0;
  }
  size(): number {
    return this.map.size;
  }
  // Not in the type, for callers without types: a write through a read-only view names the rule.
  put(_key: K, _value: V): void {
    throw this.store.refuse(this.name, 'put');
  }
  putAll(_entries: Iterable<readonly [K, V]>): void {
    throw this.store.refuse(this.name, 'putAll');
  }
  remove(_key: K): void {
    throw this.store.refuse(this.name, 'remove');
  }
  clear(): void {
    throw this.store.refuse(this.name, 'clear');
  }
}

class WritableView<K, V> extends ReadOnlyView<K, V> implements BroadcastState<K, V> {
  override put(key: K, value: V): void {
    if (!this.store.writable) throw this.store.refuse(this.name, 'put');
    this.map.set(key, this.store.copyIn ? copyValue(value) : value);
  }
  override putAll(entries: Iterable<readonly [K, V]>): void {
    if (!this.store.writable) throw this.store.refuse(this.name, 'putAll');
    for (const [k, v] of entries) this.map.set(k, this.store.copyIn ? copyValue(v) : v);
  }
  override remove(key: K): void {
    if (!this.store.writable) throw this.store.refuse(this.name, 'remove');
    this.map.delete(key);
  }
  override clear(): void {
    if (!this.store.writable) throw this.store.refuse(this.name, 'clear');
    this.map.clear();
  }
}

/** A restored item must be a BroadcastStateCopy: it comes from a file. */
function checkCopy(item: unknown, i: number): void {
  const bad = (what: string) => new CorruptStateError(`'${BROADCAST_STATE}' item ${i} is not a broadcast state copy (${what}): ${preview(item)}`);
  if (typeof item !== 'object' || item === null) throw bad('not an object');
  const c = item as Partial<BroadcastStateCopy>;
  if (!Number.isSafeInteger(c.subtask) || (c.subtask as number) < 0) throw bad('subtask');
  if (!Array.isArray(c.states)) throw bad('states');
  for (const s of c.states) {
    if (!Array.isArray(s) || s.length !== 2 || typeof s[0] !== 'string' || !Array.isArray(s[1])) throw bad('state');
    if (!s[1].every((e: unknown) => Array.isArray(e) && e.length === 2)) throw bad(`entries of '${s[0]}'`);
  }
}
