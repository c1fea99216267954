/**
 * The keyed state kinds user functions see (Flink's ValueState, ListState,
 * MapState, ReducingState, AggregatingState). Each reads and writes the entry
 * of the backend's current key — in the state's current namespace, the
 * default one for user functions (InternalKvState.ts) — in one state table;
 * values handed out may be mutated by the caller without affecting a
 * snapshot taken earlier. A reducing or aggregating state whose user
 * function returns a Promise throws ThenableReturnedError (the operator
 * names itself when it rethrows).
 */
import { isThenable, StateAccessError, ThenableReturnedError } from '../errors';
import { AbstractHeapState, type InternalMergingState } from './InternalKvState';
import { copyValue } from './copyValue';
import type { StateKey } from './KeyGroup';
import { namespaceId, type Namespace, type VoidNamespace } from './namespace';
import type { StateTable } from './StateTable';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from './StateDescriptor';

export interface ValueState<T> {
  /** The value for the current key, or the descriptor's default. */
  value(): T | undefined;
  /** Stores a value; `undefined` clears. */
  update(value: T | undefined): void;
  clear(): void;
}

export interface ListState<T> {
  get(): readonly T[];
  add(value: T): void;
  addAll(values: readonly T[]): void;
  update(values: readonly T[]): void;
  clear(): void;
}

export interface MapState<UK, UV> {
  get(key: UK): UV | undefined;
  put(key: UK, value: UV): void;
  putAll(entries: Iterable<readonly [UK, UV]>): void;
  remove(key: UK): void;
  contains(key: UK): boolean;
  entries(): IterableIterator<[UK, UV]>;
  keys(): IterableIterator<UK>;
  values(): IterableIterator<UV>;
  isEmpty(): boolean;
  clear(): void;
}

export interface ReducingState<T> {
  get(): T | undefined;
  add(value: T): void;
  clear(): void;
}

export interface AggregatingState<IN, OUT> {
  get(): OUT | undefined;
  add(value: IN): void;
  clear(): void;
}

/** Supplies the key the state is scoped to. */
export interface KeyContext {
  currentKey(): StateKey;
}

type AnyNamespace = Namespace | VoidNamespace;

export class HeapValueState<T> extends AbstractHeapState<T> implements ValueState<T> {
  constructor(scope: KeyContext, table: StateTable<T>, private readonly descriptor: ValueStateDescriptor<T>, namespaced = false) {
    super(scope, table, descriptor.name, namespaced);
  }
  value(): T | undefined {
    const v = this.currentForUpdate();
    return v === undefined ? copyValue(this.descriptor.defaultValue) : v;
  }
  /** The value without a defensive copy: for callers that never mutate it (built-in aggregations). */
  peek(): T | undefined {
    const v = this.current();
    return v === undefined ? this.descriptor.defaultValue : v;
  }
  update(value: T | undefined): void {
    if (value === undefined) this.erase();
    else this.store(value);
  }
}

export class HeapListState<T> extends AbstractHeapState<T[]> implements ListState<T>, InternalMergingState {
  constructor(scope: KeyContext, table: StateTable<T[]>, readonly descriptor: ListStateDescriptor<T>, namespaced = false) {
    super(scope, table, descriptor.name, namespaced);
  }
  get(): readonly T[] {
    return this.currentForUpdate() ?? [];
  }
  add(value: T): void {
    const list = this.currentForUpdate();
    if (list === undefined) this.store([value]);
    else list.push(value);
  }
  addAll(values: readonly T[]): void {
    if (values.length === 0) return;
    const list = this.currentForUpdate();
    if (list === undefined) this.store(values.slice());
    else for (const v of values) list.push(v);
  }
  update(values: readonly T[]): void {
    if (values.length === 0) this.clear();
    else this.store(values.slice());
  }
  mergeNamespaces(target: AnyNamespace, sources: readonly AnyNamespace[], idOf: (n: Namespace) => string = namespaceId): void {
    this.mergeWith(target, sources, idOf, (into, from) => {
      for (const v of from) into.push(v);
      return into;
    });
  }
}

export class HeapMapState<UK, UV> extends AbstractHeapState<Map<UK, UV>> implements MapState<UK, UV> {
  constructor(scope: KeyContext, table: StateTable<Map<UK, UV>>, readonly descriptor: MapStateDescriptor<UK, UV>, namespaced = false) {
    super(scope, table, descriptor.name, namespaced);
  }
  private map(): Map<UK, UV> | undefined {
    return this.currentForUpdate();
  }
  private mapForWrite(): Map<UK, UV> {
    let m = this.currentForUpdate();
    if (m === undefined) {
      m = new Map();
      this.store(m);
    }
    return m;
  }
  get(key: UK): UV | undefined {
    return this.map()?.get(key);
  }
  put(key: UK, value: UV): void {
    this.mapForWrite().set(key, value);
  }
  putAll(entries: Iterable<readonly [UK, UV]>): void {
    const m = this.mapForWrite();
    for (const [k, v] of entries) m.set(k, v);
  }
  remove(key: UK): void {
    const m = this.map();
    if (m === undefined) return;
    m.delete(key);
    if (m.size === 0) this.clear();
  }
  contains(key: UK): boolean {
    return this.map()?.has(key) ?? false;
  }
  entries(): IterableIterator<[UK, UV]> {
    return (this.map() ?? new Map<UK, UV>()).entries();
  }
  keys(): IterableIterator<UK> {
    return (this.map() ?? new Map<UK, UV>()).keys();
  }
  values(): IterableIterator<UV> {
    return (this.map() ?? new Map<UK, UV>()).values();
  }
  isEmpty(): boolean {
    return (this.map()?.size ?? 0) === 0;
  }
}

export class HeapReducingState<T> extends AbstractHeapState<T> implements ReducingState<T>, InternalMergingState {
  constructor(scope: KeyContext, table: StateTable<T>, private readonly descriptor: ReducingStateDescriptor<T>, namespaced = false) {
    super(scope, table, descriptor.name, namespaced);
  }
  get(): T | undefined {
    return this.currentForUpdate();
  }
  add(value: T): void {
    const cur = this.currentForUpdate();
    this.store(cur === undefined ? value : this.reduce(cur, value));
  }
  mergeNamespaces(target: AnyNamespace, sources: readonly AnyNamespace[], idOf: (n: Namespace) => string = namespaceId): void {
    this.mergeWith(target, sources, idOf, (a, b) => this.reduce(a, b));
  }
  private reduce(a: T, b: T): T {
    return synchronous(this.descriptor.reduceFunction(a, b), 'reduce function', this.descriptor);
  }
}

export class HeapAggregatingState<IN, ACC, OUT> extends AbstractHeapState<ACC> implements AggregatingState<IN, OUT>, InternalMergingState {
  constructor(
    scope: KeyContext,
    table: StateTable<ACC>,
    private readonly descriptor: AggregatingStateDescriptor<IN, ACC, OUT>,
    namespaced = false,
  ) {
    super(scope, table, descriptor.name, namespaced);
  }
  get(): OUT | undefined {
    const acc = this.currentForUpdate();
    return acc === undefined ? undefined : synchronous(this.descriptor.aggregateFunction.getResult(acc), 'getResult() of the aggregate function', this.descriptor);
  }
  add(value: IN): void {
    const f = this.descriptor.aggregateFunction;
    const acc: ACC = this.currentForUpdate() ?? synchronous(f.createAccumulator(), 'createAccumulator() of the aggregate function', this.descriptor);
    this.store(synchronous(f.add(value, acc), 'add() of the aggregate function', this.descriptor));
  }
  mergeNamespaces(target: AnyNamespace, sources: readonly AnyNamespace[], idOf: (n: Namespace) => string = namespaceId): void {
    const f = this.descriptor.aggregateFunction;
    const merge = f.merge?.bind(f);
    if (merge === undefined) {
      throw new StateAccessError(`the aggregate function of state '${this.name}' has no merge(): its namespaces (e.g. session windows) cannot be merged`);
    }
    this.mergeWith(target, sources, idOf, (a, b) => synchronous(merge(a, b), 'merge() of the aggregate function', this.descriptor));
  }
}

/** A state function's result; a ThenableReturnedError when it is a Promise. */
function synchronous<T>(r: T, fn: string, d: { readonly name: string }): T {
  if (isThenable(r)) throw new ThenableReturnedError(`${fn} of state '${d.name}'`, r);
  return r;
}
