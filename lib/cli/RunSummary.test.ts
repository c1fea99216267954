/**
 * The summary both run modes print (RunSummary), the resume command and its
 * shell quoting, and the progress line's last word once a job ended.
 */
import { formatSummary, resumeCommand, shellQuote, type RunSummaryJson } from './RunSummary';
import { ProgressLine, progressText } from './weirProgram';

const base: RunSummaryJson = {
  status: 'FINISHED',
  exitCode: 0,
  interrupted: false,
  jobId: 'j-1',
  jobName: 'counts',
  fingerprint: 'ab'.repeat(32),
  coordinator: null,
  durationMs: 2500,
  operators: [
    { uid: 'ticks', name: 'Source: ticks', parallelism: 4, recordsIn: 0, recordsOut: 100_000 },
    { uid: 'files', name: 'FileSink', parallelism: 4, recordsIn: 4_000, recordsOut: 0 },
  ],
  recordsRead: 100_000,
  checkpoints: { completed: 3, failed: 0, latest: null },
  restarts: 0,
  restoredFrom: null,
  savepoint: null,
  resumeCommand: null,
  finalCheckpoint: null,
  error: null,
};

describe('formatSummary', () => {
  test('the fingerprint, counts with thousands separators, operators in the order given', () => {
    const text = formatSummary(base);
    expect(text.split('\n')).toEqual([
      "Job 'counts' FINISHED after 2.5 s (job j-1)",
      `  fingerprint: ${'ab'.repeat(32)}`,
      '  operator         p   records in  records out',
      '  Source: ticks    4            0      100,000',
      '  FileSink         4        4,000            0',
      '  checkpoints: 3 completed, 0 failed',
      '  restarts: none',
      '',
    ]);
  });

  test('a cluster run: where it ran, no checkpoint line (unknown there), the savepoint and the command that resumes it', () => {
    const text = formatSummary({
      ...base,
      status: 'CANCELED',
      interrupted: true,
      coordinator: '127.0.0.1:6123',
      checkpoints: null,
      restarts: 2,
      savepoint: '/sp/savepoint-1',
      resumeCommand: 'weir run --from-savepoint /sp/savepoint-1 /jobs/a.js',
    });
    expect(text).toMatch(/^Job 'counts' STOPPED WITH A SAVEPOINT after 2\.5 s \(job j-1\) on the cluster at 127\.0\.0\.1:6123\n/);
    expect(text).not.toContain('checkpoints:');
    expect(text).toContain('  restarts: 2\n  savepoint: /sp/savepoint-1\n  resume with: weir run --from-savepoint /sp/savepoint-1 /jobs/a.js\n');
  });

  test('a job name the client could not learn: the job id stands for it', () => {
    expect(formatSummary({ ...base, jobName: null, fingerprint: null })).toMatch(/^Job j-1 FINISHED after 2\.5 s\n {2}operator/);
  });
});

describe('resumeCommand', () => {
  test('the same module, arguments and options, paths absolute, `--` before an argument that looks like an option', () => {
    const cmd = resumeCommand('jobs/a.js', ['in put', "it's", '-v'], { coordinator: 'h:1', parallelism: 4, checkpointDir: '/c', checkpointInterval: 1000 }, '/c/savepoints/sp-1');
    expect(cmd).toBe(`weir run --coordinator h:1 -p 4 --checkpoint-dir /c --checkpoint-interval 1000 --from-savepoint /c/savepoints/sp-1 ${process.cwd()}/jobs/a.js -- 'in put' 'it'\\''s' -v`);
  });
  test('shellQuote leaves safe words alone and single-quotes the rest', () => {
    expect(shellQuote('/a/b-c_d.js')).toBe('/a/b-c_d.js');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('$HOME')).toBe("'$HOME'");
    expect(shellQuote("a'b")).toBe("'a'\\''b'");
  });
});

describe('ProgressLine.finish', () => {
  const p = { recordsRead: 100_000, totalRecords: 100_000, percent: 100, restarted: false, bounded: true };
  test('into a file or pipe: one more line with the final count', () => {
    let out = '';
    const line = new ProgressLine({ write: (s: string) => (out += s), isTTY: false });
    line.update({ ...p, recordsRead: 94_994, percent: 94 }, 1000);
    line.finish(p, 1200);
    expect(out.trimEnd().split('\n').at(-1)).toMatch(/^ {2}read 100,000 records of 100,000 \(100%\) in 1\.2 s/);
  });
  test('on a terminal: the line is rewritten with the final count and kept', () => {
    let out = '';
    const line = new ProgressLine({ write: (s: string) => (out += s), isTTY: true });
    line.update({ ...p, recordsRead: 94_994, percent: 94 }, 1000);
    line.finish(p, 1200);
    expect(out.endsWith('\x1b[K\n')).toBe(true);
    expect(out.slice(out.lastIndexOf('\r'))).toMatch(/^\r {2}read 100,000 records of 100,000 \(100%\)/);
    line.clear(); // nothing left to clear
    expect(out.endsWith('\x1b[K\n')).toBe(true);
  });
});

describe('progressText: a restart loop shows while it happens', () => {
  test('restarts and the latest failure, cut to one line; nothing when there were none', () => {
    const base = { recordsRead: 0, totalRecords: 100, percent: undefined, restarted: true, bounded: true };
    expect(progressText({ ...base, restarts: 0 }, 25_000)).toBe('  read 0 records since the last restart in 25.0 s');
    const long = `cannot read /tmp/views: ENOENT ${'x'.repeat(100)}`;
    const text = progressText({ ...base, restarts: 4, lastFailure: long }, 25_000);
    expect(text).toMatch(/^ {2}read 0 records since the last restart in 25\.0 s; 4 restarts, last: cannot read \/tmp\/views: ENOENT x+…$/);
    expect(text.length).toBeLessThan(160);
  });
});
