/**
 * KeyedStream: a stream partitioned by key (Flink's KeyedStream). Operators
 * after keyBy run keyed: their state is scoped to the key of the record.
 *
 *   stream.keyBy((o) => o.user).sum('amount')       // running sum per user
 *   stream.keyBy((o) => o.user).sum((o) => o.amount) // { key, value } per user
 *   stream.keyBy((o) => o.user).process(new Fraud()) // keyed state in process
 */
import { GraphValidationError } from '../errors';
import { byAggregator, checkNumber, fieldAccumulator, max, min, numberAt, sum, type NumericField } from '../operators/aggregations';
import { KeyedProcessOperator } from '../operators/KeyedProcessOperator';
import { StreamFilter } from '../operators/StreamFilter';
import { StreamFlatMap } from '../operators/StreamFlatMap';
import { StreamGroupedReduce } from '../operators/StreamGroupedReduce';
import { StreamMap } from '../operators/StreamMap';
import type { OperatorFactory } from '../operators/StreamOperator';
import type { Key } from '../state/KeyGroup';
import { DataStream, SingleOutputStreamOperator } from './DataStream';
import type { ConnectedStreams, KeyedConnectedStreams } from './ConnectedStreams';
import type { BroadcastConnectedStream, BroadcastStream, KeyedBroadcastConnectedStream } from './BroadcastStream';
import { connectStreams } from './connect';
import { IntervalJoin } from './IntervalJoin';
import type {
  FilterFunction,
  FlatMapFunction,
  KeyedProcessFunction,
  KeySelector,
  MapFunction,
  ReduceFunction,
} from './functions';
import type { StreamExecutionEnvironment } from './StreamExecutionEnvironment';
import type { Transformation } from './Transformation';
import { WindowedStream } from './WindowedStream';
import { GlobalWindows } from '../windowing/assigners/GlobalWindows';
import type { WindowAssigner } from '../windowing/assigners/WindowAssigner';
import { CountEvictor } from '../windowing/evictors/CountEvictor';
import { CountTrigger } from '../windowing/triggers/CountTrigger';
import { PurgingTrigger } from '../windowing/triggers/PurgingTrigger';
import type { GlobalWindow } from '../windowing/windows/GlobalWindow';
import type { Window } from '../windowing/windows/Window';

/** What a selector-based aggregation emits. */
export interface KeyedAggregate<K> {
  readonly key: K;
  readonly value: number;
}

type Aggregate<T, K> = NumericField<T> | ((value: T) => number) | undefined;

export class KeyedStream<T, K extends Key> {
  private readonly stream: DataStream<T>;

  constructor(
    readonly env: StreamExecutionEnvironment,
    /** @internal the hash-partition transformation */ readonly transformation: Transformation,
    readonly keySelector: KeySelector<T, K>,
  ) {
    this.stream = new DataStream<T>(env, transformation);
  }

  process<O>(fn: KeyedProcessFunction<K, T, O>): SingleOutputStreamOperator<O> {
    if (fn == null || typeof fn.processElement !== 'function') {
      throw new GraphValidationError('INVALID_ARGUMENT', 'process() needs an object with processElement(value, ctx, out)');
    }
    return this.keyed('Keyed Process', () => new KeyedProcessOperator(this.keySelector, fn));
  }

  /**
   * Emits the running reduction of each key for every record. The function
   * may change and return its accumulator (the emitted record is a copy);
   * it must not return a Promise.
   */
  reduce(fn: ReduceFunction<T>): SingleOutputStreamOperator<T> {
    if (typeof fn !== 'function') throw new GraphValidationError('INVALID_ARGUMENT', 'reduce() needs a function');
    return this.keyed('Keyed Reduce', () => new StreamGroupedReduce<T, T>(this.keySelector, { kind: 'reduce', fn, pure: false }));
  }

  /** Running sum per key: of a field (record with the field replaced), of the records themselves (numbers), or of a selector ({ key, value }). */
  sum(field?: NumericField<T>): SingleOutputStreamOperator<T>;
  sum(selector: (value: T) => number): SingleOutputStreamOperator<KeyedAggregate<K>>;
  sum(by?: Aggregate<T, K>): SingleOutputStreamOperator<any> {
    return this.aggregate('Sum', by, sum);
  }

  min(field?: NumericField<T>): SingleOutputStreamOperator<T>;
  min(selector: (value: T) => number): SingleOutputStreamOperator<KeyedAggregate<K>>;
  min(by?: Aggregate<T, K>): SingleOutputStreamOperator<any> {
    return this.aggregate('Min', by, min);
  }

  max(field?: NumericField<T>): SingleOutputStreamOperator<T>;
  max(selector: (value: T) => number): SingleOutputStreamOperator<KeyedAggregate<K>>;
  max(by?: Aggregate<T, K>): SingleOutputStreamOperator<any> {
    return this.aggregate('Max', by, max);
  }

  /** The record with the smallest value of the field so far (the first on ties). */
  minBy(field: NumericField<T>): SingleOutputStreamOperator<T> {
    const checked = (v: T) => (numberAt(v, field), v);
    const fn = byAggregator(field, (c, cur) => c < cur);
    return this.keyed('Keyed MinBy', () => new StreamGroupedReduce<T, T>(this.keySelector, { kind: 'reduce', fn, pure: true }, checked));
  }

  /** The record with the largest value of the field so far (the first on ties). */
  maxBy(field: NumericField<T>): SingleOutputStreamOperator<T> {
    const checked = (v: T) => (numberAt(v, field), v);
    const fn = byAggregator(field, (c, cur) => c > cur);
    return this.keyed('Keyed MaxBy', () => new StreamGroupedReduce<T, T>(this.keySelector, { kind: 'reduce', fn, pure: true }, checked));
  }

  /**
   * Connects this keyed stream with `other`: with another KeyedStream the
   * result is keyed on both inputs (process takes a KeyedCoProcessFunction
   * with keyed state shared by both and timers); with a BroadcastStream it
   * is a KeyedBroadcastConnectedStream (process takes a
   * KeyedBroadcastProcessFunction); with a plain DataStream it is not keyed.
   * @throws GraphValidationError (INVALID_ARGUMENT) when `other` is not a stream of this environment
   */
  connect<B>(other: KeyedStream<B, K>): KeyedConnectedStreams<T, B, K>;
  connect<B>(other: BroadcastStream<B>): KeyedBroadcastConnectedStream<T, B, K>;
  connect<B>(other: DataStream<B>): ConnectedStreams<T, B>;
  connect<B>(other: DataStream<B> | KeyedStream<B, K> | BroadcastStream<B>): ConnectedStreams<T, B> | BroadcastConnectedStream<T, B> {
    return connectStreams<T, B>(this.env, { transformation: this.transformation, keySelector: this.keySelector }, other, this.transformation.name);
  }

  /**
   * An interval join with `other` (Flink's intervalJoin): continue with
   * `.between(lowerMs, upperMs)` and `.process(fn)`; see IntervalJoin.
   * @throws GraphValidationError (INVALID_ARGUMENT) when `other` is not a KeyedStream of this environment
   */
  intervalJoin<B>(other: KeyedStream<B, K>): IntervalJoin<T, B, K> {
    if (!(other instanceof KeyedStream)) throw new GraphValidationError('INVALID_ARGUMENT', 'intervalJoin() needs a KeyedStream (call keyBy on the other stream)', this.transformation.name);
    if (other.env !== this.env) throw new GraphValidationError('INVALID_ARGUMENT', 'intervalJoin() needs a stream of the same environment', this.transformation.name);
    return new IntervalJoin<T, B, K>(this, other);
  }

  map<O>(fn: MapFunction<T, O>): SingleOutputStreamOperator<O> {
    return this.stream.map(fn);
  }

  filter(fn: FilterFunction<T>): SingleOutputStreamOperator<T> {
    return this.stream.filter(fn);
  }

  flatMap<O>(fn: FlatMapFunction<T, O>): SingleOutputStreamOperator<O> {
    return this.stream.flatMap(fn);
  }

  private aggregate(name: string, by: Aggregate<T, K>, combine: (a: number, b: number) => number): SingleOutputStreamOperator<any> {
    const key = this.keySelector;
    if (by === undefined) {
      return this.keyed(`Keyed ${name}`, () => new StreamGroupedReduce<T, number>(key, { kind: 'reduce', fn: combine, pure: true }, (v) => checkNumber(v)));
    }
    if (typeof by === 'function') {
      const select = by;
      const fn = (a: { value: number }, b: KeyedAggregate<K>) => void (a.value = combine(a.value, b.value));
      return this.keyed(`Keyed ${name}`, () => new StreamGroupedReduce<T, KeyedAggregate<K>>(key, { kind: 'accumulate', fn }, (v, k) => ({ key: k as K, value: checkNumber(select(v)) })));
    }
    if (typeof by === 'string' || typeof by === 'number') {
      // Checks every record's field, the first of each key included.
      const checked = (v: T) => (numberAt(v, by), v);
      return this.keyed(`Keyed ${name}`, () => new StreamGroupedReduce<T, T>(key, { kind: 'accumulate', fn: fieldAccumulator(by, combine) }, checked));
    }
    throw new GraphValidationError('INVALID_ARGUMENT', `${name.toLowerCase()}() needs a field name, a selector or nothing`);
  }

  /**
   * Windows per key: `assigner` puts each record into windows
   * (TumblingEventTimeWindows.of(ms), SlidingEventTimeWindows.of(size, slide),
   * EventTimeSessionWindows.withGap(ms), their processing-time twins,
   * GlobalWindows.create()); then reduce, aggregate or process them.
   */
  window<W extends Window>(assigner: WindowAssigner<T, W>): WindowedStream<T, K, W> {
    return new WindowedStream<T, K, W>(this, assigner);
  }

  /**
   * Count windows per key (Flink's countWindow): every `size` records of a
   * key (tumbling), or the last `size` records every `slide` records
   * (sliding). Records beyond a full window wait for the next one; a
   * partial window at the end of input does not fire.
   */
  countWindow(size: number, slide?: number): WindowedStream<T, K, GlobalWindow> {
    return countWindows(this.window(GlobalWindows.create()), size, slide);
  }

  /** @internal A keyed operator after this stream. */
  transformKeyed<O>(name: string, factory: OperatorFactory): SingleOutputStreamOperator<O> {
    return this.stream.transform<O>(name, factory, this.keySelector);
  }

  private keyed<O>(name: string, factory: OperatorFactory): SingleOutputStreamOperator<O> {
    return this.transformKeyed(name, factory);
  }
}

/**
 * Flink's count windows on a GlobalWindows stream: tumbling = purge every
 * `size` records; sliding = keep the last `size`, fire every `slide`.
 * Works for keyed and all-windowed streams alike.
 */
export function countWindows<S extends { trigger(t: any): S; evictor(e: any): S }>(windowed: S, size: number, slide?: number): S {
  // CountTrigger.of / CountEvictor.of check the counts (ConfigurationError naming them).
  if (slide === undefined) return windowed.trigger(PurgingTrigger.of(CountTrigger.of(size)));
  return windowed.evictor(CountEvictor.of(size)).trigger(CountTrigger.of(slide));
}
