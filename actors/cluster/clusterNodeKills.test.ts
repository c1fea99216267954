/**
 * Node loss as real processes: a coordinator and node processes
 * (`weir coordinator`, `weir node`), the keyed window fixture job submitted
 * with `weir run --coordinator` with exactly-once checkpoints to a
 * FileSink, and a node process ended with SIGKILL — mid-run, in the middle
 * of a checkpoint, and a second node during the recovery from the first.
 * Each time the run must end FINISHED (exit 0) after restarts, with the
 * committed output exactly that of an uninterrupted run.
 *
 * Nothing is timed: each step waits for a file, a log line or an exit. The
 * time from the kill to the next attempt's start ("all subtasks deployed;
 * started" in the coordinator's log) is printed, not asserted.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCommittedLines } from '../../lib/connectors/FileSink';
import { expectedLines } from './fixtures/windowedCounts';
import { checkpointDirs, killAll, listNodes, startCluster, until, weir, type Cluster, type Line, type Proc } from './fixtures/processes';

const FIXTURE = path.join(__dirname, 'fixtures', 'windowedCounts.ts');
const RECORDS = 40_000;
const RATE = 8_000;

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-node-kills-'));
});

afterEach(async () => {
  await killAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

function submit(cluster: Cluster, interval: number): { run: Proc; checkpoints: string; out: string } {
  const checkpoints = path.join(dir, 'checkpoints');
  const out = path.join(dir, 'out');
  const run = weir('run', ['run', '--coordinator', cluster.address, '-p', '4', '--checkpoint-dir', checkpoints, '--checkpoint-interval', String(interval), '--json', FIXTURE, String(RECORDS), out, String(RATE)]);
  return { run, checkpoints, out };
}

/** A node that holds subtasks of the running job now (fewer free slots than it offers), per `weir nodes`. */
async function nodeWithSubtasks(cluster: Cluster): Promise<string> {
  const busy = (await listNodes(cluster.address)).filter((n) => n.freeSlots < n.slots && cluster.nodes.get(n.nodeId)?.alive);
  expect(busy.length).toBeGreaterThan(0);
  return busy[0].nodeId;
}

/** Attempt starts the coordinator logged after `since` (ms since the epoch). */
const attemptStarts = (cluster: Cluster, since: number): Line[] => cluster.coordinator.logs.filter((l) => l.msg === 'all subtasks deployed; started' && Number(l.time) >= since);

async function expectExactFinish(run: Proc, out: string, minRestarts: number): Promise<Line> {
  const { code } = await run.exited;
  const result = run.events.at(-1)!;
  expect({ code, result }).toMatchObject({ code: 0, result: { status: 'FINISHED', exitCode: 0 } });
  expect(Number(result.restarts)).toBeGreaterThanOrEqual(minRestarts);
  expect(readCommittedLines(out).sort()).toEqual(expectedLines(RECORDS));
  return result;
}

function report(what: string, killedAt: number, cluster: Cluster): void {
  const next = attemptStarts(cluster, killedAt)[0];
  const lost = cluster.coordinator.logs.find((l) => l.msg === 'node lost' && Number(l.time) >= killedAt);
  const restart = cluster.coordinator.logs.find((l) => l.msg === 'job failed; restarting' && Number(l.time) >= killedAt);
  console.log(
    `${what}: node lost ${lost === undefined ? '?' : Number(lost.time) - killedAt} ms after the kill (${lost?.why ?? 'not logged'}); ` +
      `restart delay ${restart?.delayMs ?? '?'} ms (restart strategy); next attempt started ${next === undefined ? '?' : Number(next.time) - killedAt} ms after the kill`,
  );
}

test('kill -9 of a node mid-run: the job restores from its latest checkpoint on the nodes left; the output is exact', async () => {
  const cluster = await startCluster({ nodes: 3, slots: 2 });
  const { run, checkpoints, out } = submit(cluster, 100);
  await until(() => checkpointDirs(checkpoints).some((c) => c.complete) || !run.alive);
  expect(run.alive).toBe(true);
  const victim = await nodeWithSubtasks(cluster);
  const killedAt = Date.now();
  cluster.nodes.get(victim)!.kill('SIGKILL');
  await expectExactFinish(run, out, 1);
  report('mid-run kill', killedAt, cluster);
});

test('kill -9 of a node while a checkpoint is in flight: the pending checkpoint is dropped, the job restores, the output is exact', async () => {
  const cluster = await startCluster({ nodes: 3, slots: 2 });
  // Checkpoints every 20 ms: one is nearly always in flight.
  const { run, checkpoints, out } = submit(cluster, 20);
  await until(() => checkpointDirs(checkpoints).some((c) => c.complete) || !run.alive);
  expect(run.alive).toBe(true);
  const victim = await nodeWithSubtasks(cluster);
  // Kill as soon as a checkpoint directory without _metadata shows: that checkpoint is being taken.
  const inFlight = await until(() => checkpointDirs(checkpoints).find((c) => !c.complete) ?? (!run.alive && { path: 'none', id: -1, complete: true }), 2);
  const killedAt = Date.now();
  cluster.nodes.get(victim)!.kill('SIGKILL');
  expect(inFlight.id).toBeGreaterThan(0);
  await expectExactFinish(run, out, 1);
  report(`kill during checkpoint ${inFlight.id}`, killedAt, cluster);
});

test('kill -9 of a second node during the recovery from the first: the job restores again on the nodes left; the output is exact', async () => {
  // 4 nodes × 2 slots for parallelism 4: after two losses 4 slots are left. Slots spread evenly
  // over nodes (SlotAssignment), so every node left holds subtasks of the recovering attempt.
  const cluster = await startCluster({ nodes: 4, slots: 2 });
  const { run, checkpoints, out } = submit(cluster, 100);
  await until(() => checkpointDirs(checkpoints).some((c) => c.complete) || !run.alive);
  expect(run.alive).toBe(true);
  const first = await nodeWithSubtasks(cluster);
  const firstKilledAt = Date.now();
  cluster.nodes.get(first)!.kill('SIGKILL');
  // The job master restores the next attempt ("restoring from …"); kill another node before that attempt runs.
  await cluster.coordinator.waitFor('the restore of the next attempt', (l) => l.msg?.toString().startsWith('restoring from') === true && Number(l.time) >= firstKilledAt, 'logs');
  const second = [...cluster.nodes].find(([id, p]) => id !== first && p.alive)![0];
  const secondKilledAt = Date.now();
  cluster.nodes.get(second)!.kill('SIGKILL');
  const startedBetween = attemptStarts(cluster, firstKilledAt).filter((l) => Number(l.time) < secondKilledAt).length;
  await expectExactFinish(run, out, 2);
  report('first kill', firstKilledAt, cluster);
  report(`second kill (during recovery; attempts started in between: ${startedBetween})`, secondKilledAt, cluster);
});
