/**
 * (b) keyBy + keyed running sum over 100K keys, at parallelism 1 and 2,
 * against a loop doing the same work with a native Map (look up the key's
 * running value, build the updated record, store it, hand it to the sink).
 * Target: the engine at ≥ 20% of the loop. Both parallelisms run in this one
 * process (the embedded runtime), so p=2 measures overhead, not speed-up.
 * Then a user reduce doing the same sum, by default and with
 * `objectReuse: true`: the ratio is the cost of the copy a stateful operator
 * emits by default (its state keeps the object it would otherwise emit).
 * The built-in sum accumulates in place and emits a copy either way.
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
  const engine = (p: number) =>
    best(`engine keyBy+sum, p=${p}`, records, 3, async () => {
      const env = StreamExecutionEnvironment.create({ parallelism: p });
      env.fromGenerator(records, generate).keyBy((x) => x.key).sum('amount').sinkTo(sink);
      await env.execute('keyed sum');
    });
  const userReduce = (objectReuse: boolean) =>
    best(`engine keyBy+reduce(fn), p=1${objectReuse ? ', objectReuse' : ''}`, records, 3, async () => {
      const env = StreamExecutionEnvironment.create({ parallelism: 1, objectReuse });
      env
        .fromGenerator(records, generate)
        .keyBy((x) => x.key)
        .reduce((a, b) => ({ ...a, amount: a.amount + b.amount }))
        .sinkTo(sink);
      await env.execute('keyed reduce');
    });
  const p1 = await engine(1);
  const p2 = await engine(2);
  const copied = await userReduce(false);
  const reused = await userReduce(true);
  if (total === 42) console.log('');
  return {
    name: `keyBy + keyed sum, ${KEYS / 1000}K keys`,
    measurements: [loop, p1, p2, copied, reused],
    ratios: {
      'engine p=1 / loop': p1.recordsPerSecond / loop.recordsPerSecond,
      'engine p=2 / loop': p2.recordsPerSecond / loop.recordsPerSecond,
      'reduce(fn): copies / objectReuse': copied.recordsPerSecond / reused.recordsPerSecond,
    },
    targets: { 'engine p=1 / loop': '≥ 0.20', 'engine p=2 / loop': '≥ 0.20' },
  };
}
