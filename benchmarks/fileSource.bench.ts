/**
 * FileSource throughput against plain readers of the same file, in the same
 * run: JSON lines against node:readline + JSON.parse, CSV against
 * csv-parse's own stream parser piped from fs.createReadStream. Each is
 * measured twice for the FileSource: its reader alone (polled in a loop, as
 * a source task polls it) and a whole job (FileSource → sink, p=1).
 * Target: the job at ≥ 0.5 of the plain reader (it adds positions,
 * record-boundary framing and the engine).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { parse as csvStream } from 'csv-parse';
import { FileSource, StreamExecutionEnvironment } from '../index';
import type { FileSourceSplit } from '../lib/connectors/FileSourceSplit';
import type { SourceReader } from '../lib/connectors/Source';
import { systemClock } from '../lib/time/Clock';
import { best, type CaseResult } from './harness';

const record = (i: number) => ({ id: i, user: `user-${i % 9973}`, amount: (i % 10_000) / 100, ts: 1_700_000_000_000 + i, tags: ['a', i % 2 ? 'odd' : 'even'] });

function writeFiles(dir: string, records: number): { json: string; csv: string } {
  const json = path.join(dir, 'records.jsonl');
  const csv = path.join(dir, 'records.csv');
  const jsonOut = fs.openSync(json, 'w');
  const csvOut = fs.openSync(csv, 'w');
  fs.writeSync(csvOut, 'id,user,amount,ts,note\n');
  const block = 10_000;
  for (let start = 0; start < records; start += block) {
    let j = '';
    let c = '';
    for (let i = start; i < Math.min(records, start + block); i++) {
      const r = record(i);
      j += `${JSON.stringify(r)}\n`;
      c += `${r.id},${r.user},${r.amount},${r.ts},"${i % 10 === 0 ? 'with ""quotes"", a comma' : 'plain'}"\n`;
    }
    fs.writeSync(jsonOut, j);
    fs.writeSync(csvOut, c);
  }
  fs.closeSync(jsonOut);
  fs.closeSync(csvOut);
  return { json, csv };
}

async function readlineJson(file: string): Promise<number> {
  let n = 0;
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.length > 0 && JSON.parse(line) !== undefined) n++;
  }
  return n;
}

async function csvParseStream(file: string): Promise<number> {
  let n = 0;
  for await (const _row of fs.createReadStream(file).pipe(csvStream({ columns: true }))) n++;
  return n;
}

/** Polls a FileSource reader to its end, as a source task does (waiting when nothing is available). */
async function readerAlone<T>(source: FileSource<T>): Promise<number> {
  let n = 0;
  const r: SourceReader<T, FileSourceSplit> = source.createReader({ indexOfSubtask: 0, parallelism: 1, batchSizeHint: 500, clock: systemClock });
  r.addSplits(source.createSplits(1));
  const out = { collect: () => void n++ };
  for (;;) {
    const s = r.pollNext(out);
    if (s === 'END_OF_INPUT') break;
    if (s === 'NOTHING_AVAILABLE') await r.isAvailable();
  }
  await r.close!();
  return n;
}

async function job<T>(source: FileSource<T>): Promise<number> {
  let n = 0;
  const env = StreamExecutionEnvironment.create({ parallelism: 1 });
  env.fromSource(source).sinkTo(() => void n++);
  await env.execute('file source');
  return n;
}

function checked(records: number, fn: () => Promise<number>): () => Promise<void> {
  return async () => {
    const n = await fn();
    if (n !== records) throw new Error(`read ${n} records, expected ${records}`);
  };
}

export async function run(records = 500_000): Promise<CaseResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bench-files-'));
  try {
    const { json, csv } = writeFiles(dir, records);
    const mb = (f: string) => (fs.statSync(f).size / 1e6).toFixed(0);
    const jsonPlain = await best('JSON: readline + JSON.parse', records, 3, checked(records, () => readlineJson(json)));
    const jsonReader = await best('JSON: FileSource reader alone', records, 3, checked(records, () => readerAlone(FileSource.jsonLines(json))));
    const jsonJob = await best('JSON: FileSource job, p=1', records, 3, checked(records, () => job(FileSource.jsonLines(json))));
    const csvPlain = await best('CSV: csv-parse stream', records, 3, checked(records, () => csvParseStream(csv)));
    const csvReader = await best('CSV: FileSource reader alone', records, 3, checked(records, () => readerAlone(FileSource.csv(csv))));
    const csvJob = await best('CSV: FileSource job, p=1', records, 3, checked(records, () => job(FileSource.csv(csv))));
    return {
      name: `FileSource, ${records} records (JSON lines ${mb(json)} MB, CSV ${mb(csv)} MB)`,
      measurements: [jsonPlain, jsonReader, jsonJob, csvPlain, csvReader, csvJob],
      ratios: {
        'JSON reader / readline': jsonReader.recordsPerSecond / jsonPlain.recordsPerSecond,
        'JSON job / readline': jsonJob.recordsPerSecond / jsonPlain.recordsPerSecond,
        'CSV reader / csv-parse stream': csvReader.recordsPerSecond / csvPlain.recordsPerSecond,
        'CSV job / csv-parse stream': csvJob.recordsPerSecond / csvPlain.recordsPerSecond,
      },
      targets: { 'JSON job / readline': '≥ 0.5', 'CSV job / csv-parse stream': '≥ 0.5' },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
