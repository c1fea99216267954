/** README "Ten lines": a running word count over two lines of text, collected. */
import assert from 'node:assert/strict';

import { StreamExecutionEnvironment } from 'weir-stream';

const env = StreamExecutionEnvironment.create({ parallelism: 2 });
const counts = await env
  .fromCollection(['to be or not to be', 'that is the question'])
  .flatMap<{ word: string; n: number }>((line, out) => line.split(' ').forEach((word) => out.collect({ word, n: 1 })))
  .keyBy((w) => w.word)
  .sum('n')                        // running count per word
  .executeAndCollect();            // [{ word: 'to', n: 1 }, ..., { word: 'to', n: 2 }, ...]

const finalCounts = new Map<string, number>();
for (const { word, n } of counts) finalCounts.set(word, Math.max(n, finalCounts.get(word) ?? 0));
console.log(Object.fromEntries(finalCounts));
assert.equal(counts.length, 10);
assert.deepEqual(Object.fromEntries(finalCounts), { to: 2, be: 2, or: 1, not: 1, that: 1, is: 1, the: 1, question: 1 });
