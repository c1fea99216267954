/**
 * Reading state values back (the inverse of stateValues.ts' toEncodable):
 * tagged forms become Buffers, class instances of registered state types,
 * -0, ... again. Checkpoint data is untrusted input: a malformed tagged form
 * is a CorruptStateError, never anything else; a state type this process
 * has not registered is an UnknownStateTypeError, or an
 * UnresolvedStateValue kept until the type is registered. Reading is pure:
 * it copies only what it revives and never changes the decoded input.
 */
import { CorruptStateError, describe, UnknownStateTypeError } from '../errors';
import { RESERVED_TYPE_PREFIX, stateTypeNamed } from './StateTypeRegistry';
import { BUFFER, DATA, MAX_NESTING, NEGATIVE_ZERO, NULL_OBJECT, OBJECT, STRING, TAG, TYPED_ARRAYS, UnresolvedStateValue } from './taggedForm';
// The engine's own registered state type (TTL state's values): known wherever state is read back, job or tool.
import './ttl/TtlValue';

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
    if (!(data instanceof Uint8Array) || data.byteLength % typedArray.BYTES_PER_ELEMENT !== 0) {
      throw badData(name, `whole ${typedArray.name} elements`);
    }
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
  if (typeof fields !== 'object' || fields === null || Object.getPrototypeOf(fields) !== Object.prototype) {
    throw badData(name, 'an object of fields');
  }
  const t = target as Record<string, unknown>;
  const f = fields as Record<string, unknown>;
  for (const k of Object.keys(f)) {
    if (assign && k !== '__proto__') t[k] = f[k];
    else defineField(t, k, f[k]);
  }
  return target;
}

const setterCache = new WeakMap<object, boolean>();

/** Whether a prototype chain (below Object.prototype) has an accessor or a read-only property an assignment would hit. */
function hasSetters(proto: object): boolean {
  let known = setterCache.get(proto);
  if (known === undefined) {
    known = false;
    for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
      for (const d of Object.values(Object.getOwnPropertyDescriptors(p))) {
        if (d.get !== undefined || d.set !== undefined || d.writable === false) known = true;
      }
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
