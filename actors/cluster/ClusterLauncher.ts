/**
 * The coordinator's side of a job's subtasks on node processes. The job
 * master deploys and supervises subtasks exactly as in one process; this
 * launcher gives it, for every subtask, a proxy child actor that stands in
 * for the subtask on its node: the job master's messages to it become wire
 * messages to that node, the node's reports come back as the job master's
 * messages, and a failure the node reports (or the loss of the node)
 * crashes the proxy, so supervision takes the usual path to a failover.
 *
 * Placement is decided per attempt, over the slots of the nodes alive at
 * that moment (SlotAssignment). An attempt's subtasks start only once every
 * one of them is deployed (StartTasks), so no buffer reaches a node before
 * its consumer exists. Too few slots fail the attempt with a
 * NotEnoughSlotsError (retryable): the restart strategy keeps trying, so a
 * job waits for nodes to (re)join with its status RESTARTING and the reason
 * in its restart history.
 */
import { spawn } from 'nact';
import { assignSlots, type SlotPlacement } from '../../lib/cluster/SlotAssignment';
import { RemoteFailureError } from '../../lib/cluster/FailureRecord';
import type { DeploySubtask, PlainData, SubtaskLocation, SubtaskRef, WireMessage } from '../../lib/cluster/WireMessages';
import type { FaultSchedule } from '../../lib/faults/Fault';
import { subtaskIdentity } from '../../lib/faults/Fault';
import { createExecutionGraph } from '../../lib/graph/ExecutionGraph';
import type { Logger } from '../../lib/monitoring/Logger';
import { subtaskActorName, subtaskKey, tell, type JobMasterMsg, type SubtaskMsg, type TRef } from '../protocol';
import type { SubtaskDeps, SubtaskLauncher } from '../SubtaskActor';

/** A registered node as the launcher needs it. */
export interface ClusterNode {
  readonly nodeId: string;
  readonly slots: number;
  readonly dataHost: string;
  readonly dataPort: number;
  send(msg: WireMessage): void;
}

/** The nodes alive now, and the slots other jobs hold on them. */
export interface NodeDirectory {
  nodes(): readonly ClusterNode[];
  /** Slots held by jobs other than `jobId`, per node. */
  usedSlots(exceptJobId: string): ReadonlyMap<string, number>;
}

/** What every node needs to rebuild the job: no code, only where to import it from and with what. */
export interface JobSpec {
  readonly jobModule: string;
  readonly jobArgs: readonly string[];
  readonly fingerprint: string;
  /** The options the coordinator loaded the module with (parallelism, checkpointing), for the nodes to do the same. */
  readonly config: { readonly [option: string]: PlainData };
}

interface Attempt {
  readonly attempt: number;
  readonly placement: ReadonlyMap<string, SlotPlacement> | undefined;
  readonly locations: readonly SubtaskLocation[];
  readonly slotsPerNode: ReadonlyMap<string, number>;
  readonly proxies: Map<string, TRef<SubtaskMsg>>;
  readonly deployed: Set<string>;
  readonly ready: Set<string>;
  total: number;
  started: boolean;
  master: TRef<JobMasterMsg> | undefined;
}

export class ClusterLauncher {
  private current: Attempt | undefined;
  private ended = false;

  constructor(
    private readonly jobId: string,
    private readonly spec: JobSpec,
    private readonly directory: NodeDirectory,
    private readonly faults: FaultSchedule | undefined,
    private readonly log: Logger,
  ) {}

  /** Slots this job holds now, per node (none once it ended). */
  get slotsHeld(): ReadonlyMap<string, number> {
    return this.ended || this.current === undefined ? new Map() : this.current.slotsPerNode;
  }

  /** The job ended: its slots are free. */
  release(): void {
    this.ended = true;
  }

  readonly launch: SubtaskLauncher = (parent, deps) => {
    const a = this.attemptFor(deps);
    a.master = deps.jobMaster;
    const id = deps.descriptor.id;
    const k = subtaskKey(id);
    const at = a.placement?.get(k);
    const node = at && this.directory.nodes().find((n) => n.nodeId === at.nodeId);
    const ref = subtask(id);
    const proxy = spawn(
      parent,
      (state: undefined, msg: SubtaskMsg) => {
        this.fromMaster(a, k, ref, node, msg);
        return state;
      },
      subtaskActorName(id, deps.attempt),
      {
        onCrash: (_msg, _err, ctx) => ctx.escalate,
        afterStop: () => {
          node?.send({ type: 'CancelSubtask', jobId: this.jobId, attempt: a.attempt, subtask: ref });
        },
      },
    ) as TRef<SubtaskMsg>;
    a.proxies.set(k, proxy);
    if (node === undefined) {
      const have = this.directory.nodes().reduce((n, x) => n + x.slots, 0);
      tell(proxy, { type: 'Fail', error: new RemoteFailureError({ code: 'NOT_ENOUGH_SLOTS', operator: undefined, subtask: k, message: `waiting for slots: the job needs ${neededSlots(deps)}, the cluster has ${have}`, retryable: true }) });
      return proxy;
    }
    const deploy: DeploySubtask = {
      type: 'DeploySubtask',
      jobId: this.jobId,
      attempt: deps.attempt,
      subtask: ref,
      jobModule: this.spec.jobModule,
      jobArgs: [...this.spec.jobArgs],
      fingerprint: this.spec.fingerprint,
      snapshotJobId: deps.snapshotJobId ?? this.jobId,
      restore: deps.restore === undefined ? undefined : deps.restoredFrom,
      config: this.spec.config,
      locations: a.locations,
      faults: this.faults?.planFor(subtaskIdentity(deps.descriptor.vertex, id.index), deps.attempt),
    };
    if (deps.restore !== undefined && deps.restoredFrom === undefined) {
      tell(proxy, {
        type: 'Fail',
        error: new RemoteFailureError({ code: 'STATE_NOT_SHARED', operator: undefined, subtask: k, message: 'the state to restore is not in a directory the nodes can read: give the job a checkpoint directory every node reaches', retryable: false }),
      });
      return proxy;
    }
    node.send(deploy);
    return proxy;
  };

  /** A node's message about this job. */
  fromNode(msg: WireMessage): void {
    const a = this.current;
    if (a === undefined || !('attempt' in msg) || msg.attempt !== a.attempt || a.master === undefined) return;
    const master = a.master;
    switch (msg.type) {
      case 'SubtaskDeployed':
        a.deployed.add(key(msg.subtask));
        return this.startIfReady(a);
      case 'SubtaskFailed': {
        const proxy = a.proxies.get(key(msg.subtask));
        if (proxy !== undefined) tell(proxy, { type: 'Fail', error: new RemoteFailureError(msg.failure) });
        return;
      }
      case 'SubtaskFinished':
      case 'SubtaskClosed':
        return tell(master, { type: msg.type, attempt: msg.attempt, subtask: msg.subtask, metrics: msg.metrics });
      case 'AcknowledgeCheckpoint':
        return tell(master, { type: 'AcknowledgeCheckpoint', attempt: msg.attempt, checkpointId: msg.checkpointId, ack: msg.ack });
      case 'DeclineCheckpoint':
        return tell(master, { type: 'DeclineCheckpoint', attempt: msg.attempt, checkpointId: msg.checkpointId, subtaskKey: msg.subtaskKey, reason: msg.reason, cause: msg.cause });
      case 'OperatorEvent':
        return tell(master, { type: 'OperatorEventSent', attempt: msg.attempt, operatorUid: msg.operatorUid, subtaskIndex: msg.subtaskIndex, event: msg.event });
    }
  }

  /** A node left or stopped answering: the subtasks placed on it fail. */
  nodeLost(nodeId: string, why: string): void {
    const a = this.current;
    if (a === undefined || a.placement === undefined) return;
    for (const [k, p] of a.placement) {
      if (p.nodeId !== nodeId) continue;
      const proxy = a.proxies.get(k);
      if (proxy !== undefined) {
        tell(proxy, { type: 'Fail', error: new RemoteFailureError({ code: 'NODE_LOST', operator: undefined, subtask: k, message: `node ${nodeId} was lost (${why})`, retryable: true }) });
      }
    }
  }

  private fromMaster(a: Attempt, k: string, ref: SubtaskRef, node: ClusterNode | undefined, msg: SubtaskMsg): void {
    const job = { jobId: this.jobId, attempt: a.attempt, subtask: ref };
    switch (msg.type) {
      case 'Deploy':
        a.ready.add(k);
        return this.startIfReady(a);
      case 'Fail':
        throw msg.error;
      case 'TriggerCheckpoint':
        return node?.send({ type: 'TriggerCheckpoint', ...job, barrier: msg.barrier });
      case 'NotifyCheckpointComplete':
        return node?.send({ type: 'NotifyCheckpointComplete', ...job, checkpointId: msg.checkpointId });
      case 'AbortCheckpoint':
        return node?.send({ type: 'AbortCheckpoint', ...job, checkpointId: msg.checkpointId });
      case 'WriteFinalState':
        return node?.send({ type: 'WriteFinalState', ...job, checkpointId: msg.checkpointId, target: msg.target });
      case 'CloseTask':
        return node?.send({ type: 'CloseTask', ...job, checkpointId: msg.checkpointId });
      default:
        this.log.warn({ jobId: this.jobId, type: msg.type, subtask: k }, 'a subtask proxy got a message meant for a local subtask; ignored');
    }
  }

  private startIfReady(a: Attempt): void {
    if (a.started || a.deployed.size < a.total || a.ready.size < a.total) return;
    a.started = true;
    const nodes = new Set([...a.placement!.values()].map((p) => p.nodeId));
    for (const n of this.directory.nodes()) if (nodes.has(n.nodeId)) n.send({ type: 'StartTasks', jobId: this.jobId, attempt: a.attempt });
    this.log.info({ jobId: this.jobId, attempt: a.attempt, nodes: [...nodes] }, 'all subtasks deployed; started');
  }

  private attemptFor(deps: SubtaskDeps): Attempt {
    if (this.current?.attempt === deps.attempt) return this.current;
    const graph = createExecutionGraph(deps.jobGraph);
    const ids = graph.subtasks.map((s) => s.id);
    const used = this.directory.usedSlots(this.jobId);
    const nodes = this.directory.nodes();
    const r = assignSlots(
      ids,
      nodes.map((n) => ({ nodeId: n.nodeId, slots: n.slots, used: used.get(n.nodeId) ?? 0 })),
    );
    const byId = new Map(nodes.map((n) => [n.nodeId, n]));
    const placement = r.ok ? r.placement : undefined;
    if (!r.ok) this.log.warn({ jobId: this.jobId, attempt: deps.attempt, needed: r.needed, available: r.available }, 'not enough free slots for the job');
    const locations: SubtaskLocation[] = placement
      ? ids.map((id) => {
          const n = byId.get(placement.get(subtaskKey(id))!.nodeId)!;
          return { subtask: subtask(id), nodeId: n.nodeId, dataHost: n.dataHost, dataPort: n.dataPort };
        })
      : [];
    this.current = {
      attempt: deps.attempt,
      placement,
      locations,
      slotsPerNode: r.ok ? r.slotsPerNode : new Map(),
      proxies: new Map(),
      deployed: new Set(),
      ready: new Set(),
      total: ids.length,
      started: false,
      master: undefined,
    };
    return this.current;
  }
}

function subtask(id: { vertexId: number; index: number }): SubtaskRef {
  return { vertexId: id.vertexId, index: id.index };
}

function key(s: SubtaskRef): string {
  return `${s.vertexId}#${s.index}`;
}

function neededSlots(deps: SubtaskDeps): number {
  return Math.max(...deps.jobGraph.vertices.map((v) => v.parallelism));
}
