/**
 * The `weir` command end to end: real child processes running cli/weir.ts
 * (TypeScript through scenarios/support/registerTs.js, no build needed) on
 * the job modules in cli/fixtures. Checks exit codes, the --json summary,
 * usage errors, help and version, and Ctrl-C: a stop with a savepoint that
 * a second run resumes from; SIGTERM stops the same way (exit 143) and
 * prints a resume command that a shell reads back as the run's arguments
 * and options. Nothing here depends on timing: the signal is sent once a
 * checkpoint exists on disk.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REGISTER_TS = path.join(__dirname, '..', 'scenarios', 'support', 'registerTs.js');
const WEIR = path.join(__dirname, 'weir.ts');
const FIXTURES = path.join(__dirname, 'fixtures');
const fixture = (name: string) => path.join(FIXTURES, name);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Started {
  readonly done: Promise<Run>;
  /** What the process wrote to stderr so far. */
  stderr(): string;
  interrupt(): void;
  terminate(): void;
}

function start(args: readonly string[]): Started {
  const child = spawn(process.execPath, ['-r', REGISTER_TS, WEIR, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'test' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { done, stderr: () => stderr, interrupt: () => child.kill('SIGINT'), terminate: () => child.kill('SIGTERM') };
}

const weir = (...args: string[]) => start(args).done;

/** The --json summary: the last line of stdout. */
function summary(run: Run): Record<string, any> {
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** Resolves once `check()` is true, looking every 20 ms (a condition to wait for, not a time limit). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-cli-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('weir run', () => {
  test('a bounded job: exit 0 and one JSON summary with records per operator; the same fingerprint in two processes', async () => {
    const [a, b] = await Promise.all([weir('run', '--json', '-p', '2', fixture('sumJob.ts'), '500'), weir('run', '--json', fixture('sumJob.ts'), '500', '-p', '2')]);
    expect(a.code).toBe(0);
    const s = summary(a);
    expect(s).toMatchObject({
      status: 'FINISHED',
      exitCode: 0,
      interrupted: false,
      jobName: 'sums',
      coordinator: null,
      recordsRead: 500,
      restarts: 0,
      checkpoints: { failed: 0, latest: null },
      savepoint: null,
      resumeCommand: null,
      error: null,
    });
    expect(s.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(s.operators.map((o: { uid: string; parallelism: number; recordsIn: number; recordsOut: number }) => [o.uid, o.parallelism, o.recordsIn, o.recordsOut])).toEqual([
      ['numbers', 2, 0, 500],
      ['sums', 2, 500, 500],
      ['discard', 2, 500, 0],
    ]);
    expect(b.code).toBe(0);
    expect(summary(b).fingerprint).toBe(s.fingerprint); // options after the module path parse the same
  });

  test('text output: a summary on stdout naming status and operators', async () => {
    const run = await weir('run', fixture('sumJob.ts'), '100');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Job 'sums' FINISHED after /);
    expect(run.stdout).toMatch(/\n {2}fingerprint: [0-9a-f]{64}\n/);
    expect(run.stderr).toMatch(/ {2}read 100 records of 100 \(100%\) in /); // the final count, once the job ended
    expect(run.stdout).toMatch(/Keyed Sum\s+1\s+100\s+100/);
    expect(run.stdout).toContain('restarts: none');
    expect(run.stderr).toContain(`Running 'sums' (${fixture('sumJob.ts')})`);
  });

  test('a job that fails: exit 1, status FAILED and the error, its cause said once', async () => {
    const run = await weir('run', '--json', fixture('failingJob.ts'));
    expect(run.code).toBe(1);
    const s = summary(run);
    expect(s).toMatchObject({ status: 'FAILED', exitCode: 1, jobName: 'failingJob' });
    expect(s.error).toMatchObject({ name: 'JobExecutionError', code: 'JOB_FAILED' });
    expect(s.error.message).toContain("operator 'Map' (uid explode)");
    expect(s.error.message).toContain('record 3 is bad');
    expect(s.error).not.toHaveProperty('cause'); // the message quotes it already
    const text = await weir('run', fixture('failingJob.ts'));
    expect(text.stdout).not.toContain('cause:');
  });

  test('bad arguments: exit 2 with a message saying what is wrong', async () => {
    const parallelism = await weir('run', '-p', 'two', fixture('sumJob.ts'));
    expect(parallelism.code).toBe(2);
    expect(parallelism.stderr).toContain("argument 'two' is invalid");
    expect(parallelism.stderr).toContain('weir --help');

    const both = await weir('run', '--from-savepoint', 'a', '--from-checkpoint', 'b', fixture('sumJob.ts'));
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--from-savepoint.*cannot be used with.*--from-checkpoint|--from-checkpoint.*cannot be used with.*--from-savepoint/);

    expect((await weir('run')).code).toBe(2); // no module
    expect((await weir('frobnicate')).code).toBe(2);
    const missing = await weir('run', path.join(dir, 'nope.js'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`job module ${path.join(dir, 'nope.js')}: no such file`);
  });

  test('a module that breaks the contract: exit 2, and with --json an ERROR object naming it', async () => {
    const file = path.join(dir, 'noSink.js');
    fs.writeFileSync(file, 'module.exports = (env) => { env.fromCollection([1]); };\n');
    const run = await weir('run', '--json', file);
    expect(run.code).toBe(2);
    expect(summary(run)).toMatchObject({ status: 'ERROR', exitCode: 2, jobId: null, coordinator: null, error: { name: 'JobModuleError', code: 'NO_SINKS' } });
    // A job function that throws: its message once, not again as a cause.
    const throwing = path.join(dir, 'throws.js');
    fs.writeFileSync(throwing, "module.exports = () => { throw new Error('invalid configuration: parallelism must be ≥ 1, got 0'); };\n");
    const text = await weir('run', throwing);
    expect(text.code).toBe(2);
    expect(text.stderr.match(/got 0/g)).toHaveLength(1);
    expect(text.stderr).not.toContain('cause:');
  });

  test('a savepoint path with nothing there: exit 2', async () => {
    const run = await weir('run', '--from-savepoint', path.join(dir, 'none'), fixture('sumJob.ts'));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot restore from');
  });

  test('Ctrl-C with checkpointing: stops with a savepoint (exit 130), which the next run resumes from', async () => {
    const checkpoints = path.join(dir, 'checkpoints');
    const first = start(['run', '--json', '--checkpoint-dir', checkpoints, '--checkpoint-interval', '50', fixture('slowJob.ts')]);
    // Interrupt once a checkpoint is complete on disk: the job is surely running.
    const hasCheckpoint = () =>
      fs.existsSync(checkpoints) &&
      fs.readdirSync(checkpoints).some((run) => fs.existsSync(path.join(checkpoints, run)) && fs.statSync(path.join(checkpoints, run)).isDirectory() &&
        fs.readdirSync(path.join(checkpoints, run)).some((c) => fs.existsSync(path.join(checkpoints, run, c, '_metadata'))));
    await until(hasCheckpoint);
    first.interrupt();
    const stopped = await first.done;
    expect(stopped.code).toBe(130);
    const s = summary(stopped);
    expect(s).toMatchObject({ status: 'FINISHED', interrupted: true, exitCode: 130 });
    expect(s.savepoint).toContain(path.join(checkpoints, 'savepoints'));
    expect(fs.existsSync(s.savepoint)).toBe(true);
    expect(s.resumeCommand).toBe(`weir run --checkpoint-dir ${checkpoints} --checkpoint-interval 50 --from-savepoint ${s.savepoint} ${fixture('slowJob.ts')}`);

    // Resume from it without checkpointing: the interrupt then cancels.
    const second = start(['run', '--from-savepoint', s.savepoint, fixture('slowJob.ts')]);
    await until(() => second.stderr().includes('Ctrl-C or SIGTERM stops it')); // the interrupt handler is in place
    expect(second.stderr()).toContain(`from ${s.savepoint}`);
    second.interrupt();
    const resumed = await second.done;
    expect(resumed.code).toBe(130);
    expect(resumed.stdout).toContain("Job 'slowJob' CANCELED (interrupted)");
    expect(resumed.stderr).toContain('cancelling the job (no checkpointing, so no savepoint)');
  });

  test('SIGTERM stops like Ctrl-C (exit 143), and the resume command gives a shell back the same arguments and options', async () => {
    const checkpoints = path.join(dir, 'checkpoints-term');
    const args = ["it's", 'a b', '-v'];
    const run = start(['run', '-p', '2', '--checkpoint-dir', checkpoints, '--checkpoint-interval', '50', fixture('slowJob.ts'), '--', ...args]);
    await until(() => fs.existsSync(checkpoints) && fs.readdirSync(checkpoints, { recursive: true }).some((f) => String(f).endsWith('_metadata')));
    run.terminate();
    const stopped = await run.done;
    expect(stopped.code).toBe(143);
    expect(stopped.stderr).toContain('weir: SIGTERM: stopping the job with a savepoint in');
    expect(stopped.stdout).toContain("Job 'slowJob' STOPPED WITH A SAVEPOINT");
    const resume = /resume with: (.*)/.exec(stopped.stdout)![1];
    // What a POSIX shell makes of the line: the words after `weir`.
    const words = spawnSync('sh', ['-c', `printf '%s\\n' ${resume.replace(/^weir /, '')}`], { encoding: 'utf8' }).stdout.trimEnd().split('\n');
    const savepoint = words[words.indexOf('--from-savepoint') + 1];
    expect(fs.existsSync(savepoint)).toBe(true);
    expect(words).toEqual(['run', '-p', '2', '--checkpoint-dir', checkpoints, '--checkpoint-interval', '50', '--from-savepoint', savepoint, fixture('slowJob.ts'), '--', ...args]);
  });
});

describe('weir --help and --version', () => {
  test('help: examples, what a job module is, exit codes; exit 0', async () => {
    const top = await weir('--help');
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Usage: weir');
    expect(top.stdout).toContain('Examples:');
    const run = await weir('run', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('A job module, in TypeScript');
    expect(run.stdout).toMatch(/Exit codes: 0 finished, 1 the job failed, 2 usage or configuration error .*130 interrupted \(Ctrl-C\), 143 stopped by SIGTERM/);
    expect(run.stdout).toContain('Ctrl-C or SIGTERM');
    expect(run.stdout).toContain('--from-checkpoint <path>');
  });

  test('version: the package version', async () => {
    const run = await weir('--version');
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(require('../package.json').version);
  });
});
