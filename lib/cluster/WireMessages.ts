/**
 * The cluster protocol: the closed set of messages between a coordinator,
 * node processes and CLI clients, as one discriminated union on `type`, in
 * Flink's words (DeploySubtask, TriggerCheckpoint, AcknowledgeCheckpoint,
 * ...). Every message is plain data — no functions, no live objects; only
 * Buffers/Uint8Arrays and, inside record frames, the value kinds records and
 * state may hold (stateValues.ts) — so it crosses a process boundary as it is.
 *
 * `validateMessage` checks a decoded message against the table of
 * validators (one per type, and the table must name every type): an unknown
 * type is a ProtocolError UNKNOWN_MESSAGE, a field of the wrong shape an
 * INVALID_MESSAGE naming the type and the field's path. What passes is
 * exactly the declared shape (objects are checked strictly).
 *
 * Conventions: commands are imperative, replies and events past tense; ids
 * are strings, counts and indices integers ≥ 0, times epoch ms, durations
 * ms. Every message about a running job carries the job's `attempt`, so a
 * message from an attempt that was restarted can be told apart and dropped.
 * Numbers in protocol fields travel as numbers (a -0 there arrives as 0);
 * record values keep everything (WireCodec.ts).
 */
import { ProtocolError } from '../errors';
import type { FaultFired, SubtaskFaultPlan } from '../faults/Fault';
import type { ChannelBuffer, CheckpointBarrier } from '../transport/ChannelBuffer';
import type { ChannelName } from '../transport/ChannelTransport';
import type { FailureRecord } from './FailureRecord';
import * as S from './shapes';

/**
 * The protocol's version, sent in Hello; peers with another version are
 * refused. 2: record frames in columns with a string table per connection;
 * state files in chunks and ranges.
 */
export const PROTOCOL_VERSION = 2;

/** JSON-like data (configuration, job arguments): what `S.plainData` accepts. */
export type PlainData = null | boolean | number | string | undefined | readonly PlainData[] | { readonly [key: string]: PlainData };

/** Who is at either end of a connection. */
export type PeerRole = 'coordinator' | 'node' | 'client';

/** A parallel instance of a job vertex (as in the execution graph). */
export interface SubtaskRef {
  readonly vertexId: number;
  readonly index: number;
}


/** Where a subtask runs, so its peers open data connections to that node. */
export interface SubtaskLocation {
  readonly subtask: SubtaskRef;
  readonly nodeId: string;
  readonly dataHost: string;
  readonly dataPort: number;
}


export interface OperatorMetricsData {
  readonly nodeId: number;
  readonly uid: string;
  readonly name: string;
  readonly recordsIn: number;
  readonly recordsOut: number;
}

/** A subtask's counters (the local SubtaskMetrics, as data). */
export interface SubtaskMetricsData {
  readonly vertexId: number;
  readonly subtaskIndex: number;
  readonly operators: readonly OperatorMetricsData[];
  readonly maxQueuedBuffers: number;
  readonly inputCredits: number;
  readonly buffersSent: number;
}

/** A subtask's acknowledgement of a checkpoint (the local SubtaskAck, as data). */
export interface CheckpointAckData {
  readonly subtaskKey: string;
  readonly operatorUids: readonly string[];
  readonly subtaskIndex: number;
  /** Where the state was written inside the checkpoint's directory; undefined without storage. */
  readonly handle: { readonly file: string; readonly size: number; readonly checksum: string } | undefined;
  readonly alignmentMs: number;
  readonly syncMs: number;
  readonly asyncMs: number;
}

export interface JobSummary {
  readonly jobId: string;
  readonly name: string;
  readonly status: string;
  readonly parallelism: number;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Restarts over the job's whole life (every run, when it was rescaled). */
  readonly restarts: number;
}

export interface NodeSummary {
  readonly nodeId: string;
  readonly slots: number;
  readonly freeSlots: number;
  readonly dataHost: string;
  readonly dataPort: number;
  /** Epoch ms of the last heartbeat received. */
  readonly lastHeartbeatAt: number;
}

// ---- Handshake (Handshake.ts runs it) ----

/** First message of a connection, from the side that opened it: who it is, and its nonce. */
export interface Hello {
  readonly type: 'Hello';
  readonly protocolVersion: number;
  readonly role: PeerRole;
  readonly peerId: string;
  readonly nonce: Uint8Array;
}
/** The accepting side's answer to Hello: its role, id and nonce; the opener must prove the secret over both nonces. */
export interface Challenge {
  readonly type: 'Challenge';
  readonly role: PeerRole;
  readonly peerId: string;
  readonly nonce: Uint8Array;
}
/** The opener's proof of the cluster secret (HMAC-SHA256 over both nonces, bound to its role). */
export interface ChallengeResponse {
  readonly type: 'ChallengeResponse';
  readonly proof: Uint8Array;
}
/** The opener's proof was right; the accepting side proves the secret in turn. */
export interface Welcome {
  readonly type: 'Welcome';
  readonly proof: Uint8Array;
}
/** The handshake failed; the connection closes after it. `code` is an AuthenticationError code. */
export interface Refused {
  readonly type: 'Refused';
  readonly code: string;
  readonly reason: string;
}

// ---- Membership ----

/** A node offers its slots to the coordinator, and where its data connections are accepted. */
export interface RegisterNode {
  readonly type: 'RegisterNode';
  readonly nodeId: string;
  readonly slots: number;
  readonly dataHost: string;
  readonly dataPort: number;
}
/** The coordinator took the node in; heartbeats go both ways at this interval, a peer silent for the timeout is dead. */
export interface NodeRegistered {
  readonly type: 'NodeRegistered';
  readonly nodeId: string;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
}
/** Liveness, both ways: `seq` counts up per sender, `sentAt` is the sender's epoch ms. */
export interface Heartbeat {
  readonly type: 'Heartbeat';
  readonly from: string;
  readonly seq: number;
  readonly sentAt: number;
}

// ---- Subtask lifecycle (coordinator → node, and back) ----

/**
 * Deploy one subtask of a job: the node imports `jobModule` itself, rebuilds
 * the graph with `jobArgs`, checks its fingerprint, and restores from
 * `restore` (a checkpoint or savepoint location) when given. No code travels.
 */
export interface DeploySubtask {
  readonly type: 'DeploySubtask';
  readonly jobId: string;
  readonly attempt: number;
  readonly subtask: SubtaskRef;
  /** A path every node can import. */
  readonly jobModule: string;
  readonly jobArgs: readonly PlainData[];
  /** The job graph's fingerprint (uids, parallelism, edges, code version) the node's rebuilt graph must match. */
  readonly fingerprint: string;
  /** The id the job's checkpoints and savepoints are named by: the cluster job's, whatever run (jobId) this is. */
  readonly snapshotJobId: string;
  /** The directory of the snapshot to restore (a savepoint or chk-<n>), if the attempt restores one. */
  readonly restore: string | undefined;
  /** Configuration overrides, by option name. */
  readonly config: { readonly [option: string]: PlainData };
  /** Where the subtasks this one exchanges data with run. */
  readonly locations: readonly SubtaskLocation[];
  /** This subtask's part of a fault experiment, if the job runs one. */
  readonly faults: SubtaskFaultPlan | undefined;
}
/** Stop a subtask of an attempt without a final checkpoint. */
export interface CancelSubtask {
  readonly type: 'CancelSubtask';
  readonly jobId: string;
  readonly attempt: number;
  readonly subtask: SubtaskRef;
}
/** The subtask runs on `nodeId`, its state restored. */
export interface SubtaskDeployed {
  readonly type: 'SubtaskDeployed';
  readonly jobId: string;
  readonly attempt: number;
  readonly subtask: SubtaskRef;
  readonly nodeId: string;
}
/** The subtask failed (user code, restore, a lost peer, ...), as a typed record. */
export interface SubtaskFailed {
  readonly type: 'SubtaskFailed';
  readonly jobId: string;
  readonly attempt: number;
  readonly subtask: SubtaskRef;
  readonly failure: FailureRecord;
}
/** Every subtask of the attempt is deployed: start them (data may flow between nodes from now on). */
export interface StartTasks {
  readonly type: 'StartTasks';
  readonly jobId: string;
  readonly attempt: number;
}
/** A finished subtask writes its final state into checkpoint `checkpointId` (`target`: a savepoint's directory). */
export interface WriteFinalState {
  readonly type: 'WriteFinalState';
  readonly jobId: string;
  readonly attempt: number;
  readonly subtask: SubtaskRef;
  readonly checkpointId: number;
  readonly target: string | undefined;
}
/**
 * Coordinator-held checkpoint storage: a node writes a subtask's state file
 * into a directory on the coordinator's side (`root`: the job's checkpoint
 * directory, or a savepoint's) — for clusters without a shared disk. A file
 * travels in chunks, each in its own frame, so its size is not limited by
 * the frame size: this message opens the transfer, declaring the payload's
 * `size` (bytes) and hex sha256 `checksum`, and carries its first bytes
 * (`payload`, one chunk at most). When those are all of it, the reply holds
 * the file's handle; otherwise it names the transfer the StateFileChunks go
 * to. The coordinator publishes the file only once every byte arrived and
 * hashes to `checksum`.
 */
export interface StateFileWrite {
  readonly type: 'StateFileWrite';
  readonly requestId: number;
  readonly jobId: string;
  readonly root: string;
  readonly dir: string;
  readonly name: string;
  /** The whole payload's size, in bytes. */
  readonly size: number;
  /** The whole payload's hex sha256. */
  readonly checksum: string;
  /** The payload's first bytes (from byte 0). */
  readonly payload: Uint8Array;
}
/**
 * The next bytes of an open write (StateFileWrite's reply named
 * `transferId`): `offset` (bytes from the payload's start) must be where the
 * bytes so far end. Each is answered; the last one's reply holds the handle.
 */
export interface StateFileChunk {
  readonly type: 'StateFileChunk';
  readonly requestId: number;
  readonly transferId: number;
  readonly offset: number;
  readonly payload: Uint8Array;
}
/**
 * A node reads payload bytes [offset, offset + length) of a state file from
 * the coordinator's storage (a restore reads a file range by range; the
 * reply may hold fewer bytes than asked). The file is checked against
 * `expected` when given (else its payload may hold at most `maxBytes`); the
 * reader verifies the whole payload against the checksum once it has it all.
 */
export interface StateFileRead {
  readonly type: 'StateFileRead';
  readonly requestId: number;
  readonly jobId: string;
  readonly root: string;
  readonly dir: string;
  readonly name: string;
  readonly expected: { readonly size: number; readonly checksum: string } | undefined;
  readonly maxBytes: number | undefined;
  /** Where the range starts, in payload bytes. */
  readonly offset: number;
  /** How many bytes are asked for (≥ 1). */
  readonly length: number;
}
/**
 * The answer to StateFileWrite or StateFileChunk — the file's `handle` once
 * it is published, else the open `transferId` to send the next chunk to —
 * or to StateFileRead: the range's bytes (`payload`) and, in `handle`, the
 * stored file's name, payload size and header checksum. Or why it failed
 * (`corrupt`: the file is missing or altered); a failed write's transfer is
 * gone, nothing published.
 */
export interface StateFileReply {
  readonly type: 'StateFileReply';
  readonly requestId: number;
  readonly transferId: number | undefined;
  readonly handle: { readonly file: string; readonly size: number; readonly checksum: string } | undefined;
  readonly payload: Uint8Array | undefined;
  readonly error: string | undefined;
  readonly corrupt: boolean;
}
/** An operator's event for its coordinator (Flink's OperatorEvent), e.g. a collect sink's records. */
export interface OperatorEvent {
  readonly type: 'OperatorEvent';
  readonly jobId: string;
  readonly attempt: number;
  readonly operatorUid: string;
  readonly subtaskIndex: number;
  /** Record-like data (carried as records are). */
  readonly event: unknown;
}
/** A fault of the job's fault experiment struck on a node. */
export interface FaultStruck {
  readonly type: 'FaultStruck';
  readonly jobId: string;
  readonly fired: FaultFired;
}
/** Input ended and the final state is taken; the subtask stays until CloseTask. */
export interface SubtaskFinished {
  readonly type: 'SubtaskFinished';
  readonly jobId: string;
  readonly attempt: number;
  readonly subtask: SubtaskRef;
  readonly metrics: SubtaskMetricsData;
}
/** After CloseTask: the subtask committed and closed; its metrics as it closed. */
export interface SubtaskClosed {
  readonly type: 'SubtaskClosed';
  readonly jobId: string;
  readonly attempt: number;
  readonly subtask: SubtaskRef;
  readonly metrics: SubtaskMetricsData;
}
/** Records one source subtask emitted since it started (its attempt's readers count from the restored position). */
export interface SourceSubtaskCount {
  readonly subtask: SubtaskRef;
  readonly recordsRead: number;
}
/**
 * How far a node's source subtasks of one attempt have read, for the progress
 * line of `weir run --coordinator`: every source subtask of the attempt on the
 * node, sampled on the node's heartbeat tick and sent only when a count
 * changed (SourceCountSampler). The sources' totals are not sent: the
 * coordinator has the job graph.
 */
export interface SourceProgressSampled {
  readonly type: 'SourceProgressSampled';
  readonly jobId: string;
  readonly attempt: number;
  readonly subtasks: readonly SourceSubtaskCount[];
}

// ---- Checkpoints ----

/** Inject checkpoint `barrier` at a source subtask. */
export interface TriggerCheckpoint {
  readonly type: 'TriggerCheckpoint';
  readonly jobId: string;
  readonly attempt: number;
  readonly subtask: SubtaskRef;
  readonly barrier: CheckpointBarrier;
}
/** A subtask's state for a checkpoint is stored. */
export interface AcknowledgeCheckpoint {
  readonly type: 'AcknowledgeCheckpoint';
  readonly jobId: string;
  readonly attempt: number;
  readonly checkpointId: number;
  readonly ack: CheckpointAckData;
}
/** A subtask cannot take part in a checkpoint. */
export interface DeclineCheckpoint {
  readonly type: 'DeclineCheckpoint';
  readonly jobId: string;
  readonly attempt: number;
  readonly checkpointId: number;
  readonly subtaskKey: string;
  readonly reason: string;
  /** A newer checkpoint overtook it (not a failure), its state could not be stored, or it declined. */
  readonly cause: 'SUBSUMED' | 'STORAGE_FAILURE' | 'DECLINED';
}
/** The checkpoint completed: subtasks commit what it covers. */
export interface NotifyCheckpointComplete {
  readonly type: 'NotifyCheckpointComplete';
  readonly jobId: string;
  readonly attempt: number;
  readonly subtask: SubtaskRef;
  readonly checkpointId: number;
}
/** The checkpoint will not complete: subtasks drop what they held for it. */
export interface AbortCheckpoint {
  readonly type: 'AbortCheckpoint';
  readonly jobId: string;
  readonly attempt: number;
  readonly subtask: SubtaskRef;
  readonly checkpointId: number;
}
/** The final checkpoint (or a stop-with-savepoint's savepoint) completed: commit, close, report SubtaskClosed. */
export interface CloseTask {
  readonly type: 'CloseTask';
  readonly jobId: string;
  readonly attempt: number;
  readonly subtask: SubtaskRef;
  readonly checkpointId: number;
}

// ---- Data plane (node ↔ node) ----

/** One buffer of a channel (a record frame or an in-band event); it costs one credit. */
export interface DeliverBuffer {
  readonly type: 'DeliverBuffer';
  readonly jobId: string;
  readonly attempt: number;
  readonly channel: ChannelName;
  readonly buffer: ChannelBuffer;
}
/** The consumer processed buffers: the producer may send `credits` more on the channel. */
export interface GrantCredit {
  readonly type: 'GrantCredit';
  readonly jobId: string;
  readonly attempt: number;
  readonly channel: ChannelName;
  readonly credits: number;
}

// ---- Client requests (CLI → coordinator) and their replies; `requestId` pairs them ----

/** Run the job that `jobModule` builds with `jobArgs`, optionally from a savepoint or checkpoint. */
export interface SubmitJob {
  readonly type: 'SubmitJob';
  readonly requestId: number;
  readonly jobModule: string;
  readonly jobArgs: readonly PlainData[];
  readonly parallelism: number | undefined;
  readonly restore: string | undefined;
  readonly config: { readonly [option: string]: PlainData };
}
export interface JobSubmitted {
  readonly type: 'JobSubmitted';
  readonly requestId: number;
  readonly jobId: string;
}
export interface ListJobs {
  readonly type: 'ListJobs';
  readonly requestId: number;
}
export interface JobsListed {
  readonly type: 'JobsListed';
  readonly requestId: number;
  readonly jobs: readonly JobSummary[];
}
export interface CancelJob {
  readonly type: 'CancelJob';
  readonly requestId: number;
  readonly jobId: string;
}
export interface JobCancelled {
  readonly type: 'JobCancelled';
  readonly requestId: number;
  readonly jobId: string;
}
/** Take a savepoint into `directory` (on storage the nodes reach); the job keeps running. */
export interface TriggerSavepoint {
  readonly type: 'TriggerSavepoint';
  readonly requestId: number;
  readonly jobId: string;
  readonly directory: string;
}
/** Take a savepoint into `directory`, then stop the job. */
export interface StopWithSavepoint {
  readonly type: 'StopWithSavepoint';
  readonly requestId: number;
  readonly jobId: string;
  readonly directory: string;
}
/** Reply to TriggerSavepoint and StopWithSavepoint: where the savepoint is; `stopped` for the latter. */
export interface SavepointCompleted {
  readonly type: 'SavepointCompleted';
  readonly requestId: number;
  readonly jobId: string;
  readonly location: string;
  readonly stopped: boolean;
  /** The job as it was submitted (the reply to a stop), so that the client can print the command that resumes it. */
  readonly submitted?: JobSubmission;
}
/** A job's module, arguments and configuration as a client submitted them (no fault plan), and the parallelism it runs at. */
export interface JobSubmission {
  readonly jobModule: string;
  readonly jobArgs: readonly PlainData[];
  readonly parallelism?: number;
  readonly config: { readonly [option: string]: PlainData };
}
/** Stop with a savepoint and restart at `parallelism`, key groups redistributed. */
export interface Rescale {
  readonly type: 'Rescale';
  readonly requestId: number;
  readonly jobId: string;
  readonly parallelism: number;
}
export interface JobRescaled {
  readonly type: 'JobRescaled';
  readonly requestId: number;
  readonly jobId: string;
  readonly parallelism: number;
}
export interface ListNodes {
  readonly type: 'ListNodes';
  readonly requestId: number;
}
export interface NodesListed {
  readonly type: 'NodesListed';
  readonly requestId: number;
  readonly nodes: readonly NodeSummary[];
}
/** Any client request that failed: the WeirError code and a message for the user. */
/** Reply when the job ends (at once if it already has): JobEnded. */
export interface WatchJob {
  readonly type: 'WatchJob';
  readonly requestId: number;
  readonly jobId: string;
}
/**
 * How a watched job ended: its final status, the failure's message, how often it restarted, its stop savepoint,
 * and for a finished job its subtasks' counters (flow control included: maxQueuedBuffers never past inputCredits).
 */
export interface JobEnded {
  readonly type: 'JobEnded';
  readonly requestId: number;
  readonly jobId: string;
  readonly status: 'FINISHED' | 'FAILED' | 'CANCELED';
  readonly message: string | undefined;
  readonly restarts: number;
  readonly savepoint: string | undefined;
  readonly subtasks?: readonly SubtaskMetricsData[];
  /** The faults of a fault experiment that struck, in order (when the job ran one). */
  readonly faults?: readonly { readonly at: number; readonly attempt: number; readonly kind: string; readonly where: string }[];
  /**
   * The job's checkpoints (of its current run: a rescale starts a new one):
   * completed and failed counts, and the metadata location of the newest
   * completed checkpoint when it is still on the coordinator's disk.
   */
  readonly checkpoints?: { readonly completed: number; readonly failed: number; readonly latest?: string };
}
/** How far the job's sources have read now (the progress line of `weir run --coordinator`): JobProgressReported. */
export interface ReportJobProgress {
  readonly type: 'ReportJobProgress';
  readonly requestId: number;
  readonly jobId: string;
}
/**
 * The job's source progress (an embedded run's ProgressSnapshot): records its
 * current attempt's sources read, summed over the nodes' latest samples; the
 * exact total when every source knows it; a percentage (0–100) only with that
 * total and before the first restart (or rescale), after which `restarted` is set.
 * `restarts` counts the job's restarts over its whole life (across rescales)
 * and `lastFailure` is the message of the failure behind the newest one, so a
 * client can show a restart loop while it happens.
 */
export interface JobProgressReported {
  readonly type: 'JobProgressReported';
  readonly requestId: number;
  readonly jobId: string;
  readonly recordsRead: number;
  readonly totalRecords: number | undefined;
  readonly percent: number | undefined;
  readonly restarted: boolean;
  readonly bounded: boolean;
  readonly restarts: number;
  readonly lastFailure: string | undefined;
}
export interface RequestFailed {
  readonly type: 'RequestFailed';
  readonly requestId: number;
  readonly code: string;
  readonly message: string;
}

export type HandshakeMessage = Hello | Challenge | ChallengeResponse | Welcome | Refused;
export type ClientRequest = SubmitJob | WatchJob | ListJobs | CancelJob | TriggerSavepoint | StopWithSavepoint | Rescale | ListNodes | ReportJobProgress;
export type ClientReply = JobSubmitted | JobEnded | JobsListed | JobCancelled | SavepointCompleted | JobRescaled | NodesListed | RequestFailed | JobProgressReported;

export type WireMessage =
  | HandshakeMessage
  | RegisterNode
  | NodeRegistered
  | Heartbeat
  | DeploySubtask
  | CancelSubtask
  | SubtaskDeployed
  | SubtaskFailed
  | StartTasks
  | WriteFinalState
  | OperatorEvent
  | StateFileWrite
  | StateFileChunk
  | StateFileRead
  | StateFileReply
  | FaultStruck
  | SubtaskFinished
  | SubtaskClosed
  | SourceProgressSampled
  | TriggerCheckpoint
  | AcknowledgeCheckpoint
  | DeclineCheckpoint
  | NotifyCheckpointComplete
  | AbortCheckpoint
  | CloseTask
  | DeliverBuffer
  | GrantCredit
  | ClientRequest
  | ClientReply;

export type WireMessageType = WireMessage['type'];
export type MessageOfType<T extends WireMessageType> = Extract<WireMessage, { type: T }>;

// ---- Validators ----

const id = S.nonEmptyString;
const jobFields = { jobId: id, attempt: S.nat };
const subtaskRef = S.object({ vertexId: S.nat, index: S.nat });
const channelName = S.object({ sourceVertex: S.nat, sourceIndex: S.nat, targetVertex: S.nat, targetIndex: S.nat, edge: S.nat });
const port = (v: unknown, p: string) => {
  S.nat(v, p);
  if ((v as number) > 65535) throw new S.ShapeMismatch(p, 'a port (0–65535)', String(v));
};
const percent = (v: unknown, p: string) => {
  S.nat(v, p);
  if ((v as number) > 100) throw new S.ShapeMismatch(p, 'a percentage (0–100)', String(v));
};
const config = S.record(S.plainData);
const jobArgs = S.array(S.plainData);
const metrics = S.object({
  vertexId: S.nat,
  subtaskIndex: S.nat,
  operators: S.array(S.object({ nodeId: S.nat, uid: S.string, name: S.string, recordsIn: S.nat, recordsOut: S.nat })),
  maxQueuedBuffers: S.nat,
  inputCredits: S.nat,
  buffersSent: S.nat,
});
const barrier = S.object({
  kind: S.literal('barrier'),
  checkpointId: S.nat,
  timestamp: S.number,
  savepoint: S.boolean,
  terminate: S.boolean,
  target: S.optional(S.string),
});
/** Event timestamps by position: one tight loop (the hot path: the values themselves were walked by the codec). */
const timestamps: S.Check = (v, p) => {
  if (v === undefined) return;
  if (!Array.isArray(v)) throw new S.ShapeMismatch(p, 'an array or undefined', S.kindOf(v));
  for (let i = 0; i < v.length; i++) {
    const t: unknown = v[i];
    if (typeof t !== 'number' && t !== undefined) throw new S.ShapeMismatch(`${p}[${i}]`, 'a number or undefined', S.kindOf(t));
  }
};
const recordFrameFields = S.object({ kind: S.literal('records'), values: S.anyArray, timestamps });
const recordFrame: S.Check = (v, p) => {
  recordFrameFields(v, p);
  const f = v as { values: unknown[]; timestamps?: unknown[] };
  if (f.timestamps !== undefined && f.timestamps.length !== f.values.length) {
    throw new S.ShapeMismatch(`${p}.timestamps`, `as many timestamps as values (${f.values.length})`, `${f.timestamps.length}`);
  }
};
const channelBuffer = S.variant('kind', {
  records: recordFrame,
  barrier,
  watermark: S.object({ kind: S.literal('watermark'), timestamp: S.ordered }),
  'watermark-status': S.object({ kind: S.literal('watermark-status'), status: S.literal('ACTIVE', 'IDLE') }),
  'end-of-partition': S.object({ kind: S.literal('end-of-partition') }),
});
const role = S.literal('coordinator', 'node', 'client');

type Shape<M> = { readonly [K in Exclude<keyof M, 'type'>]-?: S.Check };

function message<T extends WireMessageType>(type: T, fields: Shape<MessageOfType<T>>): S.Check {
  return S.object({ type: S.literal(type), ...(fields as Record<string, S.Check>) });
}

/** One validator per message type; the mapped type makes a missing type a compile error. */
export const MESSAGE_VALIDATORS: { readonly [T in WireMessageType]: S.Check } = {
  Hello: message('Hello', { protocolVersion: S.nat, role, peerId: id, nonce: S.bytes }),
  Challenge: message('Challenge', { role, peerId: id, nonce: S.bytes }),
  ChallengeResponse: message('ChallengeResponse', { proof: S.bytes }),
  Welcome: message('Welcome', { proof: S.bytes }),
  Refused: message('Refused', { code: S.string, reason: S.string }),
  RegisterNode: message('RegisterNode', { nodeId: id, slots: S.positive, dataHost: id, dataPort: port }),
  NodeRegistered: message('NodeRegistered', { nodeId: id, heartbeatIntervalMs: S.positive, heartbeatTimeoutMs: S.positive }),
  Heartbeat: message('Heartbeat', { from: id, seq: S.nat, sentAt: S.nonNegative }),
  DeploySubtask: message('DeploySubtask', {
    ...jobFields,
    subtask: subtaskRef,
    jobModule: id,
    jobArgs,
    fingerprint: id,
    snapshotJobId: id,
    restore: S.optional(id),
    config,
    locations: S.array(S.object({ subtask: subtaskRef, nodeId: id, dataHost: id, dataPort: port })),
    faults: S.optional(S.object({ attempt: S.nat, faults: S.array(S.object({ id: S.nat, fault: S.plainData })) })),
  }),
  CancelSubtask: message('CancelSubtask', { ...jobFields, subtask: subtaskRef }),
  SubtaskDeployed: message('SubtaskDeployed', { ...jobFields, subtask: subtaskRef, nodeId: id }),
  SubtaskFailed: message('SubtaskFailed', {
    ...jobFields,
    subtask: subtaskRef,
    failure: S.object({ code: id, operator: S.optional(S.string), subtask: S.optional(S.string), message: S.string, retryable: S.boolean }),
  }),
  StartTasks: message('StartTasks', jobFields),
  WriteFinalState: message('WriteFinalState', { ...jobFields, subtask: subtaskRef, checkpointId: S.nat, target: S.optional(S.string) }),
  StateFileWrite: message('StateFileWrite', {
    requestId: S.nat,
    jobId: id,
    root: id,
    dir: S.string,
    name: id,
    size: S.nat,
    checksum: S.string,
    payload: S.bytes,
  }),
  StateFileChunk: message('StateFileChunk', { requestId: S.nat, transferId: S.nat, offset: S.nat, payload: S.bytes }),
  StateFileRead: message('StateFileRead', {
    requestId: S.nat,
    jobId: id,
    root: id,
    dir: S.string,
    name: id,
    expected: S.optional(S.object({ size: S.nat, checksum: S.string })),
    maxBytes: S.optional(S.nat),
    offset: S.nat,
    length: S.positive,
  }),
  StateFileReply: message('StateFileReply', {
    requestId: S.nat,
    transferId: S.optional(S.nat),
    handle: S.optional(S.object({ file: id, size: S.nat, checksum: S.string })),
    payload: S.optional(S.bytes),
    error: S.optional(S.string),
    corrupt: S.boolean,
  }),
  OperatorEvent: message('OperatorEvent', { ...jobFields, operatorUid: S.string, subtaskIndex: S.nat, event: S.defined }),
  FaultStruck: message('FaultStruck', {
    jobId: id,
    fired: S.object({ id: S.nat, at: S.number, attempt: S.nat, where: S.string, spent: S.boolean }),
  }),
  SubtaskFinished: message('SubtaskFinished', { ...jobFields, subtask: subtaskRef, metrics }),
  SubtaskClosed: message('SubtaskClosed', { ...jobFields, subtask: subtaskRef, metrics }),
  SourceProgressSampled: message('SourceProgressSampled', { ...jobFields, subtasks: S.array(S.object({ subtask: subtaskRef, recordsRead: S.nat })) }),
  TriggerCheckpoint: message('TriggerCheckpoint', { ...jobFields, subtask: subtaskRef, barrier }),
  AcknowledgeCheckpoint: message('AcknowledgeCheckpoint', {
    ...jobFields,
    checkpointId: S.nat,
    ack: S.object({
      subtaskKey: id,
      operatorUids: S.array(S.string),
      subtaskIndex: S.nat,
      handle: S.optional(S.object({ file: id, size: S.nat, checksum: S.string })),
      alignmentMs: S.nonNegative,
      syncMs: S.nonNegative,
      asyncMs: S.nonNegative,
    }),
  }),
  DeclineCheckpoint: message('DeclineCheckpoint', {
    ...jobFields,
    checkpointId: S.nat,
    subtaskKey: id,
    reason: S.string,
    cause: S.literal('SUBSUMED', 'STORAGE_FAILURE', 'DECLINED'),
  }),
  NotifyCheckpointComplete: message('NotifyCheckpointComplete', { ...jobFields, subtask: subtaskRef, checkpointId: S.nat }),
  AbortCheckpoint: message('AbortCheckpoint', { ...jobFields, subtask: subtaskRef, checkpointId: S.nat }),
  CloseTask: message('CloseTask', { ...jobFields, subtask: subtaskRef, checkpointId: S.nat }),
  DeliverBuffer: message('DeliverBuffer', { ...jobFields, channel: channelName, buffer: channelBuffer }),
  GrantCredit: message('GrantCredit', { ...jobFields, channel: channelName, credits: S.positive }),
  SubmitJob: message('SubmitJob', { requestId: S.nat, jobModule: id, jobArgs, parallelism: S.optional(S.positive), restore: S.optional(id), config }),
  JobSubmitted: message('JobSubmitted', { requestId: S.nat, jobId: id }),
  ListJobs: message('ListJobs', { requestId: S.nat }),
  JobsListed: message('JobsListed', {
    requestId: S.nat,
    jobs: S.array(S.object({ jobId: id, name: S.string, status: id, parallelism: S.positive, startedAt: S.nonNegative, restarts: S.nat })),
  }),
  CancelJob: message('CancelJob', { requestId: S.nat, jobId: id }),
  JobCancelled: message('JobCancelled', { requestId: S.nat, jobId: id }),
  TriggerSavepoint: message('TriggerSavepoint', { requestId: S.nat, jobId: id, directory: id }),
  StopWithSavepoint: message('StopWithSavepoint', { requestId: S.nat, jobId: id, directory: id }),
  SavepointCompleted: message('SavepointCompleted', {
    requestId: S.nat,
    jobId: id,
    location: id,
    stopped: S.boolean,
    submitted: S.optional(S.object({ jobModule: id, jobArgs, parallelism: S.optional(S.positive), config })),
  }),
  Rescale: message('Rescale', { requestId: S.nat, jobId: id, parallelism: S.positive }),
  JobRescaled: message('JobRescaled', { requestId: S.nat, jobId: id, parallelism: S.positive }),
  ListNodes: message('ListNodes', { requestId: S.nat }),
  NodesListed: message('NodesListed', {
    requestId: S.nat,
    nodes: S.array(S.object({ nodeId: id, slots: S.positive, freeSlots: S.nat, dataHost: id, dataPort: port, lastHeartbeatAt: S.nonNegative })),
  }),
  WatchJob: message('WatchJob', { requestId: S.nat, jobId: id }),
  JobEnded: message('JobEnded', {
    requestId: S.nat,
    jobId: id,
    status: S.literal('FINISHED', 'FAILED', 'CANCELED'),
    message: S.optional(S.string),
    restarts: S.nat,
    savepoint: S.optional(S.string),
    subtasks: S.optional(S.array(metrics)),
    faults: S.optional(S.array(S.object({ at: S.number, attempt: S.nat, kind: S.string, where: S.string }))),
    checkpoints: S.optional(S.object({ completed: S.nat, failed: S.nat, latest: S.optional(S.string) })),
  }),
  ReportJobProgress: message('ReportJobProgress', { requestId: S.nat, jobId: id }),
  JobProgressReported: message('JobProgressReported', {
    requestId: S.nat,
    jobId: id,
    recordsRead: S.nat,
    totalRecords: S.optional(S.nat),
    percent: S.optional(percent),
    restarted: S.boolean,
    bounded: S.boolean,
    restarts: S.nat,
    lastFailure: S.optional(S.string),
  }),
  RequestFailed: message('RequestFailed', { requestId: S.nat, code: id, message: S.string }),
};

/** Every message type, in the validator table's order. */
export const WIRE_MESSAGE_TYPES = Object.keys(MESSAGE_VALIDATORS) as readonly WireMessageType[];

export function isWireMessageType(t: unknown): t is WireMessageType {
  return typeof t === 'string' && Object.hasOwn(MESSAGE_VALIDATORS, t);
}

/**
 * The value as a WireMessage, or a ProtocolError: UNKNOWN_MESSAGE when
 * `type` is not one of the protocol's (or the value is not an object with a
 * string type), INVALID_MESSAGE naming the type and the first field that
 * does not fit.
 */
export function validateMessage(v: unknown): WireMessage {
  const type = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  if (!isWireMessageType(type)) {
    if (typeof type !== 'string') {
      throw new ProtocolError('UNKNOWN_MESSAGE', '', `not a message: expected an object with a string type, got ${typeof v === 'object' && v !== null ? `a type of ${S.kindOf(type)}` : S.kindOf(v)}`);
    }
    throw new ProtocolError('UNKNOWN_MESSAGE', type, `unknown message type '${type.length > 60 ? `${type.slice(0, 60)}…` : type}'`);
  }
  try {
    MESSAGE_VALIDATORS[type](v, '');
  } catch (e) {
    if (!(e instanceof S.ShapeMismatch)) throw e;
    throw new ProtocolError('INVALID_MESSAGE', type, `invalid ${type} message: ${e.message}`, e.path);
  }
  return v as WireMessage;
}
