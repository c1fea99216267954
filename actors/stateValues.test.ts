/**
 * State values in running jobs: a registered class instance (with a Buffer
 * field) keeps its methods across a failover restored from file-system
 * checkpoints; a function, a symbol or a cycle in state fails the checkpoint
 * with an error naming the operator, the state, the key and the path, and
 * a class instance in a sink's committables names the operator and the
 * list; a job without checkpoint storage never refuses.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  JobExecutionError,
  registerStateType,
  RestartStrategies,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
  type RuntimeContext,
  type ValueState,
} from '../index';
import { FaultInjector } from '../lib/testing/FaultInjector';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-state-values-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

class Tally {
  constructor(
    public count = 0,
    public last: Buffer = Buffer.alloc(0),
  ) {}
  add(x: number): void {
    this.count++;
    this.last = Buffer.from(String(x));
  }
}
registerStateType(Tally, { name: 'e2e.Tally' });

/** Counts per key in a Tally; after a restore from a plain-object copy, `add` would not be a function. */
class Counting {
  private tally!: ValueState<Tally>;
  open(ctx: RuntimeContext): void {
    this.tally = ctx.getState(new ValueStateDescriptor<Tally>('tally'));
  }
  processElement(x: number, ctx: KeyedProcessContext<number>, out: Collector<{ key: number; count: number; buffer: boolean }>): void {
    const t = this.tally.value() ?? new Tally();
    t.add(x);
    this.tally.update(t);
    out.collect({ key: ctx.getCurrentKey(), count: t.count, buffer: Buffer.isBuffer(t.last) });
  }
}

test('a class instance in keyed state keeps its methods (and a Buffer field stays a Buffer) after a failover from file-system checkpoints', async () => {
  // The failure comes once checkpoint 3 is complete, so the restore reads Tallies back from files.
  const faults = new FaultInjector([{ kind: 'fail-during-notify', operator: 'count', subtask: 1, checkpoint: 3 }]);
  const env = StreamExecutionEnvironment.create({ parallelism: 2, faults });
  env.enableCheckpointing(20);
  env.setCheckpointStorage(path.join(dir, 'checkpoints'));
  env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
  const seen: { key: number; count: number; buffer: boolean }[] = [];
  env
    .fromGenerator(4000, (i) => i, { ratePerSecond: 2000 })
    .uid('src')
    .keyBy((i) => i % 5)
    .process(new Counting())
    .uid('count')
    .sinkTo((r) => void seen.push(r));
  const result = await env.execute('tallies');
  expect(faults.allFired).toBe(true);
  expect(result.restarts).toHaveLength(1);
  expect(result.restarts[0].restoredCheckpoint).toBeGreaterThanOrEqual(3);
  expect(seen.every((r) => r.buffer)).toBe(true);
  for (let k = 0; k < 5; k++) expect(Math.max(...seen.filter((r) => r.key === k).map((r) => r.count))).toBe(800);
});

/** Keeps `make()` in keyed state under every key. */
function holding(make: () => unknown) {
  return {
    state: undefined as ValueState<unknown> | undefined,
    open(ctx: RuntimeContext) {
      this.state = ctx.getState(new ValueStateDescriptor<unknown>('holder'));
    },
    processElement(x: number, _ctx: KeyedProcessContext<unknown>, out: Collector<number>) {
      this.state!.update(make());
      out.collect(x);
    },
  };
}

const cycle = () => {
  const o: Record<string, unknown> = { name: 'loop' };
  o.next = { back: o };
  return { items: [0, o] };
};

test.each([
  ['a function', () => ({ items: [0, { handler: () => 1 }] }), /\.items\[1\]\.handler is a function/],
  ['a symbol', () => ({ items: [0, { handler: Symbol('h') }] }), /\.items\[1\]\.handler is a symbol/],
  ['a cycle', cycle, /\.items\[1\]\.next\.back is a reference cycle back to \.items\[1\]/],
])('%s in keyed state fails the checkpoint with the operator, the state, the key and the path', async (_what, make, where) => {
  const env = StreamExecutionEnvironment.create({ parallelism: 1 });
  env.enableCheckpointing(10);
  env.setRestartStrategy(RestartStrategies.noRestart());
  env
    .fromGenerator('unbounded', (i) => i, { ratePerSecond: 2000 })
    .keyBy((): string => 'alice')
    .process(holding(make))
    .name('Holder')
    .uid('holder')
    .sinkTo(() => {});
  const err = (await env.execute('refused').catch((e: unknown) => e)) as JobExecutionError;
  expect(err).toBeInstanceOf(JobExecutionError);
  expect(err.message).toMatch(/CHECKPOINT_DECLINED/);
  expect(err.message).toMatch(/cannot checkpoint keyed state 'holder' of operator 'Holder' \(uid holder\), key "alice": /);
  expect(err.message).toMatch(where);
  expect(err.message).not.toMatch(/Unknown type|Maximum call stack/);
});

test('without checkpoint storage nothing is refused: the job finishes', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 1 });
  let n = 0;
  env
    .fromGenerator(100, (i) => i)
    .keyBy((i) => i % 3)
    .process(holding(() => ({ handler: () => 1 })))
    .sinkTo(() => void n++);
  await env.execute('no checkpoints');
  expect(n).toBe(100);
});

test('an unregistered class instance among a sink’s committables names the operator and the list', async () => {
  class Reading {
    constructor(readonly v: number) {}
  }
  const env = StreamExecutionEnvironment.create({ parallelism: 1 });
  env.enableCheckpointing(10);
  env.setRestartStrategy(RestartStrategies.noRestart());
  const err = await env
    .fromGenerator(50_000, (i) => new Reading(i), { ratePerSecond: 20_000 })
    .executeAndCollect()
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(JobExecutionError);
  expect((err as Error).message).toMatch(
    /cannot checkpoint list 'committables' of operator uid '[^']+': \[0\]\.committable\.records\[0\] is an instance of Reading, which is not a registered state type/,
  );
});

test('registered, the same records are checkpointed and collected as instances', async () => {
  class Sample {
    constructor(readonly v = 0) {}
    double(): number {
      return this.v * 2;
    }
  }
  registerStateType(Sample, { name: 'e2e.Sample' });
  const env = StreamExecutionEnvironment.create({ parallelism: 1 });
  env.enableCheckpointing(10);
  env.setRestartStrategy(RestartStrategies.noRestart());
  const out = await env.fromGenerator(3000, (i) => new Sample(i), { ratePerSecond: 20_000 }).executeAndCollect();
  expect(out).toHaveLength(3000);
  expect(out.every((s) => s instanceof Sample)).toBe(true);
  expect(out.reduce((a, s) => a + s.double(), 0)).toBe(3000 * 2999);
});
