/**
 * What a record frame costs to cross the wire between node processes:
 * encode + decode of DeliverBuffer messages of 512 records, in order, as a
 * connection sends them:
 * - msgpackr alone on the message with its records as objects (the form
 *   records had on the wire before columns; the same-run baseline);
 * - the stateless codec (`encodeMessage` / `decodeMessage`: columns, no
 *   string table);
 * - a connection's codec pair (`WireEncoder` / `WireDecoder`: columns and
 *   the string table), the form node processes use.
 * Two record shapes: a keyed job's `{ key, amount }` over 10,000 keys, and
 * a wider event `{ user, amount, count, ts }` with timestamps.
 */
import { Packr } from 'msgpackr';
import type { DeliverBuffer } from '../lib/cluster/WireMessages';
import { decodeMessage, encodeMessage, WireDecoder, WireEncoder } from '../lib/transport/WireCodec';
import { best, fmtRate, type CaseResult, type Measurement } from './harness';

const FRAME = 512;
const FRAMES = 400;
const channel = { sourceVertex: 1, sourceIndex: 0, targetVertex: 2, targetIndex: 1, edge: 0 };

function frames(record: (n: number) => unknown, timestamps: boolean): DeliverBuffer[] {
  const out: DeliverBuffer[] = [];
  for (let f = 0; f < FRAMES; f++) {
    const values: unknown[] = [];
    const ts: number[] = [];
    for (let i = 0; i < FRAME; i++) {
      const n = f * FRAME + i;
      values.push(record(n));
      ts.push(1_700_000_000_000 + n);
    }
    out.push({ type: 'DeliverBuffer', jobId: 'bench', attempt: 0, channel, buffer: { kind: 'records', values, timestamps: timestamps ? ts : undefined } });
  }
  return out;
}

const KEYS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
const SHAPES = {
  'keyed { key, amount }, 10K keys': frames((n) => ({ key: KEYS[(n * 7919) % KEYS.length], amount: n % 10 }), false),
  'event { user, amount, count, ts } with timestamps': frames((n) => ({ user: `user-${n % 1000}`, amount: (n % 97) * 1.25, count: n, ts: 1_700_000_000_000 + n }), true),
};

export async function run(): Promise<CaseResult> {
  const records = FRAME * FRAMES;
  const packr = new Packr({ useRecords: true, mapsAsObjects: false, moreTypes: true });
  const measurements: Measurement[] = [];
  const ratios: Record<string, number> = {};
  const notes: string[] = [];
  for (const [shape, fs] of Object.entries(SHAPES)) {
    const baseline = await best(`${shape}: msgpackr alone, records as objects`, records, 15, () => {
      for (const m of fs) packr.unpack(packr.pack(m));
    });
    const stateless = await best(`${shape}: columns, no string table`, records, 15, () => {
      for (const m of fs) decodeMessage(encodeMessage(m));
    });
    // One connection for all runs, as in a node process: the table is warm after the first pass.
    const encoder = new WireEncoder();
    const decoder = new WireDecoder();
    const connection = await best(`${shape}: columns and string table (a connection)`, records, 15, () => {
      for (const m of fs) decoder.decode(encoder.encode(m));
    });
    measurements.push(baseline, stateless, connection);
    ratios[`${shape}: connection codec / msgpackr alone (time)`] = connection.seconds / baseline.seconds;
    ratios[`${shape}: stateless codec / msgpackr alone (time)`] = stateless.seconds / baseline.seconds;
    const warm = new WireEncoder();
    for (const m of fs) warm.encode(m);
    notes.push(
      `${shape}: bytes per ${FRAME}-record frame: msgpackr ${packr.pack(fs[1]).length}, columns ${encodeMessage(fs[1]).length}, columns with a warm table ${warm.encode(fs[1]).length}; ` +
        `connection codec ${fmtRate(connection.recordsPerSecond)} records encoded and decoded (${((connection.seconds / records) * 1e9).toFixed(0)} ns per record)`,
    );
  }
  return { name: `wire codec: ${FRAME}-record frames`, measurements, ratios, targets: {}, notes };
}

if (require.main === module) {
  void run().then((r) => console.log(JSON.stringify(r, null, 2)));
}
