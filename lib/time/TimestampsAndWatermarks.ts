/**
 * The pure core of `assignTimestampsAndWatermarks` (Flink's
 * TimestampsAndWatermarksOperator with its WatermarkEmitter): one per
 * subtask, it gives each record its event timestamp, runs the strategy's
 * watermark generator, and tells the caller what to send downstream. The
 * task owns the timer; this class only says when the next periodic poll is
 * due (`nextPeriodicEmitAt`).
 *
 * Guarantees:
 * - Every record is forwarded (`collect`) with a finite timestamp (or, for
 *   noWatermarks() without an assigner, the one it carries, if any), before
 *   the generator sees it: a punctuated watermark never overtakes the record
 *   that caused it. A bad timestamp throws TimestampAssignmentError
 *   (MISSING_TIMESTAMP, INVALID_TIMESTAMP) before anything is forwarded; a
 *   Promise from the assigner throws ThenableReturnedError (the operator
 *   turns it into AsyncUserFunctionError). A throw of the user's assigner or
 *   generator passes through unwrapped.
 * - Emitted watermarks strictly increase; a watermark at or below the last
 *   is dropped, so -Infinity ("nothing yet") never goes out.
 * - A status is emitted only when it changes; the output starts ACTIVE. A
 *   watermark or a record while IDLE emits ACTIVE first, so nothing flows on
 *   a stream downstream believes idle.
 * - End of input (`onEndOfInput`, or +Infinity from upstream) emits
 *   Watermark.MAX once, after ACTIVE if idle; after it no watermark or
 *   status is emitted and no poll is due (a record that still arrives is
 *   forwarded, but cannot move event time). Other upstream watermarks are ignored, as in Flink: this step
 *   replaces event time.
 */
import { ConfigurationError, isThenable, preview, ThenableReturnedError, TimestampAssignmentError } from '../errors';
import type { Clock } from './Clock';
import { Watermark, type WatermarkStatus } from './Watermark';
import type { WatermarkGenerator, WatermarkOutput } from './WatermarkGenerator';
import { WatermarkStrategy, type TimestampAssigner } from './WatermarkStrategy';
import type { ValveOutput } from './WatermarkValve';

/** What goes downstream besides records; the same shape as a WatermarkValve's outputs, so a task forwards both alike. */
export type WatermarkEmission = ValveOutput;

/** Flink's default `pipeline.auto-watermark-interval`, in ms. */
export const DEFAULT_AUTO_WATERMARK_INTERVAL_MS = 200;

export interface TimestampsAndWatermarksOptions<T> {
  /** Processing time (ms) between periodic polls of the generator; 0 disables them. Default 200. */
  readonly autoWatermarkIntervalMs?: number;
  /** Forwards a record with its assigned timestamp (ms). Called before the generator sees the record. */
  readonly collect: (value: T, timestamp: number | undefined) => void;
  /** Forwards a watermark or a status change. */
  readonly emit: (emission: WatermarkEmission) => void;
}

export class TimestampsAndWatermarks<T> {
  readonly autoWatermarkIntervalMs: number;
  private readonly strategyName: string;
  private readonly assigner: TimestampAssigner<T>;
  private readonly passTimestampless: boolean;
  private readonly generator: WatermarkGenerator<T>;
  private readonly collect: (value: T, timestamp: number | undefined) => void;
  private readonly emit: (emission: WatermarkEmission) => void;
  private readonly output: WatermarkOutput;
  private watermark = Watermark.UNINITIALIZED;
  private status: WatermarkStatus = 'ACTIVE';
  private ended = false;
  private nextEmit: number | undefined;

  constructor(
    strategy: WatermarkStrategy<T>,
    private readonly clock: Clock,
    options: TimestampsAndWatermarksOptions<T>,
  ) {
    if (!(strategy instanceof WatermarkStrategy)) {
      throw new ConfigurationError('watermarkStrategy', `must be a WatermarkStrategy (e.g. WatermarkStrategy.forBoundedOutOfOrderness(1000)), got ${preview(strategy)}`);
    }
    const interval = options.autoWatermarkIntervalMs ?? DEFAULT_AUTO_WATERMARK_INTERVAL_MS;
    if (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 0) {
      throw new ConfigurationError('autoWatermarkIntervalMs', `must be a finite number of ms ≥ 0 (0 disables periodic watermarks), got ${preview(interval)}`);
    }
    this.autoWatermarkIntervalMs = interval;
    this.strategyName = strategy.toString();
    this.collect = options.collect;
    this.emit = options.emit;
    this.output = {
      emitWatermark: (w) => this.emitWatermark(w),
      markIdle: () => this.setStatus('IDLE'),
      markActive: () => this.setStatus('ACTIVE'),
    };
    this.assigner = strategy.createTimestampAssigner();
    this.passTimestampless = strategy.allowsMissingTimestamps;
    this.generator = strategy.createWatermarkGenerator({ clock });
    this.nextEmit = interval > 0 ? clock.now() + interval : undefined;
  }

  /** The last watermark emitted (ms); -Infinity before the first. */
  get currentWatermark(): number {
    return this.watermark;
  }

  /** The last status emitted; ACTIVE at the start. */
  get currentStatus(): WatermarkStatus {
    return this.status;
  }

  /**
   * Processing time (ms, on the injected clock) at which the task should call
   * `onPeriodicEmit`; undefined when periodic watermarks are off or input ended.
   */
  get nextPeriodicEmitAt(): number | undefined {
    return this.nextEmit;
  }

  /**
   * Assigns `value` its event timestamp, forwards it through `collect`, then
   * shows it to the generator. `recordTimestamp` is the timestamp (ms) the
   * record carries, undefined if none. Returns the assigned timestamp (ms).
   */
  onElement(value: T, recordTimestamp: number | undefined): number | undefined {
    if (recordTimestamp === undefined && this.passTimestampless) {
      // noWatermarks() without an assigner: a processing-time stream, records may have no timestamp.
      this.setStatus('ACTIVE');
      this.collect(value, undefined);
      return undefined;
    }
    const assigned: unknown = this.assigner(value, recordTimestamp);
    if (typeof assigned !== 'number' || !Number.isFinite(assigned)) {
      if (isThenable(assigned)) throw new ThenableReturnedError('timestamp assigner', assigned);
      throw new TimestampAssignmentError(
        'INVALID_TIMESTAMP',
        this.strategyName,
        value,
        assigned,
        `the timestamp assigner returned ${preview(assigned)}; it must return a finite number of ms`,
      );
    }
    const timestamp = assigned + 0; // -0 → 0
    this.setStatus('ACTIVE');
    this.collect(value, timestamp);
    this.generator.onEvent(value, timestamp, this.output);
    return timestamp;
  }

  /**
   * A watermark (ms) from upstream. Ignored, as in Flink (this step makes its
   * own event time), except +Infinity: upstream's input ended, so is this one's.
   */
  onWatermark(timestamp: number): void {
    if (timestamp === Number.POSITIVE_INFINITY) this.onEndOfInput();
  }

  /** Polls the generator (the auto-watermark timer fired) and schedules the next poll. */
  onPeriodicEmit(): void {
    if (this.ended) return;
    this.generator.onPeriodicEmit(this.output);
    if (this.autoWatermarkIntervalMs > 0) this.nextEmit = this.clock.now() + this.autoWatermarkIntervalMs;
  }

  /** The input ended: emits Watermark.MAX (once), so every event-time timer and window downstream fires. */
  onEndOfInput(): void {
    if (this.ended) return;
    this.emitWatermark(Watermark.MAX);
    this.ended = true;
    this.nextEmit = undefined;
  }

  private emitWatermark(w: Watermark): void {
    const ts: unknown = (w as { timestamp?: unknown } | null | undefined)?.timestamp;
    if (typeof ts !== 'number' || Number.isNaN(ts)) {
      throw new TimestampAssignmentError(
        'INVALID_WATERMARK',
        this.strategyName,
        undefined,
        w,
        `the watermark generator emitted ${preview(w)}; emit a Watermark with a timestamp in ms: output.emitWatermark(new Watermark(ts))`,
      );
    }
    if (this.ended || ts <= this.watermark) return;
    this.watermark = ts;
    this.setStatus('ACTIVE');
    this.emit({ kind: 'watermark', timestamp: ts });
  }

  private setStatus(status: WatermarkStatus): void {
    if (this.ended || status === this.status) return;
    this.status = status;
    this.emit({ kind: 'status', status });
  }
}
