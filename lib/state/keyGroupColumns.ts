/**
 * The checkpoint format of one key group of keyed state: one block of
 * columns, encoded with the state codec.
 *
 *   { s: stateIndex[], k: key[], v: value[],   // one row per entry
 *     t?:  index[],                            // rows whose value is in tagged form
 *     n?:  nsRef[],                            // per row: 0 = default namespace, i ≥ 1 = namespace i - 1
 *     ni?: string[], nv?: Namespace[] }        // the namespaces of the block: id and plain value
 *
 * `t` is absent when no value is tagged; `n`, `ni` and `nv` are absent when
 * every entry of the block is in the default namespace — so state that
 * never uses namespaces is written byte for byte as before namespaces
 * existed, and blocks written then (no `n`) read as all-default. The
 * namespace id is stored because it is the namespace's identity in its
 * state (an operator may use its own scheme, e.g. `tw:0:10`); the value is
 * what enumeration returns. Each namespace is stored once per block.
 */
import { CorruptStateError } from '../errors';
import { decodeState } from './codec';
import type { StateKey } from './KeyGroup';
import { frozenNamespace, namespaceId, type Namespace } from './namespace';

export interface KeyGroupColumns {
  readonly s: number[];
  readonly k: StateKey[];
  readonly v: unknown[];
  /** Ascending indexes of the entries whose value is in tagged form; absent when none. */
  t?: number[];
  /** Per entry: 0 for the default namespace, i ≥ 1 for `ni[i - 1]` / `nv[i - 1]`; absent when all are default. */
  n?: number[];
  ni?: string[];
  nv?: Namespace[];
}

/** Builds the columns of one key group, entry by entry. */
export class KeyGroupColumnsBuilder {
  readonly columns: KeyGroupColumns = { s: [], k: [], v: [] };
  private namespaces: Map<string, number> | undefined;

  /** `encoded` is the value after the state-value walk; `tagged` when it differs from the value. */
  add(state: number, key: StateKey, encoded: unknown, tagged: boolean, namespace?: { readonly namespaceId: string; readonly namespace: Namespace }): void {
    const c = this.columns;
    if (tagged) (c.t ??= []).push(c.v.length);
    if (namespace !== undefined) {
      if (this.namespaces === undefined) {
        this.namespaces = new Map();
        c.n = new Array<number>(c.k.length).fill(0);
        c.ni = [];
        c.nv = [];
      }
      let i = this.namespaces.get(namespace.namespaceId);
      if (i === undefined) {
        c.ni!.push(namespace.namespaceId);
        c.nv!.push(namespace.namespace);
        this.namespaces.set(namespace.namespaceId, (i = c.ni!.length));
      }
      c.n!.push(i);
    } else if (c.n !== undefined) {
      c.n.push(0);
    }
    c.s.push(state);
    c.k.push(key);
    c.v.push(encoded);
  }
}

/** A block read back and checked; its namespaces frozen. CorruptStateError when it is not a column block. */
export function readKeyGroupColumns(bytes: Uint8Array, keyGroup: number): KeyGroupColumns {
  const cols = decodeState<KeyGroupColumns>(bytes, `key group ${keyGroup}`);
  if (!isColumns(cols)) throw new CorruptStateError(`key group ${keyGroup}: not a column block`);
  if (cols.nv !== undefined) {
    cols.nv = cols.nv.map((ns) => {
      try {
        namespaceId(ns);
      } catch (e) {
        throw new CorruptStateError(`key group ${keyGroup}: ${(e as Error).message}`, { cause: e });
      }
      return frozenNamespace(ns);
    });
  }
  return cols;
}

function isColumns(c: unknown): c is KeyGroupColumns {
  const x = c as KeyGroupColumns;
  if (
    typeof x !== 'object' || x === null || !Array.isArray(x.s) || !Array.isArray(x.k) || !Array.isArray(x.v) ||
    x.s.length !== x.k.length || x.k.length !== x.v.length || (x.t !== undefined && !isIndexList(x.t, x.v.length))
  ) {
    return false;
  }
  if (x.n === undefined) return x.ni === undefined && x.nv === undefined;
  return (
    Array.isArray(x.ni) && Array.isArray(x.nv) && x.ni.length === x.nv.length && x.ni.every((id) => typeof id === 'string') &&
    Array.isArray(x.n) && x.n.length === x.k.length && x.n.every((i) => Number.isInteger(i) && i >= 0 && i <= x.ni!.length)
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
