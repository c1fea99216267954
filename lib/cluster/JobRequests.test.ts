import { refuseIfEnded, unknownJob } from './JobRequests';

test('an unknown job, and requests about an ended one, are refused with a code naming the job', () => {
  expect(unknownJob('nope')).toMatchObject({ code: 'UNKNOWN_JOB', jobId: 'nope', message: "no job 'nope' on this cluster (weir list shows its jobs)" });
  const job = { jobId: 'j1', name: 'counts' };
  for (const status of ['CREATED', 'RUNNING', 'RESTARTING', 'CANCELLING', 'FAILING'] as const) expect(refuseIfEnded(job, status, 'cancel')).toBeUndefined();
  expect(refuseIfEnded(job, 'FINISHED', 'cancel')).toMatchObject({ code: 'JOB_NOT_RUNNING', message: "cannot cancel job 'j1' (counts): it has already ended, FINISHED" });
  expect(refuseIfEnded(job, 'CANCELED', 'take a savepoint of')?.message).toBe("cannot take a savepoint of job 'j1' (counts): it has already ended, CANCELED");
  expect(refuseIfEnded(job, 'FAILED', 'stop')?.code).toBe('JOB_NOT_RUNNING');
});
