/**
 * A node process (Flink's TaskManager): its own nact system and
 * supervision tree with a number of slots, registered with a coordinator.
 * It accepts authenticated data connections from other nodes and opens
 * them itself, one connection per pair of nodes (the node with the smaller
 * id opens it) multiplexing every channel between them; records cross the
 * wire only between nodes.
 *
 * Heartbeats go both ways. When the coordinator goes quiet past the
 * timeout or its connection closes, every subtask here is stopped and the
 * node keeps trying to register again (`reconnectMs`), so a coordinator
 * that comes back, or a node that was cut off, rejoins by itself. A
 * coordinator that refuses the node's secret ends the trying (`refused`).
 */
import { start, stop } from 'nact';
import * as os from 'node:os';
import { checkChunkBytes, DEFAULT_STATE_CHUNK_BYTES } from '../../lib/checkpoint/StateFileTransfer';
import { loadJobModule } from '../../lib/cli/JobModule';
import { heartbeatOptions, HeartbeatMonitor, type HeartbeatOptions } from '../../lib/cluster/HeartbeatMonitor';
import type { DeploySubtask, WireMessage } from '../../lib/cluster/WireMessages';
import { AuthenticationError, ConfigurationError, describe } from '../../lib/errors';
import { createDefaultLogger, type Logger } from '../../lib/monitoring/Logger';
import { DEFAULT_MAX_FRAME_BYTES } from '../../lib/transport/FrameCodec';
import { jobOptions } from './Coordinator';
import { NodeRuntime } from './NodeRuntime';
import { connect, listen, type PeerConnection, type PeerServer } from './PeerConnection';

export interface NodeOptions {
  readonly coordinator: { readonly host: string; readonly port: number };
  readonly secret: string;
  /** Default: host name and process id. */
  readonly nodeId?: string;
  /** Subtask slots offered (default 1). */
  readonly slots?: number;
  /** Interface for data connections from other nodes (default 127.0.0.1). */
  readonly dataHost?: string;
  /** Port for data connections (default 0: any free port). */
  readonly dataPort?: number;
  /** Retry registering this often while the coordinator is unreachable (ms, default 500). */
  readonly reconnectMs?: number;
  readonly heartbeat?: Partial<HeartbeatOptions>;
  readonly logger?: Logger;
  /** Largest frame payload accepted and sent on this node's connections, in bytes (default 64 MiB; tests make it small). */
  readonly maxFrameBytes?: number;
  /**
   * Coordinator-held storage: bytes per state file chunk written or range
   * read (default DEFAULT_STATE_CHUNK_BYTES, 4 MiB); at most half the frame
   * limit, so a chunk and its message fit one frame.
   */
  readonly stateChunkBytes?: number;
}

/** Data connections to other nodes, and what waits for one that is being opened. */
interface Peer {
  connection: PeerConnection | undefined;
  readonly waiting: WireMessage[];
}

export class Node {
  readonly nodeId: string;
  private readonly system = start();
  private readonly log: Logger;
  private readonly runtime: NodeRuntime;
  private readonly peers = new Map<string, Peer>();
  /** Data addresses of other nodes, from deployments. */
  private readonly addresses = new Map<string, { host: string; port: number }>();
  private coordinator: PeerConnection | undefined;
  private monitor: HeartbeatMonitor;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private data!: PeerServer;
  private closed = false;
  private seq = 0;
  /** Resolves once registered with the coordinator (the first time). */
  readonly registered: Promise<void>;
  private markRegistered!: () => void;
  /**
   * Resolves with the error if the coordinator refused this node's cluster
   * secret (or role): retrying cannot help, so the node stops trying.
   */
  readonly refused: Promise<AuthenticationError>;
  private markRefused!: (e: AuthenticationError) => void;

  private constructor(private readonly options: NodeOptions) {
    this.nodeId = options.nodeId ?? `${os.hostname()}-${process.pid}`;
    if (!Number.isInteger(options.slots ?? 1) || (options.slots ?? 1) < 1) throw new ConfigurationError('slots', 'must be a positive integer');
    const chunkBytes = checkChunkBytes(options.stateChunkBytes ?? DEFAULT_STATE_CHUNK_BYTES);
    if (chunkBytes > (options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES) / 2) throw new ConfigurationError('stateChunkBytes', 'must be at most half the frame limit (maxFrameBytes)');
    this.log = (options.logger ?? createDefaultLogger()).child({ role: 'node', nodeId: this.nodeId });
    this.monitor = new HeartbeatMonitor(heartbeatOptions(options.heartbeat));
    this.registered = new Promise((resolve) => (this.markRegistered = resolve));
    this.refused = new Promise((resolve) => (this.markRefused = resolve));
    this.runtime = new NodeRuntime({
      nodeId: this.nodeId,
      system: this.system,
      toCoordinator: (m) => void (this.coordinator?.isClosed === false && this.coordinator.send(m)),
      toNode: (id, m) => this.sendToNode(id, m),
      loadJob: (d) => this.loadJob(d),
      log: this.log,
      stateChunkBytes: chunkBytes,
    });
  }

  /** Starts the node: opens its data port and registers with the coordinator (retrying until it answers). */
  static async start(options: NodeOptions): Promise<Node> {
    const n = new Node(options);
    n.data = await listen({
      secret: options.secret,
      role: 'node',
      peerId: n.nodeId,
      acceptRoles: ['node'],
      ...n.frameLimit,
      host: options.dataHost,
      port: options.dataPort,
      logger: n.log,
      onConnection: (conn, peer) => n.peerConnected(peer.peerId, conn),
    });
    n.register();
    return n;
  }

  /** The frame limit for this node's connections, when one was given. */
  private get frameLimit(): { maxFrameBytes?: number } {
    return this.options.maxFrameBytes === undefined ? {} : { maxFrameBytes: this.options.maxFrameBytes };
  }

  /** The port other nodes open data connections to (the bound one when 0 was asked for). */
  get dataPort(): number {
    return this.data.port;
  }

  /** What runs here now. */
  get running(): { jobId: string; attempt: number; subtasks: string[] }[] {
    return this.runtime.running;
  }

  /**
   * Cuts every data connection to other nodes at once (fault experiments:
   * a network partition between nodes). Subtasks exchanging data across
   * them fail, and the job restores; connections open again on demand.
   */
  cutDataConnections(): void {
    for (const p of this.peers.values()) p.connection?.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    this.runtime.stopAll('the node is shutting down');
    this.coordinator?.close();
    for (const p of this.peers.values()) p.connection?.close();
    await this.data.close();
    stop(this.system);
  }

  // ---- the coordinator ----

  private register(): void {
    if (this.closed) return;
    const { host, port } = this.options.coordinator;
    connect({ secret: this.options.secret, role: 'node', peerId: this.nodeId, acceptRoles: ['coordinator'], ...this.frameLimit, host, port, logger: this.log }).then(
      (conn) => {
        if (this.closed) return conn.close();
        this.coordinator = conn;
        conn.onMessage((m) => this.fromCoordinator(m));
        conn.onClose((e) => this.coordinatorLost(e ? describe(e) : 'its connection closed'));
        conn.send({ type: 'RegisterNode', nodeId: this.nodeId, slots: this.options.slots ?? 1, dataHost: this.data.host, dataPort: this.data.port });
      },
      (e: unknown) => {
        if (e instanceof AuthenticationError) {
          // Expected (a wrong secret or role): one line with the error's code, no stack.
          this.log.error({ code: e.code }, `the coordinator refused this node (check the cluster secret): ${e.message}`);
          return this.markRefused(e);
        }
        this.log.debug({ err: describe(e) }, 'coordinator unreachable; retrying');
        this.reconnectTimer = setTimeout(() => this.register(), this.options.reconnectMs ?? 500);
      },
    );
  }

  private fromCoordinator(m: WireMessage): void {
    this.monitor.heard('coordinator', Date.now());
    if (m.type === 'NodeRegistered') {
      this.monitor = new HeartbeatMonitor(heartbeatOptions({ intervalMs: m.heartbeatIntervalMs, timeoutMs: m.heartbeatTimeoutMs }));
      this.monitor.heard('coordinator', Date.now());
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = setInterval(() => this.heartbeat(), m.heartbeatIntervalMs);
      this.log.info({}, 'registered with the coordinator');
      this.markRegistered();
      return;
    }
    if (m.type === 'Heartbeat') return;
    if (m.type === 'DeploySubtask') {
      for (const l of m.locations) this.addresses.set(l.nodeId, { host: l.dataHost, port: l.dataPort });
      // The smaller id opens each pair's connection, at once: the other side may have data for us
      // before we have any for it, and it waits for our connection rather than opening a second one.
      for (const l of m.locations) {
        if (l.nodeId !== this.nodeId && this.nodeId < l.nodeId && !this.peers.has(l.nodeId)) {
          this.peers.set(l.nodeId, { connection: undefined, waiting: [] });
          this.openPeer(l.nodeId);
        }
      }
    }
    this.runtime.fromCoordinator(m);
  }

  private heartbeat(): void {
    if (this.coordinator?.isClosed === false) {
      this.coordinator.send({ type: 'Heartbeat', from: this.nodeId, seq: ++this.seq, sentAt: Date.now() });
      // Source progress rides the heartbeat's tick (no timer of its own, and nothing per record: counters are
      // read here) but not the Heartbeat message: that one is liveness, both ways and job-free, while a
      // progress sample is about one job attempt and carries it, as every job message does, so the
      // coordinator drops stale attempts the usual way. Only changed counts are sent.
      for (const m of this.runtime.sampleSourceProgress()) this.coordinator.send(m);
    }
    for (const { silentMs } of this.monitor.expired(Date.now())) {
      this.coordinatorLost(`no heartbeat for ${silentMs} ms`);
    }
  }

  private coordinatorLost(why: string): void {
    if (this.coordinator === undefined) return;
    const conn = this.coordinator;
    this.coordinator = undefined;
    clearInterval(this.heartbeatTimer);
    this.monitor.forget('coordinator');
    conn.close();
    if (this.closed) return;
    this.log.warn({ why }, 'lost the coordinator; stopping every subtask and registering again');
    this.runtime.stopAll('the coordinator was lost');
    this.reconnectTimer = setTimeout(() => this.register(), this.options.reconnectMs ?? 500);
  }

  private loadJob(d: DeploySubtask) {
    return loadJobModule(d.jobModule, { ...jobOptions(d.config, undefined, d.jobArgs.map(String)), logger: this.log }).then((loaded) => ({
      jobGraph: loaded.jobGraph,
      config: loaded.env.config,
      fingerprint: loaded.fingerprint,
    }));
  }

  // ---- other nodes ----

  private sendToNode(nodeId: string, m: WireMessage): void {
    let p = this.peers.get(nodeId);
    if (p?.connection !== undefined) return void (p.connection.isClosed || p.connection.send(m));
    if (p === undefined) {
      this.peers.set(nodeId, (p = { connection: undefined, waiting: [] }));
      // One connection per pair: the smaller id opens it, the other waits for it.
      if (this.nodeId < nodeId) this.openPeer(nodeId);
    }
    p.waiting.push(m);
  }

  private openPeer(nodeId: string): void {
    const at = this.addresses.get(nodeId);
    if (at === undefined) return this.runtime.nodeLost(nodeId);
    connect({ secret: this.options.secret, role: 'node', peerId: this.nodeId, acceptRoles: ['node'], ...this.frameLimit, host: at.host, port: at.port, logger: this.log }).then(
      (conn) => {
        if (conn.peer?.peerId !== nodeId) {
          conn.close();
          this.log.warn({ expected: nodeId, got: conn.peer?.peerId }, 'a data connection reached another node than expected');
          return this.peerGone(nodeId, 'wrong peer');
        }
        this.peerConnected(nodeId, conn);
      },
      (e: unknown) => this.peerGone(nodeId, describe(e)),
    );
  }

  private peerConnected(nodeId: string, conn: PeerConnection): void {
    let p = this.peers.get(nodeId);
    if (p === undefined) this.peers.set(nodeId, (p = { connection: undefined, waiting: [] }));
    p.connection?.close();
    p.connection = conn;
    conn.onMessage((m) => this.runtime.fromNode(m));
    conn.onClose((e) => {
      if (this.peers.get(nodeId)?.connection === conn) this.peerGone(nodeId, e ? describe(e) : 'its connection closed');
    });
    for (const m of p.waiting.splice(0)) if (!conn.isClosed) conn.send(m);
  }

  private peerGone(nodeId: string, why: string): void {
    this.peers.delete(nodeId);
    if (this.closed) return;
    this.log.warn({ peer: nodeId, why }, 'data connection to a node lost');
    this.runtime.nodeLost(nodeId);
  }
}
