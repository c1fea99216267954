/**
 * The reader of a FileSource subtask: lists files for its discovery splits,
 * reads its file splits one after another, and decodes records at record
 * boundaries.
 *
 * Nothing blocks the event loop: opening, listing and reading are
 * asynchronous (fs.promises), one chunk ahead of the decoder. `pollNext`
 * decodes what has arrived, at most `batchSizeHint` records per call, and
 * says NOTHING_AVAILABLE while a chunk, an open or a listing is on its way;
 * `isAvailable()` resolves when one of them settles (or, when monitoring,
 * when the next listing is due on the reader's clock). I/O failures are
 * kept and thrown by the next `pollNext`, never left as unhandled rejections.
 *
 * A file split's offset always names the start of the next record not yet
 * emitted (decoding stops at record boundaries, and a checkpoint is taken
 * between two polls), so a restored reader emits exactly what follows.
 * A file is read up to the size it had when discovered; if it has become
 * shorter — at open or while reading — the reader fails with
 * FileChangedError. A UTF-8 byte-order mark at the start of a file is skipped.
 *
 * Files are read one after another, so each file split has its own output
 * (`createOutputForSplit`), created at the first poll after the reader got
 * it and released when the file is read: with a WatermarkStrategy, a file
 * waiting in the queue holds the subtask's watermark back, and a file whose
 * timestamps run far ahead does not make the next file's records late.
 */
import * as fs from 'node:fs';
import type { OutputTag } from '../api/OutputTag';
import { FileChangedError, FileReadError, MalformedRecordError, WeirError } from '../errors';
import type { Clock, TimerHandle } from '../time/Clock';
import { enumerateFiles } from './fileEnumerator';
import type { DecoderOutput, FileRecordFormat, RecordDecoder } from './FileRecordFormat';
import { checkFileSourceSplit, newFileSplit, ownerOf, type FileSourceSplit, type FileSplit } from './FileSourceSplit';
import { alwaysAvailable, type InputStatus, type ReaderOutput, type SourceOutput, type SourceReader } from './Source';

/** A record that did not parse, as a FileSource sends it to its malformed-record side output. */
export interface MalformedRecord {
  readonly file: string;
  /** 1-based line where the record starts. */
  readonly line: number;
  /** The record's text, without its line terminator. */
  readonly raw: string;
  readonly reason: string;
}

/** What to do with a record that does not parse: fail the job, skip it (counted), or send it to a side output. */
export type MalformedRecordPolicy = 'fail' | 'skip' | OutputTag<MalformedRecord>;

export interface FileReaderSettings<T> {
  readonly paths: readonly string[];
  readonly format: FileRecordFormat<T>;
  /** Listing interval when monitoring; undefined for a bounded source. */
  readonly monitorIntervalMs: number | undefined;
  readonly onMalformed: MalformedRecordPolicy;
  readonly chunkSize: number;
  readonly maxRecordBytes: number;
  /** Called with each skipped malformed record. */
  readonly countSkipped: () => void;
}

const BOM = [0xef, 0xbb, 0xbf];
const EMPTY = Buffer.alloc(0);

export class FileSourceReader<T> implements SourceReader<T, FileSourceSplit> {
  private readonly discovery: { index: number; of: number; assigned: Set<string>; dueAt: number }[] = [];
  /** File splits not opened yet, in reading order. */
  private readonly queue: FileSplit[] = [];
  /** File splits (ids) that got no output of their own yet: they get one at the next poll. */
  private unregistered: string[] = [];
  /** The outputs of file splits not finished, by split id. */
  private readonly splitOutputs = new Map<string, SourceOutput<T>>();
  private current: FileCursor<T> | undefined;
  /** The split being opened (still part of the reader's state). */
  private opening: FileSplit | undefined;
  private listing = false;
  private failure: Error | undefined;
  /** Something settled since the last poll. */
  private changed = false;
  private waiters: (() => void)[] = [];
  private timer: TimerHandle | undefined;
  private closed = false;
  private readonly closing: Promise<unknown>[] = [];

  constructor(
    private readonly settings: FileReaderSettings<T>,
    private readonly clock: Clock,
    private readonly batch: number,
  ) {}

  addSplits(splits: readonly FileSourceSplit[]): void {
    for (const raw of splits) {
      const s = checkFileSourceSplit(raw);
      if (s.kind === 'file') {
        this.queue.push({ ...s });
        this.unregistered.push(s.splitId);
      }
      else this.discovery.push({ index: s.index, of: s.of, assigned: new Set(s.assigned), dueAt: this.clock.now() });
    }
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    this.changed = false;
    if (this.failure) throw this.failure;
    this.discoverIfDue();
    if (this.unregistered.length > 0) this.createOutputs(output);
    for (;;) {
      const c = this.current;
      if (c === undefined) {
        if (this.opening) return 'NOTHING_AVAILABLE';
        const next = this.queue.shift();
        if (next !== undefined) {
          this.open(next);
          return 'NOTHING_AVAILABLE';
        }
        return this.discovery.length === 0 && !this.listing ? 'END_OF_INPUT' : 'NOTHING_AVAILABLE';
      }
      const emitted = c.decode(this.splitOutputs.get(c.splitId) ?? output, this.batch);
      if (c.finished) {
        this.closeCurrent();
        // Its last record is out: the file no longer holds the watermark back.
        if (this.splitOutputs.delete(c.splitId)) output.releaseOutputForSplit?.(c.splitId);
        if (emitted > 0) return 'MORE_AVAILABLE';
        continue;
      }
      // Keep one chunk ahead; read at once when the buffer ran out of complete records.
      if (c.undecoded < this.settings.chunkSize || emitted < this.batch) this.readAhead(c);
      if (emitted > 0) return 'MORE_AVAILABLE';
      if (c.undecoded > this.settings.maxRecordBytes) {
        throw new MalformedRecordError(c.path, c.line, `record longer than maxRecordBytes (${this.settings.maxRecordBytes} bytes)`);
      }
      return 'NOTHING_AVAILABLE';
    }
  }

  isAvailable(): Promise<void> {
    if (this.changed || this.failure) return alwaysAvailable;
    const inFlight = this.opening !== undefined || this.listing || (this.current?.reading ?? false);
    if (!inFlight) {
      if (this.discovery.length === 0) return alwaysAvailable; // nothing to wait for: poll again
      this.armTimer();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  snapshotState(): FileSourceSplit[] {
    const splits: FileSourceSplit[] = this.discovery.map((d) => ({
      kind: 'discovery',
      splitId: `discovery-${d.index}-of-${d.of}`,
      index: d.index,
      of: d.of,
      assigned: [...d.assigned].sort(),
    }));
    if (this.current) splits.push(this.current.split());
    if (this.opening) splits.push(this.opening);
    splits.push(...this.queue);
    return splits;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    if (this.current) this.closeCurrent();
    this.wake();
    await Promise.all(this.closing);
  }

  /** Every file split the reader holds gets its own output before any record is emitted after it arrived. */
  private createOutputs(output: ReaderOutput<T>): void {
    const ids = this.unregistered;
    this.unregistered = [];
    if (output.createOutputForSplit === undefined) return;
    for (const id of ids) if (!this.splitOutputs.has(id)) this.splitOutputs.set(id, output.createOutputForSplit(id));
  }

  private discoverIfDue(): void {
    if (this.listing || this.discovery.length === 0) return;
    const now = this.clock.now();
    const due = this.discovery.filter((d) => d.dueAt <= now);
    if (due.length === 0) return;
    this.listing = true;
    const interval = this.settings.monitorIntervalMs;
    this.settle(
      enumerateFiles(this.settings.paths).then((files) => {
        for (const d of due) {
          for (const f of files) {
            if (d.assigned.has(f.path) || ownerOf(f.path, d.of) !== d.index) continue;
            d.assigned.add(f.path);
            const split = newFileSplit(f.path, f.size);
            this.queue.push(split);
            this.unregistered.push(split.splitId);
          }
          d.dueAt = this.clock.now() + (interval ?? 0);
        }
        if (interval === undefined) this.discovery.splice(0, this.discovery.length, ...this.discovery.filter((d) => !due.includes(d)));
      }),
      () => (this.listing = false),
    );
  }

  private open(split: FileSplit): void {
    this.opening = split;
    this.settle(
      (async () => {
        const decoder = this.settings.format.createDecoder(split.format);
        const handle = await fs.promises.open(split.path, 'r').catch((e: unknown) => Promise.reject(new FileReadError(split.path, e)));
        try {
          const { size } = await handle.stat();
          if (size < split.size) throw new FileChangedError(split.path, split.size, size);
        } catch (e) {
          await handle.close().catch(() => {});
          throw e;
        }
        if (this.closed) {
          await handle.close().catch(() => {});
          return;
        }
        // One step, so no snapshot ever sees the split both opening and open.
        this.current = new FileCursor(split, handle, decoder, this.settings);
        this.opening = undefined;
      })(),
      () => {
        if (this.opening === split) this.opening = undefined;
      },
    );
  }

  /** Reads the next chunk unless one is on its way or the file is read. */
  private readAhead(c: FileCursor<T>): void {
    if (c.reading || c.eof) return;
    c.reading = true;
    this.settle(c.read(this.settings.chunkSize), () => (c.reading = false));
  }

  private closeCurrent(): void {
    const c = this.current!;
    this.current = undefined;
    this.closing.push(c.handle.close().catch(() => {}));
  }

  /** Tracks async work: its failure is kept for the next poll, its end wakes the task. */
  private settle(work: Promise<unknown>, done: () => void): void {
    work
      .catch((e: unknown) => {
        if (!this.closed && this.failure === undefined) this.failure = e instanceof WeirError ? e : new FileReadError(this.settings.paths.join(', '), e);
      })
      .finally(() => {
        done();
        this.wake();
      });
  }

  private armTimer(): void {
    if (this.timer || this.closed) return;
    const next = Math.min(...this.discovery.map((d) => d.dueAt));
    this.timer = this.clock.setTimer(Math.max(0, next - this.clock.now()), () => {
      this.timer = undefined;
      this.wake();
    });
  }

  private wake(): void {
    this.changed = true;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** One open file: buffered bytes from the next record on, and the position of that record. */
class FileCursor<T> implements DecoderOutput<T> {
  readonly path: string;
  readonly splitId: string;
  private readonly size: number;
  /** File offset of the next record (of bytes[pos]). */
  private offset: number;
  line: number;
  private records: number;
  private bytes: Buffer = EMPTY;
  private pos = 0;
  /** File offset of the next byte to read. */
  private readOffset: number;
  reading = false;
  /** Whether a byte-order mark can no longer come (not at the file's start, or checked). */
  private bomChecked: boolean;
  private output!: SourceOutput<T>;

  constructor(
    split: FileSplit,
    readonly handle: fs.promises.FileHandle,
    private readonly decoder: RecordDecoder<T>,
    private readonly settings: FileReaderSettings<T>,
  ) {
    this.path = split.path;
    this.splitId = split.splitId;
    this.size = split.size;
    this.offset = split.offset;
    this.line = split.line;
    this.records = split.records;
    this.readOffset = split.offset;
    this.bomChecked = split.offset > 0;
  }

  get eof(): boolean {
    return this.readOffset >= this.size;
  }

  get undecoded(): number {
    return this.bytes.length - this.pos;
  }

  get finished(): boolean {
    return this.eof && this.pos >= this.bytes.length && !this.reading;
  }

  split(): FileSplit {
    const format = this.decoder.state();
    return {
      kind: 'file',
      splitId: this.splitId,
      path: this.path,
      size: this.size,
      offset: this.offset,
      line: this.line,
      records: this.records,
      ...(format === undefined ? {} : { format }),
    };
  }

  /** Decodes up to `max` records from the buffer; returns how many it emitted. */
  decode(output: SourceOutput<T>, max: number): number {
    if (!this.bomChecked && !this.skipBom()) return 0;
    if (this.pos >= this.bytes.length) return 0;
    this.output = output;
    const records = this.records;
    const end = this.decoder.decode(this.bytes, this.pos, this.eof, max, this);
    this.offset += end - this.pos;
    this.pos = end;
    if (this.pos >= this.bytes.length) {
      this.bytes = EMPTY;
      this.pos = 0;
    }
    return this.records - records;
  }

  record(value: T, lines: number, bytes?: number): void {
    if (bytes !== undefined && bytes > this.settings.maxRecordBytes) {
      throw new MalformedRecordError(this.path, this.line, `record longer than maxRecordBytes (${this.settings.maxRecordBytes} bytes): ${bytes} bytes`);
    }
    this.output.collect(value);
    this.records++;
    this.line += lines;
  }

  malformed(raw: string, reason: string, lines: number, fatal = false): void {
    const policy = this.settings.onMalformed;
    if (fatal || policy === 'fail') throw new MalformedRecordError(this.path, this.line, reason, raw);
    if (policy === 'skip') this.settings.countSkipped();
    else this.output.output?.(policy, { file: this.path, line: this.line, raw, reason });
    this.records++;
    this.line += lines;
  }

  skipped(lines: number): void {
    this.line += lines;
  }

  /** Reads the next chunk (at least `chunkSize` bytes, more when a record is longer than the buffer). */
  async read(chunkSize: number): Promise<void> {
    const want = Math.min(this.size - this.readOffset, Math.max(chunkSize, this.undecoded));
    const chunk = Buffer.allocUnsafe(want);
    let bytesRead: number;
    try {
      ({ bytesRead } = await this.handle.read(chunk, 0, want, this.readOffset));
    } catch (e) {
      throw new FileReadError(this.path, e);
    }
    if (bytesRead === 0) throw new FileChangedError(this.path, this.size, this.readOffset);
    const fresh = chunk.subarray(0, bytesRead);
    this.bytes = this.pos >= this.bytes.length ? fresh : Buffer.concat([this.bytes.subarray(this.pos), fresh]);
    this.pos = 0;
    this.readOffset += bytesRead;
  }

  /** At the file's start: skips a UTF-8 byte-order mark; false while too few bytes are there to tell. */
  private skipBom(): boolean {
    const n = this.undecoded;
    if (n < BOM.length && !this.eof) return false;
    if (n >= BOM.length && BOM.every((b, i) => this.bytes[this.pos + i] === b)) {
      this.pos += BOM.length;
      this.offset += BOM.length;
    }
    this.bomChecked = true;
    return true;
  }
}
