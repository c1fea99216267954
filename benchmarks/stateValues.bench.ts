/**
 * What the state-value policy costs on the checkpoint path: encoding the
 * columns of 100K keyed-state entries as writeHandle does, with and without
 * the state-value walk (toEncodable per value), for three value shapes —
 * numbers (the walk's cheapest case), small plain objects (a Date, a string
 * array, a nested object: no tags), and instances of a registered class
 * (every value tagged). The plain msgpackr encode of the same columns is
 * the same-run baseline; the registered case's baseline writes the
 * instances as msgpackr does by itself (as plain objects, the prototype
 * lost). Decoding is measured the same way. Baseline and variant are timed
 * alternately, best of 21 each.
 */
import { decodeState, encodeState } from '../lib/state/codec';
import { registerStateType } from '../lib/state/StateTypeRegistry';
import { fromEncodable } from '../lib/state/stateValueReader';
import { toEncodable } from '../lib/state/stateValues';
import type { CaseResult, Measurement } from './harness';

const ENTRIES = 100_000;
const GROUP = 1_000; // entries per key group: writeHandle encodes one block per group

class Position {
  constructor(
    public symbol: string,
    public quantity: number,
    public opened: Date,
  ) {}
  value(price: number): number {
    return this.quantity * price;
  }
}
registerStateType(Position, { name: 'bench.Position' });

const shapes: Record<string, (i: number) => unknown> = {
  numbers: (i) => i * 1.5,
  'plain objects': (i) => ({ count: i, sum: i * 2.5, last: new Date(1_700_000_000_000 + i), tags: ['a', `t${i % 7}`], where: { zone: i % 13 } }),
  'registered class instances': (i) => new Position(`S${i % 500}`, i, new Date(1_700_000_000_000 + i)),
};

interface Columns {
  s: number[];
  k: string[];
  v: unknown[];
  t?: number[];
}

function blocks(make: (i: number) => unknown): Columns[] {
  const out: Columns[] = [];
  for (let g = 0; g < ENTRIES / GROUP; g++) {
    const cols: Columns = { s: [], k: [], v: [] };
    for (let j = 0; j < GROUP; j++) {
      const i = g * GROUP + j;
      cols.s.push(0);
      cols.k.push(`key-${i}`);
      cols.v.push(make(i));
    }
    out.push(cols);
  }
  return out;
}

/** writeHandle's encoding of one block: walk each value, mark the tagged ones, encode. */
function encodeWalked(cols: Columns): Uint8Array {
  const v: unknown[] = new Array(cols.v.length);
  let t: number[] | undefined;
  for (let j = 0; j < cols.v.length; j++) {
    const p = toEncodable(cols.v[j]);
    if (p !== cols.v[j]) (t ??= []).push(j);
    v[j] = p;
  }
  return encodeState(t ? { s: cols.s, k: cols.k, v, t } : { s: cols.s, k: cols.k, v });
}

function decodeRevived(bytes: Uint8Array): unknown[] {
  const cols = decodeState<Columns>(bytes, 'bench');
  for (const j of cols.t ?? []) cols.v[j] = fromEncodable(cols.v[j], () => 'bench');
  return cols.v;
}

/**
 * Best of `reps` for a baseline and a variant, timed alternately so that a
 * machine shared with other work slows both alike.
 */
function pair(records: number, reps: number, a: [string, () => unknown], b: [string, () => unknown]): [Measurement, Measurement] {
  const bestOf = [Infinity, Infinity];
  a[1]();
  b[1]();
  for (let r = 0; r < reps; r++) {
    [a, b].forEach(([, fn], i) => {
      if (global.gc) global.gc();
      const t0 = process.hrtime.bigint();
      fn();
      bestOf[i] = Math.min(bestOf[i], Number(process.hrtime.bigint() - t0) / 1e9);
    });
  }
  return [a, b].map(([label], i) => ({ label, records, seconds: bestOf[i], recordsPerSecond: records / bestOf[i] })) as [Measurement, Measurement];
}

export async function run(): Promise<CaseResult> {
  const measurements: Measurement[] = [];
  const ratios: Record<string, number> = {};
  const targets: Record<string, string> = {};
  const notes: string[] = [];
  for (const [shape, make] of Object.entries(shapes)) {
    const bs = blocks(make);
    const [plain, walked] = pair(
      ENTRIES,
      21,
      [`${shape}: encode, msgpackr alone`, () => bs.map((b) => encodeState(b))],
      [`${shape}: encode, walk + msgpackr`, () => bs.map(encodeWalked)],
    );
    const plainBytes = bs.map((b) => encodeState(b));
    const walkedBytes = bs.map(encodeWalked);
    const [plainRead, walkedRead] = pair(
      ENTRIES,
      21,
      [`${shape}: decode, msgpackr alone`, () => plainBytes.map((b) => decodeState(b, 'bench'))],
      [`${shape}: decode + revive`, () => walkedBytes.map(decodeRevived)],
    );
    measurements.push(plain, walked, plainRead, walkedRead);
    ratios[`${shape}: encode time, walk / alone`] = walked.seconds / plain.seconds;
    ratios[`${shape}: decode time, revive / alone`] = walkedRead.seconds / plainRead.seconds;
    if (shape !== 'registered class instances') targets[`${shape}: encode time, walk / alone`] = '≤ 1.5';
    const size = (xs: Uint8Array[]) => xs.reduce((n, b) => n + b.length, 0);
    notes.push(`${shape}: ${(size(plainBytes) / 1e6).toFixed(2)} MB alone, ${(size(walkedBytes) / 1e6).toFixed(2)} MB walked`);
  }
  return { name: 'state values: the walk on the checkpoint path, 100K entries', measurements, ratios, targets, notes };
}
