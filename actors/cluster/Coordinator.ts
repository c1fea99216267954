/**
 * The coordinator process (Flink's JobManager: dispatcher, resource
 * manager and job masters): accepts node processes and CLI clients on one
 * authenticated port, keeps the node registry (slots, data addresses,
 * heartbeats both ways), and runs each submitted job's JobMaster — the same
 * actor as in one process — with its subtasks placed on the nodes
 * (ClusterLauncher).
 *
 * Jobs are never sent as code: a client names a job module by path; the
 * coordinator imports it to build the job graph and its fingerprint, and
 * every node imports the same path and must arrive at the same fingerprint.
 * A cluster job that checkpoints needs a checkpoint directory every node
 * reaches (state files are written by the nodes, metadata here), or
 * coordinator-held storage: nodes send state files here in chunks
 * (CoordinatorStorage.ts).
 *
 * A node silent past the heartbeat timeout, or whose connection closes, is
 * removed: its subtasks fail and the jobs restore from their latest
 * completed checkpoint on the nodes left (waiting, RESTARTING, while too
 * few slots are left). A node that comes back registers again and its
 * slots are used from the next attempt on.
 *
 * A job lives through runs (a rescale stops one and starts the next): its
 * id, the names of its checkpoints and savepoints, and its restart count
 * (JobRestarts) are the job's, whatever run is current. Requests about a job
 * that ended, or about an unknown job, are refused with a code (JobRequests).
 */
import { start, stop } from 'nact';
import * as path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import type { JobClient } from '../../lib/api/JobClient';
import { FileSystemCheckpointStorage } from '../../lib/checkpoint/CheckpointStorage';
import { loadJobModule, type JobModuleOptions, type LoadedJob } from '../../lib/cli/JobModule';
import { summarizeCheckpoints } from '../../lib/cli/JobRun';
import type { RestartRecord } from '../../lib/api/JobClient';
import { snapshotDirectoryOf } from '../../lib/checkpoint/CheckpointLayout';
import { failureRecord } from '../../lib/cluster/FailureRecord';
import { refuseIfEnded, unknownJob, type JobAction } from '../../lib/cluster/JobRequests';
import { JobRestarts } from '../../lib/cluster/JobRestarts';
import { heartbeatOptions, HeartbeatMonitor, type HeartbeatOptions } from '../../lib/cluster/HeartbeatMonitor';
import { JobSourceProgress } from '../../lib/cluster/JobSourceProgress';
import type { ProgressSnapshot } from '../../lib/cli/SourceProgress';
import type { ClientRequest, NodeSummary, PlainData, WireMessage } from '../../lib/cluster/WireMessages';
import { ConfigurationError, describe, ProtocolError } from '../../lib/errors';
import { JobDocuments } from '../../lib/monitoring/JobDocuments';
import { createDefaultLogger, type Logger } from '../../lib/monitoring/Logger';
import { PlannedFaults, validateFaults } from '../../lib/faults/PlannedFaults';
import { startJob } from '../JobMaster';
import { ClusterLauncher, type ClusterNode, type NodeDirectory } from './ClusterLauncher';
import { StateFileService } from './CoordinatorStorage';
import { listen, type PeerConnection, type PeerServer } from './PeerConnection';

/** Ended jobs a coordinator keeps listed by default (the executor in one process keeps as many). */
export const RETAINED_JOBS = 100;

export interface CoordinatorOptions {
  /** The shared cluster secret every node and client must prove. */
  readonly secret: string;
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: any free port; see `port` on the result). */
  readonly port?: number;
  readonly heartbeat?: Partial<HeartbeatOptions>;
  readonly logger?: Logger;
  /** Ended jobs kept listed and watchable (default RETAINED_JOBS); older ones are forgotten. */
  readonly retainedJobs?: number;
  /** Largest frame payload accepted and sent, in bytes (default 64 MiB; tests make it small). */
  readonly maxFrameBytes?: number;
}

interface RegisteredNode extends ClusterNode {
  readonly connection: PeerConnection;
  lastHeartbeatAt: number;
}

/** What a client submitted: enough to start the job again at another parallelism. */
interface JobRequest {
  readonly jobModule: string;
  readonly jobArgs: readonly string[];
  readonly parallelism?: number;
  readonly restore?: string;
  readonly config: { readonly [k: string]: PlainData };
}

/** One run of a job: a job master and its subtasks at one parallelism (a rescale starts the next run). */
interface JobRun {
  readonly runId: string;
  readonly client: JobClient;
  readonly launcher: ClusterLauncher;
  readonly loaded: LoadedJob;
  readonly parallelism: number;
  /** Why the coordinator is replacing this run (a rescale), once it is. */
  replacedBecause: string | undefined;
}

/**
 * A job as clients know it, under the id of its first run. Rescaling
 * (by hand, or adaptively when nodes join or leave) stops the current run
 * with a savepoint — or, after a lost node, cancels it and takes its latest
 * completed checkpoint — and starts the next run from there.
 */
interface ClusterJob {
  readonly jobId: string;
  readonly name: string;
  readonly request: JobRequest;
  /** The parallelism asked for: an adaptive job runs at most at this, and at least at 1. */
  readonly desired: number;
  readonly adaptive: boolean;
  readonly startedAt: number;
  run: JobRun;
  /** A rescale in progress: results and requests wait for it. */
  rescaling: Promise<void> | undefined;
  /** Set when a rescale could not start the next run. */
  failure: unknown;
  /** Directories nodes may read and write through coordinator-held storage: checkpoints, savepoints. */
  readonly storageRoots: Set<string>;
  /** Directories nodes may only read through coordinator-held storage: the snapshots runs started from. */
  readonly restoreRoots: Set<string>;
  /** Restarts over the job's whole life. */
  readonly restarts: JobRestarts;
  /** What the sources of the current run's newest attempt read, from the nodes' samples. */
  readonly progress: JobSourceProgress;
}

export class Coordinator implements NodeDirectory {
  private readonly registered = new Map<string, RegisteredNode>();
  private readonly jobs = new Map<string, ClusterJob>();
  /** Ended jobs, oldest first: the newest `retainedJobs` stay listed. */
  private readonly ended: ClusterJob[] = [];
  /** Fault plans submitted with jobs, one schedule per submission. */
  private readonly schedules = new WeakMap<JobRequest, PlannedFaults>();
  /** Every run's id (as nodes know it) → its job. */
  private readonly runs = new Map<string, ClusterJob>();
  private readonly monitor: HeartbeatMonitor;
  private readonly system = start();
  private readonly documents = new JobDocuments();
  private readonly log: Logger;
  private readonly timer: NodeJS.Timeout;
  private seq = 0;
  private server!: PeerServer;

  private constructor(private readonly options: CoordinatorOptions) {
    this.log = (options.logger ?? createDefaultLogger()).child({ role: 'coordinator' });
    this.monitor = new HeartbeatMonitor(heartbeatOptions(options.heartbeat));
    this.timer = setInterval(() => this.tick(), this.monitor.options.intervalMs);
    this.timer.unref();
  }

  /** Starts a coordinator listening for nodes and clients. */
  static async start(options: CoordinatorOptions): Promise<Coordinator> {
    const c = new Coordinator(options);
    c.server = await listen({
      secret: options.secret,
      role: 'coordinator',
      peerId: 'coordinator',
      acceptRoles: ['node', 'client'],
      ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
      host: options.host,
      port: options.port,
      logger: c.log,
      onConnection: (conn, peer) => (peer.role === 'node' ? c.nodeConnected(conn, peer.peerId) : c.clientConnected(conn)),
    });
    c.log.info({ host: c.server.host, port: c.server.port }, 'coordinator listening');
    return c;
  }

  get host(): string {
    return this.server.host;
  }

  get port(): number {
    return this.server.port;
  }

  // ---- NodeDirectory ----

  nodes(): readonly ClusterNode[] {
    return [...this.registered.values()];
  }

  usedSlots(exceptJobId: string): ReadonlyMap<string, number> {
    const used = new Map<string, number>();
    for (const [runId, j] of this.runs) {
      if (runId === exceptJobId || j.run.runId !== runId) continue;
      for (const [n, k] of j.run.launcher.slotsHeld) used.set(n, (used.get(n) ?? 0) + k);
    }
    return used;
  }

  /** The registered nodes, as `weir nodes` shows them. */
  nodeSummaries(): NodeSummary[] {
    const used = this.usedSlots('');
    return [...this.registered.values()].map((n) => ({
      nodeId: n.nodeId,
      slots: n.slots,
      freeSlots: Math.max(0, n.slots - (used.get(n.nodeId) ?? 0)),
      dataHost: n.dataHost,
      dataPort: n.dataPort,
      lastHeartbeatAt: n.lastHeartbeatAt,
    }));
  }

  /**
   * Submits a job module (as the CLI does); resolves with a client that
   * follows the job across rescales. `config.adaptive: true` lets the job
   * run below its parallelism while slots are missing and grow back as
   * nodes join (Flink's adaptive scheduler).
   * @throws JobModuleError, ConfigurationError, RestoreError
   */
  async submit(request: JobRequest): Promise<JobClient> {
    const adaptive = request.config.adaptive === true;
    if (request.config.checkpointStorage !== undefined && request.config.checkpointStorage !== 'coordinator') {
      throw new ConfigurationError('checkpointStorage', `must be 'coordinator' (state files kept by the coordinator) or left out (a directory every node reaches)`);
    }
    if (request.config.checkpointStorage === 'coordinator' && typeof request.config.checkpointDir !== 'string') {
      throw new ConfigurationError('checkpointDir', 'coordinator-held checkpoint storage needs the checkpoint directory on the coordinator (--checkpoint-dir)');
    }
    if (adaptive && request.parallelism === undefined) throw new ConfigurationError('parallelism', 'an adaptive job needs the parallelism it may grow to');
    const free = [...this.registered.values()].reduce((n, node) => n + Math.max(0, node.slots - (this.usedSlots('').get(node.nodeId) ?? 0)), 0);
    // An adaptive job starts at what the free slots allow (at least 1, waiting for a node if there is none).
    const initial = adaptive ? Math.max(1, Math.min(request.parallelism!, free)) : request.parallelism;
    const restarts = new JobRestarts();
    const first = await this.startRun(request, initial, request.restore, restarts, undefined);
    restarts.nextRun(first);
    const job: ClusterJob = {
      jobId: first.runId,
      name: first.loaded.jobName,
      request,
      desired: adaptive ? request.parallelism! : first.parallelism,
      adaptive,
      startedAt: Date.now(),
      run: first,
      rescaling: undefined,
      failure: undefined,
      storageRoots: new Set(typeof request.config.checkpointDir === 'string' ? [path.resolve(request.config.checkpointDir)] : []),
      restoreRoots: new Set(),
      restarts,
      progress: new JobSourceProgress(first.loaded.jobGraph),
    };
    this.restoresFrom(job, first);
    this.jobs.set(job.jobId, job);
    this.runs.set(first.runId, job);
    const ended = () => this.jobEnded(job);
    this.clientOf(job).result().then(ended, ended);
    this.log.info({ jobId: job.jobId, job: job.name, module: first.loaded.modulePath, nodes: this.registered.size }, 'job submitted');
    return this.clientOf(job);
  }

  /**
   * Starts a run of the job: loads the module (at `parallelism`, from
   * `restore`: a savepoint or checkpoint directory, its `_metadata`, or a
   * checkpoint directory whose newest checkpoint of the job is taken) and
   * starts its job master, its checkpoints and savepoints named by `jobId`
   * (the job's; undefined for the first run, whose id becomes the job's).
   */
  private async startRun(request: JobRequest, parallelism: number | undefined, restore: string | undefined, restarts: JobRestarts, jobId: string | undefined): Promise<JobRun> {
    const options = jobOptions(request.config, parallelism ?? request.parallelism, request.jobArgs);
    const loaded = await loadJobModule(request.jobModule, {
      ...options,
      ...(restore === undefined ? {} : { restore: { checkpoint: restore } }),
      logger: this.log,
    });
    const config = loaded.env.config;
    if (config.checkpoint !== undefined && !(config.checkpointStorage instanceof FileSystemCheckpointStorage)) {
      throw new ConfigurationError('checkpointDir', 'a cluster job that checkpoints needs a checkpoint directory every node reaches (--checkpoint-dir)');
    }
    const runId = uuidv7();
    const p = Math.max(...loaded.jobGraph.vertices.map((v) => v.parallelism));
    // A fault experiment's plan travels as data; one schedule follows it over the job's runs.
    const faults = request.config.faults === undefined ? config.faults : (this.schedules.get(request) ?? this.schedules.set(request, new PlannedFaults(validateFaults(request.config.faults, 'config.faults'))).get(request));
    const spec = {
      jobModule: loaded.modulePath,
      jobArgs: [...(options.args ?? [])],
      fingerprint: loaded.fingerprint,
      // Exactly the options the coordinator loaded the module with: nodes must build the same graph.
      config: { ...withoutFaults(request.config), ...(options.parallelism === undefined ? {} : { parallelism: options.parallelism }) },
    };
    const launcher = new ClusterLauncher(runId, spec, this, faults, this.log);
    const run: { -readonly [K in keyof JobRun]: JobRun[K] } = { runId, client: undefined!, launcher, loaded, parallelism: p, replacedBecause: undefined };
    run.client = startJob({
      parent: this.system,
      jobGraph: loaded.jobGraph,
      config: faults === config.faults ? config : { ...config, faults },
      documents: this.documents,
      launcher: launcher.launch,
      jobId: runId,
      snapshotJobId: jobId ?? runId,
      onRestart: (record: RestartRecord) => restarts.restarted(run, record),
      replacedBecause: () => run.replacedBecause,
      onTerminated: () => launcher.release(),
    });
    return run;
  }

  /** Nodes may read the snapshot the run starts from through coordinator-held storage (and nothing above it). */
  private restoresFrom(job: ClusterJob, run: JobRun): void {
    if (run.loaded.restoredFrom !== undefined) job.restoreRoots.add(snapshotDirectoryOf(run.loaded.restoredFrom));
  }

  /**
   * Runs the job at `parallelism` from now on: stops the current run with a
   * savepoint (in `<checkpointDir>/savepoints`) and starts the next run from
   * it, key groups redistributed over the new subtasks.
   * @throws ConfigurationError without a checkpoint directory or with too few free slots
   */
  async rescale(jobId: string, parallelism: number): Promise<void> {
    const job = this.requireJob(jobId, 'rescale');
    await job.rescaling?.catch(() => {});
    if (job.run.parallelism === parallelism) return;
    const dir = checkpointDirOf(job);
    const free = this.freeSlotsFor(job);
    if (parallelism > free) throw new ConfigurationError('parallelism', `the cluster has ${free} slots for this job, ${parallelism} needed`);
    await this.replaceRun(job, parallelism, 'rescale', async (run) => run.client.stopWithSavepoint(path.join(dir, 'savepoints')));
  }

  /**
   * Stops the current run (`stop` returns the snapshot to go on from) and
   * starts the next at `parallelism`, once the stopped run tidied its
   * checkpoint directory (the job's, which the next run writes to).
   */
  private replaceRun(job: ClusterJob, parallelism: number, why: string, stop: (run: JobRun) => Promise<string | undefined>): Promise<void> {
    const run = job.run;
    run.replacedBecause = `rescaling the job from parallelism ${run.parallelism} to ${parallelism}: ${why}`;
    const replacing = (async () => {
      this.log.info({ jobId: job.jobId, run: run.runId, from: run.parallelism, to: parallelism, why }, 'rescaling the job');
      let from: string | undefined;
      try {
        from = await stop(run);
      } catch (e) {
        run.replacedBecause = undefined; // the run goes on
        throw e;
      }
      await run.client.result().catch(() => {});
      try {
        const next = await this.startRun(job.request, parallelism, from, job.restarts, job.jobId);
        job.run = next;
        job.restarts.nextRun(next);
        this.restoresFrom(job, next);
        job.progress.nextRun(next.loaded.jobGraph);
        this.runs.set(next.runId, job);
      } catch (e) {
        job.failure = e;
        this.log.error({ jobId: job.jobId, err: describe(e) }, 'the rescaled job could not start');
        throw e;
      }
    })();
    job.rescaling = replacing;
    replacing.then(
      () => job.rescaling === replacing && (job.rescaling = undefined),
      () => job.rescaling === replacing && (job.rescaling = undefined),
    );
    return replacing;
  }

  /** Slots the job could use: every node's slots but those held by other jobs. */
  private freeSlotsFor(job: ClusterJob): number {
    const used = this.usedSlots(job.run.runId);
    return [...this.registered.values()].reduce((n, node) => n + Math.max(0, node.slots - (used.get(node.nodeId) ?? 0)), 0);
  }

  /**
   * Adaptive jobs follow the slots: down to what is left after a node is
   * lost (`lost`: why; one restart of the job), up to their parallelism as
   * nodes join.
   */
  private adapt(lost?: string): void {
    for (const job of this.jobs.values()) {
      if (!job.adaptive || job.rescaling !== undefined || job.failure !== undefined) continue;
      const status = job.run.client.status();
      if (status === 'FINISHED' || status === 'FAILED' || status === 'CANCELED' || status === 'CANCELLING') continue;
      const target = Math.min(job.desired, this.freeSlotsFor(job));
      if (target < 1 || target === job.run.parallelism) continue;
      if (target < job.run.parallelism) {
        // Slots were lost: the run cannot be restored as it is; go on from its latest completed checkpoint.
        job.restarts.replacedAfterFailure(lost ?? 'slots were lost', Date.now(), status === 'RESTARTING');
        void this.replaceRun(job, target, 'slots lost', async (run) => {
          await run.client.cancel();
          return latestCheckpoint(job, run) ?? job.request.restore;
        }).catch(() => {});
      } else if (status === 'RUNNING') {
        void this.replaceRun(job, target, 'slots added', (run) => run.client.stopWithSavepoint(path.join(checkpointDirOf(job), 'savepoints'))).catch(() => {});
      }
    }
  }

  /** The job's client: follows the job from run to run. */
  private clientOf(job: ClusterJob): JobClient {
    const follow = async <T>(f: (run: JobRun) => Promise<T>): Promise<T> => {
      for (;;) {
        const run = job.run;
        const outcome = await f(run).then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        await job.rescaling?.catch(() => {});
        if (job.failure !== undefined) throw job.failure;
        if (job.run !== run) continue;
        if (outcome.ok) return outcome.value;
        throw outcome.error;
      }
    };
    return {
      jobId: job.jobId,
      jobName: job.name,
      documents: this.documents,
      status: () => (job.failure !== undefined ? 'FAILED' : job.rescaling !== undefined ? 'RESTARTING' : job.run.client.status()),
      // The job's restarts are those of every run.
      result: () => follow((run) => run.client.result()).then((r) => ({ ...r, restarts: job.restarts.all(r.restarts) })),
      checkpoints: () => job.run.client.checkpoints(),
      checkpointCounts: () => job.run.client.checkpointCounts(),
      // A savepoint's directory is one nodes may write to through coordinator-held storage.
      triggerSavepoint: (dir) => (job.storageRoots.add(path.resolve(dir)), job.run.client.triggerSavepoint(dir)),
      stopWithSavepoint: (dir) => (job.storageRoots.add(path.resolve(dir)), follow((run) => run.client.stopWithSavepoint(dir))),
      cancel: () => follow((run) => run.client.cancel()),
    };
  }

  /**
   * The job, for `action`.
   * @throws JobRequestError UNKNOWN_JOB, or JOB_NOT_RUNNING when it has ended
   */
  private requireJob(jobId: string, action: JobAction): ClusterJob {
    const job = this.jobs.get(jobId);
    if (job === undefined) throw unknownJob(jobId);
    const refused = refuseIfEnded(job, this.clientOf(job).status(), action);
    if (refused !== undefined) throw refused;
    return job;
  }

  /** Keeps the newest ended jobs listed (and watchable); older ones are forgotten, as in one process. */
  private jobEnded(job: ClusterJob): void {
    this.ended.push(job);
    while (this.ended.length > (this.options.retainedJobs ?? RETAINED_JOBS)) {
      const old = this.ended.shift()!;
      this.jobs.delete(old.jobId);
      for (const [runId, j] of this.runs) if (j === old) this.runs.delete(runId);
    }
  }

  /** The client of a submitted job (by the id `submit` gave it). */
  job(jobId: string): JobClient | undefined {
    const job = this.jobs.get(jobId);
    return job && this.clientOf(job);
  }

  /** How far the job's sources have read (what `weir run --coordinator` shows while it runs). */
  progressOf(jobId: string): ProgressSnapshot | undefined {
    return this.jobs.get(jobId)?.progress.snapshot();
  }

  /** The parallelism the job runs at now. */
  parallelismOf(jobId: string): number | undefined {
    return this.jobs.get(jobId)?.run.parallelism;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const j of this.jobs.values()) await j.run.client.cancel().catch(() => {});
    await this.server.close();
    stop(this.system);
  }

  // ---- nodes ----

  private nodeConnected(conn: PeerConnection, nodeId: string): void {
    let node: RegisteredNode | undefined;
    // Coordinator-held storage: this connection's open state file transfers, discarded when it closes.
    const stateFiles = new StateFileService();
    conn.onMessage((msg) => {
      this.monitor.heard(nodeId, Date.now());
      if (node !== undefined) node.lastHeartbeatAt = Date.now();
      if (msg.type === 'RegisterNode') {
        if (msg.nodeId !== nodeId) return conn.close();
        const old = this.registered.get(nodeId);
        if (old !== undefined && old.connection !== conn) this.nodeLost(nodeId, 'it registered again on a new connection');
        node = {
          nodeId,
          slots: msg.slots,
          dataHost: msg.dataHost,
          dataPort: msg.dataPort,
          connection: conn,
          lastHeartbeatAt: Date.now(),
          send: (m: WireMessage) => void (conn.isClosed || conn.send(m)),
        };
        this.registered.set(nodeId, node);
        const { intervalMs, timeoutMs } = this.monitor.options;
        conn.send({ type: 'NodeRegistered', nodeId, heartbeatIntervalMs: intervalMs, heartbeatTimeoutMs: timeoutMs });
        this.log.info({ nodeId, slots: msg.slots, data: `${msg.dataHost}:${msg.dataPort}` }, 'node registered');
        this.adapt();
        return;
      }
      if (msg.type === 'Heartbeat') return;
      if (msg.type === 'StateFileWrite' || msg.type === 'StateFileRead' || msg.type === 'StateFileChunk') {
        const job = msg.type === 'StateFileChunk' ? undefined : this.runs.get(msg.jobId);
        // Writes go to the job's checkpoint and savepoint directories; reads also to the snapshots its runs started from.
        const allowed = job === undefined ? [] : msg.type === 'StateFileRead' ? [...job.storageRoots, ...job.restoreRoots] : [...job.storageRoots];
        return void stateFiles.serve(msg, allowed).then((reply) => node?.send(reply));
      }
      if (msg.type === 'FaultStruck') {
        const job = this.runs.get(msg.jobId);
        return job && (this.schedules.get(job.request) ?? job.run.loaded.env.config.faults)?.recordFired(msg.fired);
      }
      if ('jobId' in msg) {
        const job = this.runs.get(msg.jobId);
        if (job?.run.runId !== msg.jobId) return;
        if (msg.type === 'SourceProgressSampled') return job.progress.sampled(msg.attempt, msg.subtasks);
        // A finished source's final count is exact, whatever its node sampled last.
        if (msg.type === 'SubtaskFinished') job.progress.finished(msg.attempt, msg.metrics);
        job.run.launcher.fromNode(msg);
      }
    });
    conn.onClose((error) => {
      void stateFiles.close();
      if (this.registered.get(nodeId)?.connection === conn) this.nodeLost(nodeId, error ? describe(error) : 'its connection closed');
    });
  }

  private nodeLost(nodeId: string, why: string): void {
    if (!this.registered.delete(nodeId)) return;
    this.monitor.forget(nodeId);
    this.log.warn({ nodeId, why }, 'node lost');
    for (const j of this.jobs.values()) j.run.launcher.nodeLost(nodeId, why);
    this.adapt(`node ${nodeId} was lost (${why})`);
  }

  private tick(): void {
    const now = Date.now();
    for (const n of this.registered.values()) n.send({ type: 'Heartbeat', from: 'coordinator', seq: ++this.seq, sentAt: now });
    for (const { peer, silentMs } of this.monitor.expired(now)) {
      const n = this.registered.get(peer);
      this.nodeLost(peer, `no heartbeat for ${silentMs} ms`);
      n?.connection.close();
    }
  }

  // ---- clients ----

  private clientConnected(conn: PeerConnection): void {
    conn.onMessage((msg) => {
      if (typeof (msg as { requestId?: unknown }).requestId !== 'number' || msg.type === 'RequestFailed' || msg.type === 'JobEnded') {
        return conn.close(new ProtocolError('UNEXPECTED_MESSAGE', msg.type, `a client sent ${msg.type}, which is not a request`));
      }
      void this.request(msg as ClientRequest, (reply) => void (conn.isClosed || conn.send(reply)));
    });
  }

  private async request(msg: ClientRequest, reply: (m: WireMessage) => void): Promise<void> {
    const { requestId } = msg;
    const failed = (e: unknown) => {
      const r = failureRecord(e);
      reply({ type: 'RequestFailed', requestId, code: r.code, message: r.message });
    };
    const found = 'jobId' in msg ? this.jobs.get(msg.jobId) : undefined;
    if ('jobId' in msg && found === undefined) return failed(unknownJob(msg.jobId));
    const job = found && this.clientOf(found);
    // An ended job can no more be cancelled, stopped, savepointed or rescaled: say so rather than pretend.
    const action = ({ CancelJob: 'cancel', StopWithSavepoint: 'stop', TriggerSavepoint: 'take a savepoint of', Rescale: 'rescale' } as const)[msg.type as string];
    const refused = action === undefined || found === undefined ? undefined : refuseIfEnded(found, job!.status(), action);
    if (refused !== undefined) return failed(refused);
    try {
      switch (msg.type) {
        case 'SubmitJob': {
          const client = await this.submit({
            jobModule: msg.jobModule,
            jobArgs: msg.jobArgs.map(String),
            ...(msg.parallelism === undefined ? {} : { parallelism: msg.parallelism }),
            ...(msg.restore === undefined ? {} : { restore: msg.restore }),
            config: msg.config,
          });
          return reply({ type: 'JobSubmitted', requestId, jobId: client.jobId });
        }
        case 'WatchJob': {
          const result = await job!.result().then(
            (r) => ({ status: 'FINISHED' as const, message: undefined, restarts: found!.restarts.count, savepoint: r.savepoint, subtasks: r.subtasks }),
            (e: unknown) => ({
              status: job!.status() === 'CANCELED' ? ('CANCELED' as const) : ('FAILED' as const),
              message: describe(e),
              restarts: found!.restarts.count,
              savepoint: undefined,
            }),
          );
          const timeline = this.schedules.get(found!.request)?.timeline;
          const faults = timeline?.map((e) => ({ at: e.at, attempt: e.attempt, kind: e.fault.kind, where: e.where }));
          // Cluster checkpoints are always in a directory the coordinator reaches (shared, or its own --checkpoint-dir).
          const checkpoints = summarizeCheckpoints(job!.checkpointCounts(), job!.checkpoints(), true);
          return reply({ type: 'JobEnded', requestId, jobId: msg.jobId, ...result, checkpoints, ...(faults === undefined ? {} : { faults }) });
        }
        case 'ListJobs':
          return reply({
            type: 'JobsListed',
            requestId,
            jobs: [...this.jobs.values()].map((j) => ({
              jobId: j.jobId,
              name: j.name,
              status: this.clientOf(j).status(),
              parallelism: j.run.parallelism,
              startedAt: j.startedAt,
              restarts: j.restarts.count,
            })),
          });
        case 'CancelJob':
          await job!.cancel();
          return reply({ type: 'JobCancelled', requestId, jobId: msg.jobId });
        case 'TriggerSavepoint':
        case 'StopWithSavepoint': {
          const stopping = msg.type === 'StopWithSavepoint';
          const location = await (stopping ? job!.stopWithSavepoint(msg.directory) : job!.triggerSavepoint(msg.directory));
          // The parallelism it runs at now (after a weir rescale, the rescaled one); an adaptive job's target as submitted.
          const { jobModule, jobArgs, config } = found!.request;
          const parallelism = config.adaptive === true ? found!.request.parallelism : found!.run.parallelism;
          const submitted = { jobModule, jobArgs, ...(parallelism === undefined ? {} : { parallelism }), config: withoutFaults(config) };
          return reply({ type: 'SavepointCompleted', requestId, jobId: msg.jobId, location, stopped: stopping, ...(stopping ? { submitted } : {}) });
        }
        case 'Rescale':
          await this.rescale(msg.jobId, msg.parallelism);
          return reply({ type: 'JobRescaled', requestId, jobId: msg.jobId, parallelism: msg.parallelism });
        case 'ListNodes':
          return reply({ type: 'NodesListed', requestId, nodes: this.nodeSummaries() });
        case 'ReportJobProgress':
          return reply({
            type: 'JobProgressReported',
            requestId,
            jobId: msg.jobId,
            ...found!.progress.snapshot(),
            restarts: found!.restarts.count,
            lastFailure: found!.restarts.lastFailure,
          });
        default:
          return failed(new ConfigurationError('request', `${(msg as WireMessage).type} is not served by this coordinator`));
      }
    } catch (e) {
      failed(e);
    }
  }
}

/** The job-module options a cluster job is loaded with, from the submission's configuration. */
export function jobOptions(config: { readonly [k: string]: PlainData }, parallelism: number | undefined, args: readonly string[]): JobModuleOptions {
  const num = (k: string) => (typeof config[k] === 'number' ? (config[k] as number) : undefined);
  const str = (k: string) => (typeof config[k] === 'string' ? (config[k] as string) : undefined);
  const p = parallelism ?? num('parallelism');
  const dir = str('checkpointDir');
  const interval = num('checkpointIntervalMs');
  return {
    args: [...args],
    ...(p === undefined ? {} : { parallelism: p }),
    ...(dir === undefined ? {} : { checkpointDir: dir }),
    ...(interval === undefined ? {} : { checkpointIntervalMs: interval }),
  };
}

/** The job's checkpoint directory; ConfigurationError without one (a rescale needs somewhere to put its savepoint). */
function checkpointDirOf(job: ClusterJob): string {
  const dir = job.request.config.checkpointDir;
  if (typeof dir !== 'string') throw new ConfigurationError('checkpointDir', 'rescaling a job needs its checkpoint directory (--checkpoint-dir)');
  return dir;
}

/** The directory of the run's newest completed checkpoint, as nodes and the loader open it. */
function latestCheckpoint(job: ClusterJob, run: JobRun): string | undefined {
  const done = run.client.checkpoints().filter((c) => c.state === 'COMPLETED' && !c.savepoint && c.location !== undefined);
  const last = done[done.length - 1];
  const dir = job.request.config.checkpointDir;
  if (last === undefined || typeof dir !== 'string') return undefined;
  return path.dirname(path.resolve(dir, last.location!));
}

/** The submission's configuration as nodes need it (a fault plan reaches them per subtask, in DeploySubtask). */
function withoutFaults(config: { readonly [k: string]: PlainData }): { [k: string]: PlainData } {
  const { faults: _faults, ...rest } = config;
  return rest;
}
