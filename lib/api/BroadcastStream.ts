/**
 * The broadcast state pattern's streams (Flink's BroadcastStream and
 * BroadcastConnectedStream):
 *
 *   const rulesDesc = new MapStateDescriptor<string, Rule>('rules');
 *   const rules = ruleStream.broadcast(rulesDesc);          // BroadcastStream
 *   events.connect(rules).process(new Matcher());           // BroadcastProcessFunction
 *   events.keyBy((e) => e.user).connect(rules).process(new PerUser());   // KeyedBroadcastProcessFunction
 *
 * A BroadcastStream sends every record to every subtask of the operator it
 * is connected to (broadcast partitioning) and declares the broadcast
 * states (MapStateDescriptors, one or more) that operator keeps. The
 * non-broadcast stream is input 1 of a two-input operator, the broadcast
 * stream input 2; the operator's watermark is the minimum of both. A
 * BroadcastStream may be connected to several streams; each operator keeps
 * its own broadcast state.
 *
 * Arguments are checked with GraphValidationError (INVALID_ARGUMENT).
 */
import { GraphValidationError } from '../errors';
import { CoBroadcastWithKeyedOperator } from '../operators/CoBroadcastWithKeyedOperator';
import { CoBroadcastWithNonKeyedOperator } from '../operators/CoBroadcastWithNonKeyedOperator';
import type { Key } from '../state/KeyGroup';
import { MapStateDescriptor } from '../state/StateDescriptor';
import type { BroadcastProcessFunction, KeyedBroadcastProcessFunction } from './broadcastFunctions';
import type { ConnectedInput } from './ConnectedStreams';
import { DataStream, SingleOutputStreamOperator } from './DataStream';
import type { KeySelector } from './functions';
import type { StreamExecutionEnvironment } from './StreamExecutionEnvironment';
import type { Transformation } from './Transformation';

export class BroadcastStream<T> {
  /** The broadcast states declared for the operator this stream feeds. */
  readonly descriptors: readonly MapStateDescriptor<any, any>[];

  constructor(
    readonly env: StreamExecutionEnvironment,
    /** @internal the broadcast partition transformation */ readonly transformation: Transformation,
    descriptors: readonly MapStateDescriptor<any, any>[],
  ) {
    this.descriptors = checkDescriptors(descriptors, transformation.name);
  }

  /** The records, as a plain (broadcast-partitioned) stream. */
  getStream(): DataStream<T> {
    return new DataStream<T>(this.env, this.transformation);
  }

  declare readonly __type?: T;
}

/** A stream connected with a BroadcastStream: `process` runs a BroadcastProcessFunction. */
export class BroadcastConnectedStream<IN1, IN2> {
  constructor(
    readonly env: StreamExecutionEnvironment,
    /** @internal */ readonly input1: ConnectedInput,
    /** @internal */ readonly broadcast: BroadcastStream<IN2>,
  ) {}

  /** The non-broadcast stream. */
  getFirstInput(): DataStream<IN1> {
    return new DataStream<IN1>(this.env, this.input1.transformation);
  }

  /** The broadcast stream. */
  getSecondInput(): BroadcastStream<IN2> {
    return this.broadcast;
  }

  /**
   * Runs a BroadcastProcessFunction: `processElement` for records of this
   * stream (broadcast state read-only), `processBroadcastElement` on every
   * subtask for each broadcast record (broadcast state writable).
   * @throws GraphValidationError (INVALID_ARGUMENT) unless `fn` has functions processElement and processBroadcastElement, and no onTimer (timers need a keyed stream)
   */
  process<O>(fn: BroadcastProcessFunction<IN1, IN2, O>): SingleOutputStreamOperator<O> {
    requireMethods(fn);
    if ((fn as { onTimer?: unknown }).onTimer !== undefined) {
      throw new GraphValidationError('INVALID_ARGUMENT', 'process(): onTimer needs timers, which only a keyed stream has: keyBy() the stream before connect()');
    }
    const descriptors = this.broadcast.descriptors;
    return this.transform<O>('Co-Process-Broadcast', () => new CoBroadcastWithNonKeyedOperator<IN1, IN2, O>(fn, descriptors), undefined);
  }

  /** @internal Adds the two-input operator: input 1 this stream, input 2 the broadcast one; keyed on input 1 when `keySelector`. */
  transform<O>(name: string, factory: () => CoBroadcastWithNonKeyedOperator<IN1, IN2, O> | CoBroadcastWithKeyedOperator<any, IN1, IN2, O>, keySelector: KeySelector<IN1> | undefined): SingleOutputStreamOperator<O> {
    const t = this.env.addTransformation({
      kind: 'two-input',
      input1: this.input1.transformation,
      input2: this.broadcast.transformation,
      operatorFactory: factory,
      stateKeySelector1: keySelector,
      stateKeySelector2: undefined,
      name,
      uid: undefined,
      parallelism: undefined,
      maxParallelism: undefined,
      chaining: 'always',
    });
    return new SingleOutputStreamOperator<O>(this.env, t);
  }
}

/** A keyed stream connected with a BroadcastStream: `process` runs a KeyedBroadcastProcessFunction. */
export class KeyedBroadcastConnectedStream<IN1, IN2, K extends Key> extends BroadcastConnectedStream<IN1, IN2> {
  /** The key selector of the keyed stream. */
  get keySelector(): KeySelector<IN1, K> {
    return this.input1.keySelector as KeySelector<IN1, K>;
  }

  /**
   * Runs a KeyedBroadcastProcessFunction: `processElement` with the record's
   * key current (keyed state, `ctx.timerService()`, `ctx.getCurrentKey()`)
   * and broadcast state read-only; `processBroadcastElement` on every
   * subtask with broadcast state writable and `ctx.applyToKeyedState`;
   * `onTimer` when a timer fires. A plain BroadcastProcessFunction works too.
   * @throws GraphValidationError (INVALID_ARGUMENT) unless `fn` has functions processElement and processBroadcastElement (and onTimer, if given, is a function)
   */
  override process<O>(fn: KeyedBroadcastProcessFunction<K, IN1, IN2, O>): SingleOutputStreamOperator<O> {
    requireMethods(fn);
    if (fn.onTimer !== undefined && typeof fn.onTimer !== 'function') {
      throw new GraphValidationError('INVALID_ARGUMENT', 'process(): onTimer must be a function when given');
    }
    const key = this.keySelector;
    const descriptors = this.broadcast.descriptors;
    return this.transform<O>('Co-Keyed-Process-Broadcast', () => new CoBroadcastWithKeyedOperator<K, IN1, IN2, O>(key, fn, descriptors), key);
  }
}

function checkDescriptors(descriptors: readonly MapStateDescriptor<any, any>[], operator: string): readonly MapStateDescriptor<any, any>[] {
  if (descriptors.length === 0) {
    throw new GraphValidationError('INVALID_ARGUMENT', 'a BroadcastStream needs at least one MapStateDescriptor: broadcast(new MapStateDescriptor(name))', operator);
  }
  const names = new Set<string>();
  for (const d of descriptors) {
    if (!(d instanceof MapStateDescriptor)) {
      throw new GraphValidationError('INVALID_ARGUMENT', `broadcast() takes MapStateDescriptors (broadcast state is map state), got ${describe(d)}`, operator);
    }
    if (names.has(d.name)) throw new GraphValidationError('INVALID_ARGUMENT', `broadcast() got two descriptors named '${d.name}'`, operator);
    names.add(d.name);
  }
  return [...descriptors];
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return (v as { constructor?: { name?: string } }).constructor?.name ?? 'an object';
}

function requireMethods(fn: unknown): void {
  const names = ['processElement', 'processBroadcastElement'];
  const missing = names.filter((n) => fn == null || typeof (fn as Record<string, unknown>)[n] !== 'function');
  if (missing.length > 0) {
    throw new GraphValidationError('INVALID_ARGUMENT', `process() on a broadcast-connected stream needs an object with functions ${names.join(' and ')}; missing: ${missing.join(', ')}`);
  }
}
