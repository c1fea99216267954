/**
 * What a record frame costs to cross the wire between node processes:
 * encode + decode of DeliverBuffer messages of 500 small records through
 * the wire codec (the state-value walk on each record, msgpackr, message
 * validation, reviving the tagged records), against msgpackr alone on the
 * same frames (the same-run baseline). Records are small objects of the
 * kind a keyed job moves: a string key, numbers, a timestamp.
 */
import { Packr } from 'msgpackr';
import type { DeliverBuffer } from '../lib/cluster/WireMessages';
import { decodeMessage, encodeMessage } from '../lib/transport/WireCodec';
import { best, fmtRate, type CaseResult } from './harness';

const FRAME = 500;
const FRAMES = 400;

function frames(): DeliverBuffer[] {
  const out: DeliverBuffer[] = [];
  for (let f = 0; f < FRAMES; f++) {
    const values: unknown[] = [];
    const timestamps: number[] = [];
    for (let i = 0; i < FRAME; i++) {
      const n = f * FRAME + i;
      values.push({ user: `user-${n % 1000}`, amount: (n % 97) * 1.25, count: n, ts: 1_700_000_000_000 + n });
      timestamps.push(1_700_000_000_000 + n);
    }
    out.push({
      type: 'DeliverBuffer',
      jobId: 'bench',
      attempt: 0,
      channel: { sourceVertex: 1, sourceIndex: 0, targetVertex: 2, targetIndex: 1, edge: 0 },
      buffer: { kind: 'records', values, timestamps },
    });
  }
  return out;
}

export async function run(): Promise<CaseResult> {
  const fs = frames();
  const records = FRAME * FRAMES;
  const packr = new Packr({ useRecords: true, mapsAsObjects: false, moreTypes: true });
  const baseline = await best('msgpackr alone: encode + decode', records, 15, () => {
    for (const m of fs) packr.unpack(packr.pack(m));
  });
  const codec = await best('wire codec: encode + decode', records, 15, () => {
    for (const m of fs) decodeMessage(encodeMessage(m));
  });
  const bytes = encodeMessage(fs[0]).length;
  return {
    name: `wire codec: ${FRAME}-record frames of small objects`,
    measurements: [baseline, codec],
    ratios: { 'wire codec / msgpackr alone (time)': codec.seconds / baseline.seconds },
    targets: {},
    notes: [`${bytes} bytes per ${FRAME}-record frame (${(bytes / FRAME).toFixed(1)} bytes per record)`, `wire codec ${fmtRate(codec.recordsPerSecond)} records encoded and decoded`],
  };
}

if (require.main === module) {
  void run().then((r) => console.log(JSON.stringify(r, null, 2)));
}
