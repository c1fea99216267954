/**
 * Namespaces: the second coordinate of keyed state and timers after the key
 * (Flink's namespace, e.g. the window a timer or a pane belongs to).
 *
 * A namespace is plain data — a string, a number (not NaN; ±Infinity allowed,
 * as a global window's bounds), a boolean, a bigint, null, or arrays and
 * plain objects of those — so it goes into a checkpoint as it is and comes
 * back equal. Two namespaces are the same when their `namespaceId`s are:
 * the id is a canonical string, independent of object field order, with -0
 * and 0 one value. Anything else (undefined, functions, symbols, class
 * instances, Maps, Dates) is a TypeError naming it, at the first use.
 *
 * Keyed state has one more namespace, VOID_NAMESPACE (Flink's
 * VoidNamespace): the namespace of all state user functions see. It is not
 * data and has no id; state in it is stored and checkpointed without one.
 */
import { preview } from '../errors';

export type Namespace =
  | string
  | number
  | boolean
  | bigint
  | null
  | readonly Namespace[]
  | { readonly [field: string]: Namespace };

/** The default namespace of keyed state: what `ctx.getState(descriptor)` reads and writes. */
export const VOID_NAMESPACE: unique symbol = Symbol('VoidNamespace');
export type VoidNamespace = typeof VOID_NAMESPACE;

/** The canonical string of a namespace: equal ids, equal namespaces. */
export function namespaceId(namespace: unknown): string {
  return encode(namespace, namespace);
}

/**
 * A deep copy of a namespace with every array and object frozen, so no one
 * changes it through a snapshot; a namespace that is already deeply frozen
 * comes back as it is.
 */
export function frozenNamespace<N>(namespace: N): N {
  if (typeof namespace !== 'object' || namespace === null) return namespace;
  if (isDeeplyFrozen(namespace)) return namespace;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(namespace)
    ? namespace.map((v: unknown) => frozenNamespace(v))
    : Object.fromEntries(Object.entries(namespace).map(([k, v]) => [k, frozenNamespace(v)]));
  return Object.freeze(copy) as N;
}

function isDeeplyFrozen(v: object): boolean {
  if (!Object.isFrozen(v)) return false;
  const proto = Object.getPrototypeOf(v);
  if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return false;
  for (const x of Object.values(v)) if (typeof x === 'object' && x !== null && !isDeeplyFrozen(x)) return false;
  return true;
}

function encode(v: unknown, whole: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      if (Number.isNaN(v)) break;
      return v === 0 ? '0' : String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return `${v}n`;
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) return `[${Array.from(v, (x: unknown) => encode(x, whole)).join(',')}]`; // a hole is undefined
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) break;
      const fields = Object.keys(v).sort();
      return `{${fields.map((k) => `${JSON.stringify(k)}:${encode((v as Record<string, unknown>)[k], whole)}`).join(',')}}`;
    }
  }
  throw new TypeError(
    `namespace ${preview(whole)} is not plain data: ${preview(v)} cannot be part of one ` +
      `(namespaces are strings, numbers but NaN, booleans, bigints, null, arrays and plain objects)`,
  );
}
