/**
 * Async I/O (Flink's AsyncDataStream): calls an asynchronous function — a
 * database lookup, an HTTP service — for every record, with up to
 * `capacity` calls in flight per subtask, a timeout per call, and the
 * inputs of unfinished calls checkpointed and re-issued after a restore, so
 * the output is exactly-once with the rest of the job.
 *
 *   const enriched = AsyncDataStream.orderedWait(
 *     orders,
 *     async (o) => ({ ...o, customer: await db.customer(o.customerId) }),
 *     { timeoutMs: 1000, capacity: 100 },
 *   ).uid('enrich');
 *
 * orderedWait emits results in input order (per subtask); unorderedWait as
 * soon as each call completes (lower latency when call times vary). A call
 * resolves to one result, or to an array of results (0..n, like flatMap:
 * `[]` emits nothing; to emit one array-valued record return `[arr]`). Each
 * result carries its input's timestamp.
 *
 * The function is a plain `(input) => Promise`, or a RichAsyncFunction
 * object with `asyncInvoke(input)` and optional `open(ctx)` / `close()`
 * (either may be async: `open` may connect a client, input waits for it)
 * and `timeout(input)`, whose result stands in for a call that did not
 * complete within `timeoutMs`; without it a timeout fails the job with an
 * AsyncTimeoutError. A rejected call fails the job with a UserFunctionError
 * naming the operator and the record; so does an `asyncInvoke` that returns
 * something other than a promise.
 *
 * Calls are at-least-once: after a failure, calls in flight at the restored
 * checkpoint are made again (and their first results, if any were emitted
 * after that checkpoint, are rolled back with the rest of the job), so the
 * service should tolerate repeated requests (reads, idempotent writes).
 *
 * On a keyed stream (`orderedWait(stream.keyBy(k), ...)`) each key's
 * records go to one subtask, and orderedWait keeps each key's order. Keyed
 * state is not available to an async function — its calls interleave across
 * awaits, so there is no "current key" while it runs (Flink refuses it the
 * same way); combine results with state in a keyed process() after it.
 */
import { GraphValidationError } from '../errors';
import { AsyncWaitOperator } from '../operators/AsyncWaitOperator';
import type { AsyncOutputMode } from '../operators/StreamElementQueue';
import { DataStream, type SingleOutputStreamOperator } from './DataStream';
import type { RuntimeContext } from './functions';
import { KeyedStream } from './KeyedStream';

/** What one call yields: one result, or an array of results (0..n). */
export type AsyncResult<O> = O | readonly O[];

/** Flink's AsyncFunction as a plain function: starts the call for one input and returns its promise. */
export type AsyncFunction<I, O> = (input: I) => PromiseLike<AsyncResult<O>>;

/** Where an async function runs (a RuntimeContext without state: see the module comment). */
export type AsyncFunctionContext = Pick<
  RuntimeContext,
  'taskName' | 'operatorUid' | 'indexOfThisSubtask' | 'numberOfParallelSubtasks' | 'maxNumberOfParallelSubtasks'
>;

/**
 * Flink's RichAsyncFunction. Objects (and class instances) are copied once
 * per subtask, so fields set in `open()` (a client, a pool) are per subtask.
 */
export interface RichAsyncFunction<I, O> {
  /** Before the first call; input waits until a returned promise resolves (a rejection fails the job). */
  open?(ctx: AsyncFunctionContext): void | PromiseLike<void>;
  /** Starts the call for `input`; must return a promise (thenable). */
  asyncInvoke(input: I): PromiseLike<AsyncResult<O>>;
  /**
   * The call for `input` did not complete within `timeoutMs`: the result to
   * emit instead (its late result is ignored). Without this method a
   * timeout fails the job with AsyncTimeoutError.
   */
  timeout?(input: I): AsyncResult<O> | PromiseLike<AsyncResult<O>>;
  /** On finish, cancel and failover; calls still in flight are abandoned, their results ignored. */
  close?(): void | PromiseLike<void>;
}

export interface AsyncWaitOptions {
  /**
   * Longest one call may take, in ms, counted from when it starts (an input
   * waiting for a free slot has not started). `Infinity`: no timeout.
   */
  readonly timeoutMs: number;
  /**
   * Most inputs a subtask holds at once: calls in flight, plus (ordered)
   * completed results waiting for an earlier one. Default 100, as in Flink.
   * Beyond it, the rest of the current input frame waits inside the
   * operator and no further input is taken (back-pressure).
   */
  readonly capacity?: number;
}

export const DEFAULT_ASYNC_CAPACITY = 100;
const MAX_CAPACITY = 1 << 20;

export class AsyncDataStream {
  private constructor() {}

  /** Results in input order (per subtask). */
  static orderedWait<I, O>(
    stream: DataStream<I> | KeyedStream<I, any>,
    fn: AsyncFunction<I, O> | RichAsyncFunction<I, O>,
    options: AsyncWaitOptions,
  ): SingleOutputStreamOperator<O> {
    return addAsyncOperator(stream, fn, options, 'ordered');
  }

  /** Results as soon as each call completes. */
  static unorderedWait<I, O>(
    stream: DataStream<I> | KeyedStream<I, any>,
    fn: AsyncFunction<I, O> | RichAsyncFunction<I, O>,
    options: AsyncWaitOptions,
  ): SingleOutputStreamOperator<O> {
    return addAsyncOperator(stream, fn, options, 'unordered');
  }
}

const NAME = 'Async Wait';

function addAsyncOperator<I, O>(
  stream: DataStream<I> | KeyedStream<I, any>,
  fn: AsyncFunction<I, O> | RichAsyncFunction<I, O>,
  options: AsyncWaitOptions,
  mode: AsyncOutputMode,
): SingleOutputStreamOperator<O> {
  const invalid = (message: string) => new GraphValidationError('INVALID_ARGUMENT', `${mode}Wait(): ${message}`, NAME);
  if (!(stream instanceof DataStream) && !(stream instanceof KeyedStream)) throw invalid('the first argument must be a DataStream or KeyedStream');
  if (typeof fn !== 'function') {
    if (typeof fn !== 'object' || fn === null || typeof fn.asyncInvoke !== 'function') {
      throw invalid('needs a function (input) => Promise, or an object with asyncInvoke(input)');
    }
    for (const m of ['open', 'timeout', 'close'] as const) {
      if (fn[m] !== undefined && typeof fn[m] !== 'function') throw invalid(`'${m}' must be a method, got ${typeof fn[m]}`);
    }
  }
  if (typeof options !== 'object' || options === null) throw invalid('needs options { timeoutMs, capacity }');
  const { timeoutMs, capacity = DEFAULT_ASYNC_CAPACITY } = options;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
    throw invalid(`timeoutMs must be a positive number of milliseconds (Infinity: no timeout), got ${String(timeoutMs)}`);
  }
  if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
    throw invalid(`capacity must be an integer from 1 to ${MAX_CAPACITY}, got ${String(capacity)}`);
  }
  const factory = () => new AsyncWaitOperator<I, O>(fn, { mode, timeoutMs, capacity });
  if (stream instanceof KeyedStream) {
    return new DataStream<I>(stream.env, stream.transformation).transform<O>(NAME, factory, stream.keySelector);
  }
  return stream.transform<O>(NAME, factory);
}
