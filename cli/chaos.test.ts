/**
 * weir chaos end to end: a seeded experiment (a node killed with -9 and
 * replaced, data connections cut, subtask faults) on a local cluster of
 * child processes gives the exactly-once verdict with its seed and
 * schedule; a job whose output depends on record interleaving is
 * inconclusive (exit 4) even without faults, not "NOT exactly-once"; a job
 * without an {out} argument is a usage error. The verdict's rules (judge)
 * are tested without processes, a job that commits nothing among them.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { CHAOS_EXIT, firstDifference, judge } from './chaosCommand';

const ROOT = path.join(__dirname, '..');
const REGISTER_TS = path.join(ROOT, 'scenarios', 'support', 'registerTs.js');
const WEIR = path.join(ROOT, 'cli', 'weir.ts');
const FIXTURE = path.join(ROOT, 'cli', 'jobs', 'windowedCounts.ts');
const RUNNING_SUM = path.join(ROOT, 'cli', 'fixtures', 'runningSumJob.ts');

function weir(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['-r', REGISTER_TS, WEIR, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'test' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('a seeded experiment with node kills and cut connections gives the exactly-once verdict, seed and schedule', async () => {
  const args = ['chaos', FIXTURE, '20000', '{out}', '8000', '--nodes', '3', '-p', '4', '--seed', '7', '--events', '2', '--faults', '2', '--json'];
  const run = await weir(args);
  expect(run.code).toBe(0);
  const verdict = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
  expect(verdict).toMatchObject({
    seed: 7,
    verdict: 'exactly-once',
    exitCode: 0,
    faultyRun: { status: 'FINISHED', lines: 4000 },
    referenceRuns: [{ status: 'FINISHED', lines: 4000 }, { status: 'FINISHED', lines: 4000 }],
    firstDifference: null,
    workDirectory: null,
  });
  expect(verdict.faultyRun.restarts).toBeGreaterThanOrEqual(1);
  expect(verdict.schedule.events.map((e: { kind: string }) => e.kind)).toEqual(['cut-connections', 'kill-node']);
  expect(verdict.replay).toContain('--seed 7');
  // Each planned subtask fault that struck is reported with where it struck.
  for (const f of verdict.faultyRun.struck) expect(verdict.schedule.plan.map((p: { kind: string }) => p.kind)).toContain(f.kind);
});

test('a running sum over parallel sources differs between two fault-free runs: inconclusive (exit 4), saying why and what to change', async () => {
  const run = await weir(['chaos', RUNNING_SUM, '20000', '{out}', '--nodes', '2', '-p', '4', '--seed', '1', '--events', '0', '--faults', '0']);
  expect(run.code).toBe(CHAOS_EXIT.INCONCLUSIVE);
  expect(run.stdout).toMatch(/^inconclusive: two fault-free runs committed different outputs/);
  expect(run.stdout).toContain('depends on record order or timing');
  expect(run.stdout).toContain('parallelism 1');
  expect(run.stdout).not.toContain('NOT exactly-once');
  expect(run.stderr).toContain('the run under faults was not started');
});

test('the job must say where its output goes ({out})', async () => {
  const run = await weir(['chaos', FIXTURE, '20000', '/tmp/somewhere']);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('{out}');
});

describe('judge', () => {
  const finished = (lines: string[]) => ({ status: 'FINISHED', lines });
  test('two fault-free runs that differ: inconclusive before any faulty run', () => {
    expect(judge([finished(['a,1', 'a,3']), finished(['a,2', 'a,3'])], undefined)).toMatchObject({ verdict: 'inconclusive', exitCode: 4 });
  });
  test('a job that commits nothing to {out}: inconclusive, nothing was compared', () => {
    const j = judge([finished([]), finished([])], undefined);
    expect(j).toMatchObject({ verdict: 'inconclusive', exitCode: 4 });
    expect(j!.message).toContain('committed no line to {out}, so nothing was compared');
  });
  test('agreeing fault-free runs need the faulty run; then equal is exactly-once, other lines differ, no finish fails', () => {
    const refs = [finished(['b', 'a']), finished(['a', 'b'])] as const;
    expect(judge(refs, undefined)).toBeUndefined();
    expect(judge(refs, finished(['a', 'b']))).toMatchObject({ verdict: 'exactly-once', exitCode: 0 });
    expect(judge(refs, finished(['a', 'b', 'b']))).toMatchObject({ verdict: 'differs', exitCode: 1, firstDifference: 'extra under faults (1×): b' });
    expect(judge(refs, { status: 'FAILED', message: 'gave up', lines: [] })).toMatchObject({ verdict: 'failed', exitCode: 1 });
    expect(judge([{ status: 'FAILED', lines: [] }, finished([])], undefined)).toMatchObject({ verdict: 'failed', exitCode: 1 });
  });
});

test('firstDifference compares outputs as multisets and names the first line that differs', () => {
  expect(firstDifference(['a', 'b', 'b'], ['b', 'a', 'b'])).toBeUndefined();
  expect(firstDifference(['a', 'b', 'b'], ['a', 'b'])).toBe('missing under faults (1×): b');
  expect(firstDifference(['a'], ['a', 'a', 'c'])).toBe('extra under faults (1×): a');
});
