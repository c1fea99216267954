/**
 * The cluster's figures (issue 8), with real processes started from the
 * build: `weir coordinator` and `weir node`s as child processes, jobs
 * submitted through a ClusterClient, the job module
 * (jobs/clusterKeyedSum) imported by every node from dist/. Rates are read
 * from the sink writers' marker lines (first record, end of input, count),
 * so process start-up, deployment and the final checkpoint are not in them.
 *
 * 1. Keyed throughput, 1 node process with 2 slots vs 2 node processes with
 *    1 slot each (p=2 both, coordinator its own process, exactly-once
 *    checkpoints every 1 s): the 2-node / 1-node ratio, target ≥ 1.7 on 2 cores,
 *    for three keyed jobs from light to heavy work per record (a rolling sum,
 *    tumbling 1 s window sums, sliding 10 s / 1 s window counts), each also
 *    with no record crossing between nodes (mode `local`): what two node
 *    processes reach on this machine at all for that job. Each pair runs
 *    WEIR_BENCH_CLUSTER_REPEATS times (default 3), 1 node and 2 nodes
 *    alternately; the medians are reported, every run in the notes. Rates
 *    are over the whole run and over its last 60% ("after warm-up": each
 *    node process compiles the job's hot code itself first).
 * 2. Cross-process channel vs local channel: every record goes from source
 *    subtask 0 to keyed subtask 1 (mode `cross`), on one node (local) or on
 *    two (TCP).
 * 3. Node loss (`kill -9`) to the first record processed after the restore
 *    (3 nodes × 2 slots, p=2, a paced source): detection (the coordinator's
 *    'node lost') and restore (from it to the first record) apart; target ≤ 3 s.
 * 4. Per-checkpoint cost of the coordinator's bookkeeping (JobCheckpoints
 *    over the pure CheckpointCoordinator, no actors, no storage) for 10, 100
 *    and 1,000 subtasks with synthetic acks: µs per checkpoint and per ack;
 *    target O(subtasks), i.e. a flat per-ack cost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { ClusterClient } from '../actors/cluster/ClusterClient';
import { JobCheckpoints, type CheckpointHost } from '../actors/JobCheckpoints';
import { resolveCheckpointConfig, resolveConfig, type EnvironmentConfig } from '../lib/api/EnvironmentConfig';
import type { SubtaskAck } from '../lib/checkpoint/CheckpointCoordinator';
import type { PlainData } from '../lib/cluster/WireMessages';
import type { JobGraph } from '../lib/graph/JobGraph';
import { createDefaultLogger } from '../lib/monitoring/Logger';
import type { Clock } from '../lib/time/Clock';
import { expectedOutputs, type Marker, type Operator } from './jobs/clusterKeyedSum';
import { type CaseResult, type Measurement } from './harness';

const SECRET = 'weir benchmark cluster secret, local only';
const WEIR = path.join(__dirname, '..', 'cli', 'weir.js');
const JOB = path.join(__dirname, 'jobs', 'clusterKeyedSum.js');

/** A child process of the benchmark and the JSON lines it printed (stdout: events; stderr: pino logs). */
interface Proc {
  readonly child: ChildProcess;
  readonly ready: Promise<Record<string, unknown>>;
  readonly logs: Record<string, unknown>[];
}

function startProc(args: string[], logLevel = 'warn'): Proc {
  // WEIR_BENCH_NODE_ARGS: Node options for the children, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them.
  const nodeArgs = (process.env.WEIR_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
  const child = spawn(process.execPath, [...nodeArgs, WEIR, ...args, '--json'], {
    env: { ...process.env, WEIR_CLUSTER_SECRET: SECRET, WEIR_LOG_LEVEL: logLevel },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        resolve(JSON.parse(l) as Record<string, unknown>);
      } catch {
        /* not JSON */
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`weir ${args[0]} exited (${code ?? signal}) before it was ready`)));
  });
  createInterface({ input: child.stderr! }).on('line', (l) => {
    try {
      logs.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      process.stderr.write(`${args[0]}: ${l}\n`);
    }
  });
  return { child, ready, logs };
}

interface Cluster {
  readonly coordinator: Proc;
  readonly nodes: Proc[];
  readonly client: ClusterClient;
  readonly dir: string;
  stop(): Promise<void>;
}

async function startCluster(nodes: number, slots: number, coordinatorLogLevel = 'warn'): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-bench-cluster-'));
  const coordinator = startProc(['coordinator', '--port', '0'], coordinatorLogLevel);
  const listening = await coordinator.ready;
  const address = `${String(listening.host)}:${String(listening.port)}`;
  const procs = Array.from({ length: nodes }, (_, i) => startProc(['node', '--coordinator', address, '--slots', String(slots), '--node-id', `node-${i + 1}`]));
  await Promise.all(procs.map((p) => p.ready));
  const client = await ClusterClient.connect({ coordinator: { host: String(listening.host), port: Number(listening.port) }, secret: SECRET });
  return {
    coordinator,
    nodes: procs,
    client,
    dir,
    async stop() {
      client.close();
      for (const p of [...procs, coordinator]) {
        if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
        const exited = new Promise((r) => p.child.once('exit', r));
        p.child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function submit(c: Cluster, args: string[], parallelism: number): Promise<string> {
  const markers = path.join(c.dir, `markers-${Date.now()}`);
  fs.mkdirSync(markers);
  const { jobId } = await c.client.request(
    {
      type: 'SubmitJob',
      jobModule: JOB,
      jobArgs: [args[0], markers, ...args.slice(1)],
      parallelism,
      restore: undefined,
      // WEIR_BENCH_CLUSTER_CONFIG: JSON of job configuration to try, e.g. '{"channelCredits":32}'.
      config: { checkpointDir: path.join(c.dir, 'checkpoints'), checkpointIntervalMs: 1000, ...(JSON.parse(process.env.WEIR_BENCH_CLUSTER_CONFIG ?? '{}') as Record<string, PlainData>) },
    },
    60_000,
  );
  return `${jobId}\n${markers}`;
}

function readMarkers(dir: string): Marker[] {
  const file = path.join(dir, 'markers.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Marker);
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

/**
 * Runs a bounded job to its end; the rate is records over the span from the
 * first sink record to the last end of input. `cpuUsPerRecord`: CPU time of
 * all node processes over the job (deployment included) per record — what
 * the work costs whatever else runs on the machine.
 */
/**
 * The share of a run taken as warm-up by the steady rate: each node process
 * compiles the job's hot code itself at first (two processes do it twice,
 * each competing with the other's main thread), which a streaming job pays
 * once in its life.
 */
const WARM_UP = 0.4;

/** Records sink writer `m` had seen at time `t` (ms), interpolated between its progress notes. */
function countAt(m: Marker, t: number): number {
  const points: (readonly [number, number])[] = [[m.first, 1], ...(m.progress ?? []), [m.end!, m.count!]];
  if (t <= points[0][0]) return 0;
  for (let i = 1; i < points.length; i++) {
    const [ta, ca] = points[i - 1];
    const [tb, cb] = points[i];
    if (t <= tb) return tb === ta ? cb : ca + ((cb - ca) * (t - ta)) / (tb - ta);
  }
  return m.count!;
}

async function throughput(label: string, nodes: number, slots: number, records: number, mode: string, operator: Operator = 'sum'): Promise<Measurement & { load: number; cpuUsPerRecord: number; steadyRecordsPerSecond: number }> {
  const c = await startCluster(nodes, slots);
  try {
    const load = os.loadavg()[0];
    const nodeCpu = () => c.nodes.reduce((n, p) => n + cpuSeconds(p.child.pid!), 0);
    const cpu0 = nodeCpu();
    const [jobId, markers] = (await submit(c, [String(records), mode, '', operator], 2)).split('\n');
    const ended = await c.client.request({ type: 'WatchJob', jobId }, Infinity);
    const cpuUsPerRecord = ((nodeCpu() - cpu0) / records) * 1e6;
    if (ended.status !== 'FINISHED') throw new Error(`${label}: the job ended ${ended.status}: ${ended.message ?? ''}`);
    const ends = readMarkers(markers).filter((m) => m.end !== undefined);
    const count = ends.reduce((n, m) => n + m.count!, 0);
    const expected = expectedOutputs(records, operator, mode === 'local' ? 'local' : 'spread');
    if (count !== expected) throw new Error(`${label}: the sinks saw ${count} records, expected ${expected}`);
    const busy = ends.filter((m) => m.count! > 0); // in mode `cross` sink subtask 0 sees nothing
    const t0 = Math.min(...busy.map((m) => m.first));
    const t1 = Math.max(...busy.map((m) => m.end!));
    const seconds = (t1 - t0) / 1000;
    // After warm-up: the sinks' results in the last (1 - WARM_UP) of the run, as input records (results × records / all results).
    const tw = t0 + WARM_UP * (t1 - t0);
    const after = busy.reduce((n, m) => n + m.count! - countAt(m, tw), 0);
    const steadyRecordsPerSecond = (after * (records / count)) / ((t1 - tw) / 1000);
    return { label, records, seconds, recordsPerSecond: records / seconds, load, cpuUsPerRecord, steadyRecordsPerSecond };
  } finally {
    await c.stop();
  }
}

/**
 * Case 3: kill -9 the node holding slot 1 of a running paced job; times from
 * the kill to 'node lost' and to the first record after. With SIGSTOP the
 * node hangs instead: its sockets stay open, so only the heartbeat timeout
 * finds it (a host that vanished without closing its connections).
 */
async function nodeLoss(signal: 'SIGKILL' | 'SIGSTOP' = 'SIGKILL'): Promise<{ detectMs: number; startedMs: number; restoreMs: number; totalMs: number; load: number }> {
  const c = await startCluster(3, 2, 'info');
  try {
    const [jobId, markers] = (await submit(c, ['unbounded', 'spread', '20000'], 2)).split('\n');
    // Wait until the job runs and a checkpoint completed (the restore point): 3 s at 1 s intervals.
    const t0 = Date.now();
    while (readMarkers(markers).length < 2 && Date.now() - t0 < 30_000) await sleep(50);
    await sleep(3000);
    const before = readMarkers(markers);
    const victimPid = before.find((m) => m.subtask === 1)!.pid;
    const victim = c.nodes.find((n) => n.child.pid === victimPid)!;
    const load = os.loadavg()[0];
    const killedAt = Date.now();
    victim.child.kill(signal);
    let after: Marker | undefined;
    while (after === undefined && Date.now() - killedAt < 60_000) {
      await sleep(10);
      after = readMarkers(markers).find((m) => m.first > killedAt && m.end === undefined);
    }
    if (after === undefined) throw new Error('no record after the restore within 60 s');
    // The first writer of the restored attempt may not be the earliest: take the earliest first record after the kill.
    await sleep(1000);
    const firstAfter = Math.min(...readMarkers(markers).filter((m) => m.first > killedAt).map((m) => m.first));
    const lost = c.coordinator.logs.find((l) => l.msg === 'node lost' && Number(l.time) >= killedAt - 5);
    if (lost === undefined) throw new Error('the coordinator logged no node loss');
    await c.client.request({ type: 'CancelJob', jobId }, 30_000).catch(() => {});
    if (signal === 'SIGSTOP') victim.child.kill('SIGKILL');
    const lostAt = Number(lost.time);
    const started = c.coordinator.logs.find((l) => l.msg === 'all subtasks deployed; started' && Number(l.time) >= lostAt);
    const startedMs = started === undefined ? NaN : Number(started.time) - lostAt;
    return { detectMs: lostAt - killedAt, startedMs, restoreMs: firstAfter - lostAt, totalMs: firstAfter - killedAt, load };
  } finally {
    await c.stop();
  }
}

/** Case 4 (exported to profile it alone): JobCheckpoints driven by hand — trigger, barriers, n acks, metadata stored, notify — with no actors and no storage. */
export function checkpointCost(subtasks: number, checkpoints: number): { perCheckpointUs: number; perAckUs: number } {
  const keys = Array.from({ length: subtasks }, (_, i) => `${1 + (i % 4)}#${Math.floor(i / 4)}`);
  const sources = keys.filter((k) => k.startsWith('1#'));
  let now = 0;
  const clock: Clock = { now: () => now, setTimer: () => ({ cancel() {} }) } as unknown as Clock;
  const config: EnvironmentConfig = { ...resolveConfig({ clock, logger: false }), checkpoint: resolveCheckpointConfig(1000, 'exactly-once') };
  // A reference nact does not know: tell() to it is dropped, as to a stopped actor.
  const nowhere = { system: { name: 'bench-nowhere' }, path: { parts: [] } } as never;
  const host: CheckpointHost = {
    self: nowhere,
    running: true,
    subtask: () => nowhere,
    broadcast: () => {},
    failover: (e) => {
      throw e;
    },
    stopping: () => {},
    checkpointCompleted: () => {},
    publish: () => {},
  };
  const jobGraph = { jobName: 'bench', vertices: [] } as unknown as JobGraph;
  const cp = new JobCheckpoints(host, 'bench-job', jobGraph, config, undefined, keys, sources, createDefaultLogger('silent'));
  const acks: SubtaskAck[] = keys.map((k, i) => ({ subtaskKey: k, operatorUids: ['op'], subtaskIndex: i >> 2, handle: undefined, alignmentMs: 1, syncMs: 1, asyncMs: 1 }));
  let ackNs = 0;
  const t0 = process.hrtime.bigint();
  for (let c = 1; c <= checkpoints; c++) {
    now += 1000;
    cp.onTick();
    cp.prepareDone(c, undefined);
    const a0 = process.hrtime.bigint();
    for (const ack of acks) cp.acknowledged(c, ack);
    ackNs += Number(process.hrtime.bigint() - a0);
    cp.stored(c, undefined);
  }
  const totalNs = Number(process.hrtime.bigint() - t0);
  if (cp.stats.filter((s) => s.state === 'COMPLETED').length !== checkpoints) throw new Error('not every synthetic checkpoint completed');
  return { perCheckpointUs: totalNs / checkpoints / 1000, perAckUs: ackNs / (checkpoints * subtasks) / 1000 };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function run(): Promise<CaseResult> {
  const measurements: Measurement[] = [];
  const ratios: Record<string, number> = {};
  const notes: string[] = [];
  // Long enough that each node process's JIT warm-up (~1 s of compiler threads, which two processes pay twice) is a small part.
  const records = Number(process.env.WEIR_BENCH_CLUSTER_RECORDS ?? 30_000_000);
  const only = (process.env.WEIR_BENCH_CLUSTER_CASES ?? '1,2,3,4').split(',');
  // Machines like this one swing by ±30% from one run to the next: each pair runs this many times, alternately.
  const repeats = Number(process.env.WEIR_BENCH_CLUSTER_REPEATS ?? 3);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  /**
   * The job on 1 node × 2 slots and on 2 nodes × 1 slot, alternately
   * `repeats` times: the run of median rate of each, the median of the
   * ratios of the pairs, and every run in the notes.
   */
  const onOneAndTwoNodes = async (name: string, labels: [string, string], mode: string, sides: [string, string], operator: Operator = 'sum', n = records) => {
    const ones: Awaited<ReturnType<typeof throughput>>[] = [];
    const twos: typeof ones = [];
    for (let r = 0; r < repeats; r++) {
      ones.push(await throughput(labels[0], 1, 2, n, mode, operator));
      twos.push(await throughput(labels[1], 2, 1, n, mode, operator));
    }
    const mid = (runs: typeof ones) => runs.find((m) => m.recordsPerSecond === median(runs.map((x) => x.recordsPerSecond)))!;
    measurements.push(mid(ones), mid(twos));
    const rates = ones.map((o, i) => twos[i].recordsPerSecond / o.recordsPerSecond);
    const steady = ones.map((o, i) => twos[i].steadyRecordsPerSecond / o.steadyRecordsPerSecond);
    const cpus = ones.map((o, i) => twos[i].cpuUsPerRecord / o.cpuUsPerRecord);
    const list = (xs: number[], digits = 2) => xs.map((x) => x.toFixed(digits)).join(', ');
    const perSecond = (xs: number[]) => xs.map((x) => `${(x / 1e6).toFixed(2)}M/s`).join(', ');
    notes.push(`${name} ${sides[1]} / ${sides[0]} per pair: ${list(rates)}; after warm-up: ${list(steady)}; load average at the starts: ${list(ones.map((o) => o.load))} (${sides[0]}), ${list(twos.map((t) => t.load))} (${sides[1]})`);
    notes.push(`${name} rates after warm-up: ${perSecond(ones.map((o) => o.steadyRecordsPerSecond))} (${sides[0]}), ${perSecond(twos.map((t) => t.steadyRecordsPerSecond))} (${sides[1]})`);
    notes.push(`${name} CPU of the node processes per record: ${list(ones.map((o) => o.cpuUsPerRecord))} µs (${sides[0]}), ${list(twos.map((t) => t.cpuUsPerRecord))} µs (${sides[1]})`);
    return { rate: median(rates), steady: median(steady), cpu: median(cpus) };
  };

  if (only.includes('1')) {
    const spread = await onOneAndTwoNodes('case 1, sum:', ['keyed sum, p=2, 1 node × 2 slots', 'keyed sum, p=2, 2 nodes × 1 slot'], 'spread', ['1 node', '2 nodes']);
    ratios['2 nodes / 1 node, keyed sum'] = spread.rate;
    ratios['2 nodes / 1 node, keyed sum, after warm-up'] = spread.steady;
    ratios['CPU per record: 2 nodes / 1 node, keyed sum'] = spread.cpu;
    // The same work with no record crossing between nodes: what two node processes can reach on this machine.
    const local = await onOneAndTwoNodes(
      'case 1, sum, no crossing:',
      ['keyed sum, keys local to their source subtask, 1 node × 2 slots', 'keyed sum, keys local to their source subtask, 2 nodes × 1 slot'],
      'local',
      ['1 node', '2 nodes'],
    );
    ratios['2 nodes / 1 node, keyed sum, no record crossing nodes'] = local.rate;
    ratios['2 nodes / 1 node, keyed sum, no record crossing nodes, after warm-up'] = local.steady;
    // Heavier keyed work per record, the same records crossing: event-time windows; each also with no crossing.
    const windows: [Operator, string, number][] = [
      ['tumbling', 'tumbling 1 s window sums', records / 2],
      ['sliding', 'sliding 10 s / 1 s window counts', records / 15],
    ];
    for (const [operator, what, n] of windows) {
      const crossing = await onOneAndTwoNodes(`case 1, ${operator}:`, [`${what}, p=2, 1 node × 2 slots`, `${what}, p=2, 2 nodes × 1 slot`], 'spread', ['1 node', '2 nodes'], operator, n);
      ratios[`2 nodes / 1 node, ${what}`] = crossing.rate;
      ratios[`2 nodes / 1 node, ${what}, after warm-up`] = crossing.steady;
      ratios[`CPU per record: 2 nodes / 1 node, ${what}`] = crossing.cpu;
      const none = await onOneAndTwoNodes(`case 1, ${operator}, no crossing:`, [`${what}, no crossing, 1 node × 2 slots`, `${what}, no crossing, 2 nodes × 1 slot`], 'local', ['1 node', '2 nodes'], operator, n);
      ratios[`2 nodes / 1 node, ${what}, no record crossing nodes`] = none.rate;
      ratios[`2 nodes / 1 node, ${what}, no record crossing nodes, after warm-up`] = none.steady;
    }
  }
  if (only.includes('2')) {
    const channel = await onOneAndTwoNodes('case 2:', ['all records slot 0 → slot 1, one node (local channel)', 'all records slot 0 → slot 1, two nodes (TCP)'], 'cross', ['local', 'TCP']);
    ratios['cross-process / in-process channel'] = channel.rate;
    ratios['cross-process / in-process channel, after warm-up'] = channel.steady;
    ratios['CPU per record: TCP / local channel'] = channel.cpu;
  }
  if (only.includes('3')) {
    // Three kills, each on a fresh cluster; the table shows the slowest.
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await nodeLoss());
    const r = runs.reduce((a, b) => (b.totalMs > a.totalMs ? b : a));
    measurements.push(
      { label: 'kill -9 → coordinator logs node lost', records: 1, seconds: r.detectMs / 1000, recordsPerSecond: 0 },
      { label: 'node lost → restored attempt deployed and started', records: 1, seconds: r.startedMs / 1000, recordsPerSecond: 0 },
      { label: 'node lost → first record after the restore', records: 1, seconds: r.restoreMs / 1000, recordsPerSecond: 0 },
      { label: 'kill -9 → first record after the restore', records: 1, seconds: r.totalMs / 1000, recordsPerSecond: 0 },
    );
    ratios['kill → first record after restore (s), slowest of 3'] = r.totalMs / 1000;
    const hung = await nodeLoss('SIGSTOP');
    measurements.push(
      { label: 'SIGSTOP (hung node) → coordinator logs node lost', records: 1, seconds: hung.detectMs / 1000, recordsPerSecond: 0 },
      { label: 'SIGSTOP (hung node) → first record after the restore', records: 1, seconds: hung.totalMs / 1000, recordsPerSecond: 0 },
    );
    ratios['hung node → first record after restore (s)'] = hung.totalMs / 1000;
    notes.push(`case 3, SIGSTOP: detection ${hung.detectMs} ms, node lost → started ${hung.startedMs} ms, node lost → first record ${hung.restoreMs} ms, total ${hung.totalMs} ms; load average ${hung.load.toFixed(2)}`);
    for (const x of runs) {
      notes.push(`case 3: detection ${x.detectMs} ms, node lost → started ${x.startedMs} ms, node lost → first record ${x.restoreMs} ms, total ${x.totalMs} ms; load average at the kill ${x.load.toFixed(2)}`);
    }
  }
  if (only.includes('4')) {
    const per: Record<number, { perCheckpointUs: number; perAckUs: number }> = {};
    for (const n of [10, 100, 1000]) {
      // Best of 5 fresh coordinators of 1,000 checkpoints each, after a warm-up.
      checkpointCost(n, 200);
      const runs = Array.from({ length: 5 }, () => checkpointCost(n, 1000));
      per[n] = { perCheckpointUs: Math.min(...runs.map((r) => r.perCheckpointUs)), perAckUs: Math.min(...runs.map((r) => r.perAckUs)) };
      measurements.push({ label: `checkpoint bookkeeping, ${n} subtasks (µs per checkpoint)`, records: n, seconds: per[n].perCheckpointUs / 1e6, recordsPerSecond: 1e6 / per[n].perAckUs });
      notes.push(`case 4, ${n} subtasks: ${per[n].perCheckpointUs.toFixed(1)} µs per checkpoint, ${per[n].perAckUs.toFixed(3)} µs per ack`);
    }
    ratios['per ack: 1000 / 10 subtasks'] = per[1000].perAckUs / per[10].perAckUs;
    ratios['per checkpoint per subtask: 1000 / 10'] = per[1000].perCheckpointUs / 1000 / (per[10].perCheckpointUs / 10);
  }
  return {
    name: 'cluster: node processes (keyed throughput, channels, node loss, checkpoint bookkeeping)',
    measurements,
    ratios,
    targets: {
      '2 nodes / 1 node, keyed sum': '≥ 1.7',
      '2 nodes / 1 node, tumbling 1 s window sums': '≥ 1.7',
      '2 nodes / 1 node, sliding 10 s / 1 s window counts': '≥ 1.7',
      'kill → first record after restore (s), slowest of 3': '≤ 3',
      'per ack: 1000 / 10 subtasks': '≈ 1 (flat)',
      'per checkpoint per subtask: 1000 / 10': '≈ 1 (O(subtasks))',
    },
    notes,
  };
}
