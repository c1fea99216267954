/**
 * The keyed state kinds user functions see (Flink's ValueState, ListState,
 * MapState, ReducingState, AggregatingState). Each reads and writes the entry
 * of the backend's current key in one state table; values handed out may be
 * mutated by the caller without affecting a snapshot taken earlier. A
 * reducing or aggregating state whose user function returns a Promise throws
 * ThenableReturnedError (the operator names itself when it rethrows).
 */
import { isThenable, ThenableReturnedError } from '../errors';
import { copyValue } from './copyValue';
import type { CopyOnWriteStateMap } from './CopyOnWriteStateMap';
import type { StateKey } from './KeyGroup';
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

type Table = CopyOnWriteStateMap<StateKey, any>;

export class HeapValueState<T> implements ValueState<T> {
  constructor(private readonly scope: KeyContext, private readonly table: Table, private readonly descriptor: ValueStateDescriptor<T>) {}
  value(): T | undefined {
    const v = this.table.getForUpdate(this.scope.currentKey(), copyValue);
    return v === undefined ? copyValue(this.descriptor.defaultValue) : v;
  }
  /** The value without a defensive copy: for callers that never mutate it (built-in aggregations). */
  peek(): T | undefined {
    const v = this.table.get(this.scope.currentKey());
    return v === undefined ? this.descriptor.defaultValue : v;
  }
  update(value: T | undefined): void {
    if (value === undefined) this.table.delete(this.scope.currentKey());
    else this.table.set(this.scope.currentKey(), value);
  }
  clear(): void {
    this.table.delete(this.scope.currentKey());
  }
}

export class HeapListState<T> implements ListState<T> {
  constructor(private readonly scope: KeyContext, private readonly table: Table, readonly descriptor: ListStateDescriptor<T>) {}
  get(): readonly T[] {
    return this.table.getForUpdate(this.scope.currentKey(), copyValue) ?? [];
  }
  add(value: T): void {
    const k = this.scope.currentKey();
    const list: T[] | undefined = this.table.getForUpdate(k, copyValue);
    if (list === undefined) this.table.set(k, [value]);
    else list.push(value);
  }
  addAll(values: readonly T[]): void {
    if (values.length === 0) return;
    const k = this.scope.currentKey();
    const list: T[] | undefined = this.table.getForUpdate(k, copyValue);
    if (list === undefined) this.table.set(k, values.slice());
    else for (const v of values) list.push(v);
  }
  update(values: readonly T[]): void {
    if (values.length === 0) this.clear();
    else this.table.set(this.scope.currentKey(), values.slice());
  }
  clear(): void {
    this.table.delete(this.scope.currentKey());
  }
}

export class HeapMapState<UK, UV> implements MapState<UK, UV> {
  constructor(private readonly scope: KeyContext, private readonly table: Table, readonly descriptor: MapStateDescriptor<UK, UV>) {}
  private read(): Map<UK, UV> | undefined {
    return this.table.getForUpdate(this.scope.currentKey(), copyValue);
  }
  private write(): Map<UK, UV> {
    const k = this.scope.currentKey();
    let m: Map<UK, UV> | undefined = this.table.getForUpdate(k, copyValue);
    if (m === undefined) {
      m = new Map();
      this.table.set(k, m);
    }
    return m;
  }
  get(key: UK): UV | undefined {
    return this.read()?.get(key);
  }
  put(key: UK, value: UV): void {
    this.write().set(key, value);
  }
  putAll(entries: Iterable<readonly [UK, UV]>): void {
    const m = this.write();
    for (const [k, v] of entries) m.set(k, v);
  }
  remove(key: UK): void {
    const m = this.read();
    if (m === undefined) return;
    m.delete(key);
    if (m.size === 0) this.clear();
  }
  contains(key: UK): boolean {
    return this.read()?.has(key) ?? false;
  }
  entries(): IterableIterator<[UK, UV]> {
    return (this.read() ?? new Map<UK, UV>()).entries();
  }
  keys(): IterableIterator<UK> {
    return (this.read() ?? new Map<UK, UV>()).keys();
  }
  values(): IterableIterator<UV> {
    return (this.read() ?? new Map<UK, UV>()).values();
  }
  isEmpty(): boolean {
    return (this.read()?.size ?? 0) === 0;
  }
  clear(): void {
    this.table.delete(this.scope.currentKey());
  }
}

export class HeapReducingState<T> implements ReducingState<T> {
  constructor(private readonly scope: KeyContext, private readonly table: Table, private readonly descriptor: ReducingStateDescriptor<T>) {}
  get(): T | undefined {
    return this.table.getForUpdate(this.scope.currentKey(), copyValue);
  }
  add(value: T): void {
    const k = this.scope.currentKey();
    const cur: T | undefined = this.table.getForUpdate(k, copyValue);
    this.table.set(k, cur === undefined ? value : synchronous(this.descriptor.reduceFunction(cur, value), 'reduce function', this.descriptor));
  }
  clear(): void {
    this.table.delete(this.scope.currentKey());
  }
}

export class HeapAggregatingState<IN, ACC, OUT> implements AggregatingState<IN, OUT> {
  constructor(
    private readonly scope: KeyContext,
    private readonly table: Table,
    private readonly descriptor: AggregatingStateDescriptor<IN, ACC, OUT>,
  ) {}
  get(): OUT | undefined {
    const acc: ACC | undefined = this.table.getForUpdate(this.scope.currentKey(), copyValue);
    return acc === undefined ? undefined : synchronous(this.descriptor.aggregateFunction.getResult(acc), 'getResult() of the aggregate function', this.descriptor);
  }
  add(value: IN): void {
    const k = this.scope.currentKey();
    const f = this.descriptor.aggregateFunction;
    const acc: ACC = this.table.getForUpdate(k, copyValue) ?? synchronous(f.createAccumulator(), 'createAccumulator() of the aggregate function', this.descriptor);
    this.table.set(k, synchronous(f.add(value, acc), 'add() of the aggregate function', this.descriptor));
  }
  clear(): void {
    this.table.delete(this.scope.currentKey());
  }
}

/** A state function's result; a ThenableReturnedError when it is a Promise. */
function synchronous<T>(r: T, fn: string, d: { readonly name: string }): T {
  if (isThenable(r)) throw new ThenableReturnedError(`${fn} of state '${d.name}'`, r);
  return r;
}
