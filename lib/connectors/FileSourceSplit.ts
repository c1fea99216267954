/**
 * The splits of a FileSource: plain data that carries its own position, so
 * a checkpoint rewinds a reader exactly, at the same or another parallelism.
 *
 * - A file split is one file: its path, its size when discovered, the byte
 *   offset of the next record, that record's line number and how many
 *   records came before it, and the format's state (CSV: the header row).
 * - A discovery split finds files. A fresh job at parallelism p has p of
 *   them (like GeneratorSource's strided splits): discovery split s of p
 *   owns the files whose path hashes to s mod p, and remembers every path
 *   it turned into a file split. Ownership travels with the split, not
 *   with the subtask that holds it, so after a rescale each file still has
 *   exactly one owner, and a file already handed out — finished, or in
 *   progress in a file split on any subtask — is never handed out again.
 *   A bounded source drops its discovery splits after the first listing;
 *   a continuous one keeps them and lists again every interval.
 */
import { CorruptStateError, preview } from '../errors';
import { keyHashCode, murmurHash } from '../state/KeyGroup';
import type { SourceSplit } from './Source';

export interface FileSplit extends SourceSplit {
  readonly kind: 'file';
  readonly path: string;
  /** Bytes of the file when it was discovered: what is read (a shorter file fails the job). */
  readonly size: number;
  /** Byte offset of the next record. */
  readonly offset: number;
  /** 1-based line number of the next record. */
  readonly line: number;
  /** Records (good and malformed) before the next one. */
  readonly records: number;
  /** What the format learned from the file (CSV: the header row); plain data. */
  readonly format?: unknown;
}

export interface FileDiscoverySplit extends SourceSplit {
  readonly kind: 'discovery';
  /** This split owns the paths p with `ownerOf(p, of) === index`. */
  readonly index: number;
  readonly of: number;
  /** Paths already turned into file splits (sorted). */
  readonly assigned: readonly string[];
}

export type FileSourceSplit = FileSplit | FileDiscoverySplit;

/** Which discovery split of `of` owns `path`. */
export function ownerOf(path: string, of: number): number {
  return murmurHash(keyHashCode(path)) % of;
}

export function discoverySplits(parallelism: number): FileDiscoverySplit[] {
  return Array.from({ length: parallelism }, (_, index) => ({
    kind: 'discovery' as const,
    splitId: `discovery-${index}-of-${parallelism}`,
    index,
    of: parallelism,
    assigned: [],
  }));
}

export function newFileSplit(path: string, size: number): FileSplit {
  return { kind: 'file', splitId: path, path, size, offset: 0, line: 1, records: 0 };
}

/** Checks a restored split; a split of another source kind is refused, never read as garbage. */
export function checkFileSourceSplit(s: unknown): FileSourceSplit {
  const v = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>;
  const nat = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  const ok =
    typeof v.splitId === 'string' &&
    ((v.kind === 'file' && typeof v.path === 'string' && nat(v.size) && nat(v.offset) && nat(v.records) && nat(v.line) && v.line >= 1 && v.offset <= v.size) ||
      (v.kind === 'discovery' && nat(v.index) && nat(v.of) && v.index < v.of && Array.isArray(v.assigned) && v.assigned.every((p) => typeof p === 'string')));
  if (!ok) throw new CorruptStateError(`a FileSource cannot restore the split ${preview(s)}: it is not a file source split (did the source under this uid change?)`);
  return v as unknown as FileSourceSplit;
}
