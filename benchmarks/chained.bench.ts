/**
 * (a) A chained pipeline at parallelism 1 — generator → map → filter → sink,
 * fused into one subtask — against a hand-written loop calling the same
 * four functions. Target: the engine at ≥ 30% of the loop's rate.
 * The same pipeline from fromCollection, by default and with
 * `objectReuse: true`, gives the cost of the copies the collection source
 * emits (the caller's items are never handed out).
 */
import { StreamExecutionEnvironment } from '../index';
import { best, type CaseResult } from './harness';

interface Order {
  readonly id: number;
  readonly amount: number;
}

const generate = (i: number): Order => ({ id: i, amount: i % 1000 });
const addTax = (o: Order): Order => ({ id: o.id, amount: o.amount * 1.2 });
const large = (o: Order) => o.amount > 240;

export async function run(records = 5_000_000): Promise<CaseResult> {
  let total = 0;
  const sink = (o: Order) => {
    total += o.amount;
  };
  const loop = await best('hand-written loop', records, 3, () => {
    for (let i = 0; i < records; i++) {
      const o = addTax(generate(i));
      if (large(o)) sink(o);
    }
  });
  const engine = await best('engine, chained, p=1', records, 3, async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    env.fromGenerator(records, generate).map(addTax).filter(large).sinkTo(sink);
    await env.execute('chained');
  });
  const items = Array.from({ length: 1_000_000 }, (_, i) => generate(i));
  const collection = (objectReuse: boolean) =>
    best(`engine, fromCollection${objectReuse ? ', objectReuse' : ''}, p=1`, items.length, 3, async () => {
      const env = StreamExecutionEnvironment.create({ parallelism: 1, objectReuse });
      env.fromCollection(items).map(addTax).filter(large).sinkTo(sink);
      await env.execute('chained collection');
    });
  const copied = await collection(false);
  const reused = await collection(true);
  if (total === 42) console.log(''); // keep `total` observable
  return {
    name: 'chained pipeline (generator → map → filter → sink), p=1',
    measurements: [loop, engine, copied, reused],
    ratios: {
      'engine / loop': engine.recordsPerSecond / loop.recordsPerSecond,
      'fromCollection: copies / objectReuse': copied.recordsPerSecond / reused.recordsPerSecond,
    },
    targets: { 'engine / loop': '≥ 0.30' },
  };
}
