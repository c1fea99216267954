/**
 * The statuses a running job master publishes walk Flink's JobStatus graph
 * (JOB_STATUS_MOVES) from CREATED to its end, FAILING before FAILED and
 * CANCELLING before CANCELED, and the client ends on the same status.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JobCancelledError, JobExecutionError, RestartStrategies, StreamExecutionEnvironment, type JobClient } from '../index';
import { JOB_STATUS_MOVES } from '../lib/job/JobLifecycle';
import type { JobStatus } from '../lib/job/JobStatus';
import { JobDocuments } from '../lib/monitoring/JobDocuments';

let published: { jobId: string; status: JobStatus }[] = [];
let spy: jest.SpyInstance;

beforeEach(() => {
  published = [];
  const original = JobDocuments.prototype.setStatus;
  spy = jest.spyOn(JobDocuments.prototype, 'setStatus').mockImplementation(function (this: JobDocuments, jobId, status, at, failure) {
    published.push({ jobId, status });
    return original.call(this, jobId, status, at, failure);
  });
});

afterEach(() => spy.mockRestore());

/** The statuses published for the job, after checking each is a legal move from the one before (CREATED first). */
function walk(client: JobClient): JobStatus[] {
  const statuses = published.filter((p) => p.jobId === client.jobId).map((p) => p.status);
  let at: JobStatus = 'CREATED';
  for (const s of statuses) {
    expect(`${at} → ${s}: ${JOB_STATUS_MOVES[at].includes(s)}`).toBe(`${at} → ${s}: true`);
    at = s;
  }
  expect(at).toBe(client.status());
  return statuses;
}

test('a failure the strategy does not restart: RUNNING → FAILING → FAILED', async () => {
  const env = StreamExecutionEnvironment.create();
  env.fromCollection([1, 2, 3]).map((x) => {
    if (x === 2) throw new Error('two');
    return x;
  }).sinkTo(() => {});
  const client = env.executeAsync('fails');
  await expect(client.result()).rejects.toBeInstanceOf(JobExecutionError);
  expect(walk(client)).toEqual(['RUNNING', 'FAILING', 'FAILED']);
});

test('a restarted failure: RUNNING → RESTARTING → RUNNING → FINISHED', async () => {
  const env = StreamExecutionEnvironment.create();
  env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
  let thrown = false;
  env.fromCollection([1, 2, 3]).map((x) => {
    if (x === 2 && !thrown) {
      thrown = true;
      throw new Error('once');
    }
    return x;
  }).sinkTo(() => {});
  const client = env.executeAsync('restarts');
  const result = await client.result();
  expect(result.restarts).toHaveLength(1);
  expect(walk(client)).toEqual(['RUNNING', 'RESTARTING', 'RUNNING', 'FINISHED']);
});

test('cancel: RUNNING → CANCELLING → CANCELED', async () => {
  const env = StreamExecutionEnvironment.create();
  let seen = 0;
  env.fromGenerator('unbounded', (i) => i).sinkTo(() => void seen++);
  const client = env.executeAsync('cancelled');
  while (seen < 100) await new Promise((r) => setTimeout(r, 5));
  await client.cancel();
  await expect(client.result()).rejects.toBeInstanceOf(JobCancelledError);
  expect(walk(client)).toEqual(['RUNNING', 'CANCELLING', 'CANCELED']);
});

test('a savepoint asked for before the job runs is taken once it runs', async () => {
  const env = StreamExecutionEnvironment.create();
  env.enableCheckpointing(60_000);
  env.fromGenerator('unbounded', (i) => i).uid('src').sinkTo(() => {});
  const client = env.executeAsync('early savepoint');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-early-savepoint-'));
  const savepoint = client.triggerSavepoint(path.join(dir, 'sp'));
  expect(client.status()).toBe('CREATED');
  await expect(savepoint).resolves.toEqual(expect.any(String));
  expect(client.status()).toBe('RUNNING');
  await client.cancel();
  await expect(client.result()).rejects.toBeInstanceOf(JobCancelledError);
  fs.rmSync(dir, { recursive: true, force: true });
});
