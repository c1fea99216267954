/**
 * Every message of the cluster protocol survives the wire codec: for each
 * message type an arbitrary generates messages (record frames with every
 * value kind records may hold: -0, NaN, ±Infinity, bigints, undefined in
 * containers, Buffers, typed arrays, Dates, Maps, Sets, prototype-less
 * objects, registered class instances, nested), and decode(encode(m)) is m:
 * record values bit for bit and prototype for prototype, protocol fields
 * as numbers (a -0 there arrives as 0). The arbitrary table must name
 * every message type, so a new message cannot be added without one.
 *
 * Replay: FC_SEED=<seed> npx jest lib/cluster/WireMessages.prop.ts
 */
import fc from 'fast-check';
import { sameValue, stateValue } from '../../property-tests/support/stateValueArbitraries';
import { decodeMessage, encodeMessage } from '../transport/WireCodec';
import type { ChannelBuffer } from '../transport/ChannelBuffer';
import { MESSAGE_VALIDATORS, WIRE_MESSAGE_TYPES, validateMessage, type MessageOfType, type PlainData, type WireMessage, type WireMessageType } from './WireMessages';

const value = stateValue();

/** Protocol fields compare as numbers; record values exactly. */
function sameMessage(back: WireMessage, m: WireMessage): boolean {
  if (!sameValue(back, m, { exactNumbers: false })) return false;
  if (m.type !== 'DeliverBuffer' || m.buffer.kind !== 'records') return true;
  return back.type === 'DeliverBuffer' && back.buffer.kind === 'records' && sameValue(back.buffer.values, m.buffer.values);
}

// ---- Field arbitraries ----

/** Messages are plain objects with Object.prototype (fast-check would make some prototype-less). */
function rec<R extends Record<string, fc.Arbitrary<unknown>>>(model: R): fc.Arbitrary<{ [K in keyof R]: R[K] extends fc.Arbitrary<infer U> ? U : never }> {
  return fc.record(model, { noNullPrototype: true }) as never;
}

const id = fc.string({ minLength: 1, maxLength: 12 });
const nat = fc.nat();
const ms = fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e12, noNaN: true }));
const bytes = fc.uint8Array({ minLength: 0, maxLength: 48 });
const role = fc.constantFrom('coordinator' as const, 'node' as const, 'client' as const);
const port = fc.integer({ min: 0, max: 65535 });
const subtask = rec({ vertexId: nat, index: nat });
const channel = rec({ sourceVertex: nat, sourceIndex: nat, targetVertex: nat, targetIndex: nat, edge: nat });
const job = { jobId: id, attempt: nat };
const plain: fc.Arbitrary<PlainData> = fc.letrec<{ p: PlainData }>((tie) => ({
  p: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, undefined, true, false),
    fc.double(),
    fc.string({ maxLength: 8 }),
    fc.array(tie('p'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }).filter((k) => k !== '__proto__'), tie('p'), { maxKeys: 3, noNullPrototype: true }),
  ),
})).p;
const config = fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__'), plain, { maxKeys: 4, noNullPrototype: true });
const metrics = rec({
  vertexId: nat,
  subtaskIndex: nat,
  operators: fc.array(rec({ nodeId: nat, uid: fc.string(), name: fc.string(), recordsIn: nat, recordsOut: nat }), { maxLength: 3 }),
  maxQueuedBuffers: nat,
  inputCredits: nat,
  buffersSent: nat,
});
const barrier = fc.record(
  { kind: fc.constant('barrier' as const), checkpointId: nat, timestamp: fc.double({ noNaN: true }), savepoint: fc.boolean(), terminate: fc.boolean(), target: fc.string() },
  { requiredKeys: ['kind', 'checkpointId', 'timestamp', 'savepoint', 'terminate'], noNullPrototype: true },
);
const recordFrame = fc
  .array(fc.tuple(value, fc.option(fc.double({ noNaN: true }), { nil: undefined })), { maxLength: 6 })
  .chain((rs) =>
    fc.boolean().map((withTs) => ({ kind: 'records' as const, values: rs.map(([v]) => v), timestamps: withTs ? rs.map(([, t]) => t) : undefined })),
  );
const channelBuffer: fc.Arbitrary<ChannelBuffer> = fc.oneof(
  recordFrame,
  barrier,
  rec({ kind: fc.constant('watermark' as const), timestamp: fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(Infinity, -Infinity)) }),
  rec({ kind: fc.constant('watermark-status' as const), status: fc.constantFrom('ACTIVE' as const, 'IDLE' as const) }),
  fc.constant({ kind: 'end-of-partition' as const }),
);
const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const requestId = { requestId: nat };

/** One arbitrary per message type: the mapped type makes a missing one a compile error, and a test checks the table at run time. */
const ARBITRARIES: { [T in WireMessageType]: fc.Arbitrary<MessageOfType<T>> } = {
  Hello: rec({ type: fc.constant('Hello'), protocolVersion: nat, role, peerId: id, nonce: bytes }),
  Challenge: rec({ type: fc.constant('Challenge'), role, peerId: id, nonce: bytes }),
  ChallengeResponse: rec({ type: fc.constant('ChallengeResponse'), proof: bytes }),
  Welcome: rec({ type: fc.constant('Welcome'), proof: bytes }),
  Refused: rec({ type: fc.constant('Refused'), code: fc.string(), reason: fc.string() }),
  RegisterNode: rec({ type: fc.constant('RegisterNode'), nodeId: id, slots: fc.integer({ min: 1, max: 64 }), dataHost: id, dataPort: port }),
  NodeRegistered: rec({ type: fc.constant('NodeRegistered'), nodeId: id, heartbeatIntervalMs: fc.integer({ min: 1 }), heartbeatTimeoutMs: fc.integer({ min: 1 }) }),
  Heartbeat: rec({ type: fc.constant('Heartbeat'), from: id, seq: nat, sentAt: ms }),
  DeploySubtask: rec({
    type: fc.constant('DeploySubtask'),
    ...job,
    subtask,
    jobModule: id,
    jobArgs: fc.array(plain, { maxLength: 3 }),
    fingerprint: id,
    snapshotJobId: id,
    restore: optional(id),
    config,
    locations: fc.array(rec({ subtask, nodeId: id, dataHost: id, dataPort: port }), { maxLength: 3 }),
    faults: optional(
      rec({
        attempt: nat,
        faults: fc.array(rec({ id: nat, fault: rec({ kind: fc.constant('fail-at-record' as const), operator: id, subtask: nat, record: nat }) }), { maxLength: 2 }),
      }),
    ),
  }),
  CancelSubtask: rec({ type: fc.constant('CancelSubtask'), ...job, subtask }),
  SubtaskDeployed: rec({ type: fc.constant('SubtaskDeployed'), ...job, subtask, nodeId: id }),
  SubtaskFailed: rec({
    type: fc.constant('SubtaskFailed'),
    ...job,
    subtask,
    failure: rec({ code: id, operator: optional(fc.string()), subtask: optional(id), message: fc.string(), retryable: fc.boolean() }),
  }),
  StartTasks: rec({ type: fc.constant('StartTasks'), ...job }),
  WriteFinalState: rec({ type: fc.constant('WriteFinalState'), ...job, subtask, checkpointId: nat, target: optional(id) }),
  StateFileWrite: rec({
    type: fc.constant('StateFileWrite'),
    ...requestId,
    jobId: id,
    root: id,
    dir: fc.string(),
    name: id,
    size: nat,
    checksum: fc.string(),
    payload: bytes,
  }),
  StateFileChunk: rec({ type: fc.constant('StateFileChunk'), ...requestId, transferId: nat, offset: nat, payload: bytes }),
  StateFileRead: rec({
    type: fc.constant('StateFileRead'),
    ...requestId,
    jobId: id,
    root: id,
    dir: fc.string(),
    name: id,
    expected: optional(rec({ size: nat, checksum: fc.string() })),
    maxBytes: optional(nat),
    offset: nat,
    length: fc.integer({ min: 1 }),
  }),
  StateFileReply: rec({
    type: fc.constant('StateFileReply'),
    ...requestId,
    transferId: optional(nat),
    handle: optional(rec({ file: id, size: nat, checksum: fc.string() })),
    payload: optional(bytes),
    error: optional(fc.string()),
    corrupt: fc.boolean(),
  }),
  OperatorEvent: rec({ type: fc.constant('OperatorEvent'), ...job, operatorUid: id, subtaskIndex: nat, event: plain.filter((v) => v !== undefined) }),
  FaultStruck: rec({ type: fc.constant('FaultStruck'), jobId: id, fired: rec({ id: nat, at: ms, attempt: nat, where: fc.string(), spent: fc.boolean() }) }),
  SubtaskFinished: rec({ type: fc.constant('SubtaskFinished'), ...job, subtask, metrics }),
  SubtaskClosed: rec({ type: fc.constant('SubtaskClosed'), ...job, subtask, metrics }),
  SourceProgressSampled: rec({ type: fc.constant('SourceProgressSampled'), ...job, subtasks: fc.array(rec({ subtask, recordsRead: nat }), { maxLength: 4 }) }),
  TriggerCheckpoint: rec({ type: fc.constant('TriggerCheckpoint'), ...job, subtask, barrier }),
  AcknowledgeCheckpoint: rec({
    type: fc.constant('AcknowledgeCheckpoint'),
    ...job,
    checkpointId: nat,
    ack: rec({
      subtaskKey: id,
      operatorUids: fc.array(fc.string(), { maxLength: 3 }),
      subtaskIndex: nat,
      handle: optional(rec({ file: id, size: nat, checksum: fc.string() })),
      alignmentMs: ms,
      syncMs: ms,
      asyncMs: ms,
    }),
  }),
  DeclineCheckpoint: rec({
    type: fc.constant('DeclineCheckpoint'),
    ...job,
    checkpointId: nat,
    subtaskKey: id,
    reason: fc.string(),
    cause: fc.constantFrom('SUBSUMED' as const, 'STORAGE_FAILURE' as const, 'DECLINED' as const),
  }),
  NotifyCheckpointComplete: rec({ type: fc.constant('NotifyCheckpointComplete'), ...job, subtask, checkpointId: nat }),
  AbortCheckpoint: rec({ type: fc.constant('AbortCheckpoint'), ...job, subtask, checkpointId: nat }),
  CloseTask: rec({ type: fc.constant('CloseTask'), ...job, subtask, checkpointId: nat }),
  DeliverBuffer: rec({ type: fc.constant('DeliverBuffer'), ...job, channel, buffer: channelBuffer }),
  GrantCredit: rec({ type: fc.constant('GrantCredit'), ...job, channel, credits: fc.integer({ min: 1, max: 1000 }) }),
  SubmitJob: rec({
    type: fc.constant('SubmitJob'),
    ...requestId,
    jobModule: id,
    jobArgs: fc.array(plain, { maxLength: 3 }),
    parallelism: optional(fc.integer({ min: 1, max: 128 })),
    restore: optional(id),
    config,
  }),
  JobSubmitted: rec({ type: fc.constant('JobSubmitted'), ...requestId, jobId: id }),
  WatchJob: rec({ type: fc.constant('WatchJob'), ...requestId, jobId: id }),
  JobEnded: rec({
    type: fc.constant('JobEnded'),
    ...requestId,
    jobId: id,
    status: fc.constantFrom('FINISHED' as const, 'FAILED' as const, 'CANCELED' as const),
    message: optional(fc.string()),
    restarts: nat,
    savepoint: optional(fc.string()),
    subtasks: optional(fc.array(metrics, { maxLength: 2 })),
    faults: optional(fc.array(rec({ at: ms, attempt: nat, kind: fc.string(), where: fc.string() }), { maxLength: 2 })),
    checkpoints: optional(rec({ completed: nat, failed: nat, latest: optional(fc.string()) })),
  }),
  ListJobs: rec({ type: fc.constant('ListJobs'), ...requestId }),
  JobsListed: rec({
    type: fc.constant('JobsListed'),
    ...requestId,
    jobs: fc.array(rec({ jobId: id, name: fc.string(), status: id, parallelism: fc.integer({ min: 1, max: 128 }), startedAt: ms, restarts: nat }), { maxLength: 3 }),
  }),
  CancelJob: rec({ type: fc.constant('CancelJob'), ...requestId, jobId: id }),
  JobCancelled: rec({ type: fc.constant('JobCancelled'), ...requestId, jobId: id }),
  TriggerSavepoint: rec({ type: fc.constant('TriggerSavepoint'), ...requestId, jobId: id, directory: id }),
  StopWithSavepoint: rec({ type: fc.constant('StopWithSavepoint'), ...requestId, jobId: id, directory: id }),
  SavepointCompleted: rec({
    type: fc.constant('SavepointCompleted'),
    ...requestId,
    jobId: id,
    location: id,
    stopped: fc.boolean(),
    submitted: optional(rec({ jobModule: id, jobArgs: fc.array(plain, { maxLength: 3 }), parallelism: optional(fc.integer({ min: 1, max: 128 })), config })),
  }),
  Rescale: rec({ type: fc.constant('Rescale'), ...requestId, jobId: id, parallelism: fc.integer({ min: 1, max: 128 }) }),
  JobRescaled: rec({ type: fc.constant('JobRescaled'), ...requestId, jobId: id, parallelism: fc.integer({ min: 1, max: 128 }) }),
  ListNodes: rec({ type: fc.constant('ListNodes'), ...requestId }),
  NodesListed: rec({
    type: fc.constant('NodesListed'),
    ...requestId,
    nodes: fc.array(rec({ nodeId: id, slots: fc.integer({ min: 1, max: 64 }), freeSlots: nat, dataHost: id, dataPort: port, lastHeartbeatAt: ms }), { maxLength: 3 }),
  }),
  ReportJobProgress: rec({ type: fc.constant('ReportJobProgress'), ...requestId, jobId: id }),
  JobProgressReported: rec({
    type: fc.constant('JobProgressReported'),
    ...requestId,
    jobId: id,
    recordsRead: nat,
    totalRecords: optional(nat),
    percent: optional(fc.integer({ min: 0, max: 100 })),
    restarted: fc.boolean(),
    bounded: fc.boolean(),
    restarts: nat,
    lastFailure: optional(fc.string()),
  }),
  RequestFailed: rec({ type: fc.constant('RequestFailed'), ...requestId, code: id, message: fc.string() }),
};

describe('cluster protocol messages', () => {
  test('the arbitrary table covers every message type of the union (and nothing else)', () => {
    expect(Object.keys(ARBITRARIES).sort()).toEqual([...WIRE_MESSAGE_TYPES].sort());
    expect(WIRE_MESSAGE_TYPES.length).toBe(Object.keys(MESSAGE_VALIDATORS).length);
  });

  test.each(WIRE_MESSAGE_TYPES.map((t) => [t]))('%s: decode(encode(m)) is m, and m passes its validator', (type) => {
    const arb = ARBITRARIES[type] as fc.Arbitrary<WireMessage>;
    fc.assert(
      fc.property(arb, (m) => {
        expect(validateMessage(m)).toBe(m);
        const back = decodeMessage(encodeMessage(m));
        if (!sameMessage(back, m)) expect(back).toStrictEqual(m); // shows the difference
        expect(sameMessage(back, m)).toBe(true);
      }),
      type === 'DeliverBuffer' ? { numRuns: Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 300 : 150)) } : {},
    );
  });

  test('a generated message with one field dropped or replaced by a function is refused naming the type and field', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...WIRE_MESSAGE_TYPES).chain((t) => (ARBITRARIES[t] as fc.Arbitrary<WireMessage>).map((m) => m)),
        fc.nat(),
        (m, pick) => {
          const fields = Object.keys(m).filter((k) => k !== 'type');
          if (fields.length === 0) return;
          const field = fields[pick % fields.length];
          const broken = { ...m, [field]: () => 1 };
          expect(() => validateMessage(broken)).toThrow(expect.objectContaining({ code: 'INVALID_MESSAGE', messageType: m.type, field }));
          expect(() => encodeMessage(broken as WireMessage)).toThrow(expect.objectContaining({ code: 'INVALID_MESSAGE', field }));
        },
      ),
    );
  });
});
