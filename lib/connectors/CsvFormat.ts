/**
 * CSV (RFC 4180 and its common variants), parsed by csv-parse: a header row
 * or given column names, a delimiter, a quote and an escape character.
 * Quoted fields may hold delimiters, quotes (doubled, or escaped) and
 * newlines, so a record can span several lines.
 *
 * Positions must be record boundaries, not line boundaries: a small framer
 * walks the bytes with csv-parse's quoting rules (a quote opens a field only
 * at its start; inside quotes an escaped quote is data; a newline ends a
 * record only outside quotes) and cuts complete records; csv-parse parses
 * them, a batch at a time. A batch with a malformed record is parsed again
 * record by record, so each bad record is reported alone, with its line.
 * A record that is not valid UTF-8 is malformed (never decoded with
 * replacement characters).
 * Records end with "\n" or "\r\n"; empty lines are skipped; a header row is
 * the first non-empty record of each file, and the names it gives travel in
 * the split's state. Without a header and without column names, records
 * are arrays of strings of any length.
 */
import { isUtf8 } from 'node:buffer';
import { parse, type Options as CsvParseOptions } from 'csv-parse/sync';
import { ConfigurationError } from '../errors';
import type { DecoderOutput, FileRecordFormat, RecordDecoder } from './FileRecordFormat';

export interface CsvFormatOptions {
  /** The first record of every file is a header row (default true). */
  readonly header?: boolean;
  /** Column names; with a header row they replace its names. Without both, records are arrays. */
  readonly columns?: readonly string[];
  /** One ASCII character (default ','). */
  readonly delimiter?: string;
  /** One ASCII character (default '"'). */
  readonly quote?: string;
  /** One ASCII character that escapes a quote inside quotes (default: the quote itself, i.e. `""`). */
  readonly escape?: string;
  /** Fields that look like numbers become numbers (csv-parse's `cast`; default false: strings). */
  readonly cast?: boolean;
  /** Accept records with more or fewer fields than columns (default false: they are malformed). */
  readonly relaxColumnCount?: boolean;
}

const LF = 10;
const CR = 13;

export class CsvFormat<T = Record<string, string>> implements FileRecordFormat<T> {
  readonly name = 'csv';
  /** @internal */ readonly header: boolean;
  /** @internal */ readonly columns: readonly string[] | undefined;
  /** @internal */ readonly syntax: CsvSyntax;
  /** @internal */ readonly parseOptions: CsvParseOptions;

  /** @throws ConfigurationError for a delimiter, quote or escape that is not one ASCII character, or clashes */
  constructor(options: CsvFormatOptions = {}) {
    const char = (name: string, v: string | undefined, dflt: string): number => {
      const c = v ?? dflt;
      if (typeof c !== 'string' || c.length !== 1 || c.charCodeAt(0) > 127 || c === '\n' || c === '\r') {
        throw new ConfigurationError(`csv.${name}`, `must be one ASCII character other than a line break, got ${JSON.stringify(c)}`);
      }
      return c.charCodeAt(0);
    };
    const delimiter = char('delimiter', options.delimiter, ',');
    const quote = char('quote', options.quote, '"');
    const escape = char('escape', options.escape, String.fromCharCode(quote));
    if (delimiter === quote || delimiter === escape) throw new ConfigurationError('csv.delimiter', 'must differ from the quote and escape characters');
    if (options.columns !== undefined && (!Array.isArray(options.columns) || options.columns.some((c) => typeof c !== 'string' || c === ''))) {
      throw new ConfigurationError('csv.columns', 'must be an array of non-empty strings');
    }
    this.header = options.header ?? true;
    this.columns = options.columns;
    this.syntax = { delimiter, quote, escape };
    this.parseOptions = {
      delimiter: String.fromCharCode(delimiter),
      quote: String.fromCharCode(quote),
      escape: String.fromCharCode(escape),
      record_delimiter: ['\r\n', '\n'],
      skip_empty_lines: true,
      bom: false,
      cast: options.cast ?? false,
      relax_column_count: options.relaxColumnCount ?? false,
    };
  }

  createDecoder(state: unknown): RecordDecoder<T> {
    if (state !== undefined && !(Array.isArray(state) && state.every((s) => typeof s === 'string'))) {
      throw new ConfigurationError('csv', `restored header must be an array of strings, got ${JSON.stringify(state)}`);
    }
    return new CsvDecoder<T>(this, state as string[] | undefined);
  }
}

/** @internal The bytes that structure a record. */
export interface CsvSyntax {
  readonly delimiter: number;
  readonly quote: number;
  readonly escape: number;
}

/**
 * @internal The end of the record that starts at `start`: the index after its
 * "\n", or `bytes.length` at `eof`; -1 when the record may continue past
 * the bytes there are. `lines` receives the line terminators it spans.
 */
export function csvRecordEnd(bytes: Buffer, start: number, eof: boolean, syntax: CsvSyntax, lines: { n: number }): number {
  const { delimiter, quote, escape } = syntax;
  const escapeIsQuote = escape === quote;
  const length = bytes.length;
  let newlines = 0;
  let quoted = false;
  let fieldStart = true;
  for (let i = start; i < length; i++) {
    const c = bytes[i];
    if (quoted) {
      if (c === LF) newlines++;
      else if (!escapeIsQuote && c === escape) {
        if (i + 1 >= length) return eof ? done(length) : -1;
        if (bytes[i + 1] === LF) newlines++;
        i++;
      } else if (c === quote) {
        if (i + 1 >= length && !eof) return -1; // a doubled quote may follow
        if (escapeIsQuote && bytes[i + 1] === quote) i++;
        else quoted = false;
      }
    } else if (c === LF) {
      return done(i + 1, 1);
    } else if (c === delimiter) {
      fieldStart = true;
    } else {
      if (c === quote && fieldStart) quoted = true;
      fieldStart = false;
    }
  }
  return eof ? done(length) : -1;

  function done(end: number, extra = 0): number {
    lines.n = newlines + extra;
    return end;
  }
}

class CsvDecoder<T> implements RecordDecoder<T> {
  /** Column names for csv-parse, once known (false: records are arrays). */
  private names: readonly string[] | false | undefined;
  private readonly lines = { n: 0 };

  constructor(
    private readonly format: CsvFormat<T>,
    /** The file's header row, once read (restored from the split). */
    private headerRow: string[] | undefined,
  ) {
    this.names = format.header && headerRow === undefined ? undefined : (format.columns ?? headerRow ?? false);
  }

  decode(bytes: Buffer, start: number, eof: boolean, max: number, out: DecoderOutput<T>): number {
    const syntax = this.format.syntax;
    const ends: number[] = [];
    const spans: number[] = [];
    const starts: number[] = [];
    let pos = start;
    let records = 0;
    while (records < max && pos < bytes.length) {
      const end = csvRecordEnd(bytes, pos, eof, syntax, this.lines);
      if (end < 0) break;
      const blank = contentEnd(bytes, pos, end) === pos;
      if (!blank && this.names === undefined) {
        // The header row: flush what came before it (blank lines), then learn the names.
        this.emit(bytes, starts, ends, spans, out);
        this.readHeader(bytes, pos, end, this.lines.n, out);
      } else {
        starts.push(pos);
        ends.push(blank ? -end : end);
        spans.push(this.lines.n);
        if (!blank) records++;
      }
      pos = end;
    }
    this.emit(bytes, starts, ends, spans, out);
    return pos;
  }

  state(): string[] | undefined {
    return this.headerRow;
  }

  private readHeader(bytes: Buffer, start: number, end: number, lines: number, out: DecoderOutput<T>): void {
    if (!isUtf8(bytes.subarray(start, end))) return out.malformed(text(bytes, start, end), 'invalid header row: not valid UTF-8', lines, true);
    let row: unknown[];
    try {
      row = parse(bytes.subarray(start, end), { ...this.format.parseOptions, columns: false, cast: false, relax_column_count: true });
    } catch (e) {
      out.malformed(text(bytes, start, end), `invalid header row: ${(e as Error).message}`, lines, true);
      return;
    }
    const header = row[0] as string[];
    this.headerRow = header;
    this.names = this.format.columns ?? header;
    out.skipped(lines);
  }

  /** Parses the framed records (ends < 0 are blank lines) and hands them out in order; clears the frames. */
  private emit(bytes: Buffer, starts: number[], ends: number[], spans: number[], out: DecoderOutput<T>): void {
    const n = starts.length;
    if (n === 0) return;
    const options: CsvParseOptions = { ...this.format.parseOptions, columns: this.names === false || this.names === undefined ? false : [...this.names] };
    if (this.names === false) options.relax_column_count = true;
    let dataFrames = 0;
    let dataEnd = 0;
    for (const e of ends) {
      if (e < 0) continue;
      dataFrames++;
      dataEnd = e;
    }
    let parsed: T[] | undefined;
    try {
      // Invalid UTF-8 anywhere: parse record by record, so each bad one is named.
      parsed = dataFrames === 0 ? [] : isUtf8(bytes.subarray(starts[0], dataEnd)) ? (parse(bytes.subarray(starts[0], dataEnd), options) as T[]) : undefined;
      if (parsed !== undefined && parsed.length !== dataFrames) parsed = undefined;
    } catch {
      parsed = undefined;
    }
    let k = 0;
    for (let i = 0; i < n; i++) {
      const end = ends[i];
      if (end < 0) out.skipped(spans[i]);
      else if (parsed !== undefined) out.record(parsed[k++], spans[i], end - starts[i]);
      else this.parseOne(bytes, starts[i], end, spans[i], options, out);
    }
    starts.length = 0;
    ends.length = 0;
    spans.length = 0;
  }

  private parseOne(bytes: Buffer, start: number, end: number, lines: number, options: CsvParseOptions, out: DecoderOutput<T>): void {
    if (!isUtf8(bytes.subarray(start, end))) return out.malformed(text(bytes, start, end), 'not valid UTF-8', lines);
    let rows: T[];
    try {
      rows = parse(bytes.subarray(start, end), options) as T[];
    } catch (e) {
      out.malformed(text(bytes, start, end), (e as Error).message, lines);
      return;
    }
    if (rows.length === 1) out.record(rows[0], lines, end - start);
    else out.malformed(text(bytes, start, end), `expected one record, csv-parse found ${rows.length}`, lines);
  }
}

/** The end of a record's content: before its "\n" or "\r\n". */
function contentEnd(bytes: Buffer, start: number, end: number): number {
  let e = end;
  if (e > start && bytes[e - 1] === LF) e--;
  if (e > start && bytes[e - 1] === CR) e--;
  return e;
}

function text(bytes: Buffer, start: number, end: number): string {
  return bytes.toString('utf8', start, contentEnd(bytes, start, end));
}
