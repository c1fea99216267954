/**
 * User functions are synchronous: every one that returns a Promise where a
 * value is expected — map, filter, flatMap, reduce, key selectors,
 * sum/min/max selectors, processElement/open/close of (keyed) process
 * functions, the functions of ReducingState and AggregatingState, generator
 * functions, a reader's pollNext — fails with an AsyncUserFunctionError
 * that names the operator and the function and points to the async API.
 * The promises here reject; the suite's unhandled-rejection trap fails this
 * file if any rejection escapes. Operators are driven directly (no runtime).
 */
import type { DataStream, SingleOutputStreamOperator } from '../api/DataStream';
import type { Collector, KeyedProcessContext, KeyedProcessFunction, ProcessFunction, RuntimeContext } from '../api/functions';
import type { KeyedStream } from '../api/KeyedStream';
import { StreamExecutionEnvironment } from '../api/StreamExecutionEnvironment';
import { CollectionSource } from '../connectors/CollectionSource';
import { GeneratorSource } from '../connectors/GeneratorSource';
import type { InputStatus, ReaderOutput, Source, SourceReader } from '../connectors/Source';
import { ASYNC_HINT, asUserFunctionError, AsyncUserFunctionError, isThenable, UserFunctionError } from '../errors';
import { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import { KeyGroupRange } from '../state/KeyGroup';
import { OperatorStateStore } from '../state/OperatorStateStore';
import type { ValueState } from '../state/KeyedState';
import { AggregatingStateDescriptor, ReducingStateDescriptor, ValueStateDescriptor } from '../state/StateDescriptor';
import { ManualClock } from '../testing/ManualClock';
import { createChannelSelector } from './partitioners';
import { SourceOperator } from './SourceOperator';
import type { Input, OneInputStreamOperator } from './StreamOperator';
import { createRuntimeContext } from './StreamingRuntimeContext';

/** A promise that rejects a moment later (as an async function that throws after an await). */
const rejectingSoon = () => new Promise<never>((_, reject) => setImmediate(() => reject(new Error('rejected later'))));

interface Harness<O> {
  readonly op: OneInputStreamOperator<unknown, O>;
  readonly out: O[];
  readonly name: string;
  open(): void;
}

/** The first operator a program built on a one-source environment creates, ready to be opened and fed. */
function harness<O>(build: (s: DataStream<any>) => SingleOutputStreamOperator<O>, objectReuse = false): Harness<O> {
  const env = StreamExecutionEnvironment.create({ objectReuse });
  build(env.fromCollection<any>([])).sinkTo(() => {});
  const node = env.getStreamGraph().nodes[1];
  const op = node.operatorFactory!() as OneInputStreamOperator<unknown, O>;
  const location = { operator: node.name, uid: node.uid, subtaskIndex: 0, parallelism: 1 };
  const backend = node.stateKeySelector ? new HeapKeyedStateBackend(128, KeyGroupRange.forOperator(128, 1, 0)) : undefined;
  const out: O[] = [];
  const next: Input<O> = { processElement: (v) => void out.push(v) };
  return {
    op,
    out,
    name: node.name,
    open: () =>
      op.open(
        {
          location,
          jobId: 'test-job',
          attemptNumber: 1,
          maxParallelism: 128,
          clock: new ManualClock(),
          mailbox: { execute: () => { throw new Error('no mailbox in these tests'); } },
          keyedStateBackend: backend,
          runtimeContext: createRuntimeContext(location, 128, backend, new OperatorStateStore(), new ManualClock()),
          objectReuse: node.objectReuse ?? false,
          defer: () => {
            throw new Error('unexpected defer');
          },
          sendOperatorEvent: () => {},
        },
        next,
      ),
  };
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

function expectAsyncError(e: unknown, operator: string, functionName: string, phase: UserFunctionError['phase'] = 'process'): AsyncUserFunctionError {
  expect(e).toBeInstanceOf(AsyncUserFunctionError);
  expect(e).toBeInstanceOf(UserFunctionError);
  const a = e as AsyncUserFunctionError;
  expect(a.code).toBe('ASYNC_USER_FUNCTION');
  expect(a.functionName).toBe(functionName);
  expect(a.phase).toBe(phase);
  expect(a.location.operator).toBe(operator);
  expect(a.message).toContain(`operator '${operator}'`);
  expect(a.message).toContain(`the ${functionName} returned a Promise; ${ASYNC_HINT}`);
  expect(a.message).toContain('use AsyncDataStream.orderedWait/unorderedWait for asynchronous calls');
  return a;
}

/** Opens the harness and feeds `records`; returns what the first record that failed threw. */
function failureOf<O>(h: Harness<O>, records: unknown[]): unknown {
  h.open();
  return caught(() => {
    for (const r of records) h.op.processElement(r, undefined);
  });
}

describe('stateless operators', () => {
  test('map(async …) fails at the first record instead of emitting a Promise', () => {
    const h = harness((s) => s.map(async (x: number) => x * 2));
    const a = expectAsyncError(failureOf(h, [1, 2]), 'Map', 'map function');
    expect(a.position).toBe(1);
    expect(a.record).toBe(1);
    expect(a.message).toContain('record #1 1');
    expect(h.out).toEqual([]);
  });

  test('a map that returns a rejecting promise: the rejection is handled', () => {
    const h = harness((s) => s.map(() => rejectingSoon()));
    expectAsyncError(failureOf(h, ['x']), 'Map', 'map function');
  });

  test('a map that returns a non-Promise thenable fails too; objects with a then field that is no function pass', () => {
    const thenable = { then: (_ok: unknown, _fail: (e: unknown) => void) => undefined };
    expectAsyncError(failureOf(harness((s) => s.map(() => thenable)), [1]), 'Map', 'map function');
    const h = harness((s) => s.map((x: number) => ({ then: x })));
    h.open();
    h.op.processElement(7, undefined);
    expect(h.out).toEqual([{ then: 7 }]);
  });

  test('filter(async …) fails instead of passing every record; non-boolean results keep JS truthiness', () => {
    const h = harness((s) => s.filter((async () => false) as never));
    expectAsyncError(failureOf(h, [1, 2, 3]), 'Filter', 'filter function');
    expect(h.out).toEqual([]);
    const truthy = harness((s) => s.filter((x: number) => (x % 2) as unknown as boolean));
    truthy.open();
    for (const x of [1, 2, 3]) truthy.op.processElement(x, undefined);
    expect(truthy.out).toEqual([1, 3]);
  });

  test('flatMap(async …) fails, and what the function emits after its await is refused', async () => {
    let emitLater!: () => void;
    const h = harness((s) =>
      s.flatMap(async (x: number, out: Collector<number>) => {
        out.collect(x); // before the first await: runs synchronously
        await new Promise<void>((r) => (emitLater = r));
        out.collect(x + 100); // after the job failed: must not reach the chain
      }),
    );
    expectAsyncError(failureOf(h, [1, 2]), 'Flat Map', 'flatMap function');
    emitLater();
    await new Promise((r) => setImmediate(r));
    expect(h.out).toEqual([1]);
  });
});

describe('process functions', () => {
  test('an async processElement fails; open and close returning promises fail in their phase', () => {
    const fn: ProcessFunction<number, number> = {
      async processElement(x, _ctx, out) {
        out.collect(x);
      },
    };
    expectAsyncError(failureOf(harness((s) => s.process(fn)), [5]), 'Process', 'processElement() method');

    const asyncOpen = harness((s) => s.process({ open: async () => {}, processElement() {} } as ProcessFunction<number, number>));
    const e = caught(() => asyncOpen.open());
    expect(expectAsyncError(e, 'Process', 'open() method', 'open').position).toBe(0);

    const asyncClose = harness((s) => s.process({ close: () => rejectingSoon(), processElement() {} } as ProcessFunction<number, number>));
    asyncClose.open();
    expectAsyncError(caught(() => asyncClose.op.close()), 'Process', 'close() method', 'close');
  });

  test("an async keyed processElement fails at its first record, before the continuation could write under another key", async () => {
    let resume!: () => void;
    const writes: string[] = [];
    class Counter implements KeyedProcessFunction<string, { k: string; n: number }, string> {
      private total!: ValueState<number>;
      open(ctx: RuntimeContext) {
        this.total = ctx.getState(new ValueStateDescriptor<number>('total', 0));
      }
      async processElement(r: { k: string; n: number }, ctx: KeyedProcessContext<string>, out: Collector<string>) {
        await new Promise<void>((ok) => (resume = ok));
        this.total.update(this.total.value()! + r.n);
        writes.push(`${ctx.getCurrentKey()}:${this.total.value()}`);
        out.collect(`${r.k}:${this.total.value()}`);
      }
    }
    const h = harness((s) => (s.keyBy((r: { k: string }) => r.k) as KeyedStream<{ k: string; n: number }, string>).process(new Counter()));
    expectAsyncError(failureOf(h, [{ k: 'a', n: 1 }, { k: 'b', n: 2 }]), 'Keyed Process', 'processElement() method');
    resume();
    await new Promise((r) => setImmediate(r));
    expect(h.out).toEqual([]); // the continuation's emit was refused (and its error handled)
    expect(writes).toHaveLength(1); // only the first record ever started
  });

  test('an async key selector fails as a key selector, not as an invalid key', () => {
    const h = harness((s) => s.keyBy((async (x: number) => String(x)) as never).process({ processElement() {} } as KeyedProcessFunction<any, number, number>));
    expectAsyncError(failureOf(h, [1]), 'Keyed Process', 'key selector');
  });
});

describe('keyed aggregations', () => {
  test('reduce(async …) fails; the state keeps no Promise', () => {
    const h = harness((s) => s.keyBy(() => 'k').reduce(async (a: number, b: number) => a + b));
    const e = failureOf(h, [1, 2, 3]);
    expect(expectAsyncError(e, 'Keyed Reduce', 'reduce function').position).toBe(2); // the first record needs no reduce
    expect(h.out).toEqual([1]);
  });

  test('a key selector of reduce returning a Promise', () => {
    const h = harness((s) => s.keyBy((async () => 'k') as never).reduce((a: number, b: number) => a + b));
    expectAsyncError(failureOf(h, [1]), 'Keyed Reduce', 'key selector');
  });

  test.each(['sum', 'min', 'max'] as const)('%s(selector) with an async selector', (agg) => {
    const h = harness((s) => (s.keyBy(() => 'k') as KeyedStream<number, string>)[agg]((async (x: number) => x) as never));
    expectAsyncError(failureOf(h, [1]), `Keyed ${agg[0].toUpperCase()}${agg.slice(1)}`, 'aggregation selector');
  });
});

describe('state functions', () => {
  function keyedWith(use: (ctx: RuntimeContext) => (x: number) => void) {
    let apply!: (x: number) => void;
    return harness((s) =>
      s.keyBy(() => 'k').process({
        open(ctx: RuntimeContext) {
          apply = use(ctx);
        },
        processElement(x: number) {
          apply(x);
        },
      } as KeyedProcessFunction<string, number, never>),
    );
  }

  test('the reduce function of a ReducingState', () => {
    const h = keyedWith((ctx) => {
      const st = ctx.getReducingState(new ReducingStateDescriptor<number>('sum', (async (a: number, b: number) => a + b) as never));
      return (x) => st.add(x);
    });
    const e = failureOf(h, [1, 2]);
    expectAsyncError(e, 'Keyed Process', "reduce function of state 'sum'");
  });

  test.each([
    ['createAccumulator() of the aggregate function', { createAccumulator: async () => 0, add: (x: number, a: number) => a + x, getResult: (a: number) => a }],
    ['add() of the aggregate function', { createAccumulator: () => 0, add: async (x: number, a: number) => a + x, getResult: (a: number) => a }],
    ['getResult() of the aggregate function', { createAccumulator: () => 0, add: (x: number, a: number) => a + x, getResult: async (a: number) => a }],
  ])('%s of an AggregatingState', (what, fn) => {
    const h = keyedWith((ctx) => {
      const st = ctx.getAggregatingState(new AggregatingStateDescriptor('avg', fn as never));
      return (x) => {
        st.add(x);
        st.get();
      };
    });
    expectAsyncError(failureOf(h, [1]), 'Keyed Process', `${what} of state 'avg'`);
  });
});

describe('key selectors of a hash partition', () => {
  test('an async key selector: what the channel selector throws becomes an AsyncUserFunctionError of the producer', () => {
    const select = createChannelSelector({ kind: 'hash', keySelector: (async () => 'k') as never }, 2, 128, Math.random);
    const thrown = caught(() => select({}));
    expect((thrown as Error).message).toContain(`the key selector returned a Promise; ${ASYNC_HINT}`);
    // as RecordWriterOutput reports it
    const location = { operator: 'Map', uid: 'm', subtaskIndex: 1, parallelism: 2 };
    expectAsyncError(asUserFunctionError(thrown, location, 0, 'partition', {}), 'Map', 'key selector', 'partition');
  });
});

describe('sources', () => {
  const location = { operator: 'Source: S', uid: 'src', subtaskIndex: 0, parallelism: 1 };
  function sourceOperator<T>(source: Source<T, any>): { op: SourceOperator<T>; out: T[] } {
    const out: T[] = [];
    const op = new SourceOperator(source, location, () => out.length);
    op.open({ collect: (v) => void out.push(v) }, source.createSplits(1), new ManualClock(), 8);
    return { op, out };
  }
  function readerSource(reader: Partial<SourceReader<number, any>>): Source<number, any> {
    return {
      boundedness: 'BOUNDED',
      createSplits: () => [{ splitId: 's' }],
      createReader: () => ({ addSplits() {}, snapshotState: () => [], isAvailable: () => Promise.resolve(), pollNext: () => 'END_OF_INPUT', ...reader }) as SourceReader<number, any>,
    };
  }

  test('a generator function returning a Promise', () => {
    const { op, out } = sourceOperator(new GeneratorSource(10, async (i) => i));
    const e = caught(() => op.emitNext());
    expectAsyncError(e, 'Source: S', 'generator function', 'poll');
    expect(out).toEqual([]);
  });

  test('an async pollNext', () => {
    const { op } = sourceOperator(readerSource({ pollNext: (async () => 'END_OF_INPUT') as never }));
    expectAsyncError(caught(() => op.emitNext()), 'Source: S', "source reader's pollNext()", 'poll');
  });

  test.each([['DONE'], [undefined], [null], [3]])('pollNext returning %p fails naming the source and the value', (status) => {
    const { op } = sourceOperator(readerSource({ pollNext: (() => status) as never }));
    const e = caught(() => op.emitNext());
    expect(e).toBeInstanceOf(UserFunctionError);
    const u = e as UserFunctionError;
    expect(u.phase).toBe('poll');
    expect(u.location.operator).toBe('Source: S');
    expect(u.cause).toBeInstanceOf(TypeError);
    expect(u.message).toContain(`pollNext() returned ${status === 'DONE' ? '"DONE"' : String(status)}`);
    expect(u.message).toContain("'MORE_AVAILABLE', 'NOTHING_AVAILABLE' or 'END_OF_INPUT'");
  });

  test('isAvailable() returning no promise, throwing, or rejecting fails naming the source', async () => {
    const none = sourceOperator(readerSource({ isAvailable: (() => undefined) as never })).op;
    const e = caught(() => none.isAvailable());
    expect(e).toBeInstanceOf(UserFunctionError);
    expect((e as Error).message).toMatch(/operator 'Source: S'.*isAvailable\(\) returned undefined; it must return a Promise/);

    const throwing = sourceOperator(readerSource({ isAvailable: () => { throw new RangeError('no'); } })).op;
    expect(caught(() => throwing.isAvailable())).toBeInstanceOf(UserFunctionError);

    const rejecting = sourceOperator(readerSource({ isAvailable: () => rejectingSoon() })).op;
    const r = await rejecting.isAvailable().then(() => undefined, (x: unknown) => x);
    expect(r).toBeInstanceOf(UserFunctionError);
    expect((r as UserFunctionError).location.operator).toBe('Source: S');
  });

  test('a well-behaved collection source is untouched by the checks', () => {
    const { op, out } = sourceOperator(new CollectionSource([1, 2, 3]));
    expect(op.emitNext()).toBe<InputStatus>('END_OF_INPUT');
    expect(out).toEqual([1, 2, 3]);
  });
});

test('isThenable: objects with a then method; nothing else', () => {
  expect(isThenable(Promise.resolve())).toBe(true);
  expect(isThenable({ then() {} })).toBe(true);
  for (const v of [undefined, null, 0, 'then', {}, { then: 1 }, [], () => {}]) expect(isThenable(v)).toBe(false);
  const out: ReaderOutput<number> = { collect() {} };
  expect(isThenable(out)).toBe(false);
});
