/**
 * What a node process does with the subtasks the coordinator deploys to it
 * (Flink's TaskExecutor): rebuilds each job's graph from the job module it
 * imports itself (checking the coordinator's fingerprint), restores state
 * from the snapshot location it is given, runs the subtasks as supervised
 * nact actors, and turns what they send their job master into wire
 * messages to the coordinator. Buffers and credits between its own
 * subtasks go by reference; to subtasks on other nodes they go as
 * DeliverBuffer / GrantCredit over the node-to-node connection, so the
 * credit protocol — and the bound on every mailbox — is the same on both.
 *
 * Per job, only the newest attempt lives here: a deployment of a newer
 * attempt stops what is left of older ones, and messages of older attempts
 * are dropped. Subtasks start only on StartTasks (every subtask of the
 * attempt exists on every node by then); control messages and buffers that
 * arrive before it wait, in order — at most a channel's credits per channel.
 *
 * A crashed subtask is reported as SubtaskFailed with a FailureRecord, as
 * is a deployment whose job module does not build here or builds another
 * graph than the coordinator's (not retryable: the same code fails the same
 * way on a restart); a lost peer node fails this node's subtasks of the attempts that exchange
 * data with it; a lost coordinator stops every subtask here.
 */
import { spawn, stop } from 'nact';
import * as path from 'node:path';
import { METADATA_FILE } from '../../lib/checkpoint/CheckpointLayout';
import type { EnvironmentConfig } from '../../lib/api/EnvironmentConfig';
import { loadCheckpoint, resolveSnapshotPath } from '../../lib/checkpoint/CheckpointLoader';
import { MemoryCheckpointStorage, type CheckpointStorage } from '../../lib/checkpoint/CheckpointStorage';
import type { RestoredState } from '../../lib/checkpoint/SubtaskState';
import { failureRecord, jobGraphMismatch, jobNotBuiltOnNode, type FailureRecord } from '../../lib/cluster/FailureRecord';
import { SourceCountSampler } from '../../lib/cluster/SourceCountSampler';
import type { DeploySubtask, SourceProgressSampled, StateFileReply, SubtaskRef, WireMessage } from '../../lib/cluster/WireMessages';
import { createExecutionGraph, type ExecutionGraph, type SubtaskId } from '../../lib/graph/ExecutionGraph';
import type { JobGraph } from '../../lib/graph/JobGraph';
import type { Logger } from '../../lib/monitoring/Logger';
import type { ChannelBuffer } from '../../lib/transport/ChannelBuffer';
import { inputChannelAddresses, outputChannelAddresses, type ChannelAddress, type ChannelName, type ChannelTransport } from '../../lib/transport/ChannelTransport';
import { subtaskKey, tell, type JobMasterMsg, type SubtaskMsg, type TRef } from '../protocol';
import { spawnSubtask } from '../SubtaskActor';
import { CoordinatorStorage, type StorageRequester } from './CoordinatorStorage';

/** A job as this node rebuilt it from its module. */
export interface NodeJob {
  readonly jobGraph: JobGraph;
  readonly config: EnvironmentConfig;
  readonly fingerprint: string;
}

export interface NodeRuntimeOptions {
  readonly nodeId: string;
  /** The nact system (or actor) subtasks live under. */
  readonly system: TRef<unknown>;
  /** Sends to the coordinator. */
  readonly toCoordinator: (msg: WireMessage) => void;
  /** Sends to another node over the data connection to it. */
  readonly toNode: (nodeId: string, msg: WireMessage) => void;
  /** Imports the job module and rebuilds the job (the CLI's loader). */
  readonly loadJob: (deploy: DeploySubtask) => Promise<NodeJob>;
  readonly log: Logger;
  /** Coordinator-held storage: bytes per state file chunk written or range read (default DEFAULT_STATE_CHUNK_BYTES). */
  readonly stateChunkBytes?: number;
}

export class NodeRuntime {
  /** Per job id: the newest attempt deployed here. */
  private readonly attempts = new Map<string, NodeAttempt>();
  private readonly jobs = new Map<string, Promise<NodeJob>>();
  /** Storage requests to the coordinator waiting for their reply, by request id. */
  private readonly storageRequests = new Map<number, (reply: StateFileReply) => void>();
  private nextRequestId = 1;

  constructor(private readonly options: NodeRuntimeOptions) {}

  /** Sends a storage request to the coordinator; resolves with its reply (or a failed reply if the coordinator is lost). */
  readonly requestStorage: StorageRequester = (request) =>
    new Promise((resolve) => {
      const requestId = this.nextRequestId++;
      this.storageRequests.set(requestId, resolve);
      this.options.toCoordinator({ ...request, requestId } as WireMessage);
    });

  /** Subtasks running here, per job: for status and tests. */
  get running(): { jobId: string; attempt: number; subtasks: string[] }[] {
    return [...this.attempts.values()].map((a) => ({ jobId: a.jobId, attempt: a.attempt, subtasks: [...a.subtasks.keys()] }));
  }

  /**
   * What the source subtasks here have read, one message per job attempt
   * whose counts changed since the last call (none for idle or finished
   * ones): the node sends them on its heartbeat tick.
   */
  sampleSourceProgress(): SourceProgressSampled[] {
    const out: SourceProgressSampled[] = [];
    for (const a of this.attempts.values()) {
      const subtasks = a.sources.sample();
      if (subtasks !== undefined) out.push({ type: 'SourceProgressSampled', jobId: a.jobId, attempt: a.attempt, subtasks });
    }
    return out;
  }

  /** A message from the coordinator (after the handshake). */
  fromCoordinator(msg: WireMessage): void {
    switch (msg.type) {
      case 'DeploySubtask':
        return void this.deploy(msg);
      case 'StartTasks':
        return this.current(msg.jobId, msg.attempt)?.start();
      case 'CancelSubtask':
        return this.current(msg.jobId, msg.attempt)?.cancel(key(msg.subtask));
      case 'TriggerCheckpoint':
        return this.control(msg.jobId, msg.attempt, msg.subtask, { type: 'TriggerCheckpoint', barrier: msg.barrier });
      case 'NotifyCheckpointComplete':
        return this.control(msg.jobId, msg.attempt, msg.subtask, { type: 'NotifyCheckpointComplete', checkpointId: msg.checkpointId });
      case 'AbortCheckpoint':
        return this.control(msg.jobId, msg.attempt, msg.subtask, { type: 'AbortCheckpoint', checkpointId: msg.checkpointId });
      case 'WriteFinalState':
        return this.control(msg.jobId, msg.attempt, msg.subtask, { type: 'WriteFinalState', checkpointId: msg.checkpointId, target: msg.target });
      case 'CloseTask':
        return this.control(msg.jobId, msg.attempt, msg.subtask, { type: 'CloseTask', checkpointId: msg.checkpointId });
      case 'StateFileReply': {
        const resolve = this.storageRequests.get(msg.requestId);
        this.storageRequests.delete(msg.requestId);
        return resolve?.(msg);
      }
      default:
        this.options.log.warn({ type: msg.type }, 'unexpected message from the coordinator; ignored');
    }
  }

  /** A DeliverBuffer or GrantCredit from another node. */
  fromNode(msg: WireMessage): void {
    if (msg.type === 'DeliverBuffer') this.current(msg.jobId, msg.attempt)?.deliverBuffer(msg.channel, msg.buffer);
    else if (msg.type === 'GrantCredit') this.current(msg.jobId, msg.attempt)?.grantCredit(msg.channel, msg.credits);
  }

  /** The connection to `nodeId` broke: subtasks exchanging data with it cannot go on. */
  nodeLost(nodeId: string): void {
    for (const a of this.attempts.values()) a.peerLost(nodeId);
  }

  /** The coordinator is gone: stop every subtask (a new coordinator deploys afresh). */
  stopAll(reason: string): void {
    for (const resolve of this.storageRequests.values()) {
      resolve({ type: 'StateFileReply', requestId: 0, transferId: undefined, handle: undefined, payload: undefined, error: `the coordinator was lost (${reason})`, corrupt: false });
    }
    this.storageRequests.clear();
    for (const a of this.attempts.values()) a.stop(reason);
    this.attempts.clear();
    this.jobs.clear();
  }

  private current(jobId: string, attempt: number): NodeAttempt | undefined {
    const a = this.attempts.get(jobId);
    return a !== undefined && a.attempt === attempt ? a : undefined;
  }

  private control(jobId: string, attempt: number, subtask: SubtaskRef, msg: SubtaskMsg): void {
    this.current(jobId, attempt)?.toSubtask(key(subtask), msg);
  }

  private async deploy(msg: DeploySubtask): Promise<void> {
    const { jobId, attempt } = msg;
    const existing = this.attempts.get(jobId);
    if (existing !== undefined && existing.attempt > attempt) return; // a straggler of a replaced attempt
    let a = existing;
    if (a === undefined || a.attempt < attempt) {
      a?.stop(`attempt ${attempt} replaces it`);
      a = new NodeAttempt(jobId, attempt, msg, this.options, this.requestStorage);
      this.attempts.set(jobId, a);
    }
    const attemptHere = a;
    const fail = (failure: FailureRecord) => {
      attemptHere.deployFailed(key(msg.subtask));
      this.options.toCoordinator({ type: 'SubtaskFailed', jobId, attempt, subtask: msg.subtask, failure });
    };
    const site = { nodeId: this.options.nodeId, jobModule: msg.jobModule, subtask: key(msg.subtask) };
    let job: NodeJob;
    try {
      let loading = this.jobs.get(jobId);
      if (loading === undefined) {
        this.jobs.set(jobId, (loading = this.options.loadJob(msg)));
        loading.catch(() => this.jobs.delete(jobId));
      }
      job = await loading;
    } catch (e) {
      // The coordinator built this graph from the same module: failing here is deterministic for this code.
      return fail(jobNotBuiltOnNode(site, e));
    }
    if (job.fingerprint !== msg.fingerprint) return fail(jobGraphMismatch(site, job.fingerprint, msg.fingerprint));
    if (this.attempts.get(jobId) !== attemptHere) return;
    try {
      await attemptHere.deploy(msg, job);
      this.options.toCoordinator({ type: 'SubtaskDeployed', jobId, attempt, subtask: msg.subtask, nodeId: this.options.nodeId });
    } catch (e) {
      fail(failureRecord(e, { subtask: key(msg.subtask) }));
    }
  }
}

function key(s: SubtaskRef): string {
  return `${s.vertexId}#${s.index}`;
}

function nameKey(n: ChannelName): string {
  return `${n.edge}:${n.sourceVertex}#${n.sourceIndex}>${n.targetVertex}#${n.targetIndex}`;
}

/** One job attempt's subtasks on this node. */
class NodeAttempt implements ChannelTransport {
  readonly subtasks = new Map<string, TRef<SubtaskMsg>>();
  /** The counters of this attempt's source subtasks here, for progress reports. */
  readonly sources = new SourceCountSampler();
  /** Where every subtask of the attempt runs. */
  private readonly nodeOf = new Map<string, string>();
  /** Channel name → the address this node's end knows it by. */
  private readonly inbound = new Map<string, ChannelAddress>();
  private readonly outbound = new Map<string, ChannelAddress>();
  private started = false;
  private stopped = false;
  /** Subtasks here that finished (or closed after a final checkpoint), and that failed. */
  private readonly finished = new Set<string>();
  private readonly failed = new Set<string>();
  /** Subtasks the coordinator cancelled while they still ran. */
  private cancelledRunning = 0;
  /** Messages for subtasks before StartTasks, in arrival order. */
  private readonly held: { key: string; msg: SubtaskMsg }[] = [];
  private restore: Promise<RestoredState | undefined> | undefined;
  private graph: ExecutionGraph | undefined;
  /** The job master as the subtasks here see it: forwards to the coordinator, supervises them. */
  private readonly master: TRef<JobMasterMsg>;

  constructor(
    readonly jobId: string,
    readonly attempt: number,
    first: DeploySubtask,
    private readonly options: NodeRuntimeOptions,
    private readonly requestStorage: StorageRequester,
  ) {
    for (const l of first.locations) this.nodeOf.set(key(l.subtask), l.nodeId);
    const send = options.toCoordinator;
    this.master = spawn(
      options.system,
      (state: undefined, msg: JobMasterMsg) => {
        this.forward(msg, send);
        return state;
      },
      `job-${jobId}-a${attempt}`,
      {
        onCrash: (_msg, err, ctx, child) => {
          const m = /^v(\d+)-(\d+)-a\d+$/.exec((child as { name?: string } | undefined)?.name ?? '');
          if (m !== null) {
            const subtask = { vertexId: Number(m[1]), index: Number(m[2]) };
            this.subtasks.delete(key(subtask));
            this.failed.add(key(subtask));
            if (!this.stopped) send({ type: 'SubtaskFailed', jobId, attempt, subtask, failure: failureRecord(err, { subtask: key(subtask) }) });
          }
          return ctx.stopChild;
        },
      },
    ) as TRef<JobMasterMsg>;
  }

  async deploy(msg: DeploySubtask, job: NodeJob): Promise<void> {
    this.graph ??= createExecutionGraph(job.jobGraph);
    const k = key(msg.subtask);
    const descriptor = this.graph.subtasks.find((s) => s.id.vertexId === msg.subtask.vertexId && s.id.index === msg.subtask.index);
    if (descriptor === undefined) throw new Error(`job ${this.jobId} has no subtask ${k}`);
    for (const a of inputChannelAddresses(descriptor)) this.inbound.set(nameKey(a.name), a);
    for (const a of outputChannelAddresses(descriptor)) this.outbound.set(nameKey(a.name), a);
    // Coordinator-held storage: state files go to (and come from) the coordinator's directories.
    const remote = msg.config.checkpointStorage === 'coordinator';
    const remoteStorage = (root: string) => new CoordinatorStorage(root, this.jobId, this.requestStorage, this.options.stateChunkBytes);
    this.restore ??= msg.restore === undefined ? Promise.resolve(undefined) : loadRestore(msg.restore, remote ? remoteStorage : undefined);
    const restore = await this.restore;
    if (this.stopped || this.subtasks.has(k)) return;
    const { config } = job;
    const storage: CheckpointStorage | undefined = !config.checkpoint
      ? undefined
      : remote
        ? remoteStorage(String(msg.config.checkpointDir))
        : (config.checkpointStorage ?? new MemoryCheckpointStorage());
    const ref = spawnSubtask(this.master, {
      descriptor,
      jobGraph: job.jobGraph,
      transport: this,
      ...(msg.faults && {
        faults: {
          plan: msg.faults,
          report: (fired) => this.options.toCoordinator({ type: 'FaultStruck', jobId: this.jobId, fired }),
        },
      }),
      config,
      jobMaster: this.master,
      jobId: this.jobId,
      snapshotJobId: msg.snapshotJobId,
      attempt: this.attempt,
      restore,
      storage,
      ...(remote ? { savepointStorage: remoteStorage } : {}),
      sourceCounter: (read) => {
        if (!this.stopped) this.sources.add(msg.subtask, read);
      },
    });
    this.subtasks.set(k, ref);
    if (this.started) tell(ref, { type: 'Deploy' });
  }

  /** Subtask `k` could not be deployed here (its failure is reported). */
  deployFailed(k: string): void {
    this.failed.add(k);
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    for (const ref of this.subtasks.values()) tell(ref, { type: 'Deploy' });
    for (const { key: k, msg } of this.held.splice(0)) this.toSubtask(k, msg);
  }

  toSubtask(k: string, msg: SubtaskMsg): void {
    if (this.stopped) return;
    if (!this.started) return void this.held.push({ key: k, msg });
    const ref = this.subtasks.get(k);
    if (ref !== undefined) tell(ref, msg);
  }

  /**
   * The coordinator stopped subtask `k` (the job master stops every subtask
   * of an attempt when it ends, however it ends); once none is left here the
   * attempt ends here, for what happened to its subtasks.
   */
  cancel(k: string): void {
    const ref = this.subtasks.get(k);
    if (ref !== undefined) {
      this.subtasks.delete(k);
      if (!this.finished.has(k)) this.cancelledRunning++;
      stop(ref);
    } else if (!this.failed.has(k)) {
      return;
    }
    if (this.subtasks.size === 0) this.stop(this.cancelledRunning > 0 ? 'cancelled' : this.failed.size > 0 ? 'failed' : 'finished');
  }

  /**
   * Ends the attempt here: stops what is left of it. Logged at info when
   * that stops subtasks that still ran (or the coordinator cancelled some),
   * at debug when they had all finished or failed.
   */
  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    const running = this.cancelledRunning + [...this.subtasks.keys()].filter((k) => !this.finished.has(k)).length;
    const fields = { jobId: this.jobId, attempt: this.attempt, running, finished: this.finished.size, failed: this.failed.size, reason };
    if (running > 0) this.options.log.info(fields, `stopping subtasks: ${reason}`);
    else this.options.log.debug(fields, `attempt ended on this node: ${reason}`);
    for (const ref of this.subtasks.values()) stop(ref);
    this.subtasks.clear();
    this.sources.clear();
    this.held.length = 0;
    stop(this.master);
  }

  peerLost(nodeId: string): void {
    if (this.stopped || ![...this.nodeOf.values()].includes(nodeId)) return;
    const error = new Error(`lost the connection to node ${nodeId}, which runs subtasks this job exchanges data with`);
    for (const ref of this.subtasks.values()) tell(ref, { type: 'Fail', error });
  }

  // ---- channels (ChannelTransport) ----

  sendBuffer(channel: ChannelAddress, buffer: ChannelBuffer): void {
    const target = subtaskKey(channel.consumer);
    const node = this.nodeOf.get(target);
    if (node === undefined || node === this.options.nodeId) return this.toSubtask(target, { type: 'DeliverBuffer', channel: channel.consumerChannel, buffer });
    this.options.toNode(node, { type: 'DeliverBuffer', jobId: this.jobId, attempt: this.attempt, channel: channel.name, buffer });
  }

  sendCredit(channel: ChannelAddress, credits: number): void {
    const target = subtaskKey(channel.producer);
    const node = this.nodeOf.get(target);
    if (node === undefined || node === this.options.nodeId) return this.toSubtask(target, { type: 'GrantCredit', channel: channel.producerChannel, credits });
    this.options.toNode(node, { type: 'GrantCredit', jobId: this.jobId, attempt: this.attempt, channel: channel.name, credits });
  }

  breakChannel(channel: ChannelAddress, end: 'producer' | 'consumer', error: Error): void {
    // The end on this node fails (the other may be on another node): the job fails over either way.
    const here = [channel.producer, channel.consumer].map(subtaskKey).filter((k) => this.subtasks.has(k));
    const k = here.includes(subtaskKey(end === 'producer' ? channel.producer : channel.consumer)) ? subtaskKey(end === 'producer' ? channel.producer : channel.consumer) : here[0];
    if (k !== undefined) this.toSubtask(k, { type: 'Fail', error });
  }

  deliverBuffer(name: ChannelName, buffer: ChannelBuffer): void {
    const a = this.inbound.get(nameKey(name));
    if (a === undefined) return this.unknownChannel(name);
    this.toSubtask(subtaskKey(a.consumer), { type: 'DeliverBuffer', channel: a.consumerChannel, buffer });
  }

  grantCredit(name: ChannelName, credits: number): void {
    const a = this.outbound.get(nameKey(name));
    if (a === undefined) return this.unknownChannel(name);
    this.toSubtask(subtaskKey(a.producer), { type: 'GrantCredit', channel: a.producerChannel, credits });
  }

  private unknownChannel(name: ChannelName): void {
    this.options.log.warn({ jobId: this.jobId, attempt: this.attempt, channel: name }, 'data for a channel with no end on this node; dropped');
  }

  /** What a subtask tells its job master, as wire messages to the coordinator. */
  private forward(msg: JobMasterMsg, send: (m: WireMessage) => void): void {
    const { jobId } = this;
    switch (msg.type) {
      case 'SubtaskFinished':
      case 'SubtaskClosed':
        this.finished.add(subtaskKey(msg.subtask));
        return send({ type: msg.type, jobId, attempt: msg.attempt, subtask: ref(msg.subtask), metrics: msg.metrics });
      case 'AcknowledgeCheckpoint':
        return send({ type: 'AcknowledgeCheckpoint', jobId, attempt: msg.attempt, checkpointId: msg.checkpointId, ack: msg.ack });
      case 'DeclineCheckpoint':
        return send({ type: 'DeclineCheckpoint', jobId, attempt: msg.attempt, checkpointId: msg.checkpointId, subtaskKey: msg.subtaskKey, reason: msg.reason, cause: msg.cause });
      case 'OperatorEventSent':
        return send({ type: 'OperatorEvent', jobId, attempt: msg.attempt, operatorUid: msg.operatorUid, subtaskIndex: msg.subtaskIndex, event: msg.event });
      default:
        this.options.log.warn({ jobId, type: msg.type }, 'a subtask sent its job master an unexpected message; ignored');
    }
  }
}

function ref(id: SubtaskId): SubtaskRef {
  return { vertexId: id.vertexId, index: id.index };
}

/**
 * The state a deployment restores, from `location` — the snapshot's own
 * directory (a savepoint or a `chk-<n>`) — every node reaches, or through
 * the coordinator (`remote`), rooted at that directory: the coordinator lets
 * a job read there and no further up.
 */
async function loadRestore(location: string, remote: ((root: string) => CheckpointStorage) | undefined): Promise<RestoredState> {
  if (remote !== undefined) return (await loadCheckpoint(remote(location), path.join(location, METADATA_FILE))).state;
  const snapshot = resolveSnapshotPath(location);
  return (await loadCheckpoint(snapshot.storage, snapshot.location)).state;
}
