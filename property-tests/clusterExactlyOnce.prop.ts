/**
 * Property: exactly-once state and output on a cluster of node processes'
 * runtimes (a coordinator and three nodes in this process, over real TCP
 * connections), under generated jobs × fault schedules (faultyJobs.ts:
 * crashes at records, times, snapshots, notifications and restores,
 * delayed and lost buffers and credits) plus cluster faults: a node lost
 * (its subtasks fail with it; a fresh node joins so slots suffice) and the
 * data connections between nodes cut. The committed FileSink output holds
 * every input exactly once per key with running counts 1..n, and the final
 * keyed state equals the fault-free reference.
 *
 * Replay a failure: FC_SEED=<seed> npx jest property-tests/clusterExactlyOnce.prop.ts
 */
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Coordinator } from '../actors/cluster/Coordinator';
import { Node } from '../actors/cluster/Node';
import { loadCheckpoint, readKeyedState } from '../index';
import { FileSystemCheckpointStorage } from '../lib/checkpoint/CheckpointStorage';
import { readCommittedLines } from '../lib/connectors/FileSink';
import { expectExactlyOnce, faultsArb, faultyJobArb, STATE_NAME, type Out } from './faultyJobs';

const RUNS = Number(process.env.FC_NUM_RUNS ?? 4);
const secret = 'the property cluster secret';
const jobModule = path.join(__dirname, 'support', 'faultyJobModule.ts');

type ClusterFault = { kind: 'none' } | { kind: 'lose-node'; node: number } | { kind: 'cut-connections'; node: number };

const clusterFault: fc.Arbitrary<ClusterFault> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('lose-node' as const), node: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('cut-connections' as const), node: fc.integer({ min: 0, max: 2 }) }),
);

const scenario = faultyJobArb.chain((job) =>
  fc.record({ job: fc.constant(job), faults: faultsArb(job), intervalMs: fc.integer({ min: 10, max: 40 }), cluster: clusterFault }),
);

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('exactly-once on a cluster: output and final state equal the reference under task, channel, node and connection faults', async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async ({ job, faults, intervalMs, cluster }) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-cluster-prop-'));
      const coordinator = await Coordinator.start({ secret });
      const at = { host: coordinator.host, port: coordinator.port };
      const nodes = await Promise.all([0, 1, 2].map((i) => Node.start({ nodeId: `n${i}`, secret, slots: 2, coordinator: at })));
      try {
        await Promise.all(nodes.map((n) => n.registered));
        const out = path.join(dir, 'out');
        const checkpoints = path.join(dir, 'checkpoints');
        const client = await coordinator.submit({
          jobModule,
          jobArgs: [JSON.stringify(job), out, String(intervalMs)],
          config: { checkpointDir: checkpoints, faults: JSON.parse(JSON.stringify(faults)) },
        });
        if (cluster.kind !== 'none') {
          const ended = client.result().then(
            () => true,
            () => true,
          );
          let done = false;
          void ended.then(() => (done = true));
          await until(() => done || client.checkpoints().some((c) => c.state === 'COMPLETED'), 'a completed checkpoint');
          if (!done) {
            const victim = nodes[cluster.node];
            if (cluster.kind === 'lose-node') {
              await victim.close();
              nodes.push(await Node.start({ nodeId: `n${nodes.length}`, secret, slots: 2, coordinator: at }));
            } else {
              victim.cutDataConnections();
            }
          }
        }
        const result = await client.result();
        const outputs = readCommittedLines(out).map((l) => JSON.parse(l) as Out);
        const final = await loadCheckpoint(new FileSystemCheckpointStorage(checkpoints), result.finalCheckpoint!);
        const state = readKeyedState(final.state, 'stateful', STATE_NAME) as Map<number, { count: number; sum: number }>;
        expectExactlyOnce(job, state, outputs, false);
      } finally {
        await Promise.all(nodes.map((n) => n.close()));
        await coordinator.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: RUNS },
  );
});
