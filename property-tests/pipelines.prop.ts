/**
 * Property: random pipelines produce what a plain sequential program does.
 *
 * fast-check generates jobs — one or two sources (collection, parallel
 * generator, or a paced test source) unioned, chains of map / filter /
 * flatMap with rebalance / shuffle / broadcast between them, parallelism 1–4
 * per operator, and optionally a keyBy + reduce — plus random data, frame
 * sizes and credits. The collected output must equal the reference computed
 * on arrays: as a multiset; for the keyed reduce, per key, the outputs must
 * be the running sums of exactly that key's inputs (each input once), and in
 * the reference's order whenever the job preserves order (everything before
 * the reduce at parallelism 1, one source).
 *
 * Replay a failure with the seed and path fast-check prints:
 *   FC_SEED=<seed> npx jest property-tests/pipelines.prop.ts
 */
import fc from 'fast-check';
import { StreamExecutionEnvironment, type DataStream } from '../index';
import { seededRandom } from '../lib/testing/random';
import { TestSource } from '../lib/testing/TestSource';

interface Rec {
  readonly k: number;
  readonly v: number;
}

type Stage =
  | { readonly kind: 'map'; readonly a: number; readonly b: number; readonly p: number }
  | { readonly kind: 'filter'; readonly m: number; readonly p: number }
  | { readonly kind: 'flatMap'; readonly n: number; readonly p: number }
  | { readonly kind: 'rebalance' | 'shuffle' | 'broadcast' };

interface Branch {
  readonly data: Rec[];
  readonly source: 'collection' | 'generator' | 'paced';
  readonly p: number;
  readonly stages: Stage[];
}

interface Pipeline {
  readonly a: Branch;
  readonly b: Branch | undefined;
  readonly tail: Stage[];
  readonly reduce: { readonly mod: number; readonly p: number } | undefined;
  readonly frameSize: number;
  readonly credits: number;
  readonly bufferTimeoutMs: number;
  readonly seed: number;
}

const parallelism = fc.integer({ min: 1, max: 4 });
const operatorStage: fc.Arbitrary<Stage> = fc.oneof(
  fc.record({ kind: fc.constant('map' as const), a: fc.integer({ min: -3, max: 3 }), b: fc.integer({ min: -5, max: 5 }), p: parallelism }),
  fc.record({ kind: fc.constant('filter' as const), m: fc.integer({ min: 2, max: 5 }), p: parallelism }),
  fc.record({ kind: fc.constant('flatMap' as const), n: fc.integer({ min: 0, max: 3 }), p: parallelism }),
);
const stage: fc.Arbitrary<Stage> = fc.oneof(
  { weight: 3, arbitrary: operatorStage },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('rebalance' as const, 'shuffle' as const, 'broadcast' as const) }) },
);
const record: fc.Arbitrary<Rec> = fc.record({ k: fc.integer({ min: 0, max: 12 }), v: fc.integer({ min: -50, max: 50 }) });
const branch: fc.Arbitrary<Branch> = fc.record({
  data: fc.array(record, { maxLength: 120 }),
  source: fc.constantFrom('collection' as const, 'generator' as const, 'paced' as const),
  p: parallelism,
  stages: fc.array(stage, { maxLength: 4 }),
});
export const pipelineArb: fc.Arbitrary<Pipeline> = fc.record({
  a: branch,
  b: fc.option(branch, { nil: undefined }),
  tail: fc.array(stage, { maxLength: 3 }),
  reduce: fc.option(fc.record({ mod: fc.integer({ min: 1, max: 6 }), p: parallelism }), { nil: undefined }),
  frameSize: fc.integer({ min: 1, max: 16 }),
  credits: fc.integer({ min: 1, max: 4 }),
  bufferTimeoutMs: fc.constantFrom(0, 1, 5),
  seed: fc.integer(),
});

const mod = (x: number, m: number) => ((x % m) + m) % m;
const mapFn = (s: { a: number; b: number }) => (r: Rec): Rec => ({ k: r.k, v: r.v * s.a + s.b });
const keep = (s: { m: number }) => (r: Rec) => mod(r.v, s.m) !== 0;
const copies = (s: { n: number }) => (r: Rec): Rec[] => Array.from({ length: s.n }, (_, i) => ({ k: r.k + i, v: r.v - i }));

/**
 * How many copies a broadcast after stage i makes: the parallelism of the
 * next operator — unless another partitioning (a later rebalance, shuffle,
 * broadcast or keyBy) replaces it first, as the last partitioning wins.
 */
function consumerParallelism(stages: readonly Stage[], i: number, after: number): number {
  for (let j = i + 1; j < stages.length; j++) {
    const s = stages[j];
    if (s.kind === 'map' || s.kind === 'filter' || s.kind === 'flatMap') return s.p;
    return 1;
  }
  return after;
}

function applyStages(stream: DataStream<Rec>, stages: readonly Stage[]): DataStream<Rec> {
  let s = stream;
  for (const st of stages) {
    switch (st.kind) {
      case 'map':
        s = s.map(mapFn(st)).setParallelism(st.p);
        break;
      case 'filter':
        s = s.filter(keep(st)).setParallelism(st.p);
        break;
      case 'flatMap': {
        const f = copies(st);
        s = s.flatMap<Rec>((r, out) => f(r).forEach((x) => out.collect(x))).setParallelism(st.p);
        break;
      }
      case 'rebalance':
        s = s.rebalance();
        break;
      case 'shuffle':
        s = s.shuffle();
        break;
      case 'broadcast':
        s = s.broadcast();
        break;
    }
  }
  return s;
}

function referenceStages(input: readonly Rec[], stages: readonly Stage[], after: number): Rec[] {
  let xs = input.slice();
  stages.forEach((st, i) => {
    switch (st.kind) {
      case 'map':
        xs = xs.map(mapFn(st));
        break;
      case 'filter':
        xs = xs.filter(keep(st));
        break;
      case 'flatMap':
        xs = xs.flatMap(copies(st));
        break;
      case 'broadcast': {
        const n = consumerParallelism(stages, i, after);
        xs = xs.flatMap((r) => Array.from({ length: n }, () => r));
        break;
      }
      default:
        break;
    }
  });
  return xs;
}

function sourceOf(env: StreamExecutionEnvironment, b: Branch, seed: number): DataStream<Rec> {
  switch (b.source) {
    case 'collection':
      return env.fromCollection(b.data);
    case 'generator':
      return env.fromGenerator(b.data.length, (i) => b.data[i]).setParallelism(b.p);
    case 'paced':
      return env.fromSource(new TestSource(b.data, { seed, pauseChance: 0.2, maxPauseMs: 2 })).setParallelism(b.p);
  }
}

const sourceParallelism = (b: Branch) => (b.source === 'collection' ? 1 : b.p);
const sortRecs = (xs: readonly Rec[]) => xs.map((r) => `${r.k}:${r.v}`).sort();

async function runPipeline(pl: Pipeline): Promise<Rec[]> {
  const env = StreamExecutionEnvironment.create({
    frameSize: pl.frameSize,
    channelCredits: pl.credits,
    bufferTimeoutMs: pl.bufferTimeoutMs,
    random: seededRandom(pl.seed),
  });
  let s = applyStages(sourceOf(env, pl.a, pl.seed), pl.a.stages);
  if (pl.b) s = s.union(applyStages(sourceOf(env, pl.b, pl.seed + 1), pl.b.stages));
  s = applyStages(s, pl.tail);
  if (pl.reduce) {
    const m = pl.reduce.mod;
    s = s
      .keyBy((r) => mod(r.k, m))
      .reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
      .setParallelism(pl.reduce.p);
  }
  return s.executeAndCollect();
}

/** The records reaching the tail (after union), per the reference. */
function referenceBeforeReduce(pl: Pipeline): Rec[] {
  // After the tail comes keyBy (which replaces a broadcast) or the collect sink (parallelism 1).
  const afterTail = 1;
  // A branch's trailing broadcast fans out to the first operator after the union.
  const firstTailParallelism = consumerParallelism(pl.tail, -1, afterTail);
  const a = referenceStages(pl.a.data, pl.a.stages, firstTailParallelism);
  const b = pl.b ? referenceStages(pl.b.data, pl.b.stages, firstTailParallelism) : [];
  return referenceStages([...a, ...b], pl.tail, afterTail);
}

function preservesOrder(pl: Pipeline): boolean {
  if (pl.b !== undefined || sourceParallelism(pl.a) !== 1) return false;
  return [...pl.a.stages, ...pl.tail].every((s) => !('p' in s) || s.p === 1);
}

describe('random pipelines equal a sequential reference', () => {
  test('collected output (multiset; per key running sums of exactly its inputs, in order when the job keeps order)', async () => {
    await fc.assert(
      fc.asyncProperty(pipelineArb, async (pl) => {
        const out = await runPipeline(pl);
        const before = referenceBeforeReduce(pl);
        if (pl.reduce === undefined) {
          if (preservesOrder(pl)) expect(out).toEqual(before);
          else expect(sortRecs(out)).toEqual(sortRecs(before));
          return;
        }
        const m = pl.reduce.mod;
        const inputs = new Map<number, number[]>();
        for (const r of before) inputs.set(mod(r.k, m), [...(inputs.get(mod(r.k, m)) ?? []), r.v]);
        const outputs = new Map<number, number[]>();
        for (const r of out) outputs.set(mod(r.k, m), [...(outputs.get(mod(r.k, m)) ?? []), r.v]);
        expect([...outputs.keys()].sort()).toEqual([...inputs.keys()].sort());
        for (const [key, sums] of outputs) {
          const diffs = sums.map((s, i) => (i === 0 ? s : s - sums[i - 1]));
          const expected = inputs.get(key)!;
          if (preservesOrder(pl)) expect(diffs).toEqual(expected);
          else expect([...diffs].sort((x, y) => x - y)).toEqual([...expected].sort((x, y) => x - y));
        }
      }),
    );
  });
});
