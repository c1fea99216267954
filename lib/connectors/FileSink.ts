/**
 * Writes records as lines (JSON, or your format) to part files in a
 * directory, exactly once, on the two-phase-commit contract. A writer
 * appends to a hidden in-progress file; at a barrier it closes and syncs the
 * file and pre-commits it; when the checkpoint completes the file is renamed
 * to its visible name, `part-<subtask>-<job>-<attempt>-<n>`. Renaming is
 * idempotent (an already renamed file is left as it is). In-progress files
 * of an earlier run that no checkpoint committed are deleted when a new run
 * starts, so readers of the directory see each record once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatRecord } from './PrintSink';
import type { Committer, PrecommittingSinkWriter, TwoPhaseCommitSink, TwoPhaseCommitSinkInitContext } from './TwoPhaseCommitSink';

export interface FileCommittable {
  readonly pending: string;
  readonly final: string;
}

export interface FileSinkOptions<T> {
  /** One line per record, without the newline (default: strings as they are, other values as JSON). */
  readonly format?: (record: T) => string;
}

const IN_PROGRESS = /^\.part-(\d+)-([0-9a-f]+)-(\d+)-(\d+)\.inprogress$/;

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
          current = { pending: path.join(dir, `.${name}.inprogress`), final: path.join(dir, name) };
          fd = fs.openSync(current.pending, 'w');
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
        if (fd !== undefined) fs.closeSync(fd);
        fd = undefined;
      },
    };
  }

  createCommitter(): Committer<FileCommittable> {
    return {
      commit(committables) {
        for (const c of committables) {
          if (fs.existsSync(c.pending)) fs.renameSync(c.pending, c.final);
          else if (!fs.existsSync(c.final)) throw new Error(`cannot commit ${c.final}: its in-progress file ${c.pending} is gone`);
        }
      },
    };
  }

  /** In-progress files of earlier runs not restored for commit: their data will be written again. */
  private deleteLeftovers(ctx: TwoPhaseCommitSinkInitContext): void {
    const keep = new Set((ctx.restoredCommittables as FileCommittable[]).map((c) => path.basename(c.pending)));
    for (const name of fs.readdirSync(this.directory)) {
      const m = IN_PROGRESS.exec(name);
      const earlier = m && (m[2] !== runOf(ctx) || Number(m[3]) < ctx.attemptNumber);
      if (earlier && !keep.has(name)) fs.rmSync(path.join(this.directory, name), { force: true });
    }
  }
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
