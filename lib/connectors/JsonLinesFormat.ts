/**
 * JSON lines (https://jsonlines.org): one JSON value per line, in UTF-8.
 * Lines end with "\n" or "\r\n"; the last line may lack its terminator.
 * Blank (whitespace-only) lines are skipped. A line that is not JSON is
 * reported as malformed with the parser's reason, one that is not valid
 * UTF-8 as 'not valid UTF-8' (never decoded with replacement characters).
 *
 * Lines are found by their "\n" byte, which never occurs inside a UTF-8
 * multibyte character, so a line is decoded only once all its bytes are
 * there, whatever the chunk boundaries.
 */
import { isUtf8 } from 'node:buffer';
import type { DecoderOutput, FileRecordFormat, RecordDecoder } from './FileRecordFormat';

const LF = 10;
const CR = 13;

export class JsonLinesFormat<T> implements FileRecordFormat<T> {
  readonly name = 'json-lines';

  createDecoder(): RecordDecoder<T> {
    return new JsonLinesDecoder<T>();
  }
}

class JsonLinesDecoder<T> implements RecordDecoder<T> {
  decode(bytes: Buffer, start: number, eof: boolean, max: number, out: DecoderOutput<T>): number {
    const length = bytes.length;
    let pos = start;
    let n = 0;
    while (n < max && pos < length) {
      const lf = bytes.indexOf(LF, pos);
      if (lf < 0 && !eof) break;
      const lineEnd = lf < 0 ? length : lf;
      const lines = lf < 0 ? 0 : 1;
      const textEnd = lineEnd > pos && bytes[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
      const text = bytes.toString('utf8', pos, textEnd);
      const lineStart = pos;
      pos = lf < 0 ? length : lf + 1;
      if (text.length === 0) {
        out.skipped(lines);
        continue;
      }
      let value: T;
      try {
        value = JSON.parse(text) as T;
      } catch (e) {
        if (text.trim().length === 0) {
          out.skipped(lines);
          continue;
        }
        out.malformed(text, (e as Error).message, lines);
        n++;
        continue;
      }
      if (text.includes('\uFFFD') && !isUtf8(bytes.subarray(lineStart, textEnd))) {
        out.malformed(text, 'not valid UTF-8', lines);
        n++;
        continue;
      }
      out.record(value, lines, pos - lineStart);
      n++;
    }
    return pos;
  }

  state(): undefined {
    return undefined;
  }
}
