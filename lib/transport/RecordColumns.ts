/**
 * Record frames in columns, the form in which records cross the wire
 * between node processes. A frame whose records are plain objects with the
 * same keys in the same order (what a keyed job moves: `{ key, amount }`)
 * is sent as one column per field; each column is packed by what it holds:
 * int32 or float64 numbers and booleans as little-endian bytes, strings as
 * strings or as indexes into a string table kept by both ends of the
 * connection (a key seen before costs 4 bytes and comes back as the very
 * string object the receiver made the first time: no UTF-8 decoding and no
 * new string per record). Frames of numbers or strings are one column; any
 * other column, and any frame that is not uniform, travels as values
 * through the state-value walk (stateValues.ts), as before.
 *
 * Guarantees:
 * - Round trip: decode(encode(frame)) has the records and timestamps of
 *   the frame, with the types the state-value policy keeps (−0, NaN,
 *   strings that are not well-formed UTF-16, key order of objects); a value
 *   that cannot cross is refused on encode with WireCodecError
 *   UNSUPPORTED_VALUE and its path.
 * - The string tables stay in step: the encoder and the decoder of one
 *   connection see the same frames in the same order (a stream), the table
 *   is cleared by a `reset` frame before it would pass `maxEntries`, and an
 *   encoder whose frame was not sent (`abandon`) resets with its next frame.
 * - Decoding is for untrusted input: it throws WireCodecError UNDECODABLE,
 *   naming the field, and nothing else; the decoder's table never holds more
 *   than `maxEntries` strings.
 *
 * The column form is little-endian; a big-endian host sends values (the
 * walk's form) and reads columns through DataView.
 */
import { WireCodecError } from '../errors';
import { fromEncodable } from '../state/stateValueReader';
import { StateValueRefusal, toEncodable } from '../state/stateValues';
import type { RecordFrame } from './ChannelBuffer';

/** One column of a frame on the wire. `b`: little-endian bytes (int32, float64, uint8 0/1, uint32 table indexes). */
export type Column =
  | { readonly t: 'i32' | 'f64' | 'bool'; readonly b: Uint8Array }
  | { readonly t: 'str'; readonly s: string[] }
  /** Strings as indexes into the connection's table; `add` is appended to the table first, in order. */
  | { readonly t: 'dict'; readonly add: string[]; readonly b: Uint8Array }
  /** Values in the walk's form; `tagged` lists the ones to revive. */
  | { readonly t: 'any'; readonly v: unknown[]; readonly tagged?: number[] };

/** A record frame on the wire. */
export interface ColumnFrame {
  readonly kind: 'columns';
  /** Records in the frame (≥ 1). */
  readonly n: number;
  /** The records' keys, in order, one column each; null: the records are the values of the one column. */
  readonly fields: string[] | null;
  readonly cols: Column[];
  /** Event timestamps (ms), or null when no record has one. */
  readonly ts: Column | null;
  /** The string table is cleared before this frame's columns are read. */
  readonly reset?: boolean;
}

export interface StringTableOptions {
  /** Strings the table holds at most (both ends must agree; default 65,536). */
  readonly maxEntries?: number;
  /** Longer strings (UTF-16 code units) are sent as strings, never put in the table (default 128). */
  readonly maxLength?: number;
}

export const DEFAULT_STRING_TABLE_ENTRIES = 65_536;
const DEFAULT_MAX_TABLE_STRING = 128;
/** Fields in a record beyond which a frame travels as values (wide records gain nothing from columns). */
const MAX_FIELDS = 64;
/** A string column whose frame added more than half its strings to a half-full table is sent plain for this many frames. */
const PLAIN_FRAMES = 64;

/** Column keys of the timestamps and of frames whose records are the column's values (a record key is a string). */
const TIMESTAMPS = Symbol('timestamps');
const VALUES = Symbol('values');
type ColumnKey = string | typeof TIMESTAMPS | typeof VALUES;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface MaybeWellFormed {
  isWellFormed(): boolean;
}

/**
 * One connection's sending side. `stringTable: false` sends strings as
 * strings (a stateless encoder: each frame decodes on its own).
 */
export class RecordFrameEncoder {
  private readonly table: Map<string, number> | undefined;
  private readonly maxEntries: number;
  private readonly maxLength: number;
  private resetPending = false;
  /** Whether the frame being encoded may add to the table. */
  private tableOpen = false;
  private frames = 0;
  /** Per column key: the frame number until which it is sent plain (few repeats). */
  private readonly plainUntil = new Map<ColumnKey, number>();

  constructor(stringTable: StringTableOptions | false = {}) {
    this.table = stringTable === false ? undefined : new Map();
    this.maxEntries = (stringTable !== false && stringTable.maxEntries) || DEFAULT_STRING_TABLE_ENTRIES;
    this.maxLength = (stringTable !== false && stringTable.maxLength) || DEFAULT_MAX_TABLE_STRING;
  }

  /** The frame's wire form. Throws WireCodecError UNSUPPORTED_VALUE for a value that cannot cross. */
  encode(frame: RecordFrame): ColumnFrame {
    const values = frame.values;
    const n = values.length;
    this.frames++;
    // Object records are split into columns by the same pass that checks their shape.
    const columns = n > 0 && LITTLE_ENDIAN ? splitColumns(values) : undefined;
    const fields = columns === undefined ? undefined : columns.fields;
    let reset = false;
    const table = this.table;
    // Strings this frame may add at most: the table takes them after a reset, or not at all.
    const adds = n * ((fields?.length ?? 1) + 1);
    this.tableOpen = table !== undefined && adds <= this.maxEntries;
    if (table !== undefined && (this.resetPending || (this.tableOpen && table.size + adds > this.maxEntries))) {
      table.clear();
      this.resetPending = false;
      reset = true;
    }
    try {
      let cols: Column[];
      if (fields === undefined) cols = [anyColumn(values, 'buffer.values', '')];
      else if (fields === null) cols = [this.column(values, VALUES)];
      else {
        const data = columns!.data!;
        cols = new Array<Column>(fields.length);
        for (let f = 0; f < fields.length; f++) cols[f] = this.column(data[f], fields[f]);
      }
      const ts = frame.timestamps === undefined ? null : LITTLE_ENDIAN ? this.column(frame.timestamps, TIMESTAMPS) : anyColumn(frame.timestamps, 'buffer.timestamps', '');
      const out: ColumnFrame = { kind: 'columns', n, fields: fields ?? null, cols, ts };
      return reset ? { ...out, reset } : out;
    } catch (e) {
      this.abandon();
      throw e;
    }
  }

  /** The last encoded frame was not sent: the next one resets the string table. */
  abandon(): void {
    if (this.table !== undefined) this.resetPending = true;
  }

  /** A column for `xs`: the values of field `key`, the records themselves, or the timestamps. */
  private column(xs: readonly unknown[], key: ColumnKey): Column {
    const n = xs.length;
    const x0 = xs[0];
    if (typeof x0 === 'number') return numberColumn(xs) ?? this.walked(xs, key);
    if (typeof x0 === 'boolean') return booleanColumn(xs) ?? this.walked(xs, key);
    if (typeof x0 === 'string') {
      const table = this.table;
      if (table !== undefined && this.tableOpen && this.frames >= (this.plainUntil.get(key) ?? 0)) {
        const c = this.dictColumn(table, xs, n);
        if (c !== undefined) {
          // Mostly new strings once the table is half full: few of them repeat (ids, not keys).
          if (c.add.length * 2 > n && table.size * 2 > this.maxEntries) this.plainUntil.set(key, this.frames + PLAIN_FRAMES);
          return c;
        }
      }
      const c = stringColumn(xs);
      if (c !== undefined) return c;
    }
    return this.walked(xs, key);
  }

  private walked(xs: readonly unknown[], key: ColumnKey): Column {
    if (key === TIMESTAMPS) return anyColumn(xs, 'buffer.timestamps', '');
    return anyColumn(xs, 'buffer.values', key === VALUES ? '' : propertySegment(key));
  }

  private dictColumn(table: Map<string, number>, xs: readonly unknown[], n: number): Extract<Column, { t: 'dict' }> | undefined {
    const idx = new Uint32Array(n);
    const add: string[] = [];
    for (let i = 0; i < n; i++) {
      const s = xs[i];
      if (typeof s !== 'string') return this.undo(table, add);
      let k = table.get(s);
      if (k === undefined) {
        if (s.length > this.maxLength || !(s as unknown as MaybeWellFormed).isWellFormed()) return this.undo(table, add);
        k = table.size;
        table.set(s, k);
        add.push(s);
      }
      idx[i] = k;
    }
    return { t: 'dict', add, b: new Uint8Array(idx.buffer) };
  }

  /** Takes back what a column that will not be a dict column added to the table (the newest entries, so indexes stay dense). */
  private undo(table: Map<string, number>, added: string[]): undefined {
    for (const s of added) table.delete(s);
    return undefined;
  }
}

/**
 * The frame's records as columns when all are plain objects with the same
 * keys in the same order (`fields`, one array of values each); `fields`
 * null when the records are numbers or strings (one column: the records);
 * undefined otherwise.
 */
function splitColumns(values: readonly unknown[]): { fields: string[]; data: unknown[][] } | { fields: null; data: undefined } | undefined {
  const v0 = values[0];
  if (typeof v0 === 'number' || typeof v0 === 'string') return { fields: null, data: undefined };
  if (typeof v0 !== 'object' || v0 === null || Object.getPrototypeOf(v0) !== Object.prototype) return undefined;
  const fields = Object.keys(v0);
  const nf = fields.length;
  if (nf === 0 || nf > MAX_FIELDS) return undefined;
  for (const k of fields) if (k === '__proto__' || !(k as unknown as MaybeWellFormed).isWellFormed()) return undefined;
  const n = values.length;
  const data = new Array<unknown[]>(nf);
  for (let f = 0; f < nf; f++) data[f] = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const v = values[i] as Record<string, unknown>;
    if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return undefined;
    let j = 0;
    // for-in reads each value by the object's enumeration cache: no lookup by name.
    for (const k in v) {
      if (k !== fields[j]) return undefined;
      data[j++][i] = v[k];
    }
    if (j !== nf) return undefined;
  }
  return { fields, data };
}

function numberColumn(xs: readonly unknown[]): Column | undefined {
  const n = xs.length;
  const i32 = new Int32Array(n);
  let i = 0;
  for (; i < n; i++) {
    const x = xs[i];
    if (typeof x !== 'number' || (x | 0) !== x || (x === 0 && 1 / x < 0)) break;
    i32[i] = x;
  }
  if (i === n) return { t: 'i32', b: new Uint8Array(i32.buffer) };
  const f64 = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const x = xs[j];
    if (typeof x !== 'number') return undefined;
    f64[j] = x;
  }
  return { t: 'f64', b: new Uint8Array(f64.buffer) };
}

function booleanColumn(xs: readonly unknown[]): Column | undefined {
  const b = new Uint8Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (x === true) b[i] = 1;
    else if (x !== false) return undefined;
  }
  return { t: 'bool', b };
}

function stringColumn(xs: readonly unknown[]): Column | undefined {
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (typeof x !== 'string' || !(x as unknown as MaybeWellFormed).isWellFormed()) return undefined;
  }
  return { t: 'str', s: xs as string[] };
}

/** Values in the walk's form; `path` + `[i]` + `suffix` names a refused value. */
function anyColumn(xs: readonly unknown[], path: string, suffix: string): Column {
  let v: unknown[] | undefined;
  let tagged: number[] | undefined;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    let e: unknown;
    try {
      e = toEncodable(x);
    } catch (err) {
      if (!(err instanceof StateValueRefusal)) throw err;
      const explained = err.explain();
      throw new WireCodecError('UNSUPPORTED_VALUE', `a record cannot cross the wire: it is or holds ${explained.problem}`, `${path}[${i}]${suffix}${explained.path}`, { cause: err });
    }
    if (e !== x) {
      v ??= xs.slice();
      v[i] = e;
      (tagged ??= []).push(i);
    }
  }
  return tagged === undefined ? { t: 'any', v: xs as unknown[] } : { t: 'any', v: v!, tagged };
}

function propertySegment(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

/** One connection's receiving side; its table follows the encoder's. */
export class RecordFrameDecoder {
  private readonly strings: string[] = [];
  private readonly maxEntries: number;

  constructor(stringTable: StringTableOptions | false = {}) {
    this.maxEntries = stringTable === false ? 0 : stringTable.maxEntries || DEFAULT_STRING_TABLE_ENTRIES;
  }

  /** The record frame of untrusted `wire`. Throws WireCodecError UNDECODABLE naming the field. */
  decode(wire: unknown): RecordFrame {
    if (typeof wire !== 'object' || wire === null) throw undecodable('is not an object', '');
    const w = wire as Partial<Record<keyof ColumnFrame, unknown>>;
    const n = w.n;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw undecodable('must be a record count', '.n');
    const fields = w.fields;
    const cols = w.cols;
    const width = fields === null ? 1 : checkFields(fields);
    if (!Array.isArray(cols) || cols.length !== width) throw undecodable(`must be an array of ${width} columns`, '.cols');
    if (w.reset === true) this.strings.length = 0;
    else if (w.reset !== undefined && w.reset !== false) throw undecodable('must be a boolean', '.reset');
    const data = new Array<unknown[]>(width);
    for (let f = 0; f < width; f++) data[f] = this.column(cols[f], n, `.cols[${f}]`);
    let values: unknown[];
    if (fields === null) values = data[0];
    else values = records(fields as string[], data, n);
    const ts = w.ts === null ? undefined : (this.column(w.ts, n, '.ts') as (number | undefined)[]);
    return { kind: 'records', values, timestamps: ts };
  }

  private column(c: unknown, n: number, path: string): unknown[] {
    if (typeof c !== 'object' || c === null) throw undecodable('is not a column', path);
    const col = c as Record<string, unknown>;
    switch (col.t) {
      case 'i32':
        return numbers(col.b, n, 4, path, (d, i) => d.getInt32(i * 4, true), Int32Array);
      case 'f64':
        return numbers(col.b, n, 8, path, (d, i) => d.getFloat64(i * 8, true), Float64Array);
      case 'bool': {
        const b = bytes(col.b, n, `${path}.b`);
        const out = new Array<boolean>(n);
        for (let i = 0; i < n; i++) {
          if (b[i] > 1) throw undecodable(`holds ${b[i]} at ${i}, not 0 or 1`, `${path}.b`);
          out[i] = b[i] === 1;
        }
        return out;
      }
      case 'str': {
        const s = col.s;
        if (!Array.isArray(s) || s.length !== n) throw undecodable(`must be an array of ${n} strings`, `${path}.s`);
        for (let i = 0; i < n; i++) if (typeof s[i] !== 'string') throw undecodable('must hold strings only', `${path}.s[${i}]`);
        return s;
      }
      case 'dict':
        return this.dict(col, n, path);
      case 'any':
        return revived(col, n, path);
      default:
        throw undecodable(`has an unknown column type ${JSON.stringify(String(col.t)).slice(0, 40)}`, `${path}.t`);
    }
  }

  private dict(col: Record<string, unknown>, n: number, path: string): string[] {
    if (this.maxEntries === 0) throw undecodable('is a string-table column on a connection without a table', path);
    const add = col.add;
    if (!Array.isArray(add)) throw undecodable('must be an array of strings', `${path}.add`);
    const strings = this.strings;
    if (strings.length + add.length > this.maxEntries) throw undecodable(`would grow the string table past ${this.maxEntries} entries`, `${path}.add`);
    for (let i = 0; i < add.length; i++) {
      const s: unknown = add[i];
      if (typeof s !== 'string') throw undecodable('must hold strings only', `${path}.add[${i}]`);
      strings.push(s);
    }
    const b = bytes(col.b, n * 4, `${path}.b`);
    const out: string[] = [];
    const size = strings.length;
    if (LITTLE_ENDIAN && b.byteOffset % 4 === 0) {
      const idx = new Uint32Array(b.buffer, b.byteOffset, n);
      for (let i = 0; i < n; i++) {
        const k = idx[i];
        if (k >= size) throw undecodable(`refers to string ${k} of a table of ${size}`, `${path}.b`);
        out.push(strings[k]);
      }
    } else {
      const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < n; i++) {
        const k = d.getUint32(i * 4, true);
        if (k >= size) throw undecodable(`refers to string ${k} of a table of ${size}`, `${path}.b`);
        out.push(strings[k]);
      }
    }
    return out;
  }
}

function checkFields(fields: unknown): number {
  if (!Array.isArray(fields) || fields.length === 0 || fields.length > MAX_FIELDS) throw undecodable(`must be null or an array of 1 to ${MAX_FIELDS} keys`, '.fields');
  const seen = new Set<string>();
  for (let i = 0; i < fields.length; i++) {
    const k: unknown = fields[i];
    if (typeof k !== 'string' || k === '__proto__' || seen.has(k)) throw undecodable('must hold distinct string keys other than "__proto__"', `.fields[${i}]`);
    seen.add(k);
  }
  return fields.length;
}

type RecordBuilder = (data: unknown[][], n: number) => unknown[];

/** Builders by field list; cleared when full (a peer cannot grow it without bound). */
const builders = new Map<string, RecordBuilder>();
const MAX_BUILDERS = 256;

/**
 * The records of `fields` from their columns. One builder is compiled per
 * field list: an object literal with the keys as string literals, so every
 * record of a shape gets one hidden class at the cost of a plain literal
 * (assigning keys by name one by one costs several times that). Keys are
 * embedded with JSON.stringify, which writes any string as a literal;
 * "__proto__" was refused by checkFields.
 */
function records(fields: readonly string[], data: unknown[][], n: number): unknown[] {
  const cacheKey = JSON.stringify(fields);
  let build = builders.get(cacheKey);
  if (build === undefined) {
    if (builders.size >= MAX_BUILDERS) builders.clear();
    const cols = fields.map((_, f) => `c${f} = data[${f}]`).join(', ');
    const literal = fields.map((k, f) => `${JSON.stringify(k)}: c${f}[i]`).join(', ');
    build = new Function('data', 'n', `const ${cols}; const out = []; for (let i = 0; i < n; i++) out.push({ ${literal} }); return out;`) as RecordBuilder;
    builders.set(cacheKey, build);
  }
  return build(data, n);
}

function bytes(b: unknown, length: number, path: string): Uint8Array {
  if (!(b instanceof Uint8Array) || b.byteLength !== length) throw undecodable(`must be ${length} bytes`, path);
  return b;
}

function numbers(
  b: unknown,
  n: number,
  width: number,
  path: string,
  read: (d: DataView, i: number) => number,
  View: Int32ArrayConstructor | Float64ArrayConstructor,
): number[] {
  const u = bytes(b, n * width, `${path}.b`);
  // Plain packed arrays out (filled by push, as an output channel fills its own), so that the
  // operators reading them see one elements kind whether the records crossed the wire or not.
  const out: number[] = [];
  if (LITTLE_ENDIAN && u.byteOffset % width === 0) {
    const view = new View(u.buffer as ArrayBuffer, u.byteOffset, n);
    for (let i = 0; i < n; i++) out.push(view[i]);
    return out;
  }
  const d = new DataView(u.buffer, u.byteOffset, u.byteLength);
  for (let i = 0; i < n; i++) out.push(read(d, i));
  return out;
}

function revived(col: Record<string, unknown>, n: number, path: string): unknown[] {
  const v = col.v;
  if (!Array.isArray(v) || v.length !== n) throw undecodable(`must be an array of ${n} values`, `${path}.v`);
  const tagged = col.tagged;
  if (tagged === undefined) return v;
  if (!Array.isArray(tagged)) throw undecodable('must be an array of indexes', `${path}.tagged`);
  const out = v.slice();
  for (const i of tagged) {
    if (typeof i !== 'number' || !Number.isSafeInteger(i) || i < 0 || i >= n) throw undecodable(`lists ${String(i)}, not an index of the column`, `${path}.tagged`);
    try {
      out[i] = fromEncodable(v[i], () => `value ${i} of a record column`);
    } catch (e) {
      // A malformed tagged form or a state type this process does not know.
      throw new WireCodecError('UNDECODABLE', `undecodable record: ${(e as Error).message}`, `buffer${path}.v[${i}]`, { cause: e });
    }
  }
  return out;
}

function undecodable(problem: string, path: string): WireCodecError {
  return new WireCodecError('UNDECODABLE', `undecodable record frame: ${problem}`, `buffer${path}`);
}
