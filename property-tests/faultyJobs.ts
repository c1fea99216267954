/**
 * Shared by the fault-tolerance properties: random jobs with keyed state,
 * random fault schedules, the job builder and its fault-free reference.
 *
 * A job: one or two rate-limited generator sources (unioned) at parallelism
 * 1–4, a chain of map / filter / flatMap (parallelism 1–4), keyBy, and a
 * stateful KeyedProcessFunction (uid 'stateful') keeping per key a count and
 * a sum in ValueState, emitting { key, id, count, sum } for every record;
 * results go to the exactly-once collect sink.
 */
import fc from 'fast-check';
import {
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type Collector,
  type DataStream,
  type KeyedProcessContext,
  type RuntimeContext,
  type ValueState,
} from '../index';
import type { Fault } from '../lib/testing/FaultInjector';

export interface Rec {
  readonly id: string;
  readonly k: number;
  readonly v: number;
}

export interface Out {
  readonly key: number;
  readonly id: string;
  readonly count: number;
  readonly sum: number;
  /** Which subtask processed the record, at which parallelism. */
  readonly subtask: number;
  readonly parallelism: number;
}

export type Stage =
  | { readonly kind: 'map'; readonly a: number; readonly p: number }
  | { readonly kind: 'filter'; readonly m: number; readonly p: number }
  | { readonly kind: 'flatMap'; readonly n: number; readonly p: number };

export interface FaultyJob {
  readonly sources: readonly { readonly count: number; readonly p: number; readonly seed: number }[];
  readonly stages: readonly Stage[];
  readonly keys: number;
  readonly keyedP: number;
  readonly ratePerSecond: number;
}

export const STATE_NAME = 'acc';

const parallelism = fc.integer({ min: 1, max: 4 });
const stage: fc.Arbitrary<Stage> = fc.oneof(
  fc.record({ kind: fc.constant('map' as const), a: fc.integer({ min: 1, max: 5 }), p: parallelism }),
  fc.record({ kind: fc.constant('filter' as const), m: fc.integer({ min: 2, max: 5 }), p: parallelism }),
  fc.record({ kind: fc.constant('flatMap' as const), n: fc.integer({ min: 0, max: 2 }), p: parallelism }),
);

export const faultyJobArb: fc.Arbitrary<FaultyJob> = fc.record({
  sources: fc.array(fc.record({ count: fc.integer({ min: 300, max: 4000 }), p: parallelism, seed: fc.integer({ min: 0, max: 1000 }) }), {
    minLength: 1,
    maxLength: 2,
  }),
  stages: fc.array(stage, { maxLength: 3 }),
  keys: fc.integer({ min: 1, max: 20 }),
  keyedP: parallelism,
  ratePerSecond: fc.integer({ min: 40_000, max: 150_000 }),
});

/** Record i of source s: deterministic, so every replay sees the same data. */
export function record(s: number, seed: number, i: number): Rec {
  return { id: `${s}:${i}`, k: (i * 7 + seed) % 97, v: ((i * 31 + seed) % 100) - 20 };
}

const stageFn = {
  map: (st: { a: number }) => (r: Rec): Rec => ({ id: r.id, k: r.k + st.a, v: r.v * st.a }),
  filter: (st: { m: number }) => (r: Rec) => (r.v + r.k) % st.m !== 0,
  flatMap: (st: { n: number }) => (r: Rec): Rec[] => Array.from({ length: st.n }, (_, j) => ({ id: `${r.id}/${j}`, k: r.k + j, v: r.v - j })),
};

/** The records reaching keyBy, per the sequential reference. */
export function referenceInput(job: FaultyJob): Rec[] {
  let xs: Rec[] = job.sources.flatMap((s, si) => Array.from({ length: s.count }, (_, i) => record(si, s.seed, i)));
  for (const st of job.stages) {
    if (st.kind === 'map') xs = xs.map(stageFn.map(st));
    else if (st.kind === 'filter') xs = xs.filter(stageFn.filter(st));
    else xs = xs.flatMap(stageFn.flatMap(st));
  }
  return xs;
}

export const keyOf = (job: FaultyJob) => (r: Rec) => r.k % job.keys;

/** Final state per key: count and sum of the key's inputs. */
export function referenceState(job: FaultyJob): Map<number, { count: number; sum: number }> {
  const m = new Map<number, { count: number; sum: number }>();
  const key = keyOf(job);
  for (const r of referenceInput(job)) {
    const a = m.get(key(r)) ?? { count: 0, sum: 0 };
    m.set(key(r), { count: a.count + 1, sum: a.sum + r.v });
  }
  return m;
}

class CountAndSum {
  private acc!: ValueState<{ count: number; sum: number }>;
  private subtask = 0;
  private parallelism = 1;
  open(ctx: RuntimeContext) {
    this.acc = ctx.getState(new ValueStateDescriptor<{ count: number; sum: number }>(STATE_NAME));
    this.subtask = ctx.indexOfThisSubtask;
    this.parallelism = ctx.numberOfParallelSubtasks;
  }
  processElement(r: Rec, ctx: KeyedProcessContext<number>, out: Collector<Out>) {
    const a = this.acc.value() ?? { count: 0, sum: 0 };
    const next = { count: a.count + 1, sum: a.sum + r.v };
    this.acc.update(next);
    out.collect({ key: ctx.getCurrentKey(), id: r.id, count: next.count, sum: next.sum, subtask: this.subtask, parallelism: this.parallelism });
  }
}

/** Builds the job into `env`; returns the stream of the stateful operator's outputs. */
export function buildFaultyJob(env: StreamExecutionEnvironment, job: FaultyJob): DataStream<Out> {
  const streams = job.sources.map((s, si) =>
    env
      .fromGenerator(s.count, (i) => record(si, s.seed, i), { ratePerSecond: job.ratePerSecond })
      .uid(`source-${si}`)
      .setParallelism(s.p),
  );
  let s: DataStream<Rec> = streams.length === 1 ? streams[0] : streams[0].union(...streams.slice(1));
  job.stages.forEach((st, i) => {
    if (st.kind === 'map') s = s.map(stageFn.map(st)).uid(`stage-${i}`).setParallelism(st.p);
    else if (st.kind === 'filter') s = s.filter(stageFn.filter(st)).uid(`stage-${i}`).setParallelism(st.p);
    else {
      const f = stageFn.flatMap(st);
      s = s.flatMap<Rec>((r, o) => f(r).forEach((x) => o.collect(x))).uid(`stage-${i}`).setParallelism(st.p);
    }
  });
  return s.keyBy(keyOf(job)).process(new CountAndSum()).uid('stateful').setParallelism(job.keyedP);
}

/** Operator uids and parallelism of the job's subtasks (fault targets). */
export function subtasksOf(job: FaultyJob): { uid: string; p: number }[] {
  return [
    ...job.sources.map((s, i) => ({ uid: `source-${i}`, p: s.p })),
    ...job.stages.map((st, i) => ({ uid: `stage-${i}`, p: st.p })),
    { uid: 'stateful', p: job.keyedP },
  ];
}

/**
 * 1–5 faults on the job's subtasks. The first crashes a subtask at the
 * first notify-complete, after a completed checkpoint; the second (when the
 * stateful operator has an upstream) slows the data of one of its input
 * channels, so barriers arrive far apart and alignment matters.
 */
export function faultsArb(job: FaultyJob): fc.Arbitrary<Fault[]> {
  const targets = subtasksOf(job);
  const upstream = targets.slice(0, -1);
  const stateful = targets[targets.length - 1];
  const skew: fc.Arbitrary<Fault[]> = fc
    .tuple(
      fc.constantFrom(...upstream).chain((t) => fc.integer({ min: 0, max: t.p - 1 }).map((subtask) => ({ operator: t.uid, subtask }))),
      fc.integer({ min: 0, max: stateful.p - 1 }),
      fc.integer({ min: 2, max: 20 }),
    )
    .map(([from, to, delayMs]) => [
      { kind: 'delay-channel' as const, from, to: { operator: stateful.uid, subtask: to }, what: 'data' as const, delayMs, count: 50 },
    ]);
  const target = fc.constantFrom(...targets).chain((t) => fc.record({ operator: fc.constant(t.uid), subtask: fc.integer({ min: 0, max: t.p - 1 }) }));
  const fault: fc.Arbitrary<Fault> = fc.oneof(
    fc.tuple(target, fc.integer({ min: 1, max: 2000 })).map(([t, record]) => ({ kind: 'fail-at-record' as const, ...t, record })),
    fc.tuple(target, fc.integer({ min: 5, max: 120 })).map(([t, atMs]) => ({ kind: 'fail-at-time' as const, ...t, atMs })),
    fc.tuple(target, fc.integer({ min: 1, max: 4 })).map(([t, checkpoint]) => ({ kind: 'fail-during-snapshot' as const, ...t, checkpoint })),
    fc.tuple(target, fc.integer({ min: 1, max: 4 })).map(([t, checkpoint]) => ({ kind: 'fail-during-notify' as const, ...t, checkpoint })),
    target.map((t) => ({ kind: 'fail-during-restore' as const, ...t })),
    fc.tuple(target, target, fc.constantFrom('data' as const, 'credit' as const), fc.integer({ min: 1, max: 15 })).map(([from, to, what, delayMs]) => ({
      kind: 'delay-channel' as const,
      from,
      to,
      what,
      delayMs,
      count: 20,
    })),
    fc.tuple(target, target, fc.constantFrom('data' as const, 'credit' as const)).map(([from, to, what]) => ({ kind: 'drop-channel' as const, from, to, what })),
  );
  return fc
    .tuple(target, skew, fc.array(fault, { maxLength: 3 }))
    .map(([t, slow, rest]) => [{ kind: 'fail-during-notify' as const, ...t, attempt: 'any' as const }, ...slow, ...rest]);
}

/**
 * The exactly-once checks of a faulty job's run: its final keyed state
 * equals the fault-free reference, and its output holds every input exactly
 * once per key with running counts 1..n — in order when `ordered` (a sink
 * that keeps per-key order), as a set otherwise — and each key's last sum.
 */
export function expectExactlyOnce(job: FaultyJob, state: ReadonlyMap<number, { count: number; sum: number }>, outputs: readonly Out[], ordered: boolean): void {
  const expected = referenceState(job);
  const sorted = <V>(m: ReadonlyMap<number, V>) => new Map([...m].sort((a, b) => a[0] - b[0]));
  expect(sorted(state)).toEqual(sorted(expected));
  const input = referenceInput(job);
  expect(outputs.length).toBe(input.length);
  const key = keyOf(job);
  const inputsByKey = new Map<number, string[]>();
  for (const r of input) inputsByKey.set(key(r), [...(inputsByKey.get(key(r)) ?? []), r.id]);
  const byKey = new Map<number, Out[]>();
  for (const o of outputs) byKey.set(o.key, [...(byKey.get(o.key) ?? []), o]);
  for (const [k, outs] of byKey) {
    const counts = outs.map((o) => o.count);
    expect(ordered ? counts : counts.sort((a, b) => a - b)).toEqual(outs.map((_, i) => i + 1)); // no gap, no repeat (per-key order when ordered)
    expect(outs.map((o) => o.id).sort()).toEqual([...inputsByKey.get(k)!].sort()); // each input once
    const last = ordered ? outs[outs.length - 1] : outs.reduce((a, b) => (b.count > a.count ? b : a));
    expect(last.sum).toBe(expected.get(k)!.sum);
  }
}
