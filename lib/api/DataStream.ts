/**
 * DataStream: a stream of records and the operations on it (Flink's
 * DataStream). Operations that create an operator return a
 * SingleOutputStreamOperator, on which uid(), name(), setParallelism() and
 * chaining hints apply; sinks return a DataStreamSink.
 *
 * Records are passed between chained operators by reference. A function may
 * change the record it receives and emit it; stateful operators and
 * fromCollection emit copies of what they keep (unless objectReuse), so an
 * emitted record never changes afterwards. Do not change an object after
 * emitting it if you keep it yourself (a closure), nor records of a stream
 * that feeds several consumers (they share the object).
 */
import { GraphValidationError } from '../errors';
import { CollectSink } from '../connectors/CollectSink';
import { PrintSink, type LineWriter } from '../connectors/PrintSink';
import { toSink, type Sink, type SinkFunction } from '../connectors/Sink';
import type { PartitionerSpec } from '../operators/partitioners';
import { ProcessOperator } from '../operators/ProcessOperator';
import { SinkWriterOperator } from '../operators/SinkWriterOperator';
import { StreamFilter } from '../operators/StreamFilter';
import { StreamFlatMap } from '../operators/StreamFlatMap';
import { StreamMap } from '../operators/StreamMap';
import type { OperatorFactory } from '../operators/StreamOperator';
import type { Key } from '../state/KeyGroup';
import type { FilterFunction, FlatMapFunction, KeySelector, MapFunction, ProcessFunction } from './functions';
import { AllWindowedStream } from './AllWindowedStream';
import { CoGroupedStreams, JoinedStreams } from './CoGroupedStreams';
import { countWindows, KeyedStream } from './KeyedStream';
import { connectStreams } from './connect';
import type { ConnectedStreams } from './ConnectedStreams';
import { BroadcastStream, type BroadcastConnectedStream } from './BroadcastStream';
import type { MapStateDescriptor } from '../state/StateDescriptor';
import { GlobalWindows } from '../windowing/assigners/GlobalWindows';
import type { WindowAssigner } from '../windowing/assigners/WindowAssigner';
import type { GlobalWindow } from '../windowing/windows/GlobalWindow';
import type { Window } from '../windowing/windows/Window';
import { OutputTag } from './OutputTag';
import type { StreamExecutionEnvironment } from './StreamExecutionEnvironment';
import type { Transformation } from './Transformation';
import { TimestampsAndWatermarksOperator } from '../operators/TimestampsAndWatermarksOperator';
import { WatermarkStrategy } from '../time/WatermarkStrategy';

export class DataStream<T> {
  constructor(
    readonly env: StreamExecutionEnvironment,
    /** @internal */ readonly transformation: Transformation,
  ) {}

  map<O>(fn: MapFunction<T, O>): SingleOutputStreamOperator<O> {
    requireFunction(fn, 'map');
    return this.transform('Map', () => new StreamMap(fn));
  }

  filter(fn: FilterFunction<T>): SingleOutputStreamOperator<T> {
    requireFunction(fn, 'filter');
    return this.transform('Filter', () => new StreamFilter(fn));
  }

  flatMap<O>(fn: FlatMapFunction<T, O>): SingleOutputStreamOperator<O> {
    requireFunction(fn, 'flatMap');
    return this.transform('Flat Map', () => new StreamFlatMap(fn));
  }

  /**
   * Gives records their event timestamps and emits watermarks (Flink's
   * assignTimestampsAndWatermarks): `strategy` is a WatermarkStrategy, e.g.
   * `WatermarkStrategy.forBoundedOutOfOrderness<E>(1000).withTimestampAssigner((e) => e.ts)`.
   * Periodic watermarks come every `autoWatermarkIntervalMs` (create() option,
   * 200 ms). Watermarks from upstream are replaced, except the end of input.
   * Throws GraphValidationError (INVALID_ARGUMENT) when `strategy` is not a WatermarkStrategy.
   */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): SingleOutputStreamOperator<T> {
    if (!(strategy instanceof WatermarkStrategy)) {
      throw new GraphValidationError('INVALID_ARGUMENT', 'assignTimestampsAndWatermarks() needs a WatermarkStrategy, e.g. WatermarkStrategy.forMonotonousTimestamps()');
    }
    const interval = this.env.config.autoWatermarkIntervalMs;
    return this.transform('Timestamps/Watermarks', () => new TimestampsAndWatermarksOperator(strategy, interval));
  }

  process<O>(fn: ProcessFunction<T, O>): SingleOutputStreamOperator<O> {
    if (fn == null || typeof fn.processElement !== 'function') {
      throw new GraphValidationError('INVALID_ARGUMENT', 'process() needs an object with processElement(value, ctx, out)');
    }
    return this.transform('Process', () => new ProcessOperator(fn));
  }

  /**
   * Partitions by key: records with equal keys go to the same subtask, and
   * keyed state after this is scoped per key. A key is a string, number,
   * boolean, bigint or an array of those; a field name selects that field.
   */
  keyBy<K extends Key>(key: KeySelector<T, K> | (keyof T & (string | number))): KeyedStream<T, K> {
    let selector: KeySelector<T, K>;
    if (typeof key === 'function') selector = key;
    else if (typeof key === 'string' || typeof key === 'number') {
      const field = key;
      selector = (v: T) => (v as Record<string | number, unknown>)[field] as K;
    } else {
      throw new GraphValidationError(
        'MISSING_KEY_SELECTOR',
        'keyBy() needs a key selector function or a field name',
        this.transformation.name,
      );
    }
    return new KeyedStream<T, K>(this.env, this.partition({ kind: 'hash', keySelector: selector }, 'Hash'), selector);
  }

  /**
   * Windows over the whole stream (not per key), evaluated by one subtask
   * (parallelism 1): global top-N, totals per window.
   */
  windowAll<W extends Window>(assigner: WindowAssigner<T, W>): AllWindowedStream<T, W> {
    return new AllWindowedStream<T, W>(this, assigner);
  }

  /** Count windows over the whole stream: every `size` records, or the last `size` every `slide` (parallelism 1). */
  countWindowAll(size: number, slide?: number): AllWindowedStream<T, GlobalWindow> {
    return countWindows(this.windowAll(GlobalWindows.create()), size, slide);
  }

  /**
   * Window co-group with `other` (Flink's coGroup): per key and window,
   * `apply((lefts, rights, out) => ...)` sees both sides' records.
   */
  coGroup<R>(other: DataStream<R>): CoGroupedStreams<T, R> {
    return new CoGroupedStreams<T, R>(this, other);
  }

  /**
   * Window join with `other` (Flink's join): pairs of records with equal
   * keys in the same window, `.where(k1).equalTo(k2).window(assigner).apply((l, r) => ...)`.
   */
  join<R>(other: DataStream<R>): JoinedStreams<T, R> {
    return new JoinedStreams<T, R>(this, other);
  }

  /** Round-robin over all downstream subtasks. */
  rebalance(): DataStream<T> {
    return new DataStream(this.env, this.partition({ kind: 'rebalance' }, 'Rebalance'));
  }

  /** Uniformly random downstream subtask. */
  shuffle(): DataStream<T> {
    return new DataStream(this.env, this.partition({ kind: 'shuffle' }, 'Shuffle'));
  }

  /**
   * Every record to every downstream subtask. Given broadcast state
   * descriptors (one or more MapStateDescriptors), a BroadcastStream
   * instead, to connect a stream with (`events.connect(rules)`): the
   * broadcast state pattern, where every subtask of the connected operator
   * keeps the same state (rules, configuration) written from this stream.
   * @throws GraphValidationError (INVALID_ARGUMENT) when a descriptor is not a MapStateDescriptor, or two share a name
   */
  broadcast(): DataStream<T>;
  broadcast(...descriptors: [MapStateDescriptor<any, any>, ...MapStateDescriptor<any, any>[]]): BroadcastStream<T>;
  broadcast(...descriptors: MapStateDescriptor<any, any>[]): DataStream<T> | BroadcastStream<T> {
    const partitioned = this.partition({ kind: 'broadcast' }, 'Broadcast');
    return descriptors.length === 0 ? new DataStream(this.env, partitioned) : new BroadcastStream<T>(this.env, partitioned, descriptors);
  }

  /** Subtask i to subtask i; requires equal parallelism. */
  forward(): DataStream<T> {
    return new DataStream(this.env, this.partition({ kind: 'forward' }, 'Forward'));
  }

  /** Merges streams of the same type into one. */
  union(...others: DataStream<T>[]): DataStream<T> {
    for (const o of others) {
      if (!(o instanceof DataStream) || o.env !== this.env) {
        throw new GraphValidationError('INVALID_ARGUMENT', 'union() needs streams of the same environment', this.transformation.name);
      }
    }
    const t = this.env.addTransformation({
      kind: 'union',
      inputs: [this.transformation, ...others.map((o) => o.transformation)],
      name: 'Union',
      uid: undefined,
      parallelism: undefined,
      maxParallelism: undefined,
      chaining: 'always',
    });
    return new DataStream(this.env, t);
  }

  /**
   * Connects this stream with `other` (of the same environment, any record
   * type) for an operator that sees both: records of this stream are the
   * first input, those of `other` the second. A KeyedStream stays
   * hash-partitioned by its key. A BroadcastStream (`rules.broadcast(descriptor)`)
   * gives a BroadcastConnectedStream, for a BroadcastProcessFunction.
   * @throws GraphValidationError (INVALID_ARGUMENT) when `other` is not a stream of this environment
   */
  connect<B>(other: BroadcastStream<B>): BroadcastConnectedStream<T, B>;
  connect<B>(other: DataStream<B> | KeyedStream<B, any>): ConnectedStreams<T, B>;
  connect<B>(other: DataStream<B> | KeyedStream<B, any> | BroadcastStream<B>): ConnectedStreams<T, B> | BroadcastConnectedStream<T, B> {
    return connectStreams<T, B>(this.env, { transformation: this.transformation, keySelector: undefined }, other, this.transformation.name);
  }

  sinkTo(sink: Sink<T> | SinkFunction<T>, name = 'Sink'): DataStreamSink<T> {
    const s = toSink(sink);
    const t = this.env.addTransformation({
      kind: 'sink',
      input: this.transformation,
      sink: s,
      operatorFactory: () => new SinkWriterOperator(s),
      name: `Sink: ${name}`,
      uid: undefined,
      parallelism: undefined,
      maxParallelism: undefined,
      chaining: 'always',
    });
    this.env.addSink(t);
    return new DataStreamSink(t);
  }

  /** Prints each record on a line; "n> " prefixes show the subtask when parallelism > 1. */
  print(identifier?: string, out?: LineWriter): DataStreamSink<T> {
    return this.sinkTo(new PrintSink<T>(identifier, out), 'Print to Std. Out');
  }

  /** Runs the job and returns this stream's records (per-subtask order kept). */
  async executeAndCollect(jobName = 'Collect'): Promise<T[]> {
    const sink = this.sinkTo(new CollectSink<T>(), 'Collect').setParallelism(1);
    const uid = sink.transformation.uid ?? `collect-${sink.transformation.id}`;
    sink.uid(uid);
    const result = await this.env.execute(jobName);
    return result.sinkResults[uid] as T[];
  }

  /** @internal Adds a one-input operator after this stream. */
  transform<O>(name: string, factory: OperatorFactory, stateKeySelector?: KeySelector<any>): SingleOutputStreamOperator<O> {
    const t = this.env.addTransformation({
      kind: 'one-input',
      input: this.transformation,
      operatorFactory: factory,
      stateKeySelector,
      name,
      uid: undefined,
      parallelism: undefined,
      maxParallelism: undefined,
      chaining: 'always',
    });
    return new SingleOutputStreamOperator<O>(this.env, t);
  }

  private partition(partitioner: PartitionerSpec, name: string): Transformation {
    return this.env.addTransformation({
      kind: 'partition',
      input: this.transformation,
      partitioner,
      name,
      uid: undefined,
      parallelism: undefined,
      maxParallelism: undefined,
      chaining: 'always',
    });
  }
}

/** Settings shared by operators and sinks. */
function configure(t: Transformation, what: 'uid' | 'name' | 'parallelism' | 'maxParallelism', v: unknown): void {
  switch (what) {
    case 'uid':
    case 'name':
      if (typeof v !== 'string' || v.length === 0) {
        throw new GraphValidationError('INVALID_ARGUMENT', `${what} must be a non-empty string`, t.name);
      }
      t[what] = v;
      return;
    case 'parallelism':
    case 'maxParallelism':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
        throw new GraphValidationError('INVALID_PARALLELISM', `${what} must be a positive integer, got ${String(v)}`, t.name);
      }
      if (what === 'parallelism' && t.nonParallel && v !== 1) {
        throw new GraphValidationError('INVALID_PARALLELISM', `the operator is not parallel (windowAll): its parallelism is 1, got ${v}`, t.name);
      }
      t[what] = v;
  }
}

export class SingleOutputStreamOperator<T> extends DataStream<T> {
  /** A stable id for the operator's state in checkpoints and savepoints. */
  uid(uid: string): this {
    configure(this.transformation, 'uid', uid);
    return this;
  }
  name(name: string): this {
    configure(this.transformation, 'name', name);
    return this;
  }
  setParallelism(parallelism: number): this {
    configure(this.transformation, 'parallelism', parallelism);
    return this;
  }
  setMaxParallelism(maxParallelism: number): this {
    configure(this.transformation, 'maxParallelism', maxParallelism);
    return this;
  }
  /** Never fuse this operator with its neighbours. */
  disableChaining(): this {
    this.transformation.chaining = 'never';
    return this;
  }
  /** Begin a new chain at this operator. */
  startNewChain(): this {
    this.transformation.chaining = 'head';
    return this;
  }
  /**
   * The records this operator (or source) emitted with `ctx.output(tag, …)`,
   * as a stream of their own: partitioned, chained and parallel like any
   * other output of the operator.
   * @throws GraphValidationError (INVALID_ARGUMENT) when `tag` is not an OutputTag
   */
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    if (!(tag instanceof OutputTag)) {
      throw new GraphValidationError('INVALID_ARGUMENT', 'getSideOutput() needs an OutputTag', this.transformation.name);
    }
    const t = this.env.addTransformation({
      kind: 'side-output',
      input: this.transformation,
      tag,
      name: `Side Output: ${tag.id}`,
      uid: undefined,
      parallelism: undefined,
      maxParallelism: undefined,
      chaining: 'always',
    });
    return new DataStream<X>(this.env, t);
  }
}

export class DataStreamSink<T> {
  constructor(/** @internal */ readonly transformation: Transformation) {}
  uid(uid: string): this {
    configure(this.transformation, 'uid', uid);
    return this;
  }
  name(name: string): this {
    configure(this.transformation, 'name', name);
    return this;
  }
  setParallelism(parallelism: number): this {
    configure(this.transformation, 'parallelism', parallelism);
    return this;
  }
  disableChaining(): this {
    this.transformation.chaining = 'never';
    return this;
  }
  declare readonly __type?: T;
}

function requireFunction(fn: unknown, op: string): void {
  if (typeof fn !== 'function') throw new GraphValidationError('INVALID_ARGUMENT', `${op}() needs a function`);
}
