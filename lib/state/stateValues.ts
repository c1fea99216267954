/**
 * What a state value may be, and the walk that enforces it on the way into
 * a checkpoint (`toEncodable`; the way back is stateValueReader.ts).
 * Together with the byte codec this is the serializer of every value in
 * keyed state, operator list state, source splits and sink committables.
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
 * What the codec cannot carry alone is written in the tagged form
 * (taggedForm.ts); a plain object that has the tag's key itself (or a
 * "__proto__" key, or a key that is not well-formed UTF-16) is written
 * tagged as well, so a tagged form never collides with user data.
 * `toEncodable` returns its input unchanged (the same reference) when
 * nothing needed tagging: no copy on the checkpoint path, and callers can
 * mark the few values that need reviving.
 */
import { describe, preview, StateSerializationError, type StateValueLocation } from '../errors';
import { stateTypeOfPrototype, type StateType } from './StateTypeRegistry';
import { BUFFER, MAX_NESTING, NEGATIVE_ZERO, NULL_OBJECT, OBJECT, STRING, TAG, Tagged, TYPED_ARRAY_TAGS, UnresolvedStateValue } from './taggedForm';

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
          const problem = `a reference cycle back to ${back === '' ? 'the value itself' : back} (state values must be trees)`;
          return { path: formatPath(this.segments.slice(0, j)), problem };
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
    const problem = `an instance of ${type.className} whose toData (state type '${type.name}') threw: ${describe(e)}`;
    throw new StateValueRefusal(problem, false, { cause: e });
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
  const register = name === '' ? "registerStateType(TheClass, { name: '...' })" : `registerStateType(${name}, { name: '${name}' })`;
  return `an instance of ${name === '' ? 'an anonymous class' : name}, which is not a registered state type (register it: ${register})`;
}

function codeUnits(s: string): number[] {
  const out = new Array<number>(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
