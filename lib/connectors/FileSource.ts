/**
 * Reads files of records — JSON lines or CSV — from files and directories
 * (Flink's FileSource), bounded or monitoring a directory for new files.
 *
 *   const orders = env.fromSource(FileSource.jsonLines<Order>('/data/orders'), 'orders');
 *   const live = env.fromSource(FileSource.csv<Row>('/data/in', { delimiter: ';' }).monitorContinuously(1000), 'rows');
 *
 * Every file is a split that carries the byte offset of its next record,
 * so with checkpoints the source is exactly-once: a restore rewinds each
 * file to the record after the last one a completed checkpoint covered, at
 * the same or another parallelism. Directories are listed recursively;
 * names starting with '.' or '_' are skipped (so a sink's in-progress files
 * are not read). A bounded source lists its paths once, reads every file
 * and ends; a monitoring one (`monitorContinuously(ms)`) lists them again
 * every interval and reads each new file once, and never ends.
 *
 * Files must not change once they are in the paths: a file is read up to
 * the size it had when it was discovered, and one that became shorter fails
 * the job with FileChangedError. Write a file elsewhere (or under a hidden
 * name) and rename it in when complete.
 *
 * A record that does not parse fails the job with MalformedRecordError
 * (file and 1-based line) by default; `onMalformed: 'skip'` drops it
 * (counted in `skippedRecords`), and `onMalformed: tag` sends a
 * MalformedRecord (file, line, raw text, reason) to the side output `tag`:
 *
 *   const bad = new OutputTag<MalformedRecord>('bad lines');
 *   const rows = env.fromSource(FileSource.jsonLines<Row>(dir, { onMalformed: bad }));
 *   rows.getSideOutput(bad).sinkTo(new FileSink('/data/rejected'));
 */
import * as path from 'node:path';
import { OutputTag } from '../api/OutputTag';
import { ConfigurationError } from '../errors';
import { CsvFormat, type CsvFormatOptions } from './CsvFormat';
import type { FileRecordFormat } from './FileRecordFormat';
import { FileSourceReader, type MalformedRecordPolicy } from './FileSourceReader';
import { discoverySplits, type FileSourceSplit } from './FileSourceSplit';
import { JsonLinesFormat } from './JsonLinesFormat';
import type { Boundedness, Source, SourceReader, SourceReaderContext } from './Source';

export interface FileSourceOptions {
  /** A record that does not parse: 'fail' (default), 'skip' (counted), or an OutputTag<MalformedRecord>. */
  readonly onMalformed?: MalformedRecordPolicy;
  /** Bytes read at a time (default 64 KiB). */
  readonly chunkSize?: number;
  /** The longest record, in bytes (default 16 MiB); a longer one fails the job with MalformedRecordError. */
  readonly maxRecordBytes?: number;
}

const DEFAULT_CHUNK_SIZE = 64 * 1024;
const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;

export class FileSource<T> implements Source<T, FileSourceSplit> {
  readonly boundedness: Boundedness;
  /** Absolute paths of the files and directories read. */
  readonly paths: readonly string[];
  private skipped = 0;

  private constructor(
    readonly format: FileRecordFormat<T>,
    paths: string | readonly string[],
    private readonly options: FileSourceOptions,
    /** Listing interval when monitoring; undefined for a bounded source. */
    readonly monitorIntervalMs: number | undefined,
  ) {
    const list = typeof paths === 'string' ? [paths] : paths;
    if (!Array.isArray(list) || list.length === 0 || list.some((p) => typeof p !== 'string' || p.length === 0)) {
      throw new ConfigurationError('FileSource.paths', `must be a path or a non-empty array of paths, got ${JSON.stringify(paths)}`);
    }
    this.paths = list.map((p) => path.resolve(p));
    const positive = (name: string, v: number | undefined) => {
      if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new ConfigurationError(`FileSource.${name}`, `must be a positive integer, got ${String(v)}`);
    };
    positive('chunkSize', options.chunkSize);
    positive('maxRecordBytes', options.maxRecordBytes);
    const policy = options.onMalformed;
    if (policy !== undefined && policy !== 'fail' && policy !== 'skip' && !(policy instanceof OutputTag)) {
      throw new ConfigurationError('FileSource.onMalformed', `must be 'fail', 'skip' or an OutputTag, got ${String(policy)}`);
    }
    this.boundedness = monitorIntervalMs === undefined ? 'BOUNDED' : 'CONTINUOUS_UNBOUNDED';
  }

  /** A source over `paths` (files or directories) in any record format (Flink's forRecordStreamFormat). */
  static forRecordStreamFormat<T>(format: FileRecordFormat<T>, paths: string | readonly string[], options: FileSourceOptions = {}): FileSource<T> {
    if (format == null || typeof format.createDecoder !== 'function') {
      throw new ConfigurationError('FileSource.format', 'must be a FileRecordFormat (JsonLinesFormat, CsvFormat, or your own)');
    }
    return new FileSource(format, paths, options, undefined);
  }

  /** One JSON value per line (JsonLinesFormat). */
  static jsonLines<T = unknown>(paths: string | readonly string[], options: FileSourceOptions = {}): FileSource<T> {
    return FileSource.forRecordStreamFormat(new JsonLinesFormat<T>(), paths, options);
  }

  /** CSV parsed by csv-parse (CsvFormat): objects keyed by the header row or `columns`, or arrays. */
  static csv<T = Record<string, string>>(paths: string | readonly string[], options: CsvFormatOptions & FileSourceOptions = {}): FileSource<T> {
    return FileSource.forRecordStreamFormat(new CsvFormat<T>(options), paths, options);
  }

  /**
   * The same source, but unbounded: lists its paths every `intervalMs` and
   * reads each file that appeared once (Flink's monitorContinuously).
   * @throws ConfigurationError when `intervalMs` is not a positive number
   */
  monitorContinuously(intervalMs: number): FileSource<T> {
    if (!(typeof intervalMs === 'number' && intervalMs > 0 && Number.isFinite(intervalMs))) {
      throw new ConfigurationError('FileSource.monitorContinuously', `the interval must be a positive number of ms, got ${String(intervalMs)}`);
    }
    return new FileSource(this.format, this.paths, this.options, intervalMs);
  }

  /** Malformed records skipped so far by this source's readers in this process (a record read again after a restore counts again). */
  get skippedRecords(): number {
    return this.skipped;
  }

  createSplits(parallelism: number): FileSourceSplit[] {
    return discoverySplits(parallelism);
  }

  createReader(ctx: SourceReaderContext): SourceReader<T, FileSourceSplit> {
    return new FileSourceReader<T>(
      {
        paths: this.paths,
        format: this.format,
        monitorIntervalMs: this.monitorIntervalMs,
        onMalformed: this.options.onMalformed ?? 'fail',
        chunkSize: this.options.chunkSize ?? DEFAULT_CHUNK_SIZE,
        maxRecordBytes: this.options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
        countSkipped: () => this.skipped++,
      },
      ctx.clock,
      ctx.batchSizeHint,
    );
  }
}
