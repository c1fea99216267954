import { ProtocolError } from '../errors';
import { MESSAGE_VALIDATORS, validateMessage, WIRE_MESSAGE_TYPES } from './WireMessages';

function problem(v: unknown): ProtocolError {
  try {
    validateMessage(v);
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return e as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

const deploy = {
  type: 'DeploySubtask',
  jobId: 'job-1',
  attempt: 0,
  subtask: { vertexId: 2, index: 1 },
  jobModule: '/jobs/wordCount.js',
  jobArgs: ['--input', { path: '/data' }],
  fingerprint: 'sha256:abc',
  snapshotJobId: 'job-1',
  restore: undefined,
  config: { 'checkpoint.interval': 100, 'state.dir': '/tmp/weir' },
  locations: [{ subtask: { vertexId: 3, index: 0 }, nodeId: 'node-2', dataHost: '127.0.0.1', dataPort: 7001 }],
};

describe('WireMessages', () => {
  test('the table has a validator per message type, in Flink terms', () => {
    expect(WIRE_MESSAGE_TYPES).toEqual(Object.keys(MESSAGE_VALIDATORS));
    for (const t of ['DeploySubtask', 'TriggerCheckpoint', 'AcknowledgeCheckpoint', 'DeclineCheckpoint', 'NotifyCheckpointComplete', 'DeliverBuffer', 'GrantCredit', 'StopWithSavepoint']) {
      expect(WIRE_MESSAGE_TYPES).toContain(t);
    }
  });

  test('a valid message passes as the same object', () => {
    expect(validateMessage(deploy)).toBe(deploy);
  });

  test('unknown types and non-objects are UNKNOWN_MESSAGE', () => {
    expect(problem({ type: 'Exec' })).toMatchObject({ code: 'UNKNOWN_MESSAGE', messageType: 'Exec' });
    expect(problem({ type: 'toString' })).toMatchObject({ code: 'UNKNOWN_MESSAGE' });
    expect(problem({ type: '__proto__' })).toMatchObject({ code: 'UNKNOWN_MESSAGE' });
    expect(problem(null).message).toBe('not a message: expected an object with a string type, got null');
    expect(problem({ type: 3 }).message).toMatch(/got a type of 3/);
    expect(problem('Heartbeat').code).toBe('UNKNOWN_MESSAGE');
  });

  test('a field of the wrong shape is INVALID_MESSAGE naming the type and the field path', () => {
    expect(problem({ ...deploy, subtask: { vertexId: 2, index: 1.5 } })).toMatchObject({ code: 'INVALID_MESSAGE', messageType: 'DeploySubtask', field: 'subtask.index' });
    expect(problem({ ...deploy, locations: [{ ...deploy.locations[0], dataPort: 70000 }] }).field).toBe('locations[0].dataPort');
    expect(problem({ ...deploy, jobArgs: [new Date(0)] })).toMatchObject({ field: 'jobArgs[0]', message: expect.stringMatching(/plain data.*got a Date/) });
    expect(problem({ ...deploy, config: new Map() }).field).toBe('config');
    const { fingerprint: _, ...noFingerprint } = deploy;
    expect(problem(noFingerprint)).toMatchObject({ field: 'fingerprint', message: expect.stringMatching(/fingerprint must be a non-empty string, got undefined/) });
  });

  test('job progress: a percentage is 0–100, counts are whole numbers', () => {
    const progress = { type: 'JobProgressReported', requestId: 1, jobId: 'j', recordsRead: 5, totalRecords: 10, percent: 50, restarted: false, bounded: true, restarts: 2, lastFailure: 'node n was lost' };
    expect(validateMessage(progress)).toBe(progress);
    expect(validateMessage({ ...progress, totalRecords: undefined, percent: undefined })).toBeDefined();
    expect(problem({ ...progress, percent: 101 })).toMatchObject({ field: 'percent', message: expect.stringMatching(/a percentage/) });
    expect(problem({ ...progress, recordsRead: 1.5 }).field).toBe('recordsRead');
    const sampled = { type: 'SourceProgressSampled', jobId: 'j', attempt: 1, subtasks: [{ subtask: { vertexId: 1, index: 0 }, recordsRead: -1 }] };
    expect(problem(sampled).field).toBe('subtasks[0].recordsRead');
  });

  test('a field the message does not declare is refused (no closures or extras ride along)', () => {
    expect(problem({ type: 'TriggerSavepoint', requestId: 1, jobId: 'j', directory: '/sp', reply: () => undefined })).toMatchObject({ field: 'reply' });
  });

  test('record frames: timestamps must match the values; watermarks may be ±Infinity but not NaN', () => {
    const channel = { sourceVertex: 0, sourceIndex: 0, targetVertex: 1, targetIndex: 0, edge: 0 };
    const m = (buffer: unknown) => ({ type: 'DeliverBuffer', jobId: 'j', attempt: 0, channel, buffer });
    expect(problem(m({ kind: 'records', values: [1, 2], timestamps: [1] })).field).toBe('buffer.timestamps');
    expect(problem(m({ kind: 'records', values: [1], timestamps: ['1'] })).field).toBe('buffer.timestamps[0]');
    expect(() => validateMessage(m({ kind: 'watermark', timestamp: Infinity }))).not.toThrow();
    expect(problem(m({ kind: 'watermark', timestamp: NaN })).field).toBe('buffer.timestamp');
    expect(problem(m({ kind: 'flush' })).field).toBe('buffer.kind');
  });
});
