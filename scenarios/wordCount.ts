/**
 * Word count, the main job (`npm start`): lines of text → words → running
 * count per word, on the embedded runtime with parallelism 2. Prints the
 * final count of each word (the last running count the job emitted for it)
 * and the records each operator handled.
 *
 *   npm start                 # the built-in text
 *   npm start -- file.txt     # a file of your own
 */
import { readFileSync } from 'node:fs';
import { StreamExecutionEnvironment, type JobResult } from '../index';

export const SAMPLE_TEXT = `
To be, or not to be, that is the question:
Whether 'tis nobler in the mind to suffer
The slings and arrows of outrageous fortune,
Or to take arms against a sea of troubles
And by opposing end them. To die - to sleep,
No more; and by a sleep to say we end
The heart-ache and the thousand natural shocks
That flesh is heir to: 'tis a consummation
Devoutly to be wish'd. To die, to sleep;
To sleep, perchance to dream - ay, there's the rub.
`;

export interface WordCount {
  readonly word: string;
  readonly count: number;
}

/** Runs the job; returns the final count per word and the job's result. */
export async function wordCount(text: string, parallelism = 2): Promise<{ counts: Map<string, number>; result: JobResult }> {
  const env = StreamExecutionEnvironment.create({ parallelism });
  const finalCounts = new Map<string, number>();
  env
    .fromCollection(text.split('\n'))
    .name('Lines')
    .flatMap<WordCount>((line, out) => {
      for (const w of line.toLowerCase().split(/[^a-z']+/)) {
        const word = w.replace(/^'+|'+$/g, '');
        if (word) out.collect({ word, count: 1 });
      }
    })
    .name('Tokenize')
    .uid('tokenize')
    .keyBy((wc) => wc.word)
    .sum('count')
    .name('Count')
    .uid('count')
    // Running counts only grow, so the last one seen per word is its final count.
    .sinkTo((wc) => void finalCounts.set(wc.word, wc.count), 'Final counts')
    .uid('final-counts')
    .setParallelism(1);
  const result = await env.execute('Word Count');
  return { counts: finalCounts, result };
}

async function main(): Promise<void> {
  const file = process.argv[2];
  const text = file ? readFileSync(file, 'utf8') : SAMPLE_TEXT;
  const { counts, result } = await wordCount(text);
  const top = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  console.log(`${counts.size} distinct words; the 15 most frequent:`);
  for (const [word, count] of top.slice(0, 15)) console.log(`  ${String(count).padStart(4)}  ${word}`);
  console.log(`\nJob '${result.jobName}' finished in ${result.durationMs} ms:`);
  for (const op of result.operators) {
    console.log(`  ${op.name.padEnd(28)} p=${op.parallelism}  in=${op.recordsIn}  out=${op.recordsOut}`);
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
