/**
 * README "Exactly-once with checkpoints, restarts and a transactional sink":
 * a keyed running balance into a FileSink with checkpoints on the file
 * system and a savepoint taken while the job runs; then what the snippet's
 * last comment says: a new job resumes from that savepoint at parallelism 8.
 * Every account's balance ends at its total in both runs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FileSink, GeneratorSource, readCommittedLines, RestartStrategies, StreamExecutionEnvironment } from 'weir-stream';

interface Order {
  account: string;
  amount: number;
}
const ORDERS = 2_000;
const order = (i: number): Order => ({ account: `acct-${i % 10}`, amount: (i % 7) + 1 });
const orders = new GeneratorSource<Order>(ORDERS, order, { ratePerSecond: 2_000 }); // about a second of input
const dataDir = mkdtempSync(join(tmpdir(), 'weir-example-'));

const env = StreamExecutionEnvironment.create({ parallelism: 4 });
env.enableCheckpointing(1000, 'exactly-once', { retainedCheckpoints: 2 });
env.setCheckpointStorage(`${dataDir}/checkpoints`);             // or memory (the default)
env.setRestartStrategy(RestartStrategies.fixedDelay(10, 500));
env.fromSource(orders).keyBy((o) => o.account).sum('amount').sinkTo(new FileSink(`${dataDir}/balances`));
const job = env.executeAsync('balances');
const savepoint = await job.triggerSavepoint(`${dataDir}/savepoints`);
// later: StreamExecutionEnvironment.create({ parallelism: 8, savepointPath: savepoint }) resumes, rescaled

try {
  await job.result();
  const totals = new Map<string, number>();
  for (let i = 0; i < ORDERS; i++) totals.set(order(i).account, (totals.get(order(i).account) ?? 0) + order(i).amount);
  const balances = (records: Order[]) => {
    const last = new Map<string, number>();
    for (const r of records) last.set(r.account, Math.max(r.amount, last.get(r.account) ?? 0));
    return last;
  };

  const committed = readCommittedLines(`${dataDir}/balances`).map((line) => JSON.parse(line) as Order);
  assert.equal(committed.length, ORDERS, 'one committed balance line per order');
  assert.deepEqual(balances(committed), totals);

  // The same program from the savepoint, at parallelism 8: the source continues at the savepoint's
  // offsets and each account's sum at the savepoint's value (the file sink's state is not needed here),
  // so every account the resumed job sees still ends at its total.
  const resumed = StreamExecutionEnvironment.create({ parallelism: 8, savepointPath: savepoint, allowNonRestoredState: true });
  const after = await resumed.fromSource(orders).keyBy((o) => o.account).sum('amount').executeAndCollect('balances, resumed');
  assert.ok(after.length <= ORDERS);
  for (const [account, balance] of balances(after)) assert.equal(balance, totals.get(account), account);
  console.log(`savepoint ${savepoint}; resumed at parallelism 8 with ${ORDERS - after.length} of ${ORDERS} orders already in it`);
  console.log(Object.fromEntries(totals));
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
