/**
 * FileSink's writer and committer driven directly (no actors), each test in
 * a fresh temp directory: records go to a hidden in-progress file; pre-commit
 * closes it and returns its committable without making it visible; commit
 * renames it to its final name (idempotent: twice is fine, a vanished
 * in-progress file whose final file exists is fine, both missing throws);
 * committables name files relatively and a crafted one never renames
 * anything outside the sink's directory; closing before pre-commit deletes
 * the in-progress file; subtask 0's writer deletes in-progress leftovers of
 * earlier attempts and jobs unless they are restored committables;
 * readCommittedLines.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CorruptStateError } from '../errors';
import { ManualClock } from '../testing/ManualClock';
import { FileSink, readCommittedLines, type FileCommittable } from './FileSink';
import type { TwoPhaseCommitSinkInitContext } from './TwoPhaseCommitSink';

const JOB_A = '0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b';
const RUN_A = '0c1d2e3f4a5b';
const JOB_B = '0190a5b2-7c3d-7e4f-8a9b-ffffeeee0001';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-filesink-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function ctx(o: Partial<TwoPhaseCommitSinkInitContext> = {}): TwoPhaseCommitSinkInitContext {
  return {
    indexOfSubtask: 0,
    parallelism: 2,
    operatorUid: 'files',
    clock: new ManualClock(),
    sendToCoordinator: () => {
      throw new Error('FileSink does not talk to a coordinator');
    },
    jobId: JOB_A,
    attemptNumber: 1,
    restoredCommittables: [],
    ...o,
  };
}

const W = { timestamp: undefined };
const at = (name: string) => path.join(dir, name);

function listDir(): string[] {
  return fs.readdirSync(dir).sort();
}

describe('writer and pre-commit', () => {
  test('records go to a hidden in-progress file that readers do not see', () => {
    const sink = new FileSink<string>(dir);
    const w = sink.createWriter(ctx());
    w.write('a', W);
    w.write('b', W);
    expect(listDir()).toEqual([`.part-0-${RUN_A}-1-0.inprogress`]);
    expect(readCommittedLines(dir)).toEqual([]);
    w.close?.();
  });

  test('pre-commit closes the file and returns its committable; the file stays hidden', () => {
    const sink = new FileSink<string>(dir);
    const w = sink.createWriter(ctx());
    w.write('a', W);
    w.write('b', W);
    const cs = w.prepareCommit(1);
    expect(cs).toEqual([{ pending: `.part-0-${RUN_A}-1-0.inprogress`, final: `part-0-${RUN_A}-1-0`, directory: path.resolve(dir) }]);
    expect(fs.readFileSync(at(cs[0].pending), 'utf8')).toBe('a\nb\n');
    expect(fs.existsSync(at(cs[0].final))).toBe(false);
    expect(readCommittedLines(dir)).toEqual([]);
    // nothing written since: no committable
    expect(w.prepareCommit(2)).toEqual([]);
    // the next record opens a new file with the next sequence number
    w.write('c', W);
    const next = w.prepareCommit(3);
    expect(path.basename(next[0].pending)).toBe(`.part-0-${RUN_A}-1-1.inprogress`);
    expect(fs.readFileSync(at(next[0].pending), 'utf8')).toBe('c\n');
    // the pre-committed file is not written to any more
    expect(fs.readFileSync(at(cs[0].pending), 'utf8')).toBe('a\nb\n');
    w.close?.();
  });

  test('file names carry subtask, run of the job id, attempt and sequence', () => {
    const sink = new FileSink<string>(dir);
    const w = sink.createWriter(ctx({ indexOfSubtask: 3, attemptNumber: 4 }));
    w.write('x', W);
    expect(path.basename(w.prepareCommit(1)[0].final)).toBe(`part-3-${RUN_A}-4-0`);
  });

  test('records are formatted by the option, or strings as they are and other values as JSON', () => {
    const plain = new FileSink<unknown>(dir).createWriter(ctx());
    plain.write('text', W);
    plain.write({ n: 1 }, W);
    plain.write(7, W);
    const [c] = plain.prepareCommit(1);
    expect(fs.readFileSync(at(c.pending), 'utf8')).toBe('text\n{"n":1}\n7\n');
    const custom = new FileSink<{ n: number }>(dir, { format: (r) => `n=${r.n}` }).createWriter(ctx({ indexOfSubtask: 1 }));
    custom.write({ n: 5 }, W);
    expect(fs.readFileSync(at(custom.prepareCommit(1)[0].pending), 'utf8')).toBe('n=5\n');
  });

  test('close without pre-commit (cancel, failover, a full disk) deletes its in-progress file; pre-committed ones stay', () => {
    const w = new FileSink<string>(dir).createWriter(ctx());
    w.write('kept', W);
    const [c] = w.prepareCommit(1);
    w.write('lost', W);
    w.close?.();
    expect(readCommittedLines(dir)).toEqual([]);
    expect(listDir()).toEqual([c.pending]);
  });
});

describe('committer', () => {
  function precommitted(lines: string[], c = ctx()): { sink: FileSink<string>; cs: FileCommittable[] } {
    const sink = new FileSink<string>(dir);
    const w = sink.createWriter(c);
    for (const l of lines) w.write(l, W);
    return { sink, cs: w.prepareCommit(1) };
  }

  test('commit renames the in-progress file to its final, visible name', async () => {
    const { sink, cs } = precommitted(['a', 'b']);
    await sink.createCommitter().commit(cs);
    expect(fs.existsSync(at(cs[0].pending))).toBe(false);
    expect(fs.readFileSync(at(cs[0].final), 'utf8')).toBe('a\nb\n');
    expect(listDir()).toEqual([`part-0-${RUN_A}-1-0`]);
    expect(readCommittedLines(dir)).toEqual(['a', 'b']);
  });

  test('committing twice is fine and changes nothing', async () => {
    const { sink, cs } = precommitted(['a']);
    const committer = sink.createCommitter();
    await committer.commit(cs);
    await committer.commit(cs);
    await sink.createCommitter().commit(cs);
    expect(readCommittedLines(dir)).toEqual(['a']);
  });

  test('a vanished in-progress file whose final file exists is fine', async () => {
    const { sink, cs } = precommitted(['a']);
    fs.renameSync(at(cs[0].pending), at(cs[0].final)); // e.g. committed by the run before a crash
    await expect(Promise.resolve().then(() => sink.createCommitter().commit(cs))).resolves.toBeUndefined();
    expect(readCommittedLines(dir)).toEqual(['a']);
  });

  test('both files missing throws, naming the file', () => {
    const { sink, cs } = precommitted(['a']);
    fs.rmSync(at(cs[0].pending));
    expect(() => sink.createCommitter().commit(cs)).toThrow(at(cs[0].final));
  });

  test('a batch with a missing committable still commits the ones before it', () => {
    const sink = new FileSink<string>(dir);
    const w0 = sink.createWriter(ctx());
    w0.write('x', W);
    const [ok] = w0.prepareCommit(1);
    const gone: FileCommittable = { pending: '.part-9-aa-1-0.inprogress', final: 'part-9-aa-1-0' };
    expect(() => sink.createCommitter().commit([ok, gone])).toThrow(/is gone/);
    expect(readCommittedLines(dir)).toEqual(['x']);
  });
});

describe('leftovers of earlier runs', () => {
  /** Attempt 1 of job A, subtask 0: one committed file, one pre-committed (not committed), one still in progress. */
  async function attempt1(): Promise<{ committed: FileCommittable; precommitted: FileCommittable; inProgress: string }> {
    const sink = new FileSink<string>(dir);
    const w = sink.createWriter(ctx());
    w.write('c1', W);
    const [committed] = w.prepareCommit(1);
    await sink.createCommitter().commit([committed]);
    w.write('p1', W);
    const [pre] = w.prepareCommit(2);
    w.write('lost', W); // the process dies here: no close
    return { committed, precommitted: pre, inProgress: `.part-0-${RUN_A}-1-2.inprogress` };
  }

  test("subtask 0 of the next attempt deletes unrestored in-progress files, keeps restored ones and committed files", async () => {
    const a1 = await attempt1();
    expect(listDir()).toEqual([a1.inProgress, path.basename(a1.precommitted.pending), path.basename(a1.committed.final)].sort());
    const sink = new FileSink<string>(dir);
    const c2 = ctx({ attemptNumber: 2, restoredCommittables: [a1.precommitted] });
    sink.createWriter(c2);
    expect(listDir()).toEqual([path.basename(a1.precommitted.pending), path.basename(a1.committed.final)].sort());
    // recovery commits the restored committable
    await sink.createCommitter().commit([a1.precommitted]);
    expect(readCommittedLines(dir)).toEqual(['c1', 'p1']);
  });

  test('without restored committables every earlier in-progress file goes', async () => {
    const a1 = await attempt1();
    new FileSink<string>(dir).createWriter(ctx({ attemptNumber: 2 }));
    expect(listDir()).toEqual([path.basename(a1.committed.final)]);
    expect(readCommittedLines(dir)).toEqual(['c1']);
  });

  test('other subtasks do not delete leftovers', async () => {
    const a1 = await attempt1();
    new FileSink<string>(dir).createWriter(ctx({ attemptNumber: 2, indexOfSubtask: 1 }));
    expect(listDir()).toContain(a1.inProgress);
    expect(listDir()).toContain(path.basename(a1.precommitted.pending));
  });

  test("in-progress files of the current attempt (other subtasks writing) are kept", () => {
    const sink = new FileSink<string>(dir);
    const w1 = sink.createWriter(ctx({ indexOfSubtask: 1 }));
    w1.write('from subtask 1', W);
    sink.createWriter(ctx({ indexOfSubtask: 0 }));
    expect(listDir()).toEqual([`.part-1-${RUN_A}-1-0.inprogress`]);
    const [c] = w1.prepareCommit(1);
    expect(fs.readFileSync(at(c.pending), 'utf8')).toBe('from subtask 1\n');
  });

  test("an earlier job's in-progress files are deleted even in attempt 1; restored ones are kept", () => {
    const sinkB = new FileSink<string>(dir);
    const wb = sinkB.createWriter(ctx({ jobId: JOB_B, attemptNumber: 3 }));
    wb.write('old job', W);
    const [restored] = wb.prepareCommit(1);
    const wb1 = sinkB.createWriter(ctx({ jobId: JOB_B, attemptNumber: 3, indexOfSubtask: 1 }));
    wb1.write('old job, not restored', W); // the old job died here: no close
    expect(listDir()).toHaveLength(2);
    new FileSink<string>(dir).createWriter(ctx({ jobId: JOB_A, attemptNumber: 1, restoredCommittables: [restored] }));
    expect(listDir()).toEqual([path.basename(restored.pending)]);
  });

  test('files that are not FileSink in-progress files are left alone', async () => {
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'keep');
    fs.writeFileSync(path.join(dir, '.hidden'), 'keep');
    fs.writeFileSync(path.join(dir, '.part-x-y.inprogress'), 'keep');
    await attempt1();
    new FileSink<string>(dir).createWriter(ctx({ attemptNumber: 2 }));
    expect(listDir()).toEqual(['.hidden', '.part-x-y.inprogress', 'notes.txt', `part-0-${RUN_A}-1-0`]);
  });

  test('createWriter creates a missing directory', () => {
    const nested = path.join(dir, 'a', 'b');
    const w = new FileSink<string>(nested).createWriter(ctx());
    w.write('x', W);
    expect(fs.readdirSync(nested)).toEqual([`.part-0-${RUN_A}-1-0.inprogress`]);
    w.close?.();
  });
});

describe('readCommittedLines', () => {
  test('a missing directory has no lines', () => {
    expect(readCommittedLines(path.join(dir, 'nope'))).toEqual([]);
  });

  test('reads committed part files only, file by file, skipping empty lines', () => {
    fs.writeFileSync(path.join(dir, 'part-0-aa-1-0'), 'a\n\nb\n');
    fs.writeFileSync(path.join(dir, 'part-1-aa-1-0'), 'c\n');
    fs.writeFileSync(path.join(dir, '.part-0-aa-1-1.inprogress'), 'hidden\n');
    fs.writeFileSync(path.join(dir, 'other'), 'z\n');
    expect(readCommittedLines(dir)).toEqual(['a', 'b', 'c']);
  });
});

/** Runs `use` with a fresh temporary directory, removed afterwards. */
function withTempDir(prefix: string, use: (d: string) => void): void {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    use(d);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
}

describe('committables are untrusted', () => {
  test('a crafted committable can rename nothing outside the sink directory', () => {
    withTempDir('weir-victim-', (victim) => {
      fs.writeFileSync(path.join(victim, 'secret.txt'), 'secret');
      const committer = new FileSink<string>(dir).createCommitter();
      const crafted: FileCommittable[] = [
        { pending: path.join(victim, 'secret.txt'), final: path.join(dir, 'part-0-aa-1-0') },
        { pending: '../' + path.basename(victim) + '/secret.txt', final: 'part-0-aa-1-0' },
        { pending: '.part-0-aa-1-0.inprogress', final: '../stolen' },
        { pending: '.part-0-aa-1-0.inprogress', final: 'part-0-aa-1-1' },
        { pending: 42, final: null } as unknown as FileCommittable,
      ];
      for (const c of crafted) {
        expect(() => committer.commit([c])).toThrow(CorruptStateError);
      }
      expect(fs.readFileSync(path.join(victim, 'secret.txt'), 'utf8')).toBe('secret');
      expect(listDir()).toEqual([]);
    });
  });

  test('a crafted directory is refused, and names in a real one must still be part files', () => {
    withTempDir('weir-victim-', (victim) => {
      fs.writeFileSync(path.join(victim, 'secret.txt'), 'secret');
      const committer = new FileSink<string>(dir).createCommitter();
      const crafted = [
        { pending: '.part-0-aa-1-0.inprogress', final: 'part-0-aa-1-0', directory: 'relative/dir' },
        { pending: '.part-0-aa-1-0.inprogress', final: 'part-0-aa-1-0', directory: 7 },
        { pending: 'secret.txt', final: 'part-0-aa-1-0', directory: victim },
        { pending: '.part-0-aa-1-0.inprogress', final: 'secret.txt', directory: victim },
      ] as unknown as FileCommittable[];
      for (const c of crafted) expect(() => committer.commit([c])).toThrow(CorruptStateError);
      expect(fs.readdirSync(victim)).toEqual(['secret.txt']);
    });
  });

  test('a job resumed with another output directory commits its predecessor\'s last transaction where it was written', () => {
    const before = new FileSink<string>(dir);
    const w = before.createWriter(ctx());
    w.write('old', W);
    const restored = w.prepareCommit(1);
    withTempDir('weir-filesink-new-', (elsewhere) => {
      // The resumed job's sink writes to `elsewhere` and re-commits the restored committables on restore.
      const after = new FileSink<string>(elsewhere);
      after.createWriter({ ...ctx(), restoredCommittables: restored });
      after.createCommitter().commit(restored);
      expect(readCommittedLines(dir)).toEqual(['old']);
      expect(readCommittedLines(elsewhere)).toEqual([]);
    });
  });

  test('absolute paths inside the sink directory (older checkpoints) still commit', () => {
    const sink = new FileSink<string>(dir);
    const w = sink.createWriter(ctx());
    w.write('a', W);
    const [c] = w.prepareCommit(1);
    sink.createCommitter().commit([{ pending: at(c.pending), final: at(c.final) }]);
    expect(readCommittedLines(dir)).toEqual(['a']);
  });
});
