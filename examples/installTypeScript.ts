/** README "Install and use in your app", TypeScript: keyed running totals from an ES module. */
import assert from 'node:assert/strict';

import { StreamExecutionEnvironment } from 'weir-stream';

const env = StreamExecutionEnvironment.create({ parallelism: 2 });
const totals = await env
  .fromCollection([{ user: 'ann', amount: 5 }, { user: 'bob', amount: 7 }, { user: 'ann', amount: 3 }])
  .keyBy((order) => order.user)
  .sum('amount')
  .executeAndCollect();
console.log(totals);               // running totals: ann 5 then 8, bob 7

const amounts = (user: string) => totals.filter((t) => t.user === user).map((t) => t.amount);
assert.deepEqual(amounts('ann'), [5, 8]);
assert.deepEqual(amounts('bob'), [7]);
