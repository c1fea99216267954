/**
 * The interval join of two keyed streams (Flink's IntervalJoinOperator): a
 * left record at time a and a right record at time b with equal keys are
 * joined when a + lowerBound ≤ b ≤ a + upperBound (bounds in ms, made
 * inclusive by the caller: an exclusive bound is moved by 1 ms).
 *
 * How: each record goes into its side's buffer, keyed MapState from its
 * timestamp to the records at that time, and is joined against every bucket
 * of the other side's buffer within its bounds; the pair goes to the
 * ProcessJoinFunction with the later of the two timestamps. A cleanup timer
 * (event time, namespace 'left' or 'right') drops the bucket once no record
 * of the other side that is not late could still match it: for a left
 * record at a once the watermark passes a + upperBound (or a, if that is
 * later), for a right record at b once it passes b − lowerBound (or b).
 * Buffers and timers are keyed state, so they are checkpointed and rescale
 * by key group.
 *
 * Late records (timestamp at or below the operator's watermark, the minimum
 * of both inputs') join nothing: they go to the side output configured for
 * their side, or are dropped. "At or below" follows the watermark's meaning
 * (no record ≤ it follows) and the window operator; Flink's join uses
 * "below", which can miss a pair whose right record sits exactly at the
 * watermark after the left one was cleaned up. So every pair of records
 * that are not late and within the bounds is joined exactly once. A record without a timestamp fails the job
 * (IntervalJoinTimestampError): an interval join is an event-time operation.
 *
 * Records kept in the buffers are copies of what arrived; the function gets
 * its own copies of buffered records, and what it emits is copied, unless
 * object reuse is on. A Promise from the function, open or close, or a key
 * selector fails the job.
 */
import type { Collector, KeySelector } from '../api/functions';
import { copyFunctionObject } from '../api/functions';
import type { OutputTag } from '../api/OutputTag';
import type { ProcessJoinContext, ProcessJoinFunction } from '../api/ProcessJoinFunction';
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import { IntervalJoinTimestampError, isThenable } from '../errors';
import { copyValue } from '../state/copyValue';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import type { MapState } from '../state/KeyedState';
import { normalizeKey, type Key } from '../state/KeyGroup';
import { MapStateDescriptor } from '../state/StateDescriptor';
import type { InternalTimer, InternalTimerService } from '../time/InternalTimerService';
import { AbstractTwoInputStreamOperator } from './AbstractTwoInputStreamOperator';
import { OperatorTimers } from './OperatorTimers';
import type { Input, OperatorContext } from './StreamOperator';

/** The join's bounds (ms, both inclusive) and where late records go. */
export interface IntervalJoinSpec<L, R> {
  readonly lowerBound: number;
  readonly upperBound: number;
  readonly leftLateTag?: OutputTag<L>;
  readonly rightLateTag?: OutputTag<R>;
}

type Side = 'left' | 'right';

/** Keyed state names of the two buffers: timestamp (ms) → records at that time. */
export const LEFT_BUFFER = '__interval-join-left';
export const RIGHT_BUFFER = '__interval-join-right';

export class IntervalJoinOperator<K extends Key, L, R, O>
  extends AbstractTwoInputStreamOperator<L, R, O>
  implements Collector<O>, ProcessJoinContext
{
  private readonly fn: ProcessJoinFunction<L, R, O>;
  private backend!: HeapKeyedStateBackend;
  private leftBuffer!: MapState<number, L[]>;
  private rightBuffer!: MapState<number, R[]>;
  private readonly operatorTimers = new OperatorTimers<Side>();
  private timers!: InternalTimerService<Side>;
  private copy = true;
  leftTimestamp = 0;
  rightTimestamp = 0;
  timestamp = 0;

  /** @throws RangeError when a bound is not an integer or lowerBound > upperBound */
  constructor(
    private readonly keySelector1: KeySelector<L, K>,
    private readonly keySelector2: KeySelector<R, K>,
    private readonly spec: IntervalJoinSpec<L, R>,
    fn: ProcessJoinFunction<L, R, O>,
  ) {
    super();
    const { lowerBound, upperBound } = spec;
    if (!Number.isSafeInteger(lowerBound) || !Number.isSafeInteger(upperBound) || lowerBound > upperBound) {
      throw new RangeError(`interval join bounds must be integers (ms) with lowerBound <= upperBound, got [${lowerBound}, ${upperBound}]`);
    }
    this.fn = copyFunctionObject(fn);
  }

  initializeState(restored: OperatorRestoreState | undefined): void {
    this.operatorTimers.initializeState(restored);
  }

  override open(ctx: OperatorContext, next: Input<O>): void {
    super.open(ctx, next);
    if (ctx.keyedStateBackend === undefined) throw new Error('IntervalJoinOperator needs a keyed-state backend (both inputs keyed)');
    this.backend = ctx.keyedStateBackend;
    this.copy = !ctx.objectReuse;
    this.leftBuffer = ctx.runtimeContext.getMapState(new MapStateDescriptor<number, L[]>(LEFT_BUFFER));
    this.rightBuffer = ctx.runtimeContext.getMapState(new MapStateDescriptor<number, R[]>(RIGHT_BUFFER));
    this.timers = this.operatorTimers.open(ctx, this.backend, () => {
      throw new Error('interval join: processing-time timers are not used');
    });
    const r: unknown = this.fn.open?.(ctx.runtimeContext);
    if (isThenable(r)) throw this.asyncResult(r, 'open() method', undefined, 'open');
  }

  processElement1(value: L, timestamp: number | undefined): void {
    this.recordsIn++;
    if (timestamp === undefined) throw new IntervalJoinTimestampError('left', value);
    try {
      this.backend.setCurrentKey(normalizeKey(this.keySelector1(value)));
    } catch (e) {
      throw this.userError(e, value);
    }
    if (this.isLate(timestamp)) return this.late(this.spec.leftLateTag, value, timestamp);
    add(this.leftBuffer, timestamp, this.copy ? copyValue(value) : value);
    const lo = timestamp + this.spec.lowerBound;
    const hi = timestamp + this.spec.upperBound;
    for (const [t, bucket] of this.rightBuffer.entries()) {
      if (t < lo || t > hi) continue;
      for (const right of bucket) this.join(value, this.copy ? copyValue(right) : right, timestamp, t);
    }
    this.timers.registerEventTimeTimer('left', this.spec.upperBound > 0 ? hi : timestamp);
  }

  processElement2(value: R, timestamp: number | undefined): void {
    this.recordsIn++;
    if (timestamp === undefined) throw new IntervalJoinTimestampError('right', value);
    try {
      this.backend.setCurrentKey(normalizeKey(this.keySelector2(value)));
    } catch (e) {
      throw this.userError(e, value);
    }
    if (this.isLate(timestamp)) return this.late(this.spec.rightLateTag, value, timestamp);
    add(this.rightBuffer, timestamp, this.copy ? copyValue(value) : value);
    // a left record at a matches when a + lower <= b <= a + upper, i.e. b - upper <= a <= b - lower
    const lo = timestamp - this.spec.upperBound;
    const hi = timestamp - this.spec.lowerBound;
    for (const [t, bucket] of this.leftBuffer.entries()) {
      if (t < lo || t > hi) continue;
      for (const left of bucket) this.join(this.copy ? copyValue(left) : left, value, t, timestamp);
    }
    this.timers.registerEventTimeTimer('right', this.spec.lowerBound < 0 ? hi : timestamp);
  }

  /** The combined watermark: drops the buckets no later record can match, then passes it on. */
  override processWatermark(watermark: number): void {
    if (!this.operatorTimers.advanceWatermark(watermark, (t) => this.cleanUp(t))) return;
    this.currentWatermark = watermark;
    this.emitWatermark(watermark);
  }

  snapshotState(): Record<string, unknown[]> {
    return this.operatorTimers.snapshotState();
  }

  collect(value: O): void {
    this.next.processElement(this.copy ? copyValue(value) : value, this.timestamp);
  }

  output<X>(tag: OutputTag<X>, value: X): void {
    this.ctx.output?.(tag, this.copy ? copyValue(value) : value, this.timestamp);
  }

  override close(): void {
    this.operatorTimers.close();
    const r: unknown = this.fn.close?.();
    if (isThenable(r)) throw this.asyncResult(r, 'close() method', undefined, 'close');
  }

  private isLate(timestamp: number): boolean {
    const wm = this.timers.currentWatermark;
    return timestamp <= wm;
  }

  private late<X>(tag: OutputTag<X> | undefined, value: X, timestamp: number): void {
    if (tag !== undefined) this.ctx.output?.(tag, value, timestamp);
  }

  private join(left: L, right: R, leftTimestamp: number, rightTimestamp: number): void {
    this.leftTimestamp = leftTimestamp;
    this.rightTimestamp = rightTimestamp;
    this.timestamp = Math.max(leftTimestamp, rightTimestamp);
    let r: unknown;
    try {
      r = this.fn.processElement(left, right, this, this);
    } catch (e) {
      throw this.userError(e, { left, right });
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'processElement() method', { left, right });
  }

  /** A cleanup timer: the bucket it was registered for (see processElement1/2) leaves the buffer. */
  private cleanUp(timer: InternalTimer<Side>): void {
    this.backend.setCurrentKey(timer.key);
    const { lowerBound, upperBound } = this.spec;
    if (timer.namespace === 'left') this.leftBuffer.remove(upperBound > 0 ? timer.timestamp - upperBound : timer.timestamp);
    else this.rightBuffer.remove(lowerBound < 0 ? timer.timestamp + lowerBound : timer.timestamp);
  }
}

/** Appends without changing the stored array (a pending snapshot may share it). */
function add<T>(buffer: MapState<number, T[]>, timestamp: number, value: T): void {
  const bucket = buffer.get(timestamp);
  buffer.put(timestamp, bucket === undefined ? [value] : [...bucket, value]);
}
