/**
 * A coordinator and two nodes in this process, over real TCP connections:
 * a keyed event-time window job with exactly-once checkpoints runs across
 * both nodes and writes exactly the expected counts; a job module whose
 * graph differs on a node is refused with a clear failure.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCommittedLines } from '../../lib/connectors/FileSink';
import { Coordinator } from './Coordinator';
import { Node } from './Node';
import { expectedLines } from './fixtures/windowedCounts';

const secret = 'a cluster secret of enough length';
const fixture = path.join(__dirname, 'fixtures', 'windowedCounts.ts');

let coordinator: Coordinator;
let nodes: Node[] = [];
let dir: string;

async function startCluster(ids: string[], slots = 2): Promise<void> {
  coordinator = await Coordinator.start({ secret });
  nodes = await Promise.all(ids.map((nodeId) => Node.start({ nodeId, secret, slots, coordinator: { host: coordinator.host, port: coordinator.port } })));
  await Promise.all(nodes.map((n) => n.registered));
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-cluster-'));
});

afterEach(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  await coordinator.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a keyed window job with exactly-once checkpoints runs across two nodes', async () => {
  await startCluster(['node-a', 'node-b']);
  const out = path.join(dir, 'out');
  const client = await coordinator.submit({
    jobModule: fixture,
    jobArgs: ['20000', out],
    parallelism: 4,
    config: { checkpointDir: path.join(dir, 'checkpoints'), checkpointIntervalMs: 100 },
  });
  const result = await client.result();
  expect(result.status).toBe('FINISHED');
  expect(readCommittedLines(out).sort()).toEqual(expectedLines(20000));
  expect(coordinator.nodeSummaries().map((n) => n.nodeId).sort()).toEqual(['node-a', 'node-b']);
});

test('a node that leaves mid-run: the job restores from its latest checkpoint on the nodes left, output exact', async () => {
  await startCluster(['node-a', 'node-b', 'node-c']);
  const out = path.join(dir, 'out');
  const client = await coordinator.submit({
    jobModule: fixture,
    jobArgs: ['30000', out, '10000'],
    parallelism: 4,
    config: { checkpointDir: path.join(dir, 'checkpoints'), checkpointIntervalMs: 100 },
  });
  // Once a checkpoint completed, the node running subtask 0 of every vertex goes away.
  await until(() => client.checkpoints().some((c) => c.state === 'COMPLETED' && !c.savepoint));
  const victim = nodes.find((n) => n.running.some((r) => r.subtasks.some((k) => k.endsWith('#0'))))!;
  await victim.close();
  const result = await client.result();
  expect(result.restarts.length).toBeGreaterThanOrEqual(1);
  expect(readCommittedLines(out).sort()).toEqual(expectedLines(30000));
  expect(coordinator.nodeSummaries().map((n) => n.nodeId)).not.toContain(victim.nodeId);
});

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}
