/**
 * README "Resuming after the whole process died": a job run is cancelled
 * after its checkpoints completed (for its checkpoints, the same as a crash:
 * they are retained), then the snippet finds the newest retained checkpoint
 * and a new run resumes from it and claims it. The balances come out
 * exactly once over both runs, and only the new run's final checkpoint is
 * left in the directory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FileSink, GeneratorSource, listRetainedCheckpoints, readCommittedLines, StreamExecutionEnvironment } from 'weir-stream';

interface Order {
  id: number;
  account: string;
  amount: number;
}
const ORDERS = 3_000;
const orders = new GeneratorSource<Order>(ORDERS, (i) => ({ id: i, account: `acct-${i % 10}`, amount: 1 }), { ratePerSecond: 6_000 });
const dataDir = mkdtempSync(join(tmpdir(), 'weir-resume-'));

function balances(env: StreamExecutionEnvironment) {
  env.enableCheckpointing(50, 'exactly-once', { retainedCheckpoints: 2 });
  env.setCheckpointStorage(`${dataDir}/checkpoints`);
  env.fromSource(orders).uid('orders').keyBy((o) => o.account).sum('amount').uid('sums').sinkTo(new FileSink(`${dataDir}/balances`)).uid('files');
}

try {
  // A first run, gone after two checkpoints (a crash leaves the same checkpoints behind).
  const first = StreamExecutionEnvironment.create({ parallelism: 2 });
  balances(first);
  const running = first.executeAsync('balances');
  while (running.checkpoints().filter((c) => c.state === 'COMPLETED').length < 2) await new Promise((r) => setTimeout(r, 10));
  await running.cancel();

  const [latest] = await listRetainedCheckpoints(`${dataDir}/checkpoints`, { jobName: 'balances' });
  const env = StreamExecutionEnvironment.create({
    parallelism: 4,
    savepointPath: latest?.location,   // a savepoint or a retained checkpoint: its directory or its _metadata
    restoreMode: 'CLAIM',              // the dead run's checkpoints go once this run has its own
  });

  assert.ok(latest !== undefined, 'the first run retained a checkpoint');
  balances(env);
  const result = await env.execute('balances');
  const lines = readCommittedLines(`${dataDir}/balances`).map((l) => JSON.parse(l) as Order);
  // One line per order: each account's running sum counts 1, 2, ... 300 once.
  assert.equal(lines.length, ORDERS, 'one balance line per order');
  for (let a = 0; a < 10; a++) {
    const sums = lines.filter((o) => o.account === `acct-${a}`).map((o) => o.amount).sort((x, y) => x - y);
    assert.deepEqual(sums, Array.from({ length: ORDERS / 10 }, (_, i) => i + 1), `acct-${a}`);
  }
  assert.deepEqual(readdirSync(`${dataDir}/checkpoints`), [result.jobId], "the dead run's checkpoints were claimed and deleted");
  console.log(`resumed from checkpoint ${latest.checkpointId} of the first run; ${lines.length} balances, each order counted once`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
