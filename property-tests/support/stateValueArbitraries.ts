/**
 * Generated state values and records for properties, and the equality
 * they are checked with: every kind the state-value policy keeps (-0, NaN,
 * ±Infinity, bigints, strings that are not well-formed UTF-16, undefined
 * in containers, Buffers, typed arrays, Dates, Maps, Sets, objects with any
 * keys with and without a prototype, a registered class), nested in any
 * way. Used by the state codec, wire codec and record column properties.
 */
import fc from 'fast-check';
import { registerStateType } from '../../lib/state/StateTypeRegistry';

/** A registered state type with arbitrary fields. */
export class Point {
  constructor(
    public x: unknown,
    public y: unknown,
  ) {}
  norm(): string {
    return `${String(this.x)},${String(this.y)}`;
  }
}
registerStateType(Point, { name: 'prop.support.Point' });

/** Object keys, including the ones that collide with the tagged form or the prototype. */
export const key = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('__proto__', '\u0000type', '\u0000data', 'constructor', 'toJSON', '0', 'length', 'type'),
);

/** An object from entries, every key an own data property ("__proto__" too), with or without a prototype. */
export function objectOf(entries: readonly [string, unknown][], nullProto: boolean): Record<string, unknown> {
  const o = (nullProto ? Object.create(null) : {}) as Record<string, unknown>;
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  return o;
}

/** Primitives, including the ones a codec can get wrong. */
export const primitive: fc.Arbitrary<unknown> = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.bigInt(),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.boolean(),
  fc.constantFrom(undefined, null, -0, NaN, Infinity, -Infinity),
);

const leaves: fc.Arbitrary<unknown>[] = [
  primitive,
  fc.date({ noInvalidDate: false }),
  fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
  fc.uint8Array({ maxLength: 8 }),
  fc.float64Array({ maxLength: 4 }),
  fc.int32Array({ maxLength: 4 }),
  fc.int16Array({ maxLength: 4 }),
  fc.bigInt64Array({ maxLength: 3 }),
];

/**
 * Values of every kind, nested; `extraLeaves` and `extraContainers` add a
 * caller's registered types.
 */
export function stateValue(
  extraLeaves: fc.Arbitrary<unknown>[] = [],
  extraContainers: (value: fc.Arbitrary<unknown>) => fc.Arbitrary<unknown>[] = () => [],
): fc.Arbitrary<unknown> {
  return fc.letrec<{ value: unknown; container: unknown }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.oneof(...leaves, ...extraLeaves), tie('container')),
    container: fc.oneof(
      fc.array(tie('value'), { maxLength: 4 }),
      fc.tuple(fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }), fc.boolean()).map(([es, n]) => objectOf(es, n)),
      fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((es) => new Map(es)),
      fc.array(tie('value'), { maxLength: 3 }).map((xs) => new Set(xs)),
      fc.tuple(tie('value'), tie('value')).map(([x, y]) => new Point(x, y)),
      ...extraContainers(tie('value')),
    ),
  })).value;
}

export interface SameOptions {
  /** Numbers by Object.is (values: -0 is not 0; the default), or as numbers (protocol fields: -0 arrives as 0). */
  readonly exactNumbers?: boolean;
  /** A caller's equality for its own types: a boolean decides, undefined falls through. */
  readonly custom?: (a: object, b: object) => boolean | undefined;
}

/** Deep equality that also requires the same prototypes, the same key order, and equal bytes. */
export function sameValue(a: unknown, b: unknown, options: SameOptions = {}): boolean {
  const exact = options.exactNumbers ?? true;
  if (typeof a !== typeof b) return false;
  if (!exact && typeof a === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (typeof a !== 'object' || a === null || b === null) return Object.is(a, b);
  const o = b as object;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(o)) return false;
  const decided = options.custom?.(a, o);
  if (decided !== undefined) return decided;
  if (a instanceof Date) return Object.is(a.getTime(), (o as Date).getTime());
  if (ArrayBuffer.isView(a)) {
    const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    return bytes(a).equals(bytes(o as ArrayBufferView));
  }
  const list = (x: readonly unknown[], y: readonly unknown[]) => x.length === y.length && x.every((v, i) => sameValue(v, y[i], options));
  if (a instanceof Map) return list([...a].flat(), [...(o as Map<unknown, unknown>)].flat());
  if (a instanceof Set) return list([...a], [...(o as Set<unknown>)]);
  if (Array.isArray(a)) return list(a, o as unknown[]);
  const ka = Object.keys(a);
  const kb = Object.keys(o);
  return list(ka, kb) && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (o as Record<string, unknown>)[k], options));
}
