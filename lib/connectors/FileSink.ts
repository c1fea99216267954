/**
 * Writes records as lines (JSON, or your format) to part files in a
 * directory, exactly once, on the two-phase-commit contract. A writer
 * appends to a hidden in-progress file; at a barrier it closes and syncs the
 * file and pre-commits it; when the checkpoint completes the file is renamed
 * to its visible name, `part-<subtask>-<job>-<attempt>-<n>`. Renaming is
 * idempotent (an already renamed file is left as it is). In-progress files
 * of an earlier run that no checkpoint committed are deleted when a new run
 * starts, and a writer closed before pre-committing (cancel, failover, a full
 * disk) deletes its own, so readers of the directory see each record once and
 * nothing is left behind.
 *
 * Committables name files by their part-file names (checked on commit) and
 * the absolute directory the writer wrote them in: a committable read back
 * from a checkpoint can only ever rename a FileSink in-progress file to its
 * own part name, in that directory. A job resumed with another output
 * directory thus commits its predecessor's last transaction where it was
 * written (as Flink's FileSink commits at the recorded path) and writes
 * anew in its own; committables of older checkpoints, which name no
 * directory, commit in the sink's directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CorruptStateError } from '../errors';
import { formatRecord } from './PrintSink';
import type { Committer, PrecommittingSinkWriter, TwoPhaseCommitSink, TwoPhaseCommitSinkInitContext } from './TwoPhaseCommitSink';

/** A pre-committed part file: names inside the directory it was written in. */
export interface FileCommittable {
  /** `.part-<subtask>-<run>-<attempt>-<n>.inprogress` */
  readonly pending: string;
  /** `part-<subtask>-<run>-<attempt>-<n>` */
  readonly final: string;
  /** The absolute directory of both files (absent in older checkpoints: the sink's directory). */
  readonly directory?: string;
}

export interface FileSinkOptions<T> {
  /** One line per record, without the newline (default: strings as they are, other values as JSON). */
  readonly format?: (record: T) => string;
}

const IN_PROGRESS = /^\.part-(\d+)-([0-9a-f]+)-(\d+)-(\d+)\.inprogress$/;
const PART = /^part-(\d+)-([0-9a-f]+)-(\d+)-(\d+)$/;

export class FileSink<T> implements TwoPhaseCommitSink<T, FileCommittable> {
  constructor(readonly directory: string, private readonly options: FileSinkOptions<T> = {}) {}

  createWriter(ctx: TwoPhaseCommitSinkInitContext): PrecommittingSinkWriter<T, FileCommittable> {
    fs.mkdirSync(this.directory, { recursive: true });
    if (ctx.indexOfSubtask === 0) this.deleteLeftovers(ctx);
    const format = this.options.format ?? formatRecord;
    const dir = this.directory;
    let fd: number | undefined;
    let current: FileCommittable | undefined;
    let seq = 0;
    return {
      write(record) {
        if (fd === undefined) {
          const name = `part-${ctx.indexOfSubtask}-${runOf(ctx)}-${ctx.attemptNumber}-${seq++}`;
          current = { pending: `.${name}.inprogress`, final: name, directory: path.resolve(dir) };
          fd = fs.openSync(path.join(dir, current.pending), 'w');
        }
        fs.writeSync(fd, `${format(record)}\n`);
      },
      prepareCommit() {
        if (fd === undefined) return [];
        fs.fsyncSync(fd);
        fs.closeSync(fd);
        fd = undefined;
        const c = current!;
        current = undefined;
        return [c];
      },
      close() {
        // Records of a transaction never pre-committed belong to no checkpoint: they will be written again.
        if (fd !== undefined) fs.closeSync(fd);
        fd = undefined;
        if (current !== undefined) fs.rmSync(path.join(dir, current.pending), { force: true });
        current = undefined;
      },
    };
  }

  createCommitter(): Committer<FileCommittable> {
    const dir = this.directory;
    return {
      commit(committables) {
        for (const c of committables) {
          const { pending, final } = confine(dir, c);
          if (fs.existsSync(pending)) fs.renameSync(pending, final);
          else if (!fs.existsSync(final)) throw new Error(`cannot commit ${final}: its in-progress file ${pending} is gone`);
        }
      },
    };
  }

  /** In-progress files of earlier runs not restored for commit: their data will be written again. */
  private deleteLeftovers(ctx: TwoPhaseCommitSinkInitContext): void {
    const here = path.resolve(this.directory);
    const ofThisDirectory = (c: FileCommittable) => c?.directory === undefined || path.resolve(String(c.directory)) === here;
    const keep = new Set((ctx.restoredCommittables as FileCommittable[]).filter(ofThisDirectory).map((c) => path.basename(String(c?.pending))));
    for (const name of fs.readdirSync(this.directory)) {
      const m = IN_PROGRESS.exec(name);
      const earlier = m && (m[2] !== runOf(ctx) || Number(m[3]) < ctx.attemptNumber);
      if (earlier && !keep.has(name)) fs.rmSync(path.join(this.directory, name), { force: true });
    }
  }
}

/**
 * The paths of a committable: in the directory it names (an absolute path),
 * else in the sink's `directory`. Both names must be the sink's own
 * part-file names (absolute paths written by earlier versions are accepted
 * inside that directory only); anything else is a CorruptStateError, never
 * a rename of another file.
 */
function confine(directory: string, c: FileCommittable): { pending: string; final: string } {
  const recorded: unknown = c?.directory;
  if (recorded !== undefined && (typeof recorded !== 'string' || !path.isAbsolute(recorded))) {
    throw new CorruptStateError(`FileSink committable ${JSON.stringify(c)}: the directory is not an absolute path`);
  }
  const dir = path.resolve(recorded ?? directory);
  const nameOf = (p: unknown, pattern: RegExp, what: string): string => {
    const name = typeof p === 'string' && path.isAbsolute(p) && path.dirname(p) === dir ? path.basename(p) : p;
    if (typeof name !== 'string' || !pattern.test(name)) {
      throw new CorruptStateError(`FileSink committable ${JSON.stringify(c)}: the ${what} file is not a part file of '${dir}'`);
    }
    return path.join(dir, name);
  };
  const pending = nameOf(c?.pending, IN_PROGRESS, 'in-progress');
  const final = nameOf(c?.final, PART, 'final');
  if (`.${path.basename(final)}.inprogress` !== path.basename(pending)) {
    throw new CorruptStateError(`FileSink committable ${JSON.stringify(c)}: the in-progress and final names do not belong together`);
  }
  return { pending, final };
}

function runOf(ctx: TwoPhaseCommitSinkInitContext): string {
  return ctx.jobId.replace(/[^0-9a-f]/gi, '').slice(-12).toLowerCase();
}

/** The committed lines of a FileSink directory, file by file in write order per subtask (tests and tools). */
export function readCommittedLines(directory: string): string[] {
  if (!fs.existsSync(directory)) return [];
  const byNumbers = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
  return fs
    .readdirSync(directory)
    .filter((n) => n.startsWith('part-'))
    .sort(byNumbers)
    .flatMap((n) => fs.readFileSync(path.join(directory, n), 'utf8').split('\n').filter((l) => l.length > 0));
}
