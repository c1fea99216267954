/**
 * The cluster commands end to end, as real processes: `weir cluster start`
 * (a coordinator and two node processes), a keyed window job with
 * exactly-once checkpoints submitted with `weir run --coordinator` whose
 * committed output is exact, `weir nodes`, `weir list`, a detached job
 * stopped with a savepoint, Ctrl-C on a cluster run and a resume from its
 * savepoint and the command that resumes it, the progress line of a
 * cluster run and SIGTERM (the command in this process against the
 * cluster's processes), the warning for a relative path among the job's
 * arguments, the --json summary in the embedded run's shape, a wrong or
 * missing secret, and `weir health` before and after the cluster stops. Nothing waits on a clock: each step
 * waits for a line or a status the previous one produces.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCommittedLines } from '../lib/connectors/FileSink';
import { expectedLines } from '../actors/cluster/fixtures/windowedCounts';
import type { CliIo } from '../lib/cli/weirProgram';
import { loadJobModule } from '../lib/cli/JobModule';
import { runOnCluster } from './clientCommands';

const REGISTER_TS = path.join(__dirname, '..', 'scenarios', 'support', 'registerTs.js');
const WEIR = path.join(__dirname, 'weir.ts');
const FIXTURE = path.join(__dirname, '..', 'actors', 'cluster', 'fixtures', 'windowedCounts.ts');
const SECRET = 'the secret of the cluster under test';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnWeir(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const base: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', WEIR_CLUSTER_SECRET: SECRET };
  delete base.WEIR_COORDINATOR;
  return spawn(process.execPath, ['-r', REGISTER_TS, WEIR, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...base, ...env } });
}

function weir(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const child = spawnWeir(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const lastJson = (run: Run) => JSON.parse(run.stdout.trim().split('\n').at(-1)!);

let dir: string;
let cluster: ChildProcess;
let clusterExit: Promise<number | null>;
let started: { coordinator: { host: string; port: number; pid: number }; nodes: { nodeId: string; pid: number }[] };
let address: string;
const events: Record<string, unknown>[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-cluster-cli-'));
  cluster = spawnWeir(['cluster', 'start', '--nodes', '2', '--slots', '2', '--json']);
  let stderr = '';
  cluster.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  clusterExit = new Promise((resolve) => cluster.on('exit', (code) => resolve(code)));
  started = await new Promise((resolve, reject) => {
    let buffered = '';
    cluster.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const event = JSON.parse(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        events.push(event);
        if (event.event === 'started') resolve(event);
      }
    });
    void clusterExit.then((code) => reject(new Error(`weir cluster start exited with ${code} before the cluster started:\n${stderr}`)));
  });
  address = `${started.coordinator.host}:${started.coordinator.port}`;
});

afterAll(async () => {
  if (cluster.exitCode === null && cluster.signalCode === null) {
    cluster.kill('SIGTERM');
    await clusterExit;
  }
  // Should the launcher have failed to stop them, no child outlives the test.
  for (const pid of [started?.coordinator.pid, ...(started?.nodes ?? []).map((n) => n.pid)]) {
    try {
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('cluster start reports a coordinator and two nodes; weir nodes lists them', async () => {
  expect(started.nodes.map((n) => n.nodeId)).toEqual(['node-1', 'node-2']);
  expect(started).not.toHaveProperty('secret'); // WEIR_CLUSTER_SECRET was given: nothing to print
  const run = await weir(['nodes', '--json', '--coordinator', address]);
  expect(run.code).toBe(0);
  const { nodes } = lastJson(run);
  expect(nodes.map((n: { nodeId: string }) => n.nodeId).sort()).toEqual(['node-1', 'node-2']);
  expect(nodes.every((n: { slots: number }) => n.slots === 2)).toBe(true);
});

test('weir run --coordinator: a keyed window job with exactly-once checkpoints writes the exact counts across two nodes', async () => {
  const out = path.join(dir, 'out');
  const run = await weir(['run', '--coordinator', address, '--checkpoint-dir', path.join(dir, 'checkpoints'), '--checkpoint-interval', '100', '-p', '4', '--json', FIXTURE, '20000', out]);
  expect(run.code).toBe(0);
  const summary = lastJson(run);
  expect(summary).toMatchObject({ status: 'FINISHED', exitCode: 0, interrupted: false, restarts: 0, coordinator: address, jobName: 'windowed-counts', recordsRead: 20000 });
  // The embedded run's shape: every field present, null where it does not apply.
  expect(Object.keys(summary).sort()).toEqual(
    ['checkpoints', 'coordinator', 'durationMs', 'error', 'exitCode', 'finalCheckpoint', 'fingerprint', 'interrupted', 'jobId', 'jobName', 'operators', 'recordsRead', 'resumeCommand', 'restarts', 'restoredFrom', 'savepoint', 'status'].sort(),
  );
  expect(summary).toMatchObject({ savepoint: null, error: null, restoredFrom: null, resumeCommand: null });
  // Checkpoints as the coordinator counted them, the newest one named while it is on disk to resume from.
  expect(summary.checkpoints.completed).toBeGreaterThan(0);
  // A checkpoint may fail on a loaded machine (one did in a CI run): counted, not zero by rule.
  expect(Number.isSafeInteger(summary.checkpoints.failed) && summary.checkpoints.failed >= 0).toBe(true);
  expect(summary.checkpoints.latest === null || fs.existsSync(summary.checkpoints.latest)).toBe(true);
  // The fingerprint the nodes compare: the same module, arguments and parallelism loaded here give it.
  expect(summary.fingerprint).toBe((await loadJobModule(FIXTURE, { args: ['20000', out], parallelism: 4, logger: false })).fingerprint);
  expect(readCommittedLines(out).sort()).toEqual(expectedLines(20000));
  expect(run.stderr).not.toMatch(/read [\d,]+ records/); // --json: no progress line
  // Records per operator, summed over the subtasks on both nodes.
  const operators: { uid: string; parallelism: number; recordsIn: number; recordsOut: number }[] = lastJson(run).operators;
  expect(operators.map((o) => o.uid)).toEqual(['ticks', 'timestamps', 'counts', 'files']); // graph order, as embedded
  expect(operators.find((o) => o.uid === 'ticks')).toMatchObject({ parallelism: 4, recordsOut: 20000 });
  expect(operators.find((o) => o.uid === 'files')).toMatchObject({ recordsIn: expectedLines(20000).length });
  // WEIR_COORDINATOR stands in for --coordinator.
  const list = await weir(['list', '--json'], { WEIR_COORDINATOR: address });
  expect(list.code).toBe(0);
  expect(lastJson(list).jobs).toContainEqual(expect.objectContaining({ jobId: lastJson(run).jobId, name: 'windowed-counts', status: 'FINISHED' }));
});

test('a detached job is rescaled with weir rescale and runs until weir stop takes its savepoint', async () => {
  const checkpoints = path.join(dir, 'checkpoints-detached');
  // 1,000 records/s over 100,000 records: it runs until stopped.
  const submit = await weir(['run', '--coordinator', address, '--detached', '--json', '--checkpoint-dir', checkpoints, '--checkpoint-interval', '100', '-p', '2', FIXTURE, '100000', path.join(dir, 'out-detached'), '1000']);
  expect(submit.code).toBe(0);
  const { jobId, status } = lastJson(submit);
  expect(status).toBe('SUBMITTED');
  // A checkpoint on disk means the job runs on the nodes.
  while (!fs.existsSync(checkpoints) || !fs.readdirSync(checkpoints, { recursive: true }).some((f) => String(f).endsWith('_metadata'))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  // weir rescale: the job goes on at parallelism 1 under the same id; more slots than the cluster has is refused.
  const rescale = await weir(['rescale', jobId, '1', '--json', '--coordinator', address]);
  expect(rescale.code).toBe(0);
  expect(lastJson(rescale)).toEqual({ jobId, parallelism: 1 });
  const listed = lastJson(await weir(['list', '--json', '--coordinator', address]));
  expect(JSON.stringify(listed)).toContain('"parallelism":1');
  const tooMany = await weir(['rescale', jobId, '64', '--coordinator', address]);
  expect(tooMany.code).toBe(2);
  expect(tooMany.stderr).toMatch(/slots/);
  const stop = await weir(['stop', jobId, '--savepoint', path.join(dir, 'savepoints'), '--json', '--coordinator', address]);
  expect(stop.code).toBe(0);
  const { savepoint, resumeCommand } = lastJson(stop);
  expect(savepoint).toContain(path.join(dir, 'savepoints'));
  expect(fs.existsSync(savepoint)).toBe(true);
  // The whole command that resumes it: the module, its arguments, the options it was submitted with, the rescaled parallelism.
  expect(resumeCommand).toBe(
    ['weir', 'run', '--coordinator', address, '-p', '1', '--checkpoint-dir', checkpoints, '--checkpoint-interval', '100', '--from-savepoint', savepoint, FIXTURE, '100000', path.join(dir, 'out-detached'), '1000'].join(' '),
  );
  const cancelAgain = await weir(['cancel', 'no-such-job', '--coordinator', address]);
  expect(cancelAgain.code).toBe(2);
  expect(cancelAgain.stderr).toContain("no job 'no-such-job'");
});

test('Ctrl-C on a cluster run stops the job with a savepoint (exit 130); a run from that savepoint completes the exact output', async () => {
  const checkpoints = path.join(dir, 'checkpoints-interrupted');
  const out = path.join(dir, 'out-interrupted');
  // 2,000 records/s over 10,000 records: still running when the first checkpoint is on disk.
  const args = [FIXTURE, '10000', out, '2000'];
  const child = spawnWeir(['run', '--coordinator', address, '--json', '--checkpoint-dir', checkpoints, '--checkpoint-interval', '100', '-p', '2', ...args]);
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = new Promise<number | null>((resolve) => child.on('close', resolve));
  while (!fs.existsSync(checkpoints) || !fs.readdirSync(checkpoints, { recursive: true }).some((f) => String(f).endsWith('_metadata'))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGINT');
  expect(await code).toBe(130);
  const stopped = lastJson({ code: 130, stdout, stderr: '' });
  expect(stopped).toMatchObject({ interrupted: true, exitCode: 130 });
  expect(stopped.savepoint).toContain(path.join(checkpoints, 'savepoints'));
  expect(stopped.resumeCommand).toBe(
    `weir run --coordinator ${address} -p 2 --checkpoint-dir ${checkpoints} --checkpoint-interval 100 --from-savepoint ${stopped.savepoint} ${args.join(' ')}`,
  );

  const resumed = await weir(['run', '--coordinator', address, '--json', '--checkpoint-dir', checkpoints, '--checkpoint-interval', '100', '-p', '2', '--from-savepoint', stopped.savepoint, ...args]);
  expect(resumed.code).toBe(0);
  expect(readCommittedLines(out).sort()).toEqual(expectedLines(10000));
});

test('a cluster run on a terminal shows the embedded run\'s progress line, from the nodes\' counts, until Ctrl-C', async () => {
  const secretFile = path.join(dir, 'secret');
  fs.writeFileSync(secretFile, SECRET);
  let stderr = '';
  let stdout = '';
  let interrupt: (() => void) | undefined;
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: true },
    onInterrupt: (handler) => ((interrupt = handler), () => (interrupt = undefined)),
    onTerminate: () => () => {},
    exit: (code) => {
      throw new Error(`exit ${code}`);
    },
  };
  // 2,000 records/s over 100,000 records: it runs until interrupted (no checkpoint directory: Ctrl-C cancels).
  const code = runOnCluster(FIXTURE, ['100000', path.join(dir, 'out-progress'), '2000'], { coordinator: address, secretFile, parallelism: 2 }, io);
  const progressLine = /\r {2}read ([\d,]+) records of 100,000 \((\d+)%\) in [\d.]+ (?:ms|s), [\d,]+\/s\x1b\[K/;
  while (!progressLine.test(stderr) || Number(progressLine.exec(stderr)![1].replace(/,/g, '')) === 0) await new Promise((r) => setTimeout(r, 50));
  interrupt!();
  expect(await code).toBe(130);
  expect(stderr).toMatch(/\r\x1b\[Kweir: Ctrl-C: cancelling the job/); // the line is cleared before the message
  expect(stdout).toMatch(/CANCELED \(interrupted\)/);
  expect(stdout).toMatch(/^Job 'windowed-counts' CANCELED \(interrupted\) after [\d.]+ m?s \(job [\w-]+\) on the cluster at /);
  expect(stdout).toMatch(/\n {2}fingerprint: [0-9a-f]{64}\n/);
});

test('SIGTERM to an attached cluster run stops the job as Ctrl-C does, exit 143: the job does not run on without it', async () => {
  const secretFile = path.join(dir, 'secret');
  fs.writeFileSync(secretFile, SECRET);
  let stderr = '';
  let stdout = '';
  let terminate: (() => void) | undefined;
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    onInterrupt: () => () => {},
    onTerminate: (handler) => ((terminate = handler), () => (terminate = undefined)),
    exit: (code) => {
      throw new Error(`exit ${code}`);
    },
  };
  const code = runOnCluster(FIXTURE, ['100000', path.join(dir, 'out-term'), '2000'], { coordinator: address, secretFile, parallelism: 2, json: true }, io);
  while (terminate === undefined) await new Promise((r) => setTimeout(r, 50)); // set once the job is submitted
  while (!JSON.stringify(lastJson(await weir(['list', '--json', '--coordinator', address]))).includes('"RUNNING"')) await new Promise((r) => setTimeout(r, 50));
  terminate!();
  expect(await code).toBe(143);
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
  expect(summary).toMatchObject({ status: 'CANCELED', interrupted: true, exitCode: 143 });
  const jobs: { jobId: string; status: string }[] = lastJson(await weir(['list', '--json', '--coordinator', address])).jobs;
  expect(jobs.find((j) => j.jobId === summary.jobId)?.status).toBe('CANCELED');
});

function bufferIo(): CliIo & { out(): string; err(): string } {
  let stdout = '';
  let stderr = '';
  return {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    onInterrupt: () => () => {},
    onTerminate: () => () => {},
    exit: () => {},
    out: () => stdout,
    err: () => stderr,
  };
}

test('a job argument that names a relative path here is warned about (on stderr, also with --json): the nodes resolve it elsewhere', async () => {
  const io = bufferIo();
  const secretFile = path.join(dir, 'secret');
  fs.writeFileSync(secretFile, SECRET);
  // Nothing listens at port 1: the warning comes before the connection is tried.
  const code = await runOnCluster(FIXTURE, ['10', 'cli'], { coordinator: '127.0.0.1:1', secretFile, json: true }, io);
  expect(code).toBe(3);
  expect(io.err()).toContain(`weir run: warning: argument 'cli' is a relative path: the nodes resolve it against their own working directory, not ${process.cwd()}; if the job should use what is here, pass ${path.resolve('cli')}`);
  expect(lastJson({ code, stdout: io.out(), stderr: '' })).toMatchObject({ status: 'ERROR', exitCode: 3, jobId: null });
});

test('--adaptive needs a checkpoint directory and checkpointing: refused before anything is submitted (exit 2)', async () => {
  const noDir = bufferIo();
  expect(await runOnCluster(FIXTURE, ['100', path.join(dir, 'out-adaptive')], { coordinator: address, parallelism: 4, adaptive: true }, noDir)).toBe(2);
  expect(noDir.err()).toContain('--adaptive needs --checkpoint-dir');
  const noCheckpoints = bufferIo();
  const flags = { coordinator: address, parallelism: 4, adaptive: true, checkpointDir: path.join(dir, 'checkpoints-adaptive') };
  expect(await runOnCluster(FIXTURE, ['100', path.join(dir, 'out-adaptive')], flags, noCheckpoints)).toBe(2);
  expect(noCheckpoints.err()).toContain('--adaptive needs checkpointing: give --checkpoint-interval');
});

test('a wrong secret is refused with exit code 3; a missing or short one is a usage error (2)', async () => {
  const wrong = await weir(['nodes', '--coordinator', address], { WEIR_CLUSTER_SECRET: 'not the secret of this cluster' });
  expect(wrong.code).toBe(3);
  expect(wrong.stderr).toContain('refused the connection');
  const missing = await weir(['nodes', '--coordinator', address], { WEIR_CLUSTER_SECRET: '' });
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('WEIR_CLUSTER_SECRET');
  const short = await weir(['coordinator'], { WEIR_CLUSTER_SECRET: 'short' });
  expect(short.code).toBe(2);
  expect(short.stderr).toContain('at least 16 bytes');
  const nowhere = await weir(['nodes', '--coordinator', '127.0.0.1:1']);
  expect(nowhere.code).toBe(3);
});

test('weir health answers 0 while the cluster runs and 1 once it stopped (which ends every child)', async () => {
  expect((await weir(['health', '--coordinator', address, '--min-nodes', '2'])).code).toBe(0);
  expect((await weir(['health', '--coordinator', address, '--min-nodes', '3'])).code).toBe(1);
  cluster.kill('SIGTERM');
  expect(await clusterExit).toBe(0);
  expect(events.at(-1)).toEqual({ event: 'stopped' });
  const after = await weir(['health', '--coordinator', address]);
  expect(after.code).toBe(1);
  expect(after.stderr).toContain('unhealthy');
  for (const pid of [started.coordinator.pid, ...started.nodes.map((n) => n.pid)]) {
    expect(() => process.kill(pid, 0)).toThrow(); // gone
  }
});
