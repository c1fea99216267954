/**
 * Crash recovery: a job that can be killed (`kill -9`) at any moment and
 * started again, and resumes from its newest retained checkpoint, as an
 * operator would run it. JSON-lines payment files → keyBy(account) → a
 * running balance per account in ValueState → FileSink. Checkpoints every
 * 50 ms into `<checkpoints>`; each start looks for the newest checkpoint the
 * job `balances` left there and, when there is one, resumes from it in
 * CLAIM mode (the dead run's checkpoints are deleted once this run has its
 * own). Prints one JSON line per event: `{"event":"started","jobId",
 * "resumedFrom"}` and `{"event":"finished","jobId"}`.
 *
 *   node dist/scenarios/crashRecovery.js <input dir> <output dir> <checkpoint dir>
 */
import {
  FileSink,
  FileSource,
  listRetainedCheckpoints,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
  type KeyedProcessFunction,
  type RuntimeContext,
  type ValueState,
} from '../index';

export const JOB_NAME = 'balances';

export interface Payment {
  readonly seq: number;
  readonly account: string;
  readonly amount: number;
}

export interface Balance {
  readonly seq: number;
  readonly account: string;
  readonly balance: number;
}

/** The balance of each account after each of its payments. */
export class RunningBalance implements KeyedProcessFunction<string, Payment, Balance> {
  private balance!: ValueState<number>;
  open(ctx: RuntimeContext): void {
    this.balance = ctx.getState(new ValueStateDescriptor<number>('balance', 0));
  }
  processElement(p: Payment, _ctx: KeyedProcessContext<string>, out: Collector<Balance>): void {
    const balance = (this.balance.value() ?? 0) + p.amount;
    this.balance.update(balance);
    out.collect({ seq: p.seq, account: p.account, balance });
  }
}

export async function runBalances(input: string, output: string, checkpoints: string, parallelism = 2): Promise<void> {
  const [latest] = await listRetainedCheckpoints(checkpoints, { jobName: JOB_NAME });
  const env = StreamExecutionEnvironment.create({
    parallelism,
    savepointPath: latest?.location,
    restoreMode: 'CLAIM',
  });
  env.enableCheckpointing(50);
  env.setCheckpointStorage(checkpoints);
  env
    .fromSource(FileSource.jsonLines<Payment>(input), 'payments')
    .uid('payments')
    .keyBy((p) => p.account)
    .process(new RunningBalance())
    .uid('balances')
    .sinkTo(new FileSink<Balance>(output))
    .uid('out');
  const job = env.executeAsync(JOB_NAME);
  console.log(JSON.stringify({ event: 'started', jobId: job.jobId, resumedFrom: latest?.location ?? null }));
  await job.result();
  console.log(JSON.stringify({ event: 'finished', jobId: job.jobId }));
}

if (require.main === module) {
  const [input, output, checkpoints] = process.argv.slice(2);
  if (!input || !output || !checkpoints) {
    console.error('usage: crashRecovery <input dir> <output dir> <checkpoint dir>');
    process.exitCode = 2;
  } else {
    runBalances(input, output, checkpoints).catch((e) => {
      console.error(e);
      process.exitCode = 1;
    });
  }
}
