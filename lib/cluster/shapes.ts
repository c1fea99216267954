/**
 * Small runtime checks of decoded data's shape, composed into the cluster
 * protocol's validators (WireMessages.ts). A check throws ShapeMismatch
 * with the path of the first field that does not fit and what was
 * expected; it never changes its input. Objects are checked strictly: a
 * field the shape does not name is a mismatch too, so what passes is
 * exactly the declared plain data.
 */

/** Where a value does not fit its shape: `path` from the checked root (`subtask.index`), `expected` in words. */
export class ShapeMismatch extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${path === '' ? 'the value' : path} must be ${expected}, got ${actual}`);
  }
}

export type Check = (v: unknown, path: string) => void;

/** A short description of what a value is, for mismatch messages. */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') {
    const p = Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null;
    return p === Object.prototype || p === null ? 'an object' : `a ${p.constructor?.name ?? 'class instance'}`;
  }
  if (typeof v === 'string') return v.length > 40 ? 'a string' : `'${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return typeof v;
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

function fail(path: string, expected: string, v: unknown): never {
  throw new ShapeMismatch(path, expected, kindOf(v));
}

export const string: Check = (v, p) => {
  if (typeof v !== 'string') fail(p, 'a string', v);
};
export const nonEmptyString: Check = (v, p) => {
  if (typeof v !== 'string' || v.length === 0) fail(p, 'a non-empty string', v);
};
export const boolean: Check = (v, p) => {
  if (typeof v !== 'boolean') fail(p, 'a boolean', v);
};
/** Any number, NaN and ±Infinity included. */
export const number: Check = (v, p) => {
  if (typeof v !== 'number') fail(p, 'a number', v);
};
/** A number that is not NaN (±Infinity allowed: a watermark at the end of input). */
export const ordered: Check = (v, p) => {
  if (typeof v !== 'number' || Number.isNaN(v)) fail(p, 'a number (not NaN)', v);
};
/** A finite number ≥ 0 (durations in ms, sizes in bytes). */
export const nonNegative: Check = (v, p) => {
  if (typeof v !== 'number' || !(v >= 0) || v === Infinity) fail(p, 'a finite number ≥ 0', v);
};
/** An integer in [0, 2^53). */
export const nat: Check = (v, p) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(p, 'an integer ≥ 0', v);
};
/** An integer ≥ 1. */
export const positive: Check = (v, p) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) fail(p, 'an integer ≥ 1', v);
};
export const bytes: Check = (v, p) => {
  if (!(v instanceof Uint8Array)) fail(p, 'bytes', v);
};
/** An array of anything (user data, whose kinds the codec already enforced). */
export const anyArray: Check = (v, p) => {
  if (!Array.isArray(v)) fail(p, 'an array', v);
};
/** Anything: user data, whose kinds the codec already enforced. */
export const anything: Check = () => {};
/** Any value but undefined or a function (record-like data, carried as records are). */
export const defined: Check = (v, p) => {
  if (v === undefined || typeof v === 'function') throw new ShapeMismatch(p, 'a value', kindOf(v));
};

export function literal(...values: readonly (string | number | boolean)[]): Check {
  const allowed = new Set<unknown>(values);
  const expected = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
  return (v, p) => {
    if (!allowed.has(v)) fail(p, expected, v);
  };
}

export function optional(check: Check): Check {
  return (v, p) => {
    if (v !== undefined) check(v, p);
  };
}

export function array(item: Check, maxLength = Number.MAX_SAFE_INTEGER): Check {
  return (v, p) => {
    if (!Array.isArray(v)) fail(p, 'an array', v);
    if (v.length > maxLength) fail(p, `an array of at most ${maxLength} items`, `${v.length} items`);
    for (let i = 0; i < v.length; i++) item(v[i], join(p, i));
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * A plain object with exactly these fields (an absent field reads as
 * undefined, so `optional` fields may be left out); any other own field is
 * a mismatch.
 */
export function object(fields: Readonly<Record<string, Check>>): Check {
  const names = Object.keys(fields);
  const known = new Set(names);
  return (v, p) => {
    if (!isPlainObject(v)) fail(p, 'an object', v);
    for (const k of Object.keys(v)) if (!known.has(k)) throw new ShapeMismatch(join(p, k), 'absent (not a field of this message)', kindOf(v[k]));
    for (const k of names) fields[k](v[k], join(p, k));
  };
}

/** A plain object whose values all pass `value` (string keys). */
export function record(value: Check): Check {
  return (v, p) => {
    if (!isPlainObject(v)) fail(p, 'an object', v);
    for (const k of Object.keys(v)) value(v[k], join(p, k));
  };
}

/** One of several object shapes, chosen by the string field `tag`. */
export function variant(tag: string, shapes: Readonly<Record<string, Check>>): Check {
  const expected = `one of ${Object.keys(shapes).map((x) => `'${x}'`).join(', ')}`;
  return (v, p) => {
    if (!isPlainObject(v)) fail(p, 'an object', v);
    const t = v[tag];
    if (typeof t !== 'string' || !Object.hasOwn(shapes, t)) fail(join(p, tag), expected, t);
    shapes[t](v, p);
  };
}

const MAX_PLAIN_DEPTH = 64;

/**
 * JSON-like configuration data: null, booleans, numbers, strings,
 * undefined, arrays and plain objects of them, nested at most 64 deep.
 */
export const plainData: Check = (v, p) => checkPlain(v, p, 0);

function checkPlain(v: unknown, p: string, depth: number): void {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return;
    case 'object':
      if (v === null) return;
      if (depth >= MAX_PLAIN_DEPTH) fail(p, `plain data nested at most ${MAX_PLAIN_DEPTH} deep`, 'deeper nesting');
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) checkPlain(v[i], join(p, i), depth + 1);
        return;
      }
      if (isPlainObject(v)) {
        for (const k of Object.keys(v)) checkPlain(v[k], join(p, k), depth + 1);
        return;
      }
  }
  fail(p, 'plain data (null, boolean, number, string, array or plain object)', v);
}
