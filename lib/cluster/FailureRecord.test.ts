/** FailureRecord: codes, operators and retryability taken from typed errors; plain data through JSON; revived errors keep the record; job graphs a node cannot build, or builds otherwise, are not retryable. */
import { ConfigurationError, GraphValidationError, RestoreError, UserFunctionError } from '../errors';
import { InjectedFault } from '../faults/Fault';
import { failureRecord, isRetryable, jobGraphMismatch, jobNotBuiltOnNode, RemoteFailureError } from './FailureRecord';

const location = { operator: 'count', uid: 'count-uid', subtaskIndex: 1, parallelism: 2 };

test('a user function failure names its code and operator uid and may be retried', () => {
  const r = failureRecord(new UserFunctionError(location, 7, 'process', new Error('boom')), { subtask: '2#1' });
  expect(r).toEqual({ code: 'USER_FUNCTION_FAILED', operator: 'count-uid', subtask: '2#1', message: expect.stringContaining('boom'), retryable: true });
  expect(JSON.parse(JSON.stringify(r))).toEqual({ ...r, operator: 'count-uid' });
});

test('configuration, graph and restore errors cannot be cured by a restart', () => {
  expect(isRetryable(new ConfigurationError('parallelism', 'must be positive'))).toBe(false);
  expect(isRetryable(new GraphValidationError('NO_SINKS', 'no sinks'))).toBe(false);
  expect(isRetryable(new RestoreError('SAVEPOINT_NOT_FOUND', '/x', 'missing'))).toBe(false);
  expect(isRetryable(new InjectedFault({ kind: 'fail-at-time', operator: 'a', subtask: 0, atMs: 1 }, 'a#0'))).toBe(true);
  expect(isRetryable('a thrown string')).toBe(true);
});

test('errors that are not WeirErrors get code ERROR and the operator the caller names', () => {
  expect(failureRecord(new TypeError('x is not a function'), { operator: 'map', subtask: '1#0' })).toEqual({
    code: 'ERROR',
    operator: 'map',
    subtask: '1#0',
    message: 'x is not a function',
    retryable: true,
  });
});

test('a revived failure keeps code and record, and is recorded as itself again', () => {
  const record = failureRecord(new RestoreError('SAVEPOINT_UNREADABLE', 'chk-3', 'bad digest'), { subtask: '3#0' });
  const e = new RemoteFailureError(record);
  expect(e.code).toBe(record.code);
  expect(e.message).toBe(`subtask 3#0: ${record.message}`);
  expect(isRetryable(e)).toBe(false);
  expect(failureRecord(e)).toBe(record);
});

describe('job graphs a node cannot build', () => {
  const site = { nodeId: 'node-a', jobModule: '/jobs/counts.js', subtask: '1#0' };
  test('a module that throws on a node is not retryable, keeps its code and names the node', () => {
    const r = jobNotBuiltOnNode(site, new ConfigurationError('input', 'missing'));
    expect(r).toMatchObject({ code: 'INVALID_CONFIGURATION', subtask: '1#0', retryable: false });
    expect(r.message).toMatch(/^node node-a could not build the job graph from \/jobs\/counts\.js: .*missing/);
    expect(jobNotBuiltOnNode(site, new Error('no such env var')).retryable).toBe(false);
    expect(isRetryable(new RemoteFailureError(r))).toBe(false);
  });
  test('another graph than the coordinator\'s is a JOB_GRAPH_MISMATCH, not retryable', () => {
    expect(jobGraphMismatch(site, 'a'.repeat(64), 'b'.repeat(64))).toMatchObject({ code: 'JOB_GRAPH_MISMATCH', retryable: false, message: expect.stringMatching(/node node-a built job graph aaaaaaaaaaaa .* the coordinator bbbbbbbbbbbb/) });
  });
});
