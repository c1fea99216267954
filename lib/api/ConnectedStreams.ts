/**
 * ConnectedStreams: two streams, possibly of different types, processed by
 * one operator that sees both (Flink's ConnectedStreams), made by
 * `a.connect(b)`:
 *
 *   orders.connect(rates).map({ map1: (o) => ..., map2: (r) => ... })
 *   orders.connect(updates).keyBy((o) => o.customer, (u) => u.id)
 *         .process({ processElement1(o, ctx, out) {...}, processElement2(u, ctx, out) {...} })
 *
 * Records of the first stream reach the methods ending in 1, those of the
 * second the methods ending in 2. The operator's watermark is the minimum
 * of the two streams' (a stream that ended counts as +Infinity).
 *
 * `keyBy(key1, key2)` hash-partitions both streams by their keys into one
 * key space (as does connecting two KeyedStreams): records of both with
 * equal keys meet on one subtask, and `process(KeyedCoProcessFunction)`
 * then has keyed state shared by both inputs and per-key timers. map and
 * flatMap are not keyed operators (their functions get no keyed state).
 *
 * Every method checks its arguments and throws a GraphValidationError
 * (INVALID_ARGUMENT, or MISSING_KEY_SELECTOR for keys) naming the problem.
 */
import { GraphValidationError } from '../errors';
import { CoProcessOperator } from '../operators/CoProcessOperator';
import { CoStreamFlatMap } from '../operators/CoStreamFlatMap';
import { CoStreamMap } from '../operators/CoStreamMap';
import { KeyedCoProcessOperator } from '../operators/KeyedCoProcessOperator';
import type { TwoInputOperatorFactory } from '../operators/StreamOperator';
import type { Key } from '../state/KeyGroup';
import type { CoFlatMapFunction, CoMapFunction, CoProcessFunction, KeyedCoProcessFunction } from './coFunctions';
import { DataStream, SingleOutputStreamOperator } from './DataStream';
import type { KeySelector } from './functions';
import type { StreamExecutionEnvironment } from './StreamExecutionEnvironment';
import type { Transformation } from './Transformation';

/** One side of a connection: its transformation and, when hash-partitioned by a key, the key selector. */
export interface ConnectedInput {
  readonly transformation: Transformation;
  readonly keySelector: KeySelector<any> | undefined;
}

/** A key given to keyBy: a selector function, or the name of a field of the record. */
export type KeySpec<T, K extends Key> = KeySelector<T, K> | (keyof T & (string | number));

export class ConnectedStreams<IN1, IN2> {
  constructor(
    readonly env: StreamExecutionEnvironment,
    /** @internal */ readonly input1: ConnectedInput,
    /** @internal */ readonly input2: ConnectedInput,
  ) {}

  /** The first stream, as connected. */
  getFirstInput(): DataStream<IN1> {
    return new DataStream<IN1>(this.env, this.input1.transformation);
  }

  /** The second stream, as connected. */
  getSecondInput(): DataStream<IN2> {
    return new DataStream<IN2>(this.env, this.input2.transformation);
  }

  /**
   * Partitions both streams by key into one key space: `key1` selects the
   * key of a first-stream record, `key2` of a second-stream one (functions
   * or field names). Keys of both must be of the same kind to meet.
   * @throws GraphValidationError (MISSING_KEY_SELECTOR) when a key is neither a function nor a field name
   */
  keyBy<K extends Key>(key1: KeySpec<IN1, K>, key2: KeySpec<IN2, K>): KeyedConnectedStreams<IN1, IN2, K> {
    const s1 = toKeySelector(key1, 'first');
    const s2 = toKeySelector(key2, 'second');
    return new KeyedConnectedStreams<IN1, IN2, K>(
      this.env,
      { transformation: hashPartition(this.env, this.input1.transformation, s1), keySelector: s1 },
      { transformation: hashPartition(this.env, this.input2.transformation, s2), keySelector: s2 },
    );
  }

  /**
   * map1 for each record of the first stream, map2 for each of the second;
   * one output record per input record, with its timestamp.
   * @throws GraphValidationError (INVALID_ARGUMENT) unless `fn` has functions map1 and map2
   */
  map<O>(fn: CoMapFunction<IN1, IN2, O>): SingleOutputStreamOperator<O> {
    requireMethods(fn, 'map', ['map1', 'map2']);
    return this.transform<O>('Co-Map', () => new CoStreamMap(fn), false);
  }

  /**
   * flatMap1 / flatMap2 per record of the first / second stream; each emits
   * zero or more records through `out.collect`, with the input's timestamp.
   * @throws GraphValidationError (INVALID_ARGUMENT) unless `fn` has functions flatMap1 and flatMap2
   */
  flatMap<O>(fn: CoFlatMapFunction<IN1, IN2, O>): SingleOutputStreamOperator<O> {
    requireMethods(fn, 'flatMap', ['flatMap1', 'flatMap2']);
    return this.transform<O>('Co-Flat Map', () => new CoStreamFlatMap(fn), false);
  }

  /**
   * Runs a CoProcessFunction: processElement1 / processElement2 with the
   * record's timestamp and side outputs (`ctx.output(tag, v)`). On streams
   * keyed on both sides (keyBy), see KeyedConnectedStreams#process.
   * @throws GraphValidationError (INVALID_ARGUMENT) unless `fn` has functions processElement1 and processElement2
   */
  process<O>(fn: CoProcessFunction<IN1, IN2, O>): SingleOutputStreamOperator<O> {
    requireMethods(fn, 'process', ['processElement1', 'processElement2']);
    return this.transform<O>('Co-Process', () => new CoProcessOperator(fn), false);
  }

  /** @internal Adds a two-input operator over both streams; `keyed`: its state is scoped to the inputs' keys. */
  transform<O>(name: string, factory: TwoInputOperatorFactory, keyed: boolean): SingleOutputStreamOperator<O> {
    const t = this.env.addTransformation({
      kind: 'two-input',
      input1: this.input1.transformation,
      input2: this.input2.transformation,
      operatorFactory: factory,
      stateKeySelector1: keyed ? this.input1.keySelector : undefined,
      stateKeySelector2: keyed ? this.input2.keySelector : undefined,
      name,
      uid: undefined,
      parallelism: undefined,
      maxParallelism: undefined,
      chaining: 'always',
    });
    return new SingleOutputStreamOperator<O>(this.env, t);
  }
}

/**
 * Connected streams both partitioned by key into one key space (after
 * `connect(...).keyBy(k1, k2)` or `keyedA.connect(keyedB)`): process runs a
 * KeyedCoProcessFunction with keyed state shared by both inputs and timers.
 */
export class KeyedConnectedStreams<IN1, IN2, K extends Key> extends ConnectedStreams<IN1, IN2> {
  /** The key selector of the first stream's records. */
  get keySelector1(): KeySelector<IN1, K> {
    return this.input1.keySelector as KeySelector<IN1, K>;
  }

  /** The key selector of the second stream's records. */
  get keySelector2(): KeySelector<IN2, K> {
    return this.input2.keySelector as KeySelector<IN2, K>;
  }

  /**
   * Runs a KeyedCoProcessFunction: the current key is the record's (by its
   * own input's key selector), keyed state from `open()`'s runtime context
   * is that key's whichever input the record came on, `ctx.getCurrentKey()`
   * names it, and `ctx.timerService()` sets event- and processing-time
   * timers that call `onTimer(timestamp, ctx, out)` (with `ctx.timeDomain()`).
   * A plain CoProcessFunction works too (it just ignores the key).
   * @throws GraphValidationError (INVALID_ARGUMENT) unless `fn` has functions processElement1 and processElement2 (and onTimer, if given, is a function)
   */
  override process<O>(fn: KeyedCoProcessFunction<K, IN1, IN2, O>): SingleOutputStreamOperator<O> {
    requireMethods(fn, 'process', ['processElement1', 'processElement2']);
    if (fn.onTimer !== undefined && typeof fn.onTimer !== 'function') {
      throw new GraphValidationError('INVALID_ARGUMENT', 'process(): onTimer must be a function when given');
    }
    const k1 = this.keySelector1;
    const k2 = this.keySelector2;
    return this.transform<O>('Co-Keyed-Process', () => new KeyedCoProcessOperator<K, IN1, IN2, O>(k1, k2, fn), true);
  }
}

/** The hash partitioning of keyBy (records to the subtask owning their key group). */
function hashPartition(env: StreamExecutionEnvironment, input: Transformation, keySelector: KeySelector<any>): Transformation {
  return env.addTransformation({
    kind: 'partition',
    input,
    partitioner: { kind: 'hash', keySelector },
    name: 'Hash',
    uid: undefined,
    parallelism: undefined,
    maxParallelism: undefined,
    chaining: 'always',
  });
}

function toKeySelector<T, K extends Key>(key: KeySpec<T, K>, which: 'first' | 'second'): KeySelector<T, K> {
  if (typeof key === 'function') return key;
  if (typeof key === 'string' || typeof key === 'number') {
    const field = key;
    return (v: T) => (v as Record<string | number, unknown>)[field] as K;
  }
  throw new GraphValidationError('MISSING_KEY_SELECTOR', `keyBy() needs a key selector function or a field name for the ${which} stream, got ${String(key)}`);
}

function requireMethods(fn: unknown, op: string, names: readonly string[]): void {
  const missing = names.filter((n) => fn == null || typeof (fn as Record<string, unknown>)[n] !== 'function');
  if (missing.length > 0) {
    throw new GraphValidationError('INVALID_ARGUMENT', `${op}() on connected streams needs an object with functions ${names.join(' and ')}; missing: ${missing.join(', ')}`);
  }
}
