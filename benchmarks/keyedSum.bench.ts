/**
 * (b) keyBy + keyed running sum over 100K keys, at parallelism 1 and 2,
 * against a loop doing the same work with a native Map (look up the key's
 * running value, build the updated record, store it, hand it to the sink).
 * Target: the engine at ≥ 20% of the loop. Both parallelisms run in this one
 * process (the embedded runtime), so p=2 measures overhead, not speed-up.
 * A third run at p=1 with `objectReuse: true` gives the cost of the copy the
 * sum emits by default (its state keeps the object it would emit).
 */
import { StreamExecutionEnvironment } from '../index';
import { best, type CaseResult } from './harness';

interface Payment {
  readonly key: string;
  readonly amount: number;
}

const KEYS = 100_000;
const keyNames = Array.from({ length: KEYS }, (_, i) => `user-${i}`);
const generate = (i: number): Payment => ({ key: keyNames[(i * 7919) % KEYS], amount: i % 10 });

export async function run(records = 2_000_000): Promise<CaseResult> {
  let total = 0;
  const sink = (p: Payment) => {
    total += p.amount;
  };
  const loop = await best('native Map loop', records, 3, () => {
    const sums = new Map<string, Payment>();
    for (let i = 0; i < records; i++) {
      const p = generate(i);
      const cur = sums.get(p.key);
      const next = cur === undefined ? p : { ...cur, amount: cur.amount + p.amount };
      sums.set(p.key, next);
      sink(next);
    }
  });
  const engine = (p: number, objectReuse = false) =>
    best(`engine keyBy+sum, p=${p}${objectReuse ? ', objectReuse' : ''}`, records, 3, async () => {
      const env = StreamExecutionEnvironment.create({ parallelism: p, objectReuse });
      env.fromGenerator(records, generate).keyBy((x) => x.key).sum('amount').sinkTo(sink);
      await env.execute('keyed sum');
    });
  const p1 = await engine(1);
  const p2 = await engine(2);
  const reuse = await engine(1, true);
  if (total === 42) console.log('');
  return {
    name: `keyBy + keyed sum, ${KEYS / 1000}K keys`,
    measurements: [loop, p1, p2, reuse],
    ratios: {
      'engine p=1 / loop': p1.recordsPerSecond / loop.recordsPerSecond,
      'engine p=2 / loop': p2.recordsPerSecond / loop.recordsPerSecond,
      'engine p=1 objectReuse / loop': reuse.recordsPerSecond / loop.recordsPerSecond,
      'engine p=1 / p=1 objectReuse (copy cost)': p1.recordsPerSecond / reuse.recordsPerSecond,
    },
    targets: { 'engine p=1 / loop': '≥ 0.20', 'engine p=2 / loop': '≥ 0.20' },
  };
}
