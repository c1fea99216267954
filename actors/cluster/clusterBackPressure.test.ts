/**
 * Back-pressure across the network, as real processes: a fast source on
 * node n1 feeds, over the n1–n2 data connection, a consumer on node n2
 * that takes far longer per record than the source needs to make one
 * (fixtures/slowConsumer: 120,000 records of 2,000 bytes, half of them —
 * 120 MB — for the slow subtask, which takes 100 µs each). The credit
 * protocol must hold the source back: the resident memory of both node
 * processes stays flat — the peak after warm-up within half the backlog of
 * the warm-up value, which buffering the backlog on either side would
 * exceed — and the output is exact.
 *
 * The job's end is watched with a ClusterClient, whose JobEnded carries
 * every subtask's flow-control counters: no subtask ever held more input
 * buffers than the credits it granted (frames in flight ≤ credits), the
 * slow subtask's included.
 *
 * Memory is sampled from /proc/<pid>/status while the job runs; nothing is
 * timed: the test waits for the first checkpoint (warm-up) and for the job
 * to end.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCommittedLines } from '../../lib/connectors/FileSink';
import { expectedLines } from './fixtures/slowConsumer';
import { ClusterClient } from './ClusterClient';
import { checkpointDirs, killAll, listNodes, SECRET, startCluster, until, weirCommand } from './fixtures/processes';

const FIXTURE = path.join(__dirname, 'fixtures', 'slowConsumer.ts');
const RECORDS = 120_000;
const BYTES = 2_000;
const MICROS = 100;
/** What the slow subtask's share of the records takes as bytes on the wire alone. */
const BACKLOG_BYTES = (RECORDS / 2) * BYTES;

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-back-pressure-'));
});

afterEach(async () => {
  await killAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Resident set size of a process in bytes, or undefined once it is gone. */
function rss(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

test('a fast source on one node and a slow consumer on another: memory of both nodes stays flat, the output is exact', async () => {
  const cluster = await startCluster({ nodes: 2, slots: 1 });
  const checkpoints = path.join(dir, 'checkpoints');
  const out = path.join(dir, 'out');
  const submitted = await weirCommand(['run', '--coordinator', cluster.address, '--detached', '-p', '2', '--checkpoint-dir', checkpoints, '--checkpoint-interval', '500', '--json', FIXTURE, String(RECORDS), out, String(MICROS), String(BYTES)]);
  expect(submitted.code).toBe(0);
  const jobId = String(submitted.json!.jobId);
  const client = await ClusterClient.connect({ coordinator: { host: cluster.host, port: cluster.port }, secret: SECRET });
  const ended = client.request({ type: 'WatchJob', jobId }, Infinity);
  let done = false;
  void ended.finally(() => (done = true)).catch(() => {});
  const nodes = ['n1', 'n2'].map((id) => cluster.nodes.get(id)!);
  const samples: number[][] = [[], []];
  let warm = false;
  const sampler = setInterval(() => {
    if (!warm) return;
    nodes.forEach((n, i) => {
      const v = rss(n.pid);
      if (v !== undefined) samples[i].push(v);
    });
  }, 50);
  let result;
  try {
    // Warm-up: the job deployed on both nodes and its first checkpoint done.
    await until(() => checkpointDirs(checkpoints).some((c) => c.complete) || done);
    expect(done).toBe(false);
    const placed = await listNodes(cluster.address);
    expect(placed.map((n) => [n.nodeId, n.freeSlots]).sort()).toEqual([['n1', 0], ['n2', 0]]);
    warm = true;
    await until(() => samples[0].length > 0 && samples[1].length > 0);
    result = await ended;
  } finally {
    clearInterval(sampler);
    client.close();
  }
  expect(result).toMatchObject({ status: 'FINISHED', restarts: 0 });
  // Frames in flight ≤ credits, on every subtask; the consumers did queue buffers (they were the bottleneck).
  const subtasks = result.subtasks ?? [];
  expect(subtasks.length).toBe(3); // the source, and 2 × consume chained with the FileSink
  for (const s of subtasks) expect(s.maxQueuedBuffers).toBeLessThanOrEqual(s.inputCredits);
  const consumers = subtasks.filter((s) => s.inputCredits > 0 && s.operators.some((o) => o.uid === 'consume'));
  expect(consumers.length).toBe(2);
  expect(Math.max(...consumers.map((s) => s.maxQueuedBuffers))).toBeGreaterThan(0);
  console.log(`flow control: ${subtasks.map((s) => `v${s.vertexId}#${s.subtaskIndex} queued ≤ ${s.maxQueuedBuffers} of ${s.inputCredits} credits, ${s.buffersSent} buffers sent`).join('; ')}`);
  expect(readCommittedLines(out).sort()).toEqual(expectedLines(RECORDS));
  for (const [i, series] of samples.entries()) {
    const early = series[0];
    const peak = Math.max(...series);
    console.log(`${nodes[i].name}: RSS after warm-up ${mb(early)}, peak ${mb(peak)} over ${series.length} samples; backlog ${mb(BACKLOG_BYTES)}`);
    // Flat: growth stays well under half the backlog, which unbounded buffering on either side would hold.
    expect(peak - early).toBeLessThan(BACKLOG_BYTES / 2);
  }
});
