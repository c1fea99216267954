/**
 * A coordinator and nodes in this process, over real TCP connections: a
 * keyed event-time window job with exactly-once checkpoints runs across the
 * nodes and writes exactly the expected counts; a job module that does not
 * build on the nodes fails the job at once, not retried; the nodes' source
 * counts reach a client as the job's progress, with the job's restarts over
 * its whole life; a job keeps its id in the names of its checkpoints and
 * savepoints through rescales; requests about ended or unknown jobs are
 * refused with a code; a job resumes with coordinator-held storage from
 * every form of snapshot path.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { JobClient } from '../../lib/api/JobClient';
import type { ProgressSnapshot } from '../../lib/cli/SourceProgress';
import { savepointDirectoryName } from '../../lib/checkpoint/CheckpointLayout';
import { readCommittedLines } from '../../lib/connectors/FileSink';
import type { Logger } from '../../lib/monitoring/Logger';
import { assignToKeyGroup, normalizeKey, operatorIndexForKeyGroup } from '../../lib/state/KeyGroup';
import { ClusterClient } from './ClusterClient';
import { Coordinator } from './Coordinator';
import { StateFileService } from './CoordinatorStorage';
import { Node } from './Node';
import { expectedLines as bigStateLines } from './fixtures/bigState';
import { expectedLines } from './fixtures/windowedCounts';

const secret = 'a cluster secret of enough length';
const fixture = path.join(__dirname, 'fixtures', 'windowedCounts.ts');
const bigState = path.join(__dirname, 'fixtures', 'bigState.ts');

let coordinator: Coordinator;
let nodes: Node[] = [];
let dir: string;

async function startCluster(ids: string[], slots = 2): Promise<void> {
  coordinator = await Coordinator.start({ secret });
  nodes = await Promise.all(ids.map((nodeId) => Node.start({ nodeId, secret, slots, coordinator: { host: coordinator.host, port: coordinator.port } })));
  await Promise.all(nodes.map((n) => n.registered));
}

/** Submits the windowed-counts fixture: `records` at `rate` records/s (unlimited without), exactly-once checkpoints every 100 ms. */
async function submitCounts(records: number, o: { rate?: number; parallelism: number; adaptive?: boolean }): Promise<{ out: string; client: JobClient }> {
  const out = path.join(dir, 'out');
  const client = await coordinator.submit({
    jobModule: fixture,
    jobArgs: [String(records), out, ...(o.rate === undefined ? [] : [String(o.rate)])],
    parallelism: o.parallelism,
    config: { checkpointDir: path.join(dir, 'checkpoints'), checkpointIntervalMs: 100, ...(o.adaptive ? { adaptive: true } : {}) },
  });
  return { out, client };
}

/** Resolves once the job completed a checkpoint (not a savepoint). */
function firstCheckpoint(client: JobClient): Promise<void> {
  return until(() => client.checkpoints().some((c) => c.state === 'COMPLETED' && !c.savepoint));
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-cluster-'));
});

afterEach(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  await coordinator.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a keyed window job with exactly-once checkpoints runs across two nodes', async () => {
  await startCluster(['node-a', 'node-b']);
  const { out, client } = await submitCounts(20000, { parallelism: 4 });
  const result = await client.result();
  expect(result.status).toBe('FINISHED');
  expect(readCommittedLines(out).sort()).toEqual(expectedLines(20000));
  expect(coordinator.nodeSummaries().map((n) => n.nodeId).sort()).toEqual(['node-a', 'node-b']);
});

test('a node that leaves mid-run: the job restores from its latest checkpoint on the nodes left, output exact', async () => {
  await startCluster(['node-a', 'node-b', 'node-c']);
  const { out, client } = await submitCounts(30000, { rate: 10000, parallelism: 4 });
  // Once a checkpoint completed, the node running subtask 0 of every vertex goes away.
  await firstCheckpoint(client);
  const victim = nodes.find((n) => n.running.some((r) => r.subtasks.some((k) => k.endsWith('#0'))))!;
  await victim.close();
  const result = await client.result();
  expect(result.restarts.length).toBeGreaterThanOrEqual(1);
  expect(readCommittedLines(out).sort()).toEqual(expectedLines(30000));
  expect(coordinator.nodeSummaries().map((n) => n.nodeId)).not.toContain(victim.nodeId);
  // Progress after a restart: the new attempt's counts (from the restored checkpoint), no percentage.
  const progress = coordinator.progressOf(client.jobId)!;
  expect(progress).toMatchObject({ totalRecords: 30000, percent: undefined, restarted: true, bounded: true });
  expect(progress.recordsRead).toBeGreaterThan(0);
  expect(progress.recordsRead).toBeLessThanOrEqual(30000);
});

test('a client follows a bounded job\'s progress: counts the nodes sample go up to the sources\' total', async () => {
  await startCluster(['node-a', 'node-b']);
  // 6,000 records at 3,000 records/s: running for about 2 s, several heartbeat ticks.
  const { client } = await submitCounts(6000, { rate: 3000, parallelism: 2 });
  const cli = await ClusterClient.connect({ coordinator: { host: coordinator.host, port: coordinator.port }, secret });
  try {
    let ended = false;
    void client.result().finally(() => (ended = true));
    const seen: ProgressSnapshot[] = [];
    while (!ended) {
      const { type: _, requestId: __, jobId, ...snapshot } = await cli.request({ type: 'ReportJobProgress', jobId: client.jobId });
      expect(jobId).toBe(client.jobId);
      seen.push(snapshot);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await client.result()).status).toBe('FINISHED');
    const { type: _, requestId: __, ...last } = await cli.request({ type: 'ReportJobProgress', jobId: client.jobId });
    expect(last).toEqual({ jobId: client.jobId, recordsRead: 6000, totalRecords: 6000, percent: 100, restarted: false, bounded: true, restarts: 0, lastFailure: undefined });
    // Every answer has the total; counts and percentages never go down, and some came while the sources read.
    for (const s of seen) expect(s).toMatchObject({ totalRecords: 6000, restarted: false, bounded: true });
    const counts = seen.map((s) => s.recordsRead);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(seen.map((s) => s.percent)).toEqual(counts.map((c) => Math.floor((c / 6000) * 100)));
    expect(counts.some((c) => c > 0 && c < 6000)).toBe(true);
    // The protocol's way with an unknown job: RequestFailed, UNKNOWN_JOB.
    for (const request of [{ type: 'ReportJobProgress', jobId: 'nope' }, { type: 'CancelJob', jobId: 'nope' }, { type: 'Rescale', jobId: 'nope', parallelism: 1 }] as const) {
      await expect(cli.request(request)).rejects.toMatchObject({ code: 'UNKNOWN_JOB', message: "no job 'nope' on this cluster (weir list shows its jobs)" });
    }
    // A job that ended cannot be cancelled, stopped, savepointed or rescaled: refused, naming the job and how it ended.
    const notRunning = { code: 'JOB_NOT_RUNNING', message: expect.stringMatching(new RegExp(`job '${client.jobId}' \\(windowed-counts\\): it has already ended, FINISHED`)) };
    await expect(cli.request({ type: 'CancelJob', jobId: client.jobId })).rejects.toMatchObject(notRunning);
    await expect(cli.request({ type: 'StopWithSavepoint', jobId: client.jobId, directory: path.join(dir, 'sp') })).rejects.toMatchObject(notRunning);
    await expect(cli.request({ type: 'TriggerSavepoint', jobId: client.jobId, directory: path.join(dir, 'sp') })).rejects.toMatchObject(notRunning);
    await expect(cli.request({ type: 'Rescale', jobId: client.jobId, parallelism: 1 })).rejects.toMatchObject(notRunning);
    // Its status and restart count stay as they were; `weir list` shows them.
    const { jobs } = await cli.request({ type: 'ListJobs' });
    expect(jobs).toEqual([expect.objectContaining({ jobId: client.jobId, status: 'FINISHED', restarts: 0 })]);
  } finally {
    cli.close();
  }
});

/** The largest published state file (bytes) in any checkpoint directory under `root` now; checkpoints come and go while it looks. */
function largestStateFile(root: string): number {
  let largest = 0;
  try {
    for (const f of fs.readdirSync(root, { recursive: true }).map(String)) {
      if (!/chk-\d+[\\/][^\\/]+$/.test(f) || f.endsWith('_metadata') || f.includes('.tmp-')) continue;
      try {
        largest = Math.max(largest, fs.statSync(path.join(root, f)).size);
      } catch {
        // discarded meanwhile
      }
    }
  } catch {
    // a directory went away while it was listed
  }
  return largest;
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

/** Every committed line of the run whose files are named with `runToken`, by the subtask that wrote it. */
function linesBySubtask(out: string, runToken: string): Map<number, string[]> {
  const bySubtask = new Map<number, string[]>();
  for (const f of fs.readdirSync(out)) {
    const m = /^part-(\d+)-([0-9a-f]+)-/.exec(f);
    if (m === null || m[2] !== runToken) continue;
    const lines = fs.readFileSync(path.join(out, f), 'utf8').split('\n').filter((l) => l.length > 0);
    bySubtask.set(Number(m[1]), [...(bySubtask.get(Number(m[1])) ?? []), ...lines]);
  }
  return bySubtask;
}

/** Keys sit on the subtasks their key groups predict (maxParallelism 128). */
function expectKeysWhereKeyGroupsSay(bySubtask: Map<number, string[]>, parallelism: number): void {
  expect(bySubtask.size).toBeGreaterThan(0);
  for (const [subtask, lines] of bySubtask) {
    for (const line of lines) {
      const key = line.split(',')[0];
      expect(operatorIndexForKeyGroup(128, parallelism, assignToKeyGroup(normalizeKey(key), 128))).toBe(subtask);
    }
  }
}

test('an adaptive job grows onto a node that joins while it runs; output exact, keys where their key groups say', async () => {
  await startCluster(['node-a'], 2);
  const { out, client } = await submitCounts(40000, { rate: 10000, parallelism: 4, adaptive: true });
  expect(coordinator.parallelismOf(client.jobId)).toBe(2);
  await firstCheckpoint(client);
  const joined = await Node.start({ nodeId: 'node-b', secret, slots: 2, coordinator: { host: coordinator.host, port: coordinator.port } });
  nodes.push(joined);
  await until(() => coordinator.parallelismOf(client.jobId) === 4);
  const result = await client.result();
  expect(result.status).toBe('FINISHED');
  expect(readCommittedLines(out).sort()).toEqual(expectedLines(40000));
  const lastRun = result.jobId.replace(/[^0-9a-f]/gi, '').slice(-12).toLowerCase();
  expectKeysWhereKeyGroupsSay(linesBySubtask(out, lastRun), 4);
});

test('rescale by hand: stop with a savepoint, go on at the new parallelism; output equals an uninterrupted run', async () => {
  await startCluster(['node-a', 'node-b'], 2);
  const { out, client } = await submitCounts(30000, { rate: 10000, parallelism: 4 });
  await firstCheckpoint(client);
  await coordinator.rescale(client.jobId, 3);
  expect(coordinator.parallelismOf(client.jobId)).toBe(3);
  await expect(coordinator.rescale(client.jobId, 9)).rejects.toThrow(/slots/);
  // The next run's savepoints and checkpoints are named by the job's id, as the first run's were.
  const savepoint = await client.triggerSavepoint(path.join(dir, 'savepoints'));
  expect(path.basename(path.dirname(savepoint))).toMatch(new RegExp(`^${savepointDirectoryName(client.jobId, 0).replace(/-0$/, '')}-\\d+$`));
  const result = await client.result();
  expect(result.jobId).not.toBe(client.jobId); // another run finished it
  expect(fs.readdirSync(path.join(dir, 'checkpoints')).filter((d) => d !== 'savepoints')).toEqual([client.jobId]);
  expect(result.restarts).toEqual([]);
  // The rescaled run read on from the savepoint: its own count, no percentage.
  expect(coordinator.progressOf(client.jobId)).toMatchObject({ totalRecords: 30000, percent: undefined, restarted: true });
  expect(readCommittedLines(out).sort()).toEqual(expectedLines(30000));
  const lastRun = result.jobId.replace(/[^0-9a-f]/gi, '').slice(-12).toLowerCase();
  expectKeysWhereKeyGroupsSay(linesBySubtask(out, lastRun), 3);
  await expect(coordinator.rescale(client.jobId, 2)).rejects.toMatchObject({ code: 'JOB_NOT_RUNNING' });
});

test('an adaptive job shrinks onto the slots left when a node is lost', async () => {
  await startCluster(['node-a', 'node-b'], 2);
  const { out, client } = await submitCounts(30000, { rate: 10000, parallelism: 4, adaptive: true });
  await firstCheckpoint(client);
  await nodes[1].close();
  // The lost node is a restart of the job, though a new run goes on from the checkpoint: clients see it while it runs.
  const cli = await ClusterClient.connect({ coordinator: { host: coordinator.host, port: coordinator.port }, secret });
  try {
    await until(() => coordinator.parallelismOf(client.jobId) === 2);
    const progress = await cli.request({ type: 'ReportJobProgress', jobId: client.jobId });
    expect(progress.restarts).toBeGreaterThanOrEqual(1);
    expect(progress.lastFailure).toMatch(/node-b was lost|node-b/);
    const ended = await cli.request({ type: 'WatchJob', jobId: client.jobId });
    const { jobs } = await cli.request({ type: 'ListJobs' });
    const result = await client.result();
    expect(ended).toMatchObject({ status: 'FINISHED', restarts: result.restarts.length });
    expect(jobs.find((j) => j.jobId === client.jobId)?.restarts).toBe(result.restarts.length);
    expect(result.restarts.length).toBeGreaterThanOrEqual(progress.restarts);
  } finally {
    cli.close();
  }
  const result = await client.result();
  expect(coordinator.parallelismOf(client.jobId)).toBe(2);
  expect(readCommittedLines(out).sort()).toEqual(expectedLines(30000));
  const lastRun = result.jobId.replace(/[^0-9a-f]/gi, '').slice(-12).toLowerCase();
  expectKeysWhereKeyGroupsSay(linesBySubtask(out, lastRun), 2);
});

test('coordinator-held checkpoint storage: nodes ship their state to the coordinator; a lost node restores from there; rescale too', async () => {
  await startCluster(['node-a', 'node-b', 'node-c'], 2);
  const out = path.join(dir, 'out');
  const checkpoints = path.join(dir, 'coordinator-checkpoints');
  const client = await coordinator.submit({
    jobModule: fixture,
    jobArgs: ['30000', out, '10000'],
    parallelism: 4,
    config: { checkpointDir: checkpoints, checkpointIntervalMs: 100, checkpointStorage: 'coordinator' },
  });
  await firstCheckpoint(client);
  // The state files are in the coordinator's directory, written there by the coordinator.
  const stateFiles = fs.readdirSync(checkpoints, { recursive: true }).map(String).filter((f) => /chk-\d+\/(?!_metadata)/.test(f));
  expect(stateFiles.length).toBeGreaterThan(0);
  const victim = nodes.find((n) => n.running.length > 0)!;
  await victim.close();
  await until(() => client.status() === 'RUNNING' && client.checkpoints().filter((c) => c.state === 'COMPLETED').length > 2);
  await coordinator.rescale(client.jobId, 2);
  const result = await client.result();
  expect(result.status).toBe('FINISHED');
  expect(readCommittedLines(out).sort()).toEqual(expectedLines(30000));
});

test('coordinator-held storage refuses a directory outside the job\'s', async () => {
  await startCluster(['node-a'], 1);
  await expect(
    coordinator.submit({ jobModule: fixture, jobArgs: ['10', path.join(dir, 'o')], config: { checkpointStorage: 'coordinator', checkpointIntervalMs: 100 } }),
  ).rejects.toThrow(/checkpointDir/);
  const payload = new Uint8Array([1]);
  const checksum = createHash('sha256').update(payload).digest('hex');
  const reply = await new StateFileService().serve({ type: 'StateFileWrite', requestId: 1, jobId: 'j', root: '/etc', dir: '', name: 'passwd', size: 1, checksum, payload }, [dir]);
  expect(reply.error).toMatch(/not a checkpoint or savepoint directory/);
});

test('coordinator-held storage: state files larger than the frame limit travel in chunks, and a lost node restores from them', async () => {
  // A small frame limit and chunk size stand in for 64 MiB and 4 MiB: each subtask's state file is larger than one frame.
  const maxFrameBytes = 256 * 1024;
  const stateChunkBytes = 32 * 1024;
  coordinator = await Coordinator.start({ secret, maxFrameBytes });
  const at = { host: coordinator.host, port: coordinator.port };
  nodes = await Promise.all(['node-a', 'node-b', 'node-c'].map((nodeId) => Node.start({ nodeId, secret, slots: 2, coordinator: at, maxFrameBytes, stateChunkBytes })));
  await Promise.all(nodes.map((n) => n.registered));
  const out = path.join(dir, 'out');
  const checkpoints = path.join(dir, 'coordinator-checkpoints');
  const client = await coordinator.submit({
    jobModule: bigState,
    jobArgs: ['6000', out, '2000', String(64 * 1024)],
    parallelism: 2,
    config: { checkpointDir: checkpoints, checkpointIntervalMs: 100, checkpointStorage: 'coordinator' },
  });
  await firstCheckpoint(client);
  // Published state files (not temporary ones) larger than a frame are on the coordinator's disk.
  await until(() => largestStateFile(checkpoints) > maxFrameBytes);
  // The node running the keyed subtask 0 goes away (its transfers, if any, are abandoned); the job restores from the coordinator.
  const victim = nodes.find((n) => n.running.some((r) => r.subtasks.some((k) => k.endsWith('#0'))))!;
  await victim.close();
  const result = await client.result();
  expect(result.status).toBe('FINISHED');
  expect(result.restarts.length).toBeGreaterThanOrEqual(1);
  expect(readCommittedLines(out).sort()).toEqual(bigStateLines(6000));
  expect(fs.readdirSync(checkpoints, { recursive: true }).map(String).filter((f) => f.includes('.tmp-'))).toEqual([]);
});

test('a coordinator keeps only the newest ended jobs', async () => {
  coordinator = await Coordinator.start({ secret, retainedJobs: 1 });
  nodes = [await Node.start({ nodeId: 'node-a', secret, slots: 1, coordinator: { host: coordinator.host, port: coordinator.port } })];
  await nodes[0].registered;
  const first = await coordinator.submit({ jobModule: fixture, jobArgs: ['100', path.join(dir, 'a')], parallelism: 1, config: {} });
  await first.result();
  const second = await coordinator.submit({ jobModule: fixture, jobArgs: ['100', path.join(dir, 'b')], parallelism: 1, config: {} });
  await second.result();
  await until(() => coordinator.job(first.jobId) === undefined);
  expect(coordinator.job(second.jobId)).toBeDefined();
});

/** A logger that keeps what it is given, for tests of what is logged. */
function captureLogger(): { logger: Logger; entries: { level: string; obj: Record<string, unknown>; msg: string }[] } {
  const entries: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void entries.push({ level, obj: obj as Record<string, unknown>, msg: msg ?? '' });
  const logger: Logger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: () => logger };
  return { logger, entries };
}

test('a job module that does not build on the nodes fails the job at once with the node\'s error, not retried', async () => {
  const { logger, entries } = captureLogger();
  coordinator = await Coordinator.start({ secret });
  nodes = [await Node.start({ nodeId: 'node-a', secret, slots: 2, coordinator: { host: coordinator.host, port: coordinator.port }, logger })];
  await nodes[0].registered;
  const marker = path.join(dir, 'settings');
  // Checkpointing on: its restart strategy would restart a retryable failure again and again.
  const client = await coordinator.submit({
    jobModule: path.join(__dirname, 'fixtures', 'buildsOnce.ts'),
    jobArgs: [marker, path.join(dir, 'out')],
    parallelism: 2,
    config: { checkpointDir: path.join(dir, 'checkpoints'), checkpointIntervalMs: 100 },
  });
  const failure = await client.result().then(
    () => undefined,
    (e: unknown) => e as Error & { restarts: readonly unknown[]; cause: unknown },
  );
  expect(client.status()).toBe('FAILED');
  expect(failure?.restarts).toEqual([]);
  expect(failure?.message).toMatch(/node node-a could not build the job graph from .*buildsOnce\.ts: .*settings file .* is missing on this machine/);
  expect(failure?.cause).toMatchObject({ code: 'JOB_BUILD_FAILED', record: { retryable: false } });
  // The node ended the attempt quietly: nothing was running there.
  await until(() => entries.some((e) => /attempt ended on this node|stopping subtasks/.test(e.msg)));
  expect(entries.filter((e) => e.msg.startsWith('stopping subtasks'))).toEqual([]);
  expect(entries.find((e) => e.msg.startsWith('attempt ended on this node'))).toMatchObject({ level: 'debug', obj: { reason: 'failed', running: 0 } });
});

test('a node logs a finished job\'s end at debug, with the reason', async () => {
  const { logger, entries } = captureLogger();
  coordinator = await Coordinator.start({ secret });
  nodes = [await Node.start({ nodeId: 'node-a', secret, slots: 2, coordinator: { host: coordinator.host, port: coordinator.port }, logger })];
  await nodes[0].registered;
  const { client } = await submitCounts(2000, { parallelism: 2 });
  expect((await client.result()).status).toBe('FINISHED');
  await until(() => entries.some((e) => e.msg.startsWith('attempt ended on this node')));
  expect(entries.filter((e) => e.msg.startsWith('stopping subtasks'))).toEqual([]);
  expect(entries.find((e) => e.msg.startsWith('attempt ended on this node'))).toMatchObject({ level: 'debug', obj: { reason: 'finished', running: 0, finished: 4 } });
  // A cancelled job's subtasks were still running: that is worth an info line.
  const { client: cancelled } = await submitCounts(100000, { parallelism: 2, rate: 1000 });
  await until(() => cancelled.status() === 'RUNNING');
  await cancelled.cancel();
  await until(() => entries.some((e) => e.obj.jobId === cancelled.jobId && /stopping subtasks/.test(e.msg)));
  expect(entries.find((e) => e.obj.jobId === cancelled.jobId && /stopping subtasks/.test(e.msg))).toMatchObject({ level: 'info', obj: { reason: 'cancelled' } });
});

test('coordinator-held storage: a job resumes from every form of snapshot path — savepoint, its _metadata, chk-<n>, its _metadata, a checkpoint directory', async () => {
  await startCluster(['node-a', 'node-b'], 2);
  const checkpoints = path.join(dir, 'first-checkpoints');
  const first = await coordinator.submit({
    jobModule: fixture,
    jobArgs: ['100000', path.join(dir, 'out-first'), '2000'],
    parallelism: 2,
    config: { checkpointDir: checkpoints, checkpointIntervalMs: 100, checkpointStorage: 'coordinator' },
  });
  await firstCheckpoint(first);
  // A savepoint in a directory of its own (as `weir savepoint <id> DIR`), then a cancel that keeps the checkpoints.
  const savepoint = path.dirname(await first.triggerSavepoint(path.join(dir, 'sp'))); // the location is its _metadata
  await until(() => first.checkpoints().filter((c) => c.state === 'COMPLETED' && !c.savepoint).length >= 2);
  await first.cancel();
  // The newest: an older one may still be on disk while the cancelled job's retention removes it.
  const chk = fs
    .readdirSync(path.join(checkpoints, first.jobId))
    .filter((n) => /^chk-\d+$/.test(n) && fs.existsSync(path.join(checkpoints, first.jobId, n, '_metadata')))
    .sort((a, b) => Number(b.slice(4)) - Number(a.slice(4)))
    .map((n) => path.join(checkpoints, first.jobId, n))[0];
  expect(chk).toBeDefined();
  const forms = { savepoint, savepointMetadata: path.join(savepoint, '_metadata'), checkpoint: chk, checkpointMetadata: path.join(chk, '_metadata'), checkpointDirectory: checkpoints };
  for (const [form, restore] of Object.entries(forms)) {
    const client = await coordinator.submit({
      jobModule: fixture,
      jobArgs: ['100000', path.join(dir, `out-${form}`), '2000'],
      parallelism: 2,
      restore,
      // Its own checkpoint directory: the snapshot is readable only as what the job resumes from.
      config: { checkpointDir: path.join(dir, `checkpoints-${form}`), checkpointIntervalMs: 100, checkpointStorage: 'coordinator' },
    });
    // Restored on the nodes through the coordinator: running, checkpointing, never restarted. (The
    // watcher ends once the checkpoint came: a poll left running would keep jest from exiting.)
    let resumed = false;
    await Promise.race([
      firstCheckpoint(client).then(() => void (resumed = true)),
      until(() => resumed || client.status() === 'RESTARTING' || client.status() === 'FAILED').then(() => {
        if (!resumed) throw new Error(`resuming from the ${form} (${restore}): ${client.status()}`);
      }),
    ]);
    expect({ form, status: client.status() }).toEqual({ form, status: 'RUNNING' });
    await client.cancel();
  }
});
