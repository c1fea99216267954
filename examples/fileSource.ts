/**
 * README "Reading files, and side outputs": orders read from JSON-lines
 * files (one malformed line among them) are summed per account into a
 * FileSink; the malformed line goes to its own FileSink through a side
 * output. Then a process function splits payments into a main and a side
 * output.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const dataDir = mkdtempSync(join(tmpdir(), 'weir-files-'));
mkdirSync(`${dataDir}/orders`);
writeFileSync(`${dataDir}/orders/monday.jsonl`, '{"id":"o1","account":"a","amount":5}\n{"id":"o2","account":"b","amount":7}\n');
writeFileSync(`${dataDir}/orders/tuesday.jsonl`, '{"id":"o3","account":"a","amount":1}\n{"id":"o4", oops\n');

import { FileSink, FileSource, OutputTag, StreamExecutionEnvironment, type MalformedRecord } from 'weir-stream';

interface Order { id: string; account: string; amount: number }
const bad = new OutputTag<MalformedRecord>('bad lines');

const env = StreamExecutionEnvironment.create({ parallelism: 4 });
env.enableCheckpointing(1000);
const orders = env.fromSource(FileSource.jsonLines<Order>(`${dataDir}/orders`, { onMalformed: bad }), 'orders');
orders.keyBy((o) => o.account).sum('amount').sinkTo(new FileSink(`${dataDir}/balances`));
orders.getSideOutput(bad).sinkTo(new FileSink(`${dataDir}/rejected`));   // { file, line, raw, reason }
await env.execute('balances');

import { readCommittedLines } from 'weir-stream';
try {
  const balances = readCommittedLines(`${dataDir}/balances`).map((l) => JSON.parse(l) as Order);
  const last = new Map(balances.sort((x, y) => x.amount - y.amount).map((o) => [o.account, o.amount]));
  assert.deepEqual(Object.fromEntries(last), { a: 6, b: 7 });
  const [rejected] = readCommittedLines(`${dataDir}/rejected`).map((l) => JSON.parse(l) as MalformedRecord);
  assert.equal(rejected.line, 2);
  assert.ok(rejected.file.endsWith('tuesday.jsonl'));
  console.log(`balances ${JSON.stringify(Object.fromEntries(last))}; rejected ${rejected.file.split('/').pop()}:${rejected.line} (${rejected.reason})`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

interface Payment { account: string; amount: number }
const sides = StreamExecutionEnvironment.create({ parallelism: 2 });
const payments = sides.fromCollection<Payment>([
  { account: 'a', amount: 50 },
  { account: 'a', amount: 500 },
  { account: 'b', amount: 20 },
  { account: 'a', amount: 30 },
]);

const small = new OutputTag<Payment>('small');
const large = payments.process<Payment>({
  processElement(p, ctx, out) { if (p.amount < 100) ctx.output(small, p); else out.collect(p); },
});
large.getSideOutput(small).keyBy((p) => p.account).sum('amount').print();

await sides.execute('side outputs');
