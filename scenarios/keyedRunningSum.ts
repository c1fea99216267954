/**
 * Keyed running sum: a deterministic stream of payments, keyed by account,
 * with a running balance per account (keyBy + sum). Prints the final
 * balances. `node dist/scenarios/keyedRunningSum.js [records] [parallelism]`
 */
import { StreamExecutionEnvironment } from '../index';

export interface Payment {
  readonly account: string;
  readonly amount: number;
  readonly seq: number;
}

/** Payment i: deterministic, so any run (and any replay) sees the same stream. */
export function payment(i: number, accounts = 100): Payment {
  return { account: `acct-${(i * 7919) % accounts}`, amount: ((i * 31) % 200) - 50, seq: i };
}

export async function runningBalances(count: number, parallelism: number, accounts = 100): Promise<Payment[]> {
  const env = StreamExecutionEnvironment.create({ parallelism });
  return env
    .fromGenerator(count, (i) => payment(i, accounts))
    .uid('payments')
    // One payment log, read in sequence: each account's balances come out in payment order.
    .setParallelism(1)
    .keyBy((p) => p.account)
    .sum('amount')
    .uid('balances')
    .executeAndCollect('Keyed Running Sum');
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 100_000);
  const parallelism = Number(process.argv[3] ?? 2);
  const t0 = Date.now();
  const out = await runningBalances(count, parallelism);
  const balances = new Map<string, number>();
  for (const p of out) balances.set(p.account, p.amount);
  console.log(`${count} payments, ${balances.size} accounts, ${Date.now() - t0} ms`);
  for (const [a, b] of [...balances].sort().slice(0, 10)) console.log(`  ${a}: ${b}`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
