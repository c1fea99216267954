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
 * reaches (state files are written by the nodes, metadata here).
 *
 * A node silent past the heartbeat timeout, or whose connection closes, is
 * removed: its subtasks fail and the jobs restore from their latest
 * completed checkpoint on the nodes left (waiting, RESTARTING, while too
 * few slots are left). A node that comes back registers again and its
 * slots are used from the next attempt on.
 */
import { start, stop } from 'nact';
import { v7 as uuidv7 } from 'uuid';
import type { JobClient } from '../../lib/api/JobClient';
import { FileSystemCheckpointStorage } from '../../lib/checkpoint/CheckpointStorage';
import { loadJobModule, type JobModuleOptions, type LoadedJob } from '../../lib/cli/JobModule';
import { failureRecord } from '../../lib/cluster/FailureRecord';
import { heartbeatOptions, HeartbeatMonitor, type HeartbeatOptions } from '../../lib/cluster/HeartbeatMonitor';
import type { ClientRequest, NodeSummary, PlainData, WireMessage } from '../../lib/cluster/WireMessages';
import { ConfigurationError, describe, JobExecutionError } from '../../lib/errors';
import type { JobStatus } from '../../lib/api/JobClient';
import { JobDocuments } from '../../lib/monitoring/JobDocuments';
import { createDefaultLogger, type Logger } from '../../lib/monitoring/Logger';
import { startJob } from '../JobMaster';
import { ClusterLauncher, type ClusterNode, type NodeDirectory } from './ClusterLauncher';
import { listen, type PeerConnection, type PeerServer } from './PeerConnection';

export interface CoordinatorOptions {
  /** The shared cluster secret every node and client must prove. */
  readonly secret: string;
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: any free port; see `port` on the result). */
  readonly port?: number;
  readonly heartbeat?: Partial<HeartbeatOptions>;
  readonly logger?: Logger;
}

interface RegisteredNode extends ClusterNode {
  readonly connection: PeerConnection;
  lastHeartbeatAt: number;
}

interface ClusterJob {
  readonly jobId: string;
  readonly name: string;
  readonly parallelism: number;
  readonly startedAt: number;
  readonly client: JobClient;
  readonly launcher: ClusterLauncher;
  readonly loaded: LoadedJob;
}

export class Coordinator implements NodeDirectory {
  private readonly registered = new Map<string, RegisteredNode>();
  private readonly jobs = new Map<string, ClusterJob>();
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
    for (const j of this.jobs.values()) {
      if (j.jobId === exceptJobId) continue;
      for (const [n, k] of j.launcher.slotsHeld) used.set(n, (used.get(n) ?? 0) + k);
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

  /** Submits a job module (as the CLI does); resolves with its client. */
  async submit(request: { jobModule: string; jobArgs: readonly string[]; parallelism?: number; restore?: string; config: { readonly [k: string]: PlainData } }): Promise<JobClient> {
    const options = jobOptions(request.config, request.parallelism, request.jobArgs);
    const loaded = await loadJobModule(request.jobModule, {
      ...options,
      ...(request.restore === undefined ? {} : { restore: { savepoint: request.restore } }),
      logger: this.log,
    });
    const config = loaded.env.config;
    if (config.checkpoint !== undefined && !(config.checkpointStorage instanceof FileSystemCheckpointStorage)) {
      throw new ConfigurationError('checkpointDir', 'a cluster job that checkpoints needs a checkpoint directory every node reaches (--checkpoint-dir)');
    }
    const jobId = uuidv7();
    const spec = {
      jobModule: loaded.modulePath,
      jobArgs: [...(options.args ?? [])],
      fingerprint: loaded.fingerprint,
      config: { ...request.config, ...(request.parallelism === undefined ? {} : { parallelism: request.parallelism }) },
    };
    const launcher = new ClusterLauncher(jobId, spec, this, config.faults, this.log);
    const client = startJob({
      parent: this.system,
      jobGraph: loaded.jobGraph,
      config,
      documents: this.documents,
      launcher: launcher.launch,
      jobId,
      onTerminated: () => launcher.release(),
    });
    this.jobs.set(jobId, {
      jobId,
      name: loaded.jobName,
      parallelism: Math.max(...loaded.jobGraph.vertices.map((v) => v.parallelism)),
      startedAt: Date.now(),
      client,
      launcher,
      loaded,
    });
    this.log.info({ jobId, job: loaded.jobName, module: loaded.modulePath, nodes: this.registered.size }, 'job submitted');
    return client;
  }

  job(jobId: string): JobClient | undefined {
    return this.jobs.get(jobId)?.client;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const j of this.jobs.values()) await j.client.cancel().catch(() => {});
    await this.server.close();
    stop(this.system);
  }

  // ---- nodes ----

  private nodeConnected(conn: PeerConnection, nodeId: string): void {
    let node: RegisteredNode | undefined;
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
        return;
      }
      if (msg.type === 'Heartbeat') return;
      if (msg.type === 'FaultStruck') return this.jobs.get(msg.jobId)?.loaded.env.config.faults?.recordFired(msg.fired);
      if ('jobId' in msg) return this.jobs.get(msg.jobId)?.launcher.fromNode(msg);
    });
    conn.onClose((error) => {
      if (this.registered.get(nodeId)?.connection === conn) this.nodeLost(nodeId, error ? describe(error) : 'its connection closed');
    });
  }

  private nodeLost(nodeId: string, why: string): void {
    if (!this.registered.delete(nodeId)) return;
    this.monitor.forget(nodeId);
    this.log.warn({ nodeId, why }, 'node lost');
    for (const j of this.jobs.values()) j.launcher.nodeLost(nodeId, why);
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
      void this.request(msg as ClientRequest, (reply) => void (conn.isClosed || conn.send(reply)));
    });
  }

  private async request(msg: ClientRequest, reply: (m: WireMessage) => void): Promise<void> {
    const { requestId } = msg;
    const failed = (e: unknown) => {
      const r = failureRecord(e);
      reply({ type: 'RequestFailed', requestId, code: r.code, message: r.message });
    };
    const job = 'jobId' in msg ? this.jobs.get(msg.jobId) : undefined;
    if ('jobId' in msg && job === undefined) return failed(new ConfigurationError('jobId', `no job ${msg.jobId} on this cluster`));
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
          const result = await job!.client.result().then(
            (r) => ({ status: 'FINISHED' as const, message: undefined, restarts: r.restarts.length, savepoint: r.savepoint }),
            (e: unknown) => ({
              status: job!.client.status() === 'CANCELED' ? ('CANCELED' as const) : ('FAILED' as const),
              message: describe(e),
              restarts: e instanceof JobExecutionError ? e.restarts.length : 0,
              savepoint: undefined,
            }),
          );
          return reply({ type: 'JobEnded', requestId, jobId: msg.jobId, ...result });
        }
        case 'ListJobs':
          return reply({
            type: 'JobsListed',
            requestId,
            jobs: [...this.jobs.values()].map((j) => ({ jobId: j.jobId, name: j.name, status: j.client.status() as JobStatus, parallelism: j.parallelism, startedAt: j.startedAt })),
          });
        case 'CancelJob':
          await job!.client.cancel();
          return reply({ type: 'JobCancelled', requestId, jobId: msg.jobId });
        case 'TriggerSavepoint':
        case 'StopWithSavepoint': {
          const stopping = msg.type === 'StopWithSavepoint';
          const location = await (stopping ? job!.client.stopWithSavepoint(msg.directory) : job!.client.triggerSavepoint(msg.directory));
          return reply({ type: 'SavepointCompleted', requestId, jobId: msg.jobId, location, stopped: stopping });
        }
        case 'ListNodes':
          return reply({ type: 'NodesListed', requestId, nodes: this.nodeSummaries() });
        default:
          return failed(new ConfigurationError('request', `${msg.type} is not served by this coordinator`));
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
