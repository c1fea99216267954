/**
 * A fault-injection experiment: a keyed job (payments → running balance per
 * account) runs with exactly-once checkpoints while a seeded random plan of
 * faults strikes — crashes at a record, at a time, during a snapshot or a
 * notification, delayed channels. It prints the fault timeline and the
 * restarts, then checks the committed output (every balance, in order, per
 * account) and the final keyed state against a fault-free computation.
 *
 *   npm run build && node dist/scenarios/faultExperiment.js [seed] [records]
 */
import {
  CollectSink,
  loadCheckpoint,
  MemoryCheckpointStorage,
  readKeyedState,
  RestartStrategies,
  StreamExecutionEnvironment,
  type JobResult,
} from '../index';
import { FaultInjector, seededRandom, type Fault } from '../testing';

export interface Payment {
  readonly id: number;
  readonly account: number;
  readonly amount: number;
}

export const ACCOUNTS = 50;

export function payment(i: number): Payment {
  return { id: i, account: (i * 7919) % ACCOUNTS, amount: ((i * 31) % 100) - 30 };
}

/** A plan of 3–6 faults drawn from the seed; the first strikes at the first notify-complete, after a checkpoint completed. */
export function faultPlan(seed: number, records: number): Fault[] {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const target = () => (random() < 0.5 ? { operator: 'payments', subtask: 0 } : { operator: 'balances', subtask: int(2) });
  const plan: Fault[] = [{ kind: 'fail-during-notify', ...target(), attempt: 'any' }];
  for (let i = 2 + int(4); i > 0; i--) {
    switch (int(4)) {
      case 0:
        plan.push({ kind: 'fail-at-record', ...target(), record: 1 + int(records / 2), attempt: 'any' });
        break;
      case 1:
        plan.push({ kind: 'fail-at-time', ...target(), atMs: 20 + int(300), attempt: 'any' });
        break;
      case 2:
        plan.push({ kind: 'fail-during-snapshot', ...target(), checkpoint: 3 + int(5), attempt: 'any' });
        break;
      default:
        plan.push({
          kind: 'delay-channel',
          from: { operator: 'payments', subtask: 0 },
          to: { operator: 'balances', subtask: int(2) },
          what: 'data',
          delayMs: 5 + int(20),
          count: 100,
        });
    }
  }
  return plan;
}

export interface ExperimentOutcome {
  readonly result: JobResult;
  /** What differs from the fault-free run; empty when the run was exactly-once. */
  readonly problems: readonly string[];
}

export async function runExperiment(seed: number, records: number): Promise<ExperimentOutcome> {
  const storage = new MemoryCheckpointStorage();
  const env = StreamExecutionEnvironment.create({ parallelism: 2, faults: new FaultInjector(faultPlan(seed, records)), bufferTimeoutMs: 2 });
  env.enableCheckpointing(20, 'exactly-once', { retainedCheckpoints: 2 });
  env.setCheckpointStorage(storage);
  env.setRestartStrategy(RestartStrategies.fixedDelay(20, 10));
  env
    .fromGenerator(records, payment, { ratePerSecond: 40_000 })
    .uid('payments')
    .setParallelism(1) // one payment log, read in order
    .keyBy((p) => p.account)
    .sum('amount')
    .uid('balances')
    .sinkTo(new CollectSink<Payment>())
    .uid('out')
    .setParallelism(1);
  const result = await env.execute('Fault experiment');

  const expected = new Map<number, number[]>();
  for (let i = 0; i < records; i++) {
    const p = payment(i);
    const seq = expected.get(p.account) ?? [];
    seq.push((seq[seq.length - 1] ?? 0) + p.amount);
    expected.set(p.account, seq);
  }
  const got = new Map<number, number[]>();
  for (const p of result.sinkResults['out'] as Payment[]) got.set(p.account, [...(got.get(p.account) ?? []), p.amount]);
  const final = await loadCheckpoint(storage, result.finalCheckpoint!);
  const state = readKeyedState(final.state, 'balances', '_op_state') as Map<number, Payment>;
  const problems: string[] = [];
  for (const [account, seq] of expected) {
    const out = got.get(account) ?? [];
    if (out.length !== seq.length || out.some((b, i) => b !== seq[i])) {
      problems.push(`account ${account}: ${out.length} balances committed, ${seq.length} expected, or out of order`);
    }
    if (state.get(account)?.amount !== seq[seq.length - 1]) problems.push(`account ${account}: final state ${state.get(account)?.amount}, expected ${seq[seq.length - 1]}`);
  }
  return { result, problems };
}

async function main(): Promise<void> {
  const seed = Number(process.argv[2] ?? Date.now() % 1_000_000);
  const records = Number(process.argv[3] ?? 20_000);
  console.log(`seed ${seed}, ${records} payments; replay: node dist/scenarios/faultExperiment.js ${seed} ${records}`);
  const { result, problems } = await runExperiment(seed, records);
  console.log('\nfaults:');
  for (const f of result.faults) console.log(`  attempt ${f.attempt}: ${f.fault.kind} at ${f.where}`);
  console.log('restarts:');
  for (const r of result.restarts) console.log(`  attempt ${r.attempt} failed (${r.cause}); restored checkpoint ${r.restoredCheckpoint ?? 'none'}`);
  const completed = result.checkpointCounts.completed;
  console.log(`checkpoints: ${completed} completed, ${result.checkpoints.length - completed} failed or aborted`);
  if (problems.length === 0) console.log('\nexactly-once: output and final state equal the fault-free run');
  else {
    console.log(`\nNOT exactly-once:\n  ${problems.join('\n  ')}`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
