/**
 * FileSource readers, driven directly (no actors): records and positions of
 * JSON lines and CSV at every chunk size (UTF-8 characters and quoted
 * newlines cut by chunk boundaries), empty files, no trailing newline, CRLF,
 * a byte-order mark, blank lines; each split's offset after every poll is
 * the byte offset of the next record and a reader restored from any
 * snapshot emits exactly the rest; malformed records fail (file and line),
 * are skipped (counted) or go to a side output; truncated files and
 * restored splits of another source fail with typed errors; directories,
 * ownership across subtasks, rescaling and continuous monitoring.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OutputTag } from '../api/OutputTag';
import { ConfigurationError, CorruptStateError, FileChangedError, FileReadError, MalformedRecordError } from '../errors';
import { ManualClock } from '../testing/ManualClock';
import { systemClock, type Clock } from '../time/Clock';
import { FileSource } from './FileSource';
import type { MalformedRecord } from './FileSourceReader';
import type { FileSourceSplit, FileSplit } from './FileSourceSplit';
import { assignSplits, type ReaderOutput, type SourceReader } from './Source';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-filesource-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
}

interface Collected<T> {
  readonly output: ReaderOutput<T>;
  readonly records: T[];
  readonly side: [string, unknown][];
}

function collector<T>(): Collected<T> {
  const records: T[] = [];
  const side: [string, unknown][] = [];
  return { output: { collect: (v) => records.push(v), output: (tag, v) => side.push([tag.id, v]) }, records, side };
}

function reader<T>(source: FileSource<T>, splits: readonly FileSourceSplit[], opts: { batch?: number; clock?: Clock; index?: number; parallelism?: number } = {}) {
  const r = source.createReader({ indexOfSubtask: opts.index ?? 0, parallelism: opts.parallelism ?? 1, batchSizeHint: opts.batch ?? 100, clock: opts.clock ?? systemClock });
  r.addSplits(splits);
  return r;
}

/** Polls until the end of input (or `polls` polls), waiting whenever nothing is available. */
async function drain<T>(r: SourceReader<T, FileSourceSplit>, out: ReaderOutput<T>, polls = Infinity, onPoll?: () => void): Promise<boolean> {
  for (let i = 0; i < polls; i++) {
    const status = r.pollNext(out);
    onPoll?.();
    if (status === 'END_OF_INPUT') return true;
    if (status === 'NOTHING_AVAILABLE') await r.isAvailable();
  }
  return false;
}

/** Drains a reader that must fail; closes it and returns the error. */
async function failure<T>(r: SourceReader<T, FileSourceSplit>, out: ReaderOutput<T>, onPoll?: () => void): Promise<unknown> {
  const err = await drain(r, out, Infinity, onPoll).then(
    () => new Error('the reader did not fail'),
    (e: unknown) => e,
  );
  await r.close!();
  return err;
}

async function readAll<T>(source: FileSource<T>, batch = 100): Promise<Collected<T>> {
  const c = collector<T>();
  const r = reader(source, source.createSplits(1), { batch });
  expect(await drain(r, c.output)).toBe(true);
  await r.close!();
  return c;
}

/** Reads with a snapshot after every poll; then, from each snapshot, a fresh reader reads the rest. */
async function expectReplayableFromEverySnapshot<T>(source: FileSource<T>, batch: number): Promise<T[]> {
  const c = collector<T>();
  const r = reader(source, source.createSplits(1), { batch });
  const snapshots: { splits: FileSourceSplit[]; emitted: number }[] = [];
  await drain(r, c.output, Infinity, () => snapshots.push({ splits: r.snapshotState(0), emitted: c.records.length }));
  await r.close!();
  for (const s of snapshots) {
    const rest = collector<T>();
    const restored = reader(source, s.splits, { batch });
    expect(await drain(restored, rest.output)).toBe(true);
    await restored.close!();
    expect([...c.records.slice(0, s.emitted), ...rest.records]).toEqual(c.records);
  }
  return c.records;
}

const fileSplits = (splits: readonly FileSourceSplit[]) => splits.filter((s): s is FileSplit => s.kind === 'file');

describe('JSON lines', () => {
  const lines = [{ a: 1 }, { b: 'ünï😀cødé' }, [1, 2, 3], 'text', 42, null, { nested: { deep: ['x', { y: 'ж' }] } }];

  test('records in order at every chunk size, with CRLF, blank lines, a BOM and no trailing newline', async () => {
    const content = '\ufeff' + lines.map((l, i) => JSON.stringify(l) + (i % 2 ? '\r\n' : '\n') + (i === 3 ? '\n   \n' : '')).join('').trimEnd();
    const file = write('a.jsonl', content);
    for (const chunkSize of [1, 2, 3, 5, 7, 64, 1 << 16]) {
      const { records } = await readAll(FileSource.jsonLines(file, { chunkSize }), 2);
      expect(records).toEqual(lines);
    }
  });

  test("after every poll a split's offset is the byte offset of the next record and its line the next record's line", async () => {
    const content = '{"n":1}\n\n{"n":"é"}\r\n{"n":3}';
    const file = write('b.jsonl', content);
    const source = FileSource.jsonLines<{ n: unknown }>(file, { chunkSize: 3 });
    const c = collector<{ n: unknown }>();
    const r = reader(source, source.createSplits(1), { batch: 1 });
    const seen: [number, number, number][] = [];
    await drain(r, c.output, Infinity, () => {
      const [s] = fileSplits(r.snapshotState(0));
      if (s) seen.push([s.records, s.offset, s.line]);
    });
    const bytes = Buffer.from(content);
    const after = (n: number) => bytes.indexOf('\n', n) + 1;
    // After record 1: offset 8 (the blank line is skipped with the next record); after record 2 ("é" is 2 bytes): past its CRLF.
    expect(seen.filter(([n]) => n > 0).map(([n, o, l]) => [n, o, l])).toEqual(
      expect.arrayContaining([
        [1, 8, 2],
        [2, after(9), 4],
      ]),
    );
    expect(c.records).toEqual([{ n: 1 }, { n: 'é' }, { n: 3 }]);
  });

  test('a reader restored from any snapshot emits exactly the rest (small chunks, multibyte text)', async () => {
    const file = write('c.jsonl', Array.from({ length: 40 }, (_, i) => JSON.stringify({ i, s: '😀é'.repeat(i % 4) })).join('\n') + '\n');
    const records = await expectReplayableFromEverySnapshot(FileSource.jsonLines<{ i: number }>(file, { chunkSize: 5 }), 3);
    expect(records.map((r) => r.i)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  test('empty files, a file of blank lines and an empty directory give no records and end', async () => {
    write('d/empty.jsonl', '');
    write('d/blank.jsonl', '\n\r\n  \n');
    fs.mkdirSync(path.join(dir, 'e'));
    expect((await readAll(FileSource.jsonLines(path.join(dir, 'd')))).records).toEqual([]);
    expect((await readAll(FileSource.jsonLines(path.join(dir, 'e')))).records).toEqual([]);
  });

  test('a malformed line fails with MalformedRecordError naming the file and its 1-based line', async () => {
    const file = write('bad.jsonl', '{"ok":1}\n\n{"broken":\n{"ok":2}\n');
    const c = collector();
    const r = reader(FileSource.jsonLines(file), FileSource.jsonLines(file).createSplits(1));
    const err = await failure(r, c.output);
    expect(err).toBeInstanceOf(MalformedRecordError);
    expect(err).toMatchObject({ code: 'MALFORMED_RECORD', file, line: 3 });
    expect((err as Error).message).toContain(`${file} at line 3`);
    expect(c.records).toEqual([{ ok: 1 }]);
  });

  test("onMalformed 'skip' drops malformed lines and counts them", async () => {
    const file = write('skip.jsonl', '1\nnope\n2\n{\n3');
    const source = FileSource.jsonLines<number>(file, { onMalformed: 'skip' });
    expect((await readAll(source)).records).toEqual([1, 2, 3]);
    expect(source.skippedRecords).toBe(2);
  });

  test('onMalformed with an OutputTag sends file, line, raw text and reason to that side output, in order', async () => {
    const bad = new OutputTag<MalformedRecord>('bad');
    const file = write('side.jsonl', '1\r\nnope\r\n2\n\n{"a":\n');
    const c = await readAll(FileSource.jsonLines<number>(file, { onMalformed: bad, chunkSize: 4 }));
    expect(c.records).toEqual([1, 2]);
    expect(c.side).toEqual([
      ['bad', { file, line: 2, raw: 'nope', reason: expect.stringMatching(/JSON/) }],
      ['bad', { file, line: 5, raw: '{"a":', reason: expect.any(String) }],
    ]);
  });

  test('a record longer than maxRecordBytes fails instead of buffering without bound', async () => {
    const file = write('long.jsonl', `"${'x'.repeat(5000)}"\n`);
    const c = collector();
    const source = FileSource.jsonLines(file, { chunkSize: 256, maxRecordBytes: 1000 });
    const err = await failure(reader(source, source.createSplits(1)), c.output);
    expect(err).toBeInstanceOf(MalformedRecordError);
    expect((err as Error).message).toMatch(/longer than maxRecordBytes \(1000 bytes\)/);
  });

  test.each([7, 64, 64 * 1024])('a record longer than maxRecordBytes fails at chunk size %i, also when it arrived whole or is the last line', async (chunkSize) => {
    for (const [name, content, line] of [
      ['middle.jsonl', `{"n":1}\n"${'x'.repeat(100)}"\n{"n":2}\n`, 2],
      ['last.jsonl', `{"n":1}\n"${'x'.repeat(100)}"`, 2],
    ] as const) {
      const file = write(name, content);
      const source = FileSource.jsonLines(file, { chunkSize, maxRecordBytes: 50 });
      const err = await failure(reader(source, source.createSplits(1)), collector().output);
      expect(err).toMatchObject({ code: 'MALFORMED_RECORD', file, line });
      expect((err as Error).message).toMatch(/longer than maxRecordBytes \(50 bytes\)/);
    }
    const csv = write('long.csv', `a,b\n${'x'.repeat(40)},1\n`);
    const source = FileSource.csv(csv, { chunkSize, maxRecordBytes: 10 });
    expect(await failure(reader(source, source.createSplits(1)), collector().output)).toMatchObject({ code: 'MALFORMED_RECORD', file: csv, line: 2 });
  });

  test('a line that is not valid UTF-8 is malformed, never decoded with replacement characters; U+FFFD itself is fine', async () => {
    const bad = new OutputTag<MalformedRecord>('bad');
    const file = write(
      'latin1.jsonl',
      Buffer.concat([Buffer.from('"ok"\n"caf'), Buffer.from([0xe9]), Buffer.from('"\n"\uFFFD"\n{"b":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}\n')]),
    );
    const c = await readAll(FileSource.jsonLines<string>(file, { onMalformed: bad, chunkSize: 5 }));
    expect(c.records).toEqual(['ok', '\uFFFD']);
    expect(c.side.map(([, v]) => [(v as MalformedRecord).line, (v as MalformedRecord).reason])).toEqual([
      [2, 'not valid UTF-8'],
      [4, 'not valid UTF-8'],
    ]);
  });
});

describe('CSV', () => {
  test('a header row names the fields; quoted fields hold delimiters, doubled quotes and newlines, at every chunk size', async () => {
    const content = 'id,name,note\r\n1,"Smith, J.","said ""hi""\r\nthen left"\r\n2,Lee,\r\n\r\n3,"multi\nline\nfield","é😀"';
    const file = write('people.csv', content);
    const expected = [
      { id: '1', name: 'Smith, J.', note: 'said "hi"\r\nthen left' },
      { id: '2', name: 'Lee', note: '' },
      { id: '3', name: 'multi\nline\nfield', note: 'é😀' },
    ];
    for (const chunkSize of [1, 2, 3, 4, 7, 13, 1 << 16]) {
      expect((await readAll(FileSource.csv(file, { chunkSize }), 2)).records).toEqual(expected);
    }
  });

  test('a reader restored from any snapshot emits exactly the rest, and keeps the header it read', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i},"line ${i}\nwith ""quotes"", commas",${i % 3 === 0 ? '' : 'x'}`);
    const file = write('r.csv', `n,text,flag\n${rows.join('\n')}\n`);
    const records = await expectReplayableFromEverySnapshot(FileSource.csv<{ n: string }>(file, { chunkSize: 6, cast: false }), 4);
    expect(records.map((r) => r.n)).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
    const c = collector();
    const source = FileSource.csv(file, { chunkSize: 6 });
    const r = reader(source, source.createSplits(1), { batch: 2 });
    for (let i = 0; c.records.length === 0; i++) await drain(r, c.output, 1);
    expect(fileSplits(r.snapshotState(0))[0].format).toEqual(['n', 'text', 'flag']);
  });

  test('given columns, header skipping, arrays without a header, another delimiter, quote and escape, cast', async () => {
    const semi = write('semi.csv', "a;b\n'x;1';2\n'it\\'s';3\n");
    expect((await readAll(FileSource.csv(semi, { delimiter: ';', quote: "'", escape: '\\', cast: true }))).records).toEqual([
      { a: 'x;1', b: 2 },
      { a: "it's", b: 3 },
    ]);
    const plain = write('plain.csv', '1,2\n3,4,5\n');
    expect((await readAll(FileSource.csv(plain, { header: false }))).records).toEqual([
      ['1', '2'],
      ['3', '4', '5'],
    ]);
    expect((await readAll(FileSource.csv(plain, { header: false, columns: ['x', 'y'], onMalformed: 'skip' }))).records).toEqual([{ x: '1', y: '2' }]);
    const headed = write('headed.csv', 'A,B\n1,2\n');
    expect((await readAll(FileSource.csv(headed, { columns: ['x', 'y'] }))).records).toEqual([{ x: '1', y: '2' }]);
  });

  test('malformed records go to the side output with the line where they start, also after multi-line records', async () => {
    const bad = new OutputTag<MalformedRecord>('bad');
    const content = 'a,b\n1,"two\nlines"\n2,x"y\n3\n4,"ok"\n5,"unclosed\n6,7\n';
    const file = write('bad.csv', content);
    const c = await readAll(FileSource.csv(file, { onMalformed: bad, chunkSize: 3 }), 10);
    expect(c.records).toEqual([
      { a: '1', b: 'two\nlines' },
      { a: '4', b: 'ok' },
    ]);
    const side = c.side.map(([, v]) => v as MalformedRecord);
    expect(side.map((m) => [m.line, m.raw])).toEqual([
      [4, '2,x"y'],
      [5, '3'],
      [7, '5,"unclosed\n6,7'],
    ]);
    expect(side.every((m) => m.file === file && m.reason.length > 0)).toBe(true);
  });

  test('a record that is not valid UTF-8 is malformed, with its line', async () => {
    const bad = new OutputTag<MalformedRecord>('bad');
    const file = write('latin1.csv', Buffer.concat([Buffer.from('name,n\ntea,1\ncaf'), Buffer.from([0xe9]), Buffer.from(',2\n"\uFFFD",3\n')]));
    const c = await readAll(FileSource.csv(file, { onMalformed: bad }));
    expect(c.records).toEqual([
      { name: 'tea', n: '1' },
      { name: '\uFFFD', n: '3' },
    ]);
    expect(c.side.map(([, v]) => [(v as MalformedRecord).line, (v as MalformedRecord).reason])).toEqual([[3, 'not valid UTF-8']]);
  });

  test('a header row that does not parse fails whatever the policy', async () => {
    const file = write('badheader.csv', 'a,"b\n');
    const c = collector();
    const source = FileSource.csv(file, { onMalformed: 'skip' });
    const err = await failure(reader(source, source.createSplits(1)), c.output);
    expect(err).toBeInstanceOf(MalformedRecordError);
    expect((err as Error).message).toMatch(/line 1: invalid header row/);
  });

  test('bad options are ConfigurationErrors', () => {
    expect(() => FileSource.csv(dir, { delimiter: '::' })).toThrow(ConfigurationError);
    expect(() => FileSource.csv(dir, { quote: ',' })).toThrow(ConfigurationError);
    expect(() => FileSource.csv(dir, { delimiter: '\n' })).toThrow(ConfigurationError);
    expect(() => FileSource.jsonLines([])).toThrow(ConfigurationError);
    expect(() => FileSource.jsonLines(dir, { chunkSize: 0 })).toThrow(ConfigurationError);
    expect(() => FileSource.jsonLines(dir, { onMalformed: 'ignore' as never })).toThrow(ConfigurationError);
    expect(() => FileSource.jsonLines(dir).monitorContinuously(0)).toThrow(ConfigurationError);
  });
});

describe('files that change, paths that are missing, state that is not ours', () => {
  test('a file truncated after it was discovered fails with FileChangedError at open', async () => {
    const file = write('t.jsonl', '1\n2\n3\n');
    const source = FileSource.jsonLines(file);
    const c = collector();
    const r = reader(source, [{ kind: 'file', splitId: file, path: file, size: 6, offset: 2, line: 2, records: 1 }]);
    fs.truncateSync(file, 3);
    const err = await failure(r, c.output);
    expect(err).toBeInstanceOf(FileChangedError);
    expect(err).toMatchObject({ code: 'FILE_CHANGED', file, expectedBytes: 6, actualBytes: 3 });
  });

  test('a file truncated while it is read fails with FileChangedError', async () => {
    const file = write('t2.jsonl', Array.from({ length: 100 }, (_, i) => `${i}`).join('\n'));
    const source = FileSource.jsonLines(file, { chunkSize: 16 });
    const c = collector();
    const r = reader(source, source.createSplits(1), { batch: 2 });
    let truncated = false;
    const err = await failure(r, c.output, () => {
      if (!truncated && c.records.length > 0) {
        fs.truncateSync(file, 20);
        truncated = true;
      }
    });
    expect(err).toBeInstanceOf(FileChangedError);
    expect(c.records.length).toBeLessThan(100);
  });

  test('a missing path fails with FileReadError naming it', async () => {
    const missing = path.join(dir, 'nope');
    const source = FileSource.jsonLines(missing);
    const err = await failure(reader(source, source.createSplits(1)), collector().output);
    expect(err).toBeInstanceOf(FileReadError);
    expect((err as Error).message).toContain(missing);
  });

  test('restoring a split of another source kind is refused with CorruptStateError', () => {
    const source = FileSource.jsonLines(dir);
    expect(() => reader(source, [{ splitId: 'gen-0-of-1', next: 5, step: 1 } as never])).toThrow(CorruptStateError);
    expect(() => reader(source, [{ kind: 'file', splitId: 'x', path: 'x', size: 1, offset: 5, line: 1, records: 0 } as never])).toThrow(CorruptStateError);
  });
});

describe('directories, subtasks and rescaling', () => {
  function writeTree(files: number, perFile: number): number[] {
    const all: number[] = [];
    for (let f = 0; f < files; f++) {
      const values = Array.from({ length: perFile }, (_, i) => f * 1000 + i);
      all.push(...values);
      write(`tree/${f % 3}/part-${f}.jsonl`, values.join('\n') + '\n');
    }
    write('tree/.hidden.jsonl', '999999\n');
    write('tree/_SUCCESS', 'not json\n');
    write('tree/1/.part-0.inprogress', '888888\n');
    return all;
  }

  test('directories are read recursively; hidden and underscore files are skipped', async () => {
    const all = writeTree(5, 4);
    const { records } = await readAll(FileSource.jsonLines<number>(path.join(dir, 'tree')));
    expect([...records].sort((a, b) => a - b)).toEqual(all);
  });

  test('p subtasks each read the files their discovery split owns: every record once', async () => {
    const all = writeTree(12, 3);
    const source = FileSource.jsonLines<number>(path.join(dir, 'tree'));
    const got: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c = collector<number>();
      const r = reader(source, assignSplits(source.createSplits(3), i, 3), { index: i, parallelism: 3 });
      await drain(r, c.output);
      got.push(...c.records);
    }
    expect(got.sort((a, b) => a - b)).toEqual(all);
  });

  test('rescaled from 2 to 3 and to 1 subtasks mid-read: every record exactly once', async () => {
    const all = writeTree(9, 20);
    const source = FileSource.jsonLines<number>(path.join(dir, 'tree'), { chunkSize: 16 });
    for (const to of [3, 1]) {
      const got: number[] = [];
      const state: FileSourceSplit[] = [];
      for (let i = 0; i < 2; i++) {
        const c = collector<number>();
        const r = reader(source, assignSplits(source.createSplits(2), i, 2), { batch: 7, index: i, parallelism: 2 });
        await drain(r, c.output, 6 + i * 5);
        got.push(...c.records);
        state.push(...r.snapshotState(1));
        await r.close!();
      }
      for (let i = 0; i < to; i++) {
        const c = collector<number>();
        const r = reader(source, assignSplits(state, i, to), { batch: 7, index: i, parallelism: to });
        expect(await drain(r, c.output)).toBe(true);
        got.push(...c.records);
      }
      expect(got.sort((a, b) => a - b)).toEqual(all);
    }
  });
});

describe('continuous monitoring', () => {
  test('new files are read once as they appear, on the reader clock; the state remembers what was handed out', async () => {
    const clock = new ManualClock(0);
    const watched = path.join(dir, 'in');
    fs.mkdirSync(watched);
    write('in/a.jsonl', '1\n2\n');
    const source = FileSource.jsonLines<number>(watched).monitorContinuously(100);
    expect(source.boundedness).toBe('CONTINUOUS_UNBOUNDED');
    const c = collector<number>();
    const r = reader(source, source.createSplits(1), { clock });
    const pollUntilIdle = async () => {
      for (let i = 0; i < 1000; i++) {
        const s = r.pollNext(c.output);
        expect(s).not.toBe('END_OF_INPUT');
        if (s === 'MORE_AVAILABLE') continue;
        const available = r.isAvailable();
        const settled = await Promise.race([available.then(() => true), new Promise((res) => setTimeout(() => res(false), 50))]);
        if (!settled) return { available }; // waiting for the next listing (wrapped: an async function would adopt it)
      }
      throw new Error('never idle');
    };
    let { available: waiting } = await pollUntilIdle();
    expect(c.records).toEqual([1, 2]);
    write('in/b.jsonl', '3\n');
    write('in/.c.jsonl.tmp', '99\n');
    clock.advance(99);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(1);
    await waiting;
    ({ available: waiting } = await pollUntilIdle());
    expect(c.records).toEqual([1, 2, 3]);
    fs.renameSync(path.join(watched, '.c.jsonl.tmp'), path.join(watched, 'c.jsonl'));
    clock.advance(100);
    await waiting;
    await pollUntilIdle();
    expect(c.records).toEqual([1, 2, 3, 99]);
    const [discovery] = r.snapshotState(3);
    expect(discovery).toMatchObject({ kind: 'discovery', index: 0, of: 1, assigned: ['a.jsonl', 'b.jsonl', 'c.jsonl'].map((f) => path.join(watched, f)) });
    await r.close!();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('split outputs (per-split watermarks)', () => {
  test('every file the reader holds gets its own output before any record; each file\'s records go through it; it is released when read', async () => {
    write('in/a.jsonl', '1\n2\n3\n');
    write('in/b.jsonl', '4\n5\n');
    write('in/c.jsonl', '6\n');
    const source = FileSource.jsonLines<number>(path.join(dir, 'in'), { chunkSize: 2 });
    const log: string[] = [];
    const live = new Set<string>();
    const output: ReaderOutput<number> = {
      collect: (v) => log.push(`main ${v}`),
      createOutputForSplit: (id) => {
        live.add(path.basename(id));
        log.push(`create ${path.basename(id)}`);
        return { collect: (v) => log.push(`${path.basename(id)} ${v} (open: ${[...live].join(',')})`) };
      },
      releaseOutputForSplit: (id) => {
        live.delete(path.basename(id));
        log.push(`release ${path.basename(id)}`);
      },
    };
    const r = reader(source, source.createSplits(1), { batch: 2 });
    expect(await drain(r, output)).toBe(true);
    await r.close!();
    expect(log).toEqual([
      'create a.jsonl',
      'create b.jsonl',
      'create c.jsonl',
      'a.jsonl 1 (open: a.jsonl,b.jsonl,c.jsonl)',
      'a.jsonl 2 (open: a.jsonl,b.jsonl,c.jsonl)',
      'a.jsonl 3 (open: a.jsonl,b.jsonl,c.jsonl)',
      'release a.jsonl',
      'b.jsonl 4 (open: b.jsonl,c.jsonl)',
      'b.jsonl 5 (open: b.jsonl,c.jsonl)',
      'release b.jsonl',
      'c.jsonl 6 (open: c.jsonl)',
      'release c.jsonl',
    ]);
  });

  test('restored file splits get their outputs at the first poll; an output without split outputs gets every record', async () => {
    const a = write('a.jsonl', '1\n2\n');
    const b = write('b.jsonl', '3\n');
    const source = FileSource.jsonLines<number>([a, b]);
    const splits: FileSplit[] = [
      { kind: 'file', splitId: a, path: a, size: 4, offset: 2, line: 2, records: 1 },
      { kind: 'file', splitId: b, path: b, size: 2, offset: 0, line: 1, records: 0 },
    ];
    const created: string[] = [];
    const got: string[] = [];
    const output: ReaderOutput<number> = {
      collect: (v) => got.push(`main ${v}`),
      createOutputForSplit: (id) => {
        created.push(path.basename(id));
        return { collect: (v) => got.push(`${path.basename(id)} ${v}`) };
      },
    };
    const r = reader(source, splits);
    expect(await drain(r, output)).toBe(true);
    await r.close!();
    expect(created).toEqual(['a.jsonl', 'b.jsonl']);
    expect(got).toEqual(['a.jsonl 2', 'b.jsonl 3']);
    const plain = collector<number>();
    const again = reader(source, splits);
    expect(await drain(again, plain.output)).toBe(true);
    await again.close!();
    expect(plain.records).toEqual([2, 3]);
  });
});
