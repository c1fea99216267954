/**
 * The broadcast state pattern end to end on the actor runtime: rules
 * updated while events flow reach every subtask of the connected operator
 * in the same order; a keyed rules job (every event paired with every rule
 * it matches, whichever of the two arrives first: applyToKeyedState on the
 * broadcast side) is exactly once through a failure with exactly-once
 * checkpoints, and through a stop-with-savepoint restored at another
 * parallelism, where every new subtask — also those beyond the old
 * parallelism — starts with the rules, though the rule source has ended.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BroadcastConnectedStream,
  BroadcastStream,
  DataStream,
  FileSink,
  GeneratorSource,
  GraphValidationError,
  KeyedBroadcastConnectedStream,
  ListStateDescriptor,
  MapStateDescriptor,
  readCommittedLines,
  RestartStrategies,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type BroadcastContext,
  type BroadcastProcessFunction,
  type Collector,
  type KeyedBroadcastContext,
  type KeyedBroadcastProcessFunction,
  type KeyedReadOnlyBroadcastContext,
  type ListState,
  type ReadOnlyBroadcastContext,
  type RuntimeContext,
} from '../index';
import { FaultInjector } from '../lib/testing/FaultInjector';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-broadcast-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Tags what it emits with its subtask: each rule it stores, and each event with the number of rules it has then. */
class Tagged implements BroadcastProcessFunction<number, number, string> {
  private index = 0;
  constructor(private readonly limits: MapStateDescriptor<number, number>) {}
  open(rc: RuntimeContext): void {
    this.index = rc.indexOfThisSubtask;
  }
  processElement(e: number, ctx: ReadOnlyBroadcastContext, o: Collector<string>): void {
    o.collect(`event ${this.index} ${e} ${ctx.getBroadcastState(this.limits).size()}`);
  }
  processBroadcastElement(r: number, ctx: BroadcastContext, o: Collector<string>): void {
    ctx.getBroadcastState(this.limits).put(r, r * 10);
    o.collect(`rule ${this.index} ${r}`);
  }
}

describe('rules updated while events flow', () => {
  test('every subtask sees every rule, in the order sent; each event is processed once, against the rules its subtask has by then', async () => {
    const RULES = 6;
    const EVENTS = 1500;
    const env = StreamExecutionEnvironment.create({ parallelism: 3, bufferTimeoutMs: 1 });
    const limits = new MapStateDescriptor<number, number>('limits');
    // Rules trickle in (~300 ms) while events flow for ~750 ms.
    const rules = env.fromSource(new GeneratorSource(RULES, (i) => i, { ratePerSecond: 20 }), 'rules').setParallelism(1).broadcast(limits);
    const events = env.fromSource(new GeneratorSource(EVENTS, (i) => i, { ratePerSecond: 2000 }), 'events').setParallelism(2);
    const out = await events
      .connect(rules)
      .process(new Tagged(limits))
      .executeAndCollect();
    const perSubtask = range(3).map((s) => out.filter((l) => l.startsWith(`rule ${s} `)).map((l) => Number(l.split(' ')[2])));
    expect(perSubtask).toEqual([range(RULES), range(RULES), range(RULES)]);
    const evs = out.filter((l) => l.startsWith('event ')).map((l) => l.split(' ').map(Number));
    expect(evs.map(([, , e]) => e).sort((a, b) => a - b)).toEqual(range(EVENTS));
    // Per subtask, the rules an event saw never go down (the collect sink keeps each subtask's order).
    for (const s of range(3)) {
      const seen = evs.filter(([, sub]) => sub === s).map(([, , , n]) => n);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    }
    // Rules changed while events flowed: events saw more than one state of the rules.
    expect(new Set(evs.map(([, , , n]) => n)).size).toBeGreaterThan(1);
  });

  test('broadcast() without descriptors is still broadcast partitioning', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 3, bufferTimeoutMs: 1 });
    const plain = env.fromCollection([1, 2]).broadcast();
    expect(plain).toBeInstanceOf(DataStream);
    const out = await plain.map((x) => x * 10).executeAndCollect();
    expect(out.sort()).toEqual([10, 10, 10, 20, 20, 20]);
  });

  test('arguments are checked with GraphValidationError naming the problem', () => {
    const env = StreamExecutionEnvironment.create();
    const events = env.fromCollection([1]);
    const desc = new MapStateDescriptor<string, number>('rules');
    const rules = env.fromCollection(['r']).broadcast(desc);
    expect(rules).toBeInstanceOf(BroadcastStream);
    expect(events.connect(rules)).toBeInstanceOf(BroadcastConnectedStream);
    expect(events.connect(rules)).not.toBeInstanceOf(KeyedBroadcastConnectedStream);
    expect(events.keyBy((x) => x).connect(rules)).toBeInstanceOf(KeyedBroadcastConnectedStream);
    expect(() => env.fromCollection(['r']).broadcast(new ValueStateDescriptor('v') as never)).toThrow(/takes MapStateDescriptors.*got ValueStateDescriptor/);
    expect(() => env.fromCollection(['r']).broadcast(desc, new MapStateDescriptor('rules'))).toThrow(/two descriptors named 'rules'/);
    expect(() => events.connect(rules).process({ processElement() {} } as never)).toThrow(/missing: processBroadcastElement/);
    expect(() => events.connect(rules).process({ processElement() {}, processBroadcastElement() {}, onTimer() {} } as never)).toThrow(
      /onTimer needs timers, which only a keyed stream has/,
    );
    expect(() => events.keyBy((x) => x).connect(rules).process({ processElement() {}, processBroadcastElement() {}, onTimer: 1 } as never)).toThrow(
      /onTimer must be a function/,
    );
    const other = StreamExecutionEnvironment.create().fromCollection(['r']).broadcast(new MapStateDescriptor('x'));
    expect(() => events.connect(other)).toThrow(GraphValidationError);
  });
});

// ---- a keyed rules job: every event paired with every rule it matches ---------------------------

interface Ev {
  readonly id: number;
  readonly account: string;
  readonly amount: number;
}
interface Rule {
  readonly id: string;
  /** Matches events whose amount is a multiple of `mod`. */
  readonly mod: number;
}

const rulesDesc = new MapStateDescriptor<string, Rule>('rules');
const eventsDesc = new ListStateDescriptor<Ev>('events');
const ACCOUNTS = 10;
const RULES = 8;
const ev = (i: number): Ev => ({ id: i, account: `acct-${(i * 7) % ACCOUNTS}`, amount: (i * 13) % 97 });
const rule = (i: number): Rule => ({ id: `r${i}`, mod: i + 2 });
const matches = (e: Ev, r: Rule) => e.amount % r.mod === 0;
const expectedPairs = (events: number) => range(events).flatMap((i) => range(RULES).filter((j) => matches(ev(i), rule(j))).map((j) => `${i}:r${j}`)).sort();

/** Per subtask and run: how many rules the subtask had at its first event (to see the restored ones). */
const rulesAtFirstEvent = new Map<string, number>();
let rulesSeen = 0;

/**
 * Emits `event:rule` for each pair that matches, once: a new event is
 * checked against the rules so far (and kept in keyed state), a new rule
 * against every event kept so far on its subtask (applyToKeyedState).
 */
class Pairs implements KeyedBroadcastProcessFunction<string, Ev, Rule, string> {
  private events!: ListState<Ev>;
  private subtask = 0;
  constructor(private readonly run: string) {}
  open(ctx: RuntimeContext): void {
    this.events = ctx.getListState(eventsDesc);
    this.subtask = ctx.indexOfThisSubtask;
  }
  processElement(e: Ev, ctx: KeyedReadOnlyBroadcastContext<string>, out: Collector<string>): void {
    const rules = ctx.getBroadcastState(rulesDesc);
    const key = `${this.run}#${this.subtask}`;
    if (!rulesAtFirstEvent.has(key)) rulesAtFirstEvent.set(key, rules.size());
    for (const r of rules.values()) if (matches(e, r)) out.collect(`${e.id}:${r.id}`);
    this.events.add(e);
  }
  processBroadcastElement(r: Rule, ctx: KeyedBroadcastContext<string>, out: Collector<string>): void {
    ctx.getBroadcastState(rulesDesc).put(r.id, r);
    ctx.applyToKeyedState(eventsDesc, (_account, events) => {
      for (const e of events.get()) if (matches(e, r)) out.collect(`${e.id}:${r.id}`);
    });
    rulesSeen++;
  }
}

function pairsJob(env: StreamExecutionEnvironment, run: string, events: number, rates: { events?: number; rules?: number }, files: string): void {
  const evSource = env.fromSource(new GeneratorSource(events, ev, rates.events ? { ratePerSecond: rates.events } : {}), 'events').uid('events').setParallelism(2);
  const ruleSource = env.fromSource(new GeneratorSource(RULES, rule, rates.rules ? { ratePerSecond: rates.rules } : {}), 'rules').uid('rules').setParallelism(1);
  evSource
    .keyBy((e) => e.account)
    .connect(ruleSource.broadcast(rulesDesc))
    .process(new Pairs(run))
    .uid('pairs')
    .sinkTo(new FileSink<string>(files))
    .uid('files');
}

describe('a keyed rules job', () => {
  test('every matching (event, rule) pair exactly once through a failure, with exactly-once checkpoints', async () => {
    const N = 1200;
    const env = StreamExecutionEnvironment.create({
      parallelism: 3,
      bufferTimeoutMs: 1,
      frameSize: 16,
      faults: new FaultInjector([{ kind: 'fail-at-record', operator: 'pairs', subtask: 1, record: 250 }]),
    });
    env.enableCheckpointing(5, 'exactly-once');
    env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
    const files = path.join(dir, 'out');
    // Rules arrive slowly: many events come first and wait in keyed state for applyToKeyedState.
    pairsJob(env, 'failure', N, { events: 20_000, rules: 60 }, files);
    const result = await env.execute('pairs');
    expect(result.restarts.length).toBeGreaterThanOrEqual(1);
    expect(readCommittedLines(files).sort()).toEqual(expectedPairs(N));
  });

  test('stop-with-savepoint, then restore at another parallelism: the rules survive on every new subtask, pairs exactly once', async () => {
    const N = 1200;
    const files = path.join(dir, 'out');
    rulesSeen = 0;
    const first = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 1 });
    first.enableCheckpointing(10, 'exactly-once');
    pairsJob(first, 'first', N, { events: 1500, rules: 200 }, files);
    const client = first.executeAsync('pairs-first');
    // Every rule reached both subtasks, and some output is committed; events are still flowing.
    await until(() => rulesSeen === 2 * RULES && readCommittedLines(files).length > 0 && client.status() === 'RUNNING');
    const savepoint = await client.stopWithSavepoint(path.join(dir, 'sp'));
    await client.result();
    const partial = readCommittedLines(files).length;
    expect(partial).toBeLessThan(expectedPairs(N).length);

    const second = StreamExecutionEnvironment.create({ parallelism: 3, bufferTimeoutMs: 1, savepointPath: savepoint });
    second.enableCheckpointing(10, 'exactly-once');
    pairsJob(second, 'second', N, {}, files);
    await second.execute('pairs-second');
    expect(readCommittedLines(files).sort()).toEqual(expectedPairs(N));
    // The rule source had ended: the second run's subtasks (subtask 2 is new) had all rules from the savepoint.
    expect(range(3).map((s) => rulesAtFirstEvent.get(`second#${s}`))).toEqual([RULES, RULES, RULES]);
  });
});

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}
