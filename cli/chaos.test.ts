/**
 * weir chaos end to end: a seeded experiment (a node killed with -9 and
 * replaced, data connections cut, subtask faults) on a local cluster of
 * child processes gives the exactly-once verdict with its seed and
 * schedule; the same seed gives the same schedule; a job without an {out}
 * argument is a usage error.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { firstDifference } from './chaosCommand';

const ROOT = path.join(__dirname, '..');
const REGISTER_TS = path.join(ROOT, 'scenarios', 'support', 'registerTs.js');
const WEIR = path.join(ROOT, 'cli', 'weir.ts');
const FIXTURE = path.join(ROOT, 'actors', 'cluster', 'fixtures', 'windowedCounts.ts');

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
  expect(verdict).toMatchObject({ seed: 7, verdict: 'exactly-once', faultyRun: { status: 'FINISHED' }, referenceRun: { status: 'FINISHED', lines: 4000 } });
  expect(verdict.faultyRun.restarts).toBeGreaterThanOrEqual(1);
  expect(verdict.schedule.events.map((e: { kind: string }) => e.kind)).toEqual(['cut-connections', 'kill-node']);
  expect(verdict.replay).toContain('--seed 7');
  // Each planned subtask fault that struck is reported with where it struck.
  for (const f of verdict.faultyRun.struck) expect(verdict.schedule.plan.map((p: { kind: string }) => p.kind)).toContain(f.kind);
});

test('the job must say where its output goes ({out})', async () => {
  const run = await weir(['chaos', FIXTURE, '20000', '/tmp/somewhere']);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('{out}');
});

test('firstDifference compares outputs as multisets and names the first line that differs', () => {
  expect(firstDifference(['a', 'b', 'b'], ['b', 'a', 'b'])).toBeUndefined();
  expect(firstDifference(['a', 'b', 'b'], ['a', 'b'])).toBe('missing under faults (1×): b');
  expect(firstDifference(['a'], ['a', 'a', 'c'])).toBe('extra under faults (1×): a');
});
