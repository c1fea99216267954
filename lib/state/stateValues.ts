/**
 * What a state value may be, and how it crosses a checkpoint: the walk that
 * turns a value into what the byte codec writes (`toEncodable`) and back
 * (`fromEncodable`). Together with the codec this is the serializer of every
 * value in keyed state, operator list state, source splits and sink
 * committables.
 *
 * Round-trip with their types: primitives (including -0, NaN, bigints and
 * strings that are not well-formed UTF-16), plain objects and objects
 * without a prototype (own enumerable string-keyed properties, any key; as
 * with structuredClone, symbol-keyed and non-enumerable properties are not
 * part of a value), arrays, Maps, Sets, Dates, RegExps, typed arrays,
 * ArrayBuffers, DataViews, Buffers (back as Buffers), and instances of
 * registered state types (StateTypeRegistry), nested in any way. Shared
 * references come back as copies.
 *
 * Refused (a StateValueRefusal with the path to the part, turned into a
 * StateSerializationError by the caller): functions, symbols, reference
 * cycles, nesting deeper than MAX_NESTING, and instances of any other class
 * (unregistered classes, subclasses, Errors, WeakMaps, Promises, boxed
 * primitives, ...) — a value that would come back different is never
 * written.
 *
 * Values that need more than the codec's own types are written in a tagged
 * form, a plain object `{ "\0type": name, "\0data": data }`; a plain object
 * that itself has such a key (or a "__proto__" key, or a key that is not
 * well-formed UTF-16) is written tagged as well, so a tagged form never
 * collides with user data. `toEncodable` returns its input unchanged (the
 * same reference) when nothing needed tagging, which lets callers mark the
 * few values that need reviving; `fromEncodable` is pure, too: it copies
 * only what it revives.
 */
import { CorruptStateError, describe, preview, StateSerializationError, UnknownStateTypeError, type StateValueLocation } from '../errors';
import { RESERVED_TYPE_PREFIX, stateTypeNamed, stateTypeOfPrototype, type StateType } from './StateTypeRegistry';

/** Deepest nesting of containers a state value may have (the codec recurses too). */
export const MAX_NESTING = 500;

const TAG = '\u0000type';
const DATA = '\u0000data';

const BUFFER = `${RESERVED_TYPE_PREFIX}Buffer`;
const NEGATIVE_ZERO = `${RESERVED_TYPE_PREFIX}-0`;
const STRING = `${RESERVED_TYPE_PREFIX}String`;
const OBJECT = `${RESERVED_TYPE_PREFIX}Object`;
const NULL_OBJECT = `${RESERVED_TYPE_PREFIX}NullObject`;

/** A value in tagged form; the codec writes it as the plain object `{ [TAG]: type, [DATA]: data }`. */
class Tagged {
  readonly [TAG]: string;
  readonly [DATA]: unknown;
  constructor(type: string, data: unknown) {
    this[TAG] = type;
    this[DATA] = data;
  }
}

/**
 * A restored value of a state type not registered yet: kept in its written
 * form until the state's descriptor (which may declare the type) is known,
 * and written back unchanged by a snapshot taken before that.
 */
export class UnresolvedStateValue {
  constructor(
    readonly encoded: unknown,
    readonly typeName: string,
  ) {}
}

/** Why a value cannot be written, and where; the path is built while the walk unwinds. */
export class StateValueRefusal extends Error {
  /** Path segments from the value to the refused part, and the containers along it. */
  readonly segments: string[] = [];
  readonly containers: object[] = [];
  constructor(
    readonly problem: string,
    readonly tooDeep = false,
    options?: { cause?: unknown },
  ) {
    super(problem, options);
  }

  /** The path and problem, with a reference cycle told apart from deep nesting. */
  explain(): { path: string; problem: string } {
    if (this.tooDeep) {
      for (let j = 1; j < this.containers.length; j++) {
        const i = this.containers.indexOf(this.containers[j]);
        if (i < j) {
          const back = formatPath(this.segments.slice(0, i));
          return { path: formatPath(this.segments.slice(0, j)), problem: `a reference cycle back to ${back === '' ? 'the value itself' : back} (state values must be trees)` };
        }
      }
    }
    return { path: formatPath(this.segments), problem: this.problem };
  }
}

const MAX_PATH_SEGMENTS = 24;

function formatPath(segments: readonly string[]): string {
  const s = segments.length > MAX_PATH_SEGMENTS ? [...segments.slice(0, MAX_PATH_SEGMENTS), '…'] : segments;
  return s.join('');
}

/** Turns a refusal into the typed error naming the state; anything else passes through. */
export function asStateSerializationError(e: unknown, where: StateValueLocation): unknown {
  if (!(e instanceof StateValueRefusal)) return e;
  const { path, problem } = e.explain();
  return new StateSerializationError(where, path, problem, { cause: e.cause });
}

// ---------------------------------------------------------------- writing

/**
 * The value as the codec should write it: the same reference when it needs
 * no tagging, otherwise a copy along the paths that do. Throws
 * StateValueRefusal for what cannot be written faithfully.
 */
export function toEncodable(value: unknown): unknown {
  return prepare(value, 0);
}

interface MaybeWellFormed {
  isWellFormed(): boolean;
}

/** A primitive the codec writes as it is: skips the call to `prepare` for the common leaves. */
function isPlainLeaf(x: unknown): boolean {
  switch (typeof x) {
    case 'number':
      return x !== 0 || 1 / x > 0;
    case 'string':
      return (x as unknown as MaybeWellFormed).isWellFormed();
    case 'boolean':
    case 'undefined':
      return true;
    default:
      return x === null;
  }
}

function prepare(v: unknown, depth: number): unknown {
  switch (typeof v) {
    case 'number':
      return v === 0 && 1 / v < 0 ? new Tagged(NEGATIVE_ZERO, 0) : v;
    case 'string':
      return (v as unknown as MaybeWellFormed).isWellFormed() ? v : new Tagged(STRING, codeUnits(v));
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return v;
    case 'object':
      return v === null ? v : prepareObject(v, depth);
    case 'function':
      throw new StateValueRefusal(`a function (${functionName(v)}) — state holds data: store what rebuilds the function instead`);
    default:
      throw new StateValueRefusal(`a ${typeof v} (${String(v)}) — symbols are not data`);
  }
}

/** Prototypes written by the codec as they are. */
const AS_IS = new Set<object>([Date, RegExp, ArrayBuffer, DataView, Uint8Array].map((c) => c.prototype));

/**
 * Typed arrays other than Uint8Array are written tagged, as their bytes:
 * the codec recognises them only when they come from its own realm (under
 * Jest, or in a vm context, they may not).
 */
const TYPED_ARRAYS = new Map<string, TypedArrayClass>(
  (
    [
      Int8Array,
      Uint8ClampedArray,
      Int16Array,
      Uint16Array,
      Int32Array,
      Uint32Array,
      Float32Array,
      Float64Array,
      BigInt64Array,
      BigUint64Array,
    ] as TypedArrayClass[]
  ).map((c) => [`${RESERVED_TYPE_PREFIX}${c.name}`, c]),
);
const TYPED_ARRAY_TAGS = new Map<object, string>([...TYPED_ARRAYS].map(([tag, c]) => [c.prototype, tag]));

interface TypedArrayClass {
  readonly name: string;
  readonly prototype: object;
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): ArrayBufferView;
}

// No closures in here: one would make V8 allocate a context on every call of this hot function.
function prepareObject(v: object, depth: number): unknown {
  if (depth >= MAX_NESTING) throw new StateValueRefusal(`nested deeper than ${MAX_NESTING} levels`, true);
  const proto = Object.getPrototypeOf(v) as object | null;
  if (proto === Object.prototype) return preparePlain(v as Record<string, unknown>, depth);
  if (proto === Array.prototype) return prepareArray(v as unknown[], depth);
  if (proto === Date.prototype) return v;
  if (proto === Map.prototype) return prepareMap(v as Map<unknown, unknown>, depth);
  if (proto === Set.prototype) return prepareSet(v as Set<unknown>, depth);
  if (proto === null) return new Tagged(NULL_OBJECT, prepareFields(v, depth));
  if (AS_IS.has(proto)) return v;
  if (proto === Buffer.prototype) return new Tagged(BUFFER, v);
  const typedArray = TYPED_ARRAY_TAGS.get(proto);
  if (typedArray !== undefined) {
    const view = v as ArrayBufferView;
    return new Tagged(typedArray, new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  }
  if (proto === Tagged.prototype) return v;
  if (proto === UnresolvedStateValue.prototype) return (v as UnresolvedStateValue).encoded;
  const type = stateTypeOfPrototype(proto);
  if (type !== undefined) return prepareRegistered(type, v, depth);
  throw new StateValueRefusal(unsupported(proto));
}

/** A refusal below `container` learns the segment to it on its way up. */
function within(e: unknown, container: object, segment: string): unknown {
  if (e instanceof StateValueRefusal) {
    e.segments.unshift(segment);
    e.containers.unshift(container);
  }
  return e;
}

function preparePlain(v: Record<string, unknown>, depth: number): unknown {
  let out: Record<string, unknown> | undefined;
  for (const k in v) {
    if (k === TAG || k === '__proto__' || !(k as unknown as MaybeWellFormed).isWellFormed()) return prepareEscaped(v, depth);
    const x = v[k];
    if (isPlainLeaf(x)) continue;
    let p: unknown;
    try {
      p = prepare(x, depth + 1);
    } catch (e) {
      throw within(e, v, propertySegment(k));
    }
    if (p !== x) {
      if (out === undefined) out = { ...v };
      out[k] = p;
    }
  }
  return out ?? v;
}

/** A plain object with a key that would collide with the tagged form or not survive the codec: as [key, value, ...]. */
function prepareEscaped(v: Record<string, unknown>, depth: number): Tagged {
  const flat: unknown[] = [];
  for (const k of Object.keys(v)) {
    flat.push(prepare(k, depth + 1));
    try {
      flat.push(prepare(v[k], depth + 1));
    } catch (e) {
      throw within(e, v, propertySegment(k));
    }
  }
  return new Tagged(OBJECT, flat);
}

function prepareArray(v: unknown[], depth: number): unknown {
  let out: unknown[] | undefined;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (isPlainLeaf(x)) continue;
    let p: unknown;
    try {
      p = prepare(x, depth + 1);
    } catch (e) {
      throw within(e, v, `[${i}]`);
    }
    if (p !== x) {
      if (out === undefined) out = v.slice();
      out[i] = p;
    }
  }
  return out ?? v;
}

function prepareMap(v: Map<unknown, unknown>, depth: number): unknown {
  let out: Map<unknown, unknown> | undefined;
  let i = 0;
  for (const [k, x] of v) {
    let pk: unknown;
    let px: unknown;
    try {
      pk = prepare(k, depth + 1);
    } catch (e) {
      throw within(e, v, `.keys()[${i}]`);
    }
    try {
      px = prepare(x, depth + 1);
    } catch (e) {
      throw within(e, v, `.get(${preview(k, 40)})`);
    }
    if (out === undefined && (pk !== k || px !== x)) out = new Map(take(v, i));
    out?.set(pk, px);
    i++;
  }
  return out ?? v;
}

function prepareSet(v: Set<unknown>, depth: number): unknown {
  let out: Set<unknown> | undefined;
  let i = 0;
  for (const x of v) {
    let p: unknown;
    try {
      p = prepare(x, depth + 1);
    } catch (e) {
      throw within(e, v, `<Set item ${i}>`);
    }
    if (out === undefined && p !== x) out = new Set(take(v, i));
    out?.add(p);
    i++;
  }
  return out ?? v;
}

/** The first `n` items of an iterable. */
function take<T>(items: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  if (n === 0) return out;
  for (const x of items) {
    out.push(x);
    if (out.length === n) break;
  }
  return out;
}

/** Own enumerable fields of an object that is not plain (a registered instance, a null-prototype object), as a plain object. */
function prepareFields(v: object, depth: number): unknown {
  try {
    return preparePlain({ ...v }, depth + 1);
  } catch (e) {
    throw within(e, v, '');
  }
}

function prepareRegistered(type: StateType, v: object, depth: number): Tagged {
  if (type.toData === undefined) return new Tagged(type.name, prepareFields(v, depth));
  let data: unknown;
  try {
    data = type.toData(v);
  } catch (e) {
    throw new StateValueRefusal(`an instance of ${type.className} whose toData (state type '${type.name}') threw: ${describe(e)}`, false, { cause: e });
  }
  try {
    return new Tagged(type.name, prepare(data, depth + 1));
  } catch (e) {
    throw within(e, v, '');
  }
}

function propertySegment(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

function functionName(f: unknown): string {
  const name = (f as { name?: unknown }).name;
  return typeof name === 'string' && name !== '' ? name : 'anonymous';
}

const WHY_NOT: ReadonlyMap<object, string> = new Map<object, string>([
  [WeakMap.prototype, 'its entries cannot be enumerated'],
  [WeakSet.prototype, 'its entries cannot be enumerated'],
  [WeakRef.prototype, 'it does not own its target'],
  [Promise.prototype, 'a pending computation is not data'],
  [Error.prototype, 'its class, stack and fields would not survive: store its message'],
]);

function unsupported(proto: object): string {
  const ctor = (proto as { constructor?: unknown }).constructor;
  const name = typeof ctor === 'function' && ctor.name !== '' ? ctor.name : '';
  if (name !== '' && (globalThis as Record<string, unknown>)[name] === ctor) {
    let why: string | undefined;
    for (let p: object | null = proto; p !== null && why === undefined; p = Object.getPrototypeOf(p) as object | null) why = WHY_NOT.get(p);
    return `a ${name}, which cannot be stored in state${why === undefined ? '' : ` (${why})`}`;
  }
  if (name === '') return `an instance of an anonymous class, which is not a registered state type (register it: registerStateType(TheClass, { name: '...' }))`;
  return `an instance of ${name}, which is not a registered state type (register it: registerStateType(${name}, { name: '${name}' }))`;
}

function codeUnits(s: string): number[] {
  const out = new Array<number>(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// ---------------------------------------------------------------- reading

/** Nesting beyond what a written value can have: the data is not ours. */
const MAX_READ_NESTING = MAX_NESTING + 16;

class UnknownType {
  constructor(readonly name: string) {}
}

/**
 * The value back from what `toEncodable` returned and the codec read:
 * tagged forms become Buffers, class instances, ... (copying only what
 * changes). A state type not registered in this process is an
 * UnknownStateTypeError naming `where()`, or with `defer`, an
 * UnresolvedStateValue to resolve later. Malformed tagged forms are
 * CorruptStateError.
 */
export function fromEncodable(value: unknown, where: () => string, defer = false): unknown {
  try {
    return revive(value, 0);
  } catch (e) {
    if (!(e instanceof UnknownType)) throw e;
    if (defer) return new UnresolvedStateValue(value, e.name);
    throw new UnknownStateTypeError(e.name, where());
  }
}

/** A deferred value once its type is registered; throws UnknownStateTypeError while it is not. */
export function resolveStateValue(v: UnresolvedStateValue, where: () => string): unknown {
  return fromEncodable(v.encoded, where);
}

function revive(v: unknown, depth: number): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (depth > MAX_READ_NESTING) throw new CorruptStateError(`a state value nested deeper than ${MAX_READ_NESTING} levels`);
  const proto = Object.getPrototypeOf(v) as object | null;
  if (proto === Object.prototype) {
    return Object.hasOwn(v, TAG) ? reviveTagged(v as Record<string, unknown>, depth) : revivePlain(v as Record<string, unknown>, depth);
  }
  if (proto === Array.prototype) return reviveArray(v as unknown[], depth);
  if (proto === Map.prototype) return reviveMap(v as Map<unknown, unknown>, depth);
  if (proto === Set.prototype) return reviveSet(v as Set<unknown>, depth);
  return v;
}

function revivePlain(o: Record<string, unknown>, depth: number): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const k in o) {
    const x = o[k];
    const r = revive(x, depth + 1);
    if (r !== x) {
      if (out === undefined) out = { ...o };
      defineField(out, k, r);
    }
  }
  return out ?? o;
}

function reviveArray(a: unknown[], depth: number): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const r = revive(x, depth + 1);
    if (r !== x) {
      if (out === undefined) out = a.slice();
      out[i] = r;
    }
  }
  return out ?? a;
}

function reviveMap(m: Map<unknown, unknown>, depth: number): Map<unknown, unknown> {
  const entries: [unknown, unknown][] = [];
  let changed = false;
  for (const [k, x] of m) {
    const rk = revive(k, depth + 1);
    const rx = revive(x, depth + 1);
    changed ||= rk !== k || rx !== x;
    entries.push([rk, rx]);
  }
  return changed ? new Map(entries) : m;
}

function reviveSet(s: Set<unknown>, depth: number): Set<unknown> {
  const items: unknown[] = [];
  let changed = false;
  for (const x of s) {
    const r = revive(x, depth + 1);
    changed ||= r !== x;
    items.push(r);
  }
  return changed ? new Set(items) : s;
}

function reviveTagged(o: Record<string, unknown>, depth: number): unknown {
  const name = o[TAG];
  const keys = Object.keys(o);
  if (typeof name !== 'string' || keys.length !== 2 || !Object.hasOwn(o, DATA)) {
    throw new CorruptStateError(`a malformed tagged state value (keys ${keys.map((k) => JSON.stringify(k)).join(', ')})`);
  }
  const data = o[DATA];
  switch (name) {
    case BUFFER:
      if (!(data instanceof Uint8Array)) throw badData(name, 'bytes');
      return Buffer.from(data);
    case NEGATIVE_ZERO:
      return -0;
    case STRING:
      if (!Array.isArray(data) || !data.every((u) => Number.isInteger(u) && u >= 0 && u <= 0xffff)) throw badData(name, 'UTF-16 code units');
      return fromCodeUnits(data as number[]);
    case OBJECT: {
      const flat = revive(data, depth + 1);
      if (!Array.isArray(flat) || flat.length % 2 !== 0) throw badData(name, 'a key/value list');
      const out: Record<string, unknown> = {};
      for (let i = 0; i < flat.length; i += 2) {
        if (typeof flat[i] !== 'string') throw badData(name, 'a key/value list with string keys');
        defineField(out, flat[i] as string, flat[i + 1]);
      }
      return out;
    }
    case NULL_OBJECT:
      return withFields(Object.create(null) as object, revive(data, depth + 1), name);
  }
  const typedArray = TYPED_ARRAYS.get(name);
  if (typedArray !== undefined) {
    if (!(data instanceof Uint8Array) || data.byteLength % typedArray.BYTES_PER_ELEMENT !== 0) throw badData(name, `whole ${typedArray.name} elements`);
    const bytes = data.slice(); // aligned, and not shared with the decoder's input
    return new typedArray(bytes.buffer, 0, bytes.byteLength / typedArray.BYTES_PER_ELEMENT);
  }
  if (name.startsWith(RESERVED_TYPE_PREFIX)) throw new CorruptStateError(`an unknown engine state type '${name}'`);
  const type = stateTypeNamed(name);
  if (type === undefined) throw new UnknownType(name);
  const revived = revive(data, depth + 1);
  if (type.fromData === undefined) return withFields(Object.create(type.prototype) as object, revived, name, !hasSetters(type.prototype));
  try {
    return type.fromData(revived);
  } catch (e) {
    throw new CorruptStateError(`fromData of state type '${name}' (class ${type.className}) failed: ${describe(e)}`, { cause: e });
  }
}

function badData(name: string, what: string): CorruptStateError {
  return new CorruptStateError(`a tagged ${name} value whose data is not ${what}`);
}

/** Copies the fields as own data properties; plain assignment when no setter on the target's prototypes can intercept it. */
function withFields(target: object, fields: unknown, name: string, assign = false): object {
  if (typeof fields !== 'object' || fields === null || Object.getPrototypeOf(fields) !== Object.prototype) throw badData(name, 'an object of fields');
  const t = target as Record<string, unknown>;
  const f = fields as Record<string, unknown>;
  for (const k of Object.keys(f)) {
    if (assign && k !== '__proto__') t[k] = f[k];
    else defineField(t, k, f[k]);
  }
  return target;
}

const setterCache = new WeakMap<object, boolean>();

/** Whether a prototype chain (below Object.prototype) has a setter or a read-only property an assignment would hit. */
function hasSetters(proto: object): boolean {
  let known = setterCache.get(proto);
  if (known === undefined) {
    known = false;
    for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
      for (const d of Object.values(Object.getOwnPropertyDescriptors(p))) if (d.set !== undefined || (d.get !== undefined && d.set === undefined) || d.writable === false) known = true;
    }
    setterCache.set(proto, known);
  }
  return known;
}

/** An own data property, whatever the key ("__proto__" included) and whatever setters the prototype has. */
function defineField(o: Record<string, unknown>, k: string, value: unknown): void {
  Object.defineProperty(o, k, { value, writable: true, enumerable: true, configurable: true });
}

function fromCodeUnits(units: readonly number[]): string {
  let s = '';
  for (let i = 0; i < units.length; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096));
  return s;
}
