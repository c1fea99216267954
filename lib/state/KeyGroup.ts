/**
 * Keys and key groups, the unit in which keyed state is partitioned and moved.
 *
 * A key is hashed the way Flink hashes a Java key (`hashCode`, then Flink's
 * murmur mix) and assigned to key group `hash mod maxParallelism`. Each subtask
 * owns one contiguous range of key groups; the formulas are Flink's
 * (KeyGroupRangeAssignment), so rescaling moves whole key groups and a key's
 * owner is predictable from its key group alone.
 *
 * Keys are normalised before hashing and storing: strings, finite numbers,
 * booleans and bigints stand for themselves; an array of those (a composite
 * key) becomes one canonical string. Anything else is an InvalidKeyError.
 */
import { InvalidKeyError } from '../errors';

/** A key as stored in state tables: a primitive usable as a Map key. */
export type StateKey = string | number | boolean | bigint;
/** What a key selector may return. */
export type Key = StateKey | readonly StateKey[];

export const DEFAULT_MAX_PARALLELISM = 128;
/** Flink's upper bound for maxParallelism (2^15). */
export const UPPER_BOUND_MAX_PARALLELISM = 1 << 15;

const COMPOSITE_PREFIX = '\u0000k';

/** Turns a selector's result into a state key; throws InvalidKeyError. */
export function normalizeKey(key: unknown): StateKey {
  switch (typeof key) {
    case 'string':
      if (key.startsWith(COMPOSITE_PREFIX)) throw new InvalidKeyError(key); // reserved for composite keys
      return key;
    case 'boolean':
    case 'bigint':
      return key;
    case 'number':
      if (Number.isFinite(key)) return key === 0 ? 0 : key; // -0 and 0 are one key
      throw new InvalidKeyError(key);
    case 'object':
      if (Array.isArray(key) && key.length > 0) {
        const parts = key.map((p: unknown) => {
          const n = normalizeKey(p);
          if (typeof n === 'string' && n.startsWith(COMPOSITE_PREFIX)) throw new InvalidKeyError(key);
          return typeof n === 'bigint' ? { b: n.toString() } : n;
        });
        return COMPOSITE_PREFIX + JSON.stringify(parts);
      }
      throw new InvalidKeyError(key);
    default:
      throw new InvalidKeyError(key);
  }
}

/** The key a user selected, back from its state form (composite keys become arrays again). */
export function denormalizeKey(key: StateKey): Key {
  if (typeof key === 'string' && key.startsWith(COMPOSITE_PREFIX)) {
    const parts = JSON.parse(key.slice(COMPOSITE_PREFIX.length)) as unknown[];
    return parts.map((p) => (typeof p === 'object' && p !== null ? BigInt((p as { b: string }).b) : p)) as StateKey[];
  }
  return key;
}

/** Java's hashCode for the normalised key. */
export function keyHashCode(key: StateKey): number {
  switch (typeof key) {
    case 'string': {
      let h = 0;
      for (let i = 0; i < key.length; i++) h = (Math.imul(31, h) + key.charCodeAt(i)) | 0;
      return h;
    }
    case 'number':
      if (Number.isInteger(key) && key >= -0x80000000 && key <= 0x7fffffff) return key | 0;
      return doubleHashCode(key);
    case 'boolean':
      return key ? 1231 : 1237;
    case 'bigint': {
      const v = BigInt.asUintN(64, key);
      return Number(BigInt.asIntN(32, v ^ (v >> 32n)));
    }
  }
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
function doubleHashCode(d: number): number {
  f64[0] = d;
  return (u32[0] ^ u32[1]) | 0;
}

/** Flink's MathUtils.murmurHash: a non-negative 32-bit mix of an int. */
export function murmurHash(code: number): number {
  let h = Math.imul(code | 0, 0xcc9e2d51);
  h = (h << 15) | (h >>> 17);
  h = Math.imul(h, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  h ^= 4;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  if (h >= 0) return h;
  return h !== -0x80000000 ? -h : 0;
}

export function assignToKeyGroup(key: StateKey, maxParallelism: number): number {
  return murmurHash(keyHashCode(key)) % maxParallelism;
}

/** The subtask that owns a key group at a given parallelism. */
export function operatorIndexForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** An inclusive range of key groups, [start, end]; empty when end < start. */
export class KeyGroupRange {
  constructor(readonly start: number, readonly end: number) {}

  static of(start: number, end: number): KeyGroupRange {
    return new KeyGroupRange(start, end);
  }

  /** The range subtask `operatorIndex` of `parallelism` owns. */
  static forOperator(maxParallelism: number, parallelism: number, operatorIndex: number): KeyGroupRange {
    const start = Math.floor((operatorIndex * maxParallelism + parallelism - 1) / parallelism);
    const end = Math.floor(((operatorIndex + 1) * maxParallelism - 1) / parallelism);
    return new KeyGroupRange(start, end);
  }

  get size(): number {
    return Math.max(0, this.end - this.start + 1);
  }

  contains(keyGroup: number): boolean {
    return keyGroup >= this.start && keyGroup <= this.end;
  }

  intersection(other: KeyGroupRange): KeyGroupRange {
    return new KeyGroupRange(Math.max(this.start, other.start), Math.min(this.end, other.end));
  }

  *[Symbol.iterator](): IterableIterator<number> {
    for (let g = this.start; g <= this.end; g++) yield g;
  }

  toString(): string {
    return `KeyGroupRange{${this.start}..${this.end}}`;
  }
}
