/**
 * The interval join API (Flink's KeyedStream.IntervalJoin / IntervalJoined):
 *
 *   orders.keyBy((o) => o.user)
 *     .intervalJoin(clicks.keyBy((c) => c.user))
 *     .between(-5_000, 1_000)               // click within [order − 5 s, order + 1 s], ms, inclusive
 *     .upperBoundExclusive()                // optional: [order − 5 s, order + 1 s)
 *     .process({ processElement(order, click, ctx, out) { out.collect({ ...order, click }) } });
 *
 * Both streams need event timestamps and watermarks; the operator's
 * watermark is the minimum of both, and buffered records are dropped once
 * it passes the end of their interval (IntervalJoinOperator). Records behind
 * the watermark join nothing; `sideOutputLeftLateData(tag)` /
 * `sideOutputRightLateData(tag)` keep them.
 *
 * Arguments are checked: a GraphValidationError (INVALID_ARGUMENT) names
 * what is wrong.
 */
import { GraphValidationError } from '../errors';
import { IntervalJoinOperator } from '../operators/IntervalJoinOperator';
import type { Key } from '../state/KeyGroup';
import { ConnectedStreams } from './ConnectedStreams';
import type { SingleOutputStreamOperator } from './DataStream';
import type { KeyedStream } from './KeyedStream';
import { refuseOutOfOrder } from './CoGroupedStreams';
import { OutputTag } from './OutputTag';
import type { ProcessJoinFunction } from './ProcessJoinFunction';

/** `left.intervalJoin(right)`: waits for the bounds. */
export class IntervalJoin<L, R, K extends Key> {
  constructor(
    /** @internal */ readonly left: KeyedStream<L, K>,
    /** @internal */ readonly right: KeyedStream<R, K>,
  ) {}

  /**
   * Joins a left record at time a with the right records at times in
   * [a + lowerBoundMs, a + upperBoundMs] (both inclusive; see
   * lowerBoundExclusive / upperBoundExclusive).
   * @param lowerBoundMs integer ms, may be negative
   * @param upperBoundMs integer ms, at least lowerBoundMs
   * @throws GraphValidationError (INVALID_ARGUMENT) when a bound is not an integer or lowerBoundMs > upperBoundMs
   */
  between(lowerBoundMs: number, upperBoundMs: number): IntervalJoined<L, R, K> {
    for (const [name, v] of [
      ['lower', lowerBoundMs],
      ['upper', upperBoundMs],
    ] as const) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
        throw new GraphValidationError('INVALID_ARGUMENT', `intervalJoin().between(): the ${name} bound must be an integer number of ms, got ${String(v)}`);
      }
    }
    if (lowerBoundMs > upperBoundMs) {
      throw new GraphValidationError('INVALID_ARGUMENT', `intervalJoin().between(): lower bound ${lowerBoundMs} is above upper bound ${upperBoundMs}`);
    }
    return new IntervalJoined(this.left, this.right, lowerBoundMs, upperBoundMs);
  }
}

/** An interval join with its bounds: optionally exclusive bounds and late-data side outputs, then process. */
export class IntervalJoined<L, R, K extends Key> {
  private lowerInclusive = true;
  private upperInclusive = true;
  private leftLateTag: OutputTag<L> | undefined;
  private rightLateTag: OutputTag<R> | undefined;

  constructor(
    private readonly left: KeyedStream<L, K>,
    private readonly right: KeyedStream<R, K>,
    private readonly lowerBound: number,
    private readonly upperBound: number,
  ) {}

  /** Right records exactly at a + lowerBound no longer match. */
  lowerBoundExclusive(): this {
    this.lowerInclusive = false;
    return this;
  }

  /** Right records exactly at a + upperBound no longer match. */
  upperBoundExclusive(): this {
    this.upperInclusive = false;
    return this;
  }

  /**
   * Left records behind the watermark go to side output `tag` instead of being dropped.
   * @throws GraphValidationError (INVALID_ARGUMENT) when `tag` is not an OutputTag
   */
  sideOutputLeftLateData(tag: OutputTag<L>): this {
    this.leftLateTag = checkTag(tag, 'sideOutputLeftLateData');
    return this;
  }

  /**
   * Right records behind the watermark go to side output `tag` instead of being dropped.
   * @throws GraphValidationError (INVALID_ARGUMENT) when `tag` is not an OutputTag
   */
  sideOutputRightLateData(tag: OutputTag<R>): this {
    this.rightLateTag = checkTag(tag, 'sideOutputRightLateData');
    return this;
  }

  /**
   * Calls `fn.processElement(left, right, ctx, out)` for every matching
   * pair; the output's timestamp is the later of the two.
   * @throws GraphValidationError (INVALID_ARGUMENT) when `fn` has no processElement function, or the exclusive bounds leave an empty interval
   */
  process<O>(fn: ProcessJoinFunction<L, R, O>): SingleOutputStreamOperator<O> {
    if (fn == null || typeof fn.processElement !== 'function') {
      throw new GraphValidationError('INVALID_ARGUMENT', 'intervalJoin().process() needs an object with processElement(left, right, ctx, out)');
    }
    const lowerBound = this.lowerInclusive ? this.lowerBound : this.lowerBound + 1;
    const upperBound = this.upperInclusive ? this.upperBound : this.upperBound - 1;
    if (lowerBound > upperBound) {
      const interval = `${this.lowerInclusive ? '[' : '('}${this.lowerBound}, ${this.upperBound}${this.upperInclusive ? ']' : ')'}`;
      throw new GraphValidationError('INVALID_ARGUMENT', `intervalJoin(): the interval ${interval} holds no whole ms: nothing could match`);
    }
    const spec = { lowerBound, upperBound, leftLateTag: this.leftLateTag, rightLateTag: this.rightLateTag };
    const k1 = this.left.keySelector;
    const k2 = this.right.keySelector;
    const connected = new ConnectedStreams<L, R>(
      this.left.env,
      { transformation: this.left.transformation, keySelector: k1 },
      { transformation: this.right.transformation, keySelector: k2 },
    );
    return connected.transform<O>('Interval Join', () => new IntervalJoinOperator<K, L, R, O>(k1, k2, spec, fn), true);
  }
}

function checkTag<X>(tag: OutputTag<X>, method: string): OutputTag<X> {
  if (!(tag instanceof OutputTag)) throw new GraphValidationError('INVALID_ARGUMENT', `intervalJoin().${method}() needs an OutputTag`);
  return tag;
}

// A chain broken in plain JavaScript (TypeScript refuses it at compile time) gets a typed error saying what comes first.
refuseOutOfOrder(IntervalJoin.prototype, 'process', 'intervalJoin(other) needs its bounds before process(): intervalJoin(other).between(lowerMs, upperMs).process(fn)');
