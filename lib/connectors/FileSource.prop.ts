/**
 * Properties of FileSource readers over random files (no actors):
 *
 * - Decoding: random CSV (fields with delimiters, quotes, CR/LF and
 *   multibyte text; quoted or not; CRLF or LF; blank lines; with or without
 *   a final newline) and random JSON lines read back as the values written,
 *   at any chunk size and batch size.
 * - Replay and rescale: several files read by p readers, stopped after a
 *   random number of polls, their snapshots dealt round-robin to p'
 *   readers that read the rest: every record exactly once, each file's
 *   records in file order.
 *
 * Replay a failure: FC_SEED=<seed> npx jest lib/connectors/FileSource.prop.ts
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { systemClock } from '../time/Clock';
import { FileSource } from './FileSource';
import type { FileSourceSplit } from './FileSourceSplit';
import { assignSplits, type ReaderOutput, type SourceReader } from './Source';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-filesource-prop-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let fileSeq = 0;
function newDir(): string {
  const d = path.join(dir, `case-${fileSeq++}`);
  fs.mkdirSync(d);
  return d;
}

const fieldText = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r', 'é', '😀', 'ж', ';'), maxLength: 8 });
const eol = fc.constantFrom('\n', '\r\n');

interface CsvStyle {
  readonly quoteAll: readonly boolean[];
  readonly eols: readonly string[];
  readonly blanks: readonly boolean[];
  readonly finalNewline: boolean;
}

interface CsvFile {
  readonly columns: string[];
  readonly rows: string[][];
  readonly style: CsvStyle;
}

/** Header c0..cn, rows quoted where needed (or at random), LF/CRLF, blank lines, maybe no final newline. */
const csvFileArb: fc.Arbitrary<CsvFile> = fc.integer({ min: 1, max: 4 }).chain((width) =>
  fc.record({
    columns: fc.constant(Array.from({ length: width }, (_, i) => `c${i}`)),
    rows: fc.array(fc.array(fieldText, { minLength: width, maxLength: width }), { maxLength: 25 }),
    style: fc.record({
      quoteAll: fc.array(fc.boolean(), { minLength: 100, maxLength: 100 }),
      eols: fc.array(eol, { minLength: 30, maxLength: 30 }),
      blanks: fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
      finalNewline: fc.boolean(),
    }),
  }),
);

function renderCsv({ columns, rows, style }: CsvFile): string {
  let q = 0;
  const field = (s: string) => (s === '' || /[",\r\n]/.test(s) || style.quoteAll[q++ % style.quoteAll.length] ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [columns.join(','), ...rows.map((r) => r.map(field).join(','))];
  let text = '';
  lines.forEach((l, i) => {
    text += l;
    if (i < lines.length - 1 || style.finalNewline) text += style.eols[i % style.eols.length];
    if (style.blanks[i % style.blanks.length] && i < lines.length - 1) text += style.eols[(i + 1) % style.eols.length];
  });
  return text;
}

const asObjects = (f: CsvFile) => f.rows.map((r) => Object.fromEntries(r.map((v, i) => [f.columns[i], v])));

const jsonFileArb = fc
  .record({ values: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 25 }), eols: fc.array(eol, { minLength: 30, maxLength: 30 }), finalNewline: fc.boolean() })
  .map(({ values, eols, finalNewline }) => ({
    values: values.map((v) => JSON.parse(JSON.stringify(v)) as unknown),
    text: values.map((v, i) => JSON.stringify(v) + (i < values.length - 1 || finalNewline ? eols[i % eols.length] : '')).join(''),
  }));

function collect<T>(): { out: ReaderOutput<T>; records: T[] } {
  const records: T[] = [];
  return { out: { collect: (v) => records.push(v) }, records };
}

function reader<T>(source: FileSource<T>, splits: readonly FileSourceSplit[], batch: number, index = 0, parallelism = 1) {
  const r = source.createReader({ indexOfSubtask: index, parallelism, batchSizeHint: batch, clock: systemClock });
  r.addSplits(splits);
  return r;
}

async function drain<T>(r: SourceReader<T, FileSourceSplit>, out: ReaderOutput<T>, polls = Infinity): Promise<void> {
  for (let i = 0; i < polls; i++) {
    const s = r.pollNext(out);
    if (s === 'END_OF_INPUT') break;
    if (s === 'NOTHING_AVAILABLE') await r.isAvailable();
  }
  await r.close!();
}

describe('FileSource readers on random files', () => {
  test('CSV reads back the rows written, at any chunk and batch size', async () => {
    await fc.assert(
      fc.asyncProperty(csvFileArb, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 8 }), async (file, chunkSize, batch) => {
        const p = path.join(newDir(), 'f.csv');
        fs.writeFileSync(p, renderCsv(file));
        const source = FileSource.csv<Record<string, string>>(p, { chunkSize });
        const { out, records } = collect<Record<string, string>>();
        await drain(reader(source, source.createSplits(1), batch), out);
        expect(records).toEqual(asObjects(file));
      }),
    );
  });

  test('JSON lines reads back the values written, at any chunk and batch size', async () => {
    await fc.assert(
      fc.asyncProperty(jsonFileArb, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 8 }), async (file, chunkSize, batch) => {
        const p = path.join(newDir(), 'f.jsonl');
        fs.writeFileSync(p, file.text);
        const source = FileSource.jsonLines(p, { chunkSize });
        const { out, records } = collect<unknown>();
        await drain(reader(source, source.createSplits(1), batch), out);
        expect(records).toEqual(file.values);
      }),
    );
  });

  test('stopped after random polls at p, resumed from the snapshots at p′: every record once, in file order', async () => {
    const scenario = fc.record({
      files: fc.array(csvFileArb, { minLength: 1, maxLength: 4 }),
      p: fc.integer({ min: 1, max: 3 }),
      p2: fc.integer({ min: 1, max: 3 }),
      polls: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 3, maxLength: 3 }),
      chunkSize: fc.integer({ min: 1, max: 64 }),
      chunkSize2: fc.integer({ min: 1, max: 64 }),
      batch: fc.integer({ min: 1, max: 6 }),
    });
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        const d = newDir();
        // Each row names its file and position, so per-file order can be checked.
        const files = sc.files.map((f, i) => ({
          columns: ['id', ...f.columns],
          rows: f.rows.map((r, k) => [`${i}/${k}`, ...r]),
          style: f.style,
        }));
        files.forEach((f, i) => fs.writeFileSync(path.join(d, `f${i}.csv`), renderCsv(f)));
        const got: Record<string, string>[] = [];
        const before = FileSource.csv<Record<string, string>>(d, { chunkSize: sc.chunkSize });
        const state: FileSourceSplit[] = [];
        for (let i = 0; i < sc.p; i++) {
          const { out, records } = collect<Record<string, string>>();
          const r = reader(before, assignSplits(before.createSplits(sc.p), i, sc.p), sc.batch, i, sc.p);
          await poll(r, out, sc.polls[i]);
          state.push(...r.snapshotState(1));
          await r.close!();
          got.push(...records);
        }
        const after = FileSource.csv<Record<string, string>>(d, { chunkSize: sc.chunkSize2 });
        for (let i = 0; i < sc.p2; i++) {
          const { out, records } = collect<Record<string, string>>();
          await drain(reader(after, assignSplits(state, i, sc.p2), sc.batch, i, sc.p2), out);
          got.push(...records);
        }
        files.forEach((f, i) => expect(got.filter((r) => r.id.startsWith(`${i}/`))).toEqual(asObjects(f)));
        expect(got.length).toBe(files.reduce((n, f) => n + f.rows.length, 0));
      }),
    );
  });
});

/** Polls `polls` times (or to the end), without closing: the snapshot is taken after. */
async function poll<T>(r: SourceReader<T, FileSourceSplit>, out: ReaderOutput<T>, polls: number): Promise<void> {
  for (let i = 0; i < polls; i++) {
    const s = r.pollNext(out);
    if (s === 'END_OF_INPUT') return;
    if (s === 'NOTHING_AVAILABLE') await r.isAvailable();
  }
}
