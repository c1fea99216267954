/**
 * Connected streams end to end on the actor runtime: CoMap / CoFlatMap /
 * CoProcess over two sources of different parallelism (side outputs
 * included); a KeyedCoProcessFunction enrichment (orders joined with
 * customer updates in keyed state shared by both inputs) that is exactly
 * once through a failure and through a stop-with-savepoint restored at
 * another parallelism; and event time over two inputs: the operator's
 * watermark is the minimum of both, an event-time timer fires only once
 * both inputs passed it, and an input that ended stops holding the other
 * back.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  FileSink,
  GeneratorSource,
  GraphValidationError,
  KeyedConnectedStreams,
  ListStateDescriptor,
  OutputTag,
  readCommittedLines,
  RestartStrategies,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type KeyedCoProcessFunction,
  type KeyedProcessContext,
  type ListState,
  type OnTimerContext,
  type RuntimeContext,
  type ValueState,
} from '../index';
import { FaultInjector } from '../lib/testing/FaultInjector';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-twoinput-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('CoMap, CoFlatMap and CoProcess', () => {
  test('CoMap over two sources of different parallelism sees every record of both, through the right method', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 3, bufferTimeoutMs: 1 });
    const numbers = env.fromGenerator(200, (i) => i).setParallelism(2);
    const words = env.fromGenerator(50, (i) => `w${i}`).setParallelism(3);
    const out = await numbers
      .connect(words)
      .map({ map1: (n: number) => `n:${n}`, map2: (w: string) => `s:${w}` })
      .setParallelism(4)
      .executeAndCollect();
    expect([...out].sort()).toEqual([...range(200).map((i) => `n:${i}`), ...range(50).map((i) => `s:w${i}`)].sort());
  });

  test('CoFlatMap emits zero or more records per input, with state in fields per subtask', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 1 });
    const a = env.fromGenerator(30, (i) => i);
    const b = env.fromCollection(['x y', '', 'z']);
    const out = await a
      .connect(b)
      .flatMap({
        flatMap1(n: number, o: Collector<string>) {
          if (n % 3 === 0) {
            o.collect(`a${n}`);
            o.collect(`a${n}'`);
          }
        },
        flatMap2(line: string, o: Collector<string>) {
          for (const w of line.split(' ').filter((x) => x)) o.collect(w);
        },
      })
      .executeAndCollect();
    const expected = [...range(30).filter((n) => n % 3 === 0).flatMap((n) => [`a${n}`, `a${n}'`]), 'x', 'y', 'z'];
    expect([...out].sort()).toEqual(expected.sort());
  });

  test('CoProcess has side outputs from both inputs', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 1 });
    const odd = new OutputTag<string>('odd');
    const main = env
      .fromGenerator(20, (i) => i)
      .connect(env.fromCollection(['p', 'q']).setParallelism(1))
      .process({
        processElement1(n: number, ctx, o: Collector<string>) {
          if (n % 2 === 1) ctx.output(odd, `odd${n}`);
          else o.collect(`even${n}`);
        },
        processElement2(s: string, ctx) {
          ctx.output(odd, `side-${s}`);
        },
      });
    const side: string[] = [];
    main.getSideOutput(odd).sinkTo((s: string) => void side.push(s));
    const out = await main.executeAndCollect();
    expect([...out].sort()).toEqual(range(10).map((i) => `even${i * 2}`).sort());
    expect(side.sort()).toEqual([...range(10).map((i) => `odd${i * 2 + 1}`), 'side-p', 'side-q'].sort());
  });

  test('arguments are checked with GraphValidationError naming the problem', () => {
    const env = StreamExecutionEnvironment.create();
    const a = env.fromCollection([1]);
    const b = env.fromCollection(['x']);
    const other = StreamExecutionEnvironment.create().fromCollection([2]);
    expect(() => a.connect(other)).toThrow(/same environment/);
    expect(() => a.connect({} as never)).toThrow(GraphValidationError);
    expect(() => a.connect(b).map({ map1: (x: number) => x } as never)).toThrow(/missing: map2/);
    expect(() => a.connect(b).flatMap(null as never)).toThrow(/flatMap1 and flatMap2/);
    expect(() => a.connect(b).process({ processElement1() {} } as never)).toThrow(/missing: processElement2/);
    expect(() => a.connect(b).keyBy((x) => x, 42 as never)).not.toThrow(); // a field name (number) is a key
    expect(() => a.connect(b).keyBy((x) => x, {} as never)).toThrow(/second stream/);
    expect(() =>
      a
        .connect(b)
        .keyBy((x) => String(x), (s) => s)
        .process({ processElement1() {}, processElement2() {}, onTimer: 5 } as never),
    ).toThrow(/onTimer must be a function/);
    expect(a.keyBy((x) => String(x)).connect(b.keyBy((s) => s))).toBeInstanceOf(KeyedConnectedStreams);
    expect(a.keyBy((x) => String(x)).connect(b)).not.toBeInstanceOf(KeyedConnectedStreams);
  });
});

// ---- enrichment: orders joined with customer updates ---------------------------------------------

interface Order {
  readonly id: number;
  readonly customer: string;
}
interface Customer {
  readonly id: string;
  readonly name: string;
}

/**
 * Orders wait in keyed list state until their customer is known; the
 * customer's name (keyed value state, written by input 2) enriches every
 * order of that customer (read by input 1). Each order is emitted once.
 */
class Enrich implements KeyedCoProcessFunction<string, Order, Customer, string> {
  private name!: ValueState<string>;
  private waiting!: ListState<number>;
  open(ctx: RuntimeContext): void {
    this.name = ctx.getState(new ValueStateDescriptor<string>('name'));
    this.waiting = ctx.getListState(new ListStateDescriptor<number>('waiting'));
  }
  processElement1(o: Order, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    const name = this.name.value();
    if (name === undefined) this.waiting.add(o.id);
    else out.collect(`${o.id}:${ctx.getCurrentKey()}:${name}`);
  }
  processElement2(c: Customer, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    this.name.update(c.name);
    for (const id of this.waiting.get()) out.collect(`${id}:${ctx.getCurrentKey()}:${c.name}`);
    this.waiting.clear();
  }
}

const CUSTOMERS = 7;
const order = (i: number): Order => ({ id: i, customer: `c${(i * 5) % CUSTOMERS}` });
const customer = (i: number): Customer => ({ id: `c${i}`, name: `Name-${i}` });
const enriched = (orders: number) => range(orders).map((i) => `${i}:${order(i).customer}:Name-${order(i).customer.slice(1)}`).sort();

describe('KeyedCoProcessFunction enrichment', () => {
  test('keyed state written by one input is read by the other; exactly once through a failure', async () => {
    const N = 1200;
    const env = StreamExecutionEnvironment.create({
      parallelism: 3,
      bufferTimeoutMs: 1,
      frameSize: 16,
      // Subtask 2 owns the key groups of c0, c2, c3 and c5 (most orders); subtask 1 owns none of the seven customers.
      faults: new FaultInjector([{ kind: 'fail-at-record', operator: 'enrich', subtask: 2, record: 150 }]),
    });
    env.enableCheckpointing(5, 'exactly-once');
    env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
    const orders = env.fromSource(new GeneratorSource(N, order, { ratePerSecond: 20_000 }), 'orders').uid('orders').setParallelism(2);
    // Customers arrive slowly: most orders of a customer wait in keyed state first.
    const customers = env.fromSource(new GeneratorSource(CUSTOMERS, customer, { ratePerSecond: 200 }), 'customers').uid('customers').setParallelism(1);
    const joined = orders
      .keyBy((o) => o.customer)
      .connect(customers.keyBy((c) => c.id))
      .process(new Enrich())
      .uid('enrich');
    const files = path.join(dir, 'out');
    joined.sinkTo(new FileSink<string>(files)).uid('files');
    const result = await env.execute('enrich');
    expect(result.restarts.length).toBeGreaterThanOrEqual(1);
    expect(readCommittedLines(files).sort()).toEqual(enriched(N));
  });

  test('stop-with-savepoint, then restore at another parallelism: every order enriched exactly once', async () => {
    const N = 900;
    const files = path.join(dir, 'out');
    const build = (env: StreamExecutionEnvironment, rate: number | undefined) => {
      env.enableCheckpointing(10, 'exactly-once');
      const opts = rate === undefined ? {} : { ratePerSecond: rate };
      const orders = env.fromSource(new GeneratorSource(N, order, opts), 'orders').uid('orders').setParallelism(2);
      const customers = env.fromSource(new GeneratorSource(CUSTOMERS, customer, rate === undefined ? {} : { ratePerSecond: 40 }), 'customers').uid('customers').setParallelism(1);
      orders
        .connect(customers)
        .keyBy((o) => o.customer, 'id')
        .process(new Enrich())
        .uid('enrich')
        .sinkTo(new FileSink<string>(files))
        .uid('files');
    };
    const first = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 1 });
    build(first, 3000);
    const client = first.executeAsync('enrich-first');
    await until(() => readCommittedLines(files).length > 0 && client.status() === 'RUNNING');
    const savepoint = await client.stopWithSavepoint(path.join(dir, 'sp'));
    await client.result();
    const partial = readCommittedLines(files).length;
    expect(partial).toBeLessThan(N);
    const second = StreamExecutionEnvironment.create({ parallelism: 3, bufferTimeoutMs: 1, savepointPath: savepoint });
    build(second, undefined);
    await second.execute('enrich-second');
    expect(readCommittedLines(files).sort()).toEqual(enriched(N));
  });
});

// ---- event time over two inputs -----------------------------------------------------------------

interface Ev {
  readonly ts: number;
}
const evStrategy = () => WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts);

test("the operator's watermark is the minimum of both inputs', and a timer fires only once both passed it", async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 1, autoWatermarkIntervalMs: 1 });
  // Input 1 races through event time 0..599; input 2 crawls through the same range.
  const fast = env.fromSource(new GeneratorSource(600, (i) => ({ ts: i })), evStrategy(), 'fast').setParallelism(1);
  const slow = env.fromSource(new GeneratorSource(600, (i) => ({ ts: i }), { ratePerSecond: 3000 }), evStrategy(), 'slow').setParallelism(1);
  const seen: [number[], number[]] = [[], []];
  let late = 0;
  const fired: string[] = [];
  const check = (input: 0 | 1, e: Ev, ctx: KeyedProcessContext<string>) => {
    if (e.ts <= ctx.timerService().currentWatermark()) late++;
    seen[input].push(e.ts);
    if (e.ts % 100 === 0) ctx.timerService().registerEventTimeTimer(e.ts + 50);
  };
  const out = await fast
    .connect(slow)
    .keyBy(() => 'all', () => 'all')
    .process({
      processElement1: (e: Ev, ctx: KeyedProcessContext<string>) => check(0, e, ctx),
      processElement2: (e: Ev, ctx: KeyedProcessContext<string>) => check(1, e, ctx),
      onTimer(t: number, ctx: OnTimerContext<string>, o: Collector<string>) {
        // Both inputs passed t: every record at or before t of each was processed.
        const upTo = (xs: number[]) => xs.filter((x) => x <= t).length;
        fired.push(`${t}:${upTo(seen[0])}:${upTo(seen[1])}:${ctx.timerService().currentWatermark() >= t}`);
        o.collect(`${t}`);
      },
    })
    .executeAndCollect();
  expect(late).toBe(0); // the slow input's records are never behind the operator's watermark
  expect(out.sort()).toEqual(['150', '250', '350', '450', '50', '550']);
  // Each timer fired registered twice (once per input) but once; with every record ≤ t of both inputs seen.
  expect(fired.sort()).toEqual([50, 150, 250, 350, 450, 550].map((t) => `${t}:${t + 1}:${t + 1}:true`).sort());
});

test('an input that ended stops holding back the other input: timers fire while the other still runs', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 1, bufferTimeoutMs: 1, autoWatermarkIntervalMs: 1 });
  const long = env.fromSource(new GeneratorSource('unbounded', (i) => ({ ts: i }), { ratePerSecond: 2000 }), evStrategy(), 'long');
  const short = env.fromSource(new GeneratorSource(5, (i) => ({ ts: i })), evStrategy(), 'short');
  const fired: number[] = [];
  long
    .connect(short)
    .keyBy(() => 'k', () => 'k')
    .process({
      processElement1(e: Ev, ctx: KeyedProcessContext<string>) {
        if (e.ts === 20) ctx.timerService().registerEventTimeTimer(100);
      },
      processElement2() {},
      onTimer(t: number) {
        fired.push(t);
      },
    })
    .sinkTo(() => {});
  const job = env.executeAsync('one input ends');
  try {
    // The short input ended at event time 4; the long one keeps going: its watermark alone decides.
    await until(() => fired.length > 0);
    expect(fired).toEqual([100]);
    expect(job.status()).toBe('RUNNING');
  } finally {
    await job.cancel();
  }
});

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}
