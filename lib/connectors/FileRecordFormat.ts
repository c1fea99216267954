/**
 * How a FileSource turns a file's bytes into records (Flink's
 * StreamFormat): a format creates one decoder per file; the reader hands it
 * the bytes that follow a record boundary, and the decoder decodes whole
 * records only, reporting for each how many lines it spanned. Decoding
 * always stops at a record boundary, so the byte offset where it stopped
 * (and the line number there) is a position a checkpoint can rewind to.
 *
 * A decoder may learn something from the file that later records need —
 * CSV's header row — and hands it back as `state()`: plain data the split
 * carries, so a reader restored mid-file decodes as the first one did.
 */

/** Where a decoder puts what it decoded, in file order. */
export interface DecoderOutput<T> {
  /**
   * A record; `lines` = line terminators it spanned (0 for a last line without
   * one); `bytes` = its size in the file, terminator included — when given, a
   * record over the source's `maxRecordBytes` fails the job.
   */
  record(value: T, lines: number, bytes?: number): void;
  /**
   * A record that does not parse: its raw text (without the line terminator)
   * and why. `fatal`: the rest of the file cannot be decoded without it (a
   * bad header row), so the reader fails whatever its malformed-record policy.
   */
  malformed(raw: string, reason: string, lines: number, fatal?: boolean): void;
  /** Lines that hold no record (blank lines, a header row). */
  skipped(lines: number): void;
}

export interface RecordDecoder<T> {
  /**
   * Decodes up to `max` records (good or malformed) from `bytes`, starting at
   * index `start`, which is a record boundary. Returns the index where it
   * stopped: the boundary after the last record decoded. Without `eof`, a
   * trailing record that may be incomplete is left undecoded; with `eof`,
   * the rest is the file's last record (a file without a final newline).
   */
  decode(bytes: Buffer, start: number, eof: boolean, max: number, out: DecoderOutput<T>): number;
  /** What the split must carry to decode the rest of the file (undefined: nothing). Plain data. */
  state(): unknown;
}

export interface FileRecordFormat<T> {
  /** A short name for messages ('json-lines', 'csv'). */
  readonly name: string;
  /** A decoder for one file; `state` is what an earlier decoder of the file returned from `state()`. */
  createDecoder(state: unknown): RecordDecoder<T>;
}
