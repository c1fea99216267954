/**
 * How a stream gets event time (Flink's WatermarkStrategy): a timestamp
 * assigner that gives each record its event timestamp, and a watermark
 * generator that says how far event time has progressed, optionally with
 * idleness detection. `assignTimestampsAndWatermarks(strategy)` runs it per
 * subtask through TimestampsAndWatermarks.
 *
 * A strategy is an immutable value: the builder methods return a new one,
 * so one strategy can be shared by several streams. Arguments are checked
 * when the strategy is built (ConfigurationError naming the value), so a bad
 * strategy never reaches a running job.
 *
 * @example
 *   WatermarkStrategy.forBoundedOutOfOrderness<Order>(1000)
 *     .withTimestampAssigner((order) => order.placedAt)
 *     .withIdleness(60_000);
 */
import { ConfigurationError, isThenable, preview, ThenableReturnedError, TimestampAssignmentError } from '../errors';
import { BoundedOutOfOrdernessWatermarks } from './BoundedOutOfOrdernessWatermarks';
import type { WatermarkGenerator, WatermarkGeneratorContext, WatermarkGeneratorFactory, WatermarkOutput } from './WatermarkGenerator';
import { WatermarksWithIdleness } from './WatermarksWithIdleness';

/**
 * Gives a record its event timestamp in ms (Flink's TimestampAssigner).
 * `recordTimestamp` is the timestamp the record already carries (from its
 * source or an earlier assigner), or undefined when it has none. Must be
 * synchronous and return a finite number.
 */
export type TimestampAssigner<T> = (element: T, recordTimestamp: number | undefined) => number;

export class WatermarkStrategy<T> {
  private constructor(
    /** How the strategy was made, for messages: "WatermarkStrategy.forBoundedOutOfOrderness(1000)". */
    private readonly base: string,
    private readonly generatorFactory: WatermarkGeneratorFactory<T>,
    private readonly timestampAssigner: TimestampAssigner<T> | undefined,
    /** The idle timeout in ms, or undefined without idleness detection. */
    readonly idleTimeoutMs: number | undefined,
  ) {
    Object.freeze(this);
  }

  /**
   * For timestamps that never decrease: watermarks follow the highest
   * timestamp seen, at `max − 1` ms (a later record may share the highest
   * timestamp). Same as forBoundedOutOfOrderness(0). Periodic.
   */
  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>('WatermarkStrategy.forMonotonousTimestamps()', () => new BoundedOutOfOrdernessWatermarks<T>(0), undefined, undefined);
  }

  /**
   * For records at most `maxOutOfOrdernessMs` ms behind the highest
   * timestamp seen: every periodic poll emits `max − maxOutOfOrdernessMs − 1`.
   * Nothing is emitted before the first record.
   *
   * @param maxOutOfOrdernessMs a finite number of ms ≥ 0
   */
  static forBoundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    if (typeof maxOutOfOrdernessMs !== 'number' || !Number.isFinite(maxOutOfOrdernessMs) || maxOutOfOrdernessMs < 0) {
      throw new ConfigurationError('maxOutOfOrdernessMs', `must be a finite number of ms ≥ 0, got ${preview(maxOutOfOrdernessMs)}`);
    }
    const bound = maxOutOfOrdernessMs + 0; // -0 → 0, so the description reads "0"
    return new WatermarkStrategy<T>(
      `WatermarkStrategy.forBoundedOutOfOrderness(${bound})`,
      () => new BoundedOutOfOrdernessWatermarks<T>(bound),
      undefined,
      undefined,
    );
  }

  /**
   * A custom generator, created once per subtask by `factory`. The generator
   * emits through the output it is handed:
   *
   *   WatermarkStrategy.forGenerator<E>(() => {
   *     let max = -Infinity;
   *     return {
   *       onEvent(e, ts) { max = Math.max(max, ts); },
   *       onPeriodicEmit(out) { out.emitWatermark(new Watermark(max - 1)); },
   *     };
   *   });
   *
   * The factory and both methods must be synchronous; a Promise from any of
   * them fails the job (ThenableReturnedError).
   */
  static forGenerator<T>(factory: WatermarkGeneratorFactory<T>): WatermarkStrategy<T> {
    if (typeof factory !== 'function') {
      throw new ConfigurationError('forGenerator', `the generator factory must be a function (ctx) => ({ onEvent, onPeriodicEmit }), got ${preview(factory)}`);
    }
    return new WatermarkStrategy<T>('WatermarkStrategy.forGenerator(fn)', (ctx) => checkedGenerator(factory(ctx)), undefined, undefined);
  }

  /**
   * No watermarks at all: for processing-time pipelines (Flink's
   * `fromSource(source, WatermarkStrategy.noWatermarks(), name)`). Records
   * keep the timestamp they carry, and may carry none; with a timestamp
   * assigner they get its timestamps.
   */
  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>('WatermarkStrategy.noWatermarks()', NO_WATERMARKS_FACTORY, undefined, undefined);
  }

  /**
   * This strategy, with `assigner` giving each record its timestamp. Without
   * one, records keep the timestamp they carry, and a record without one
   * fails the job (MISSING_TIMESTAMP).
   */
  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    if (typeof assigner !== 'function') {
      throw new ConfigurationError('timestampAssigner', `must be a function (element, recordTimestamp) => number, got ${preview(assigner)}`);
    }
    return new WatermarkStrategy<T>(this.base, this.generatorFactory, assigner, this.idleTimeoutMs);
  }

  /**
   * This strategy, marking its output idle after `idleTimeoutMs` of
   * processing time without records, and active again at the next record
   * (see WatermarksWithIdleness). Calling it again replaces the timeout.
   *
   * @param idleTimeoutMs a finite number of ms above 0
   */
  withIdleness(idleTimeoutMs: number): WatermarkStrategy<T> {
    if (typeof idleTimeoutMs !== 'number' || !Number.isFinite(idleTimeoutMs) || idleTimeoutMs <= 0) {
      throw new ConfigurationError('idleTimeoutMs', `must be a finite number of ms above 0, got ${preview(idleTimeoutMs)}`);
    }
    return new WatermarkStrategy<T>(this.base, this.generatorFactory, this.timestampAssigner, idleTimeoutMs);
  }

  /** A new generator for one subtask; wrapped for idleness when the strategy has it. */
  createWatermarkGenerator(ctx: WatermarkGeneratorContext): WatermarkGenerator<T> {
    const generator = this.generatorFactory(ctx);
    return this.idleTimeoutMs === undefined ? generator : new WatermarksWithIdleness(generator, this.idleTimeoutMs, ctx.clock);
  }

  /**
   * The assigner for one subtask: the user's, or one that keeps the record's
   * own timestamp and throws TimestampAssignmentError (MISSING_TIMESTAMP)
   * when there is none. The result is not checked here; TimestampsAndWatermarks
   * checks it.
   */
  createTimestampAssigner(): TimestampAssigner<T> {
    if (this.timestampAssigner !== undefined) return this.timestampAssigner;
    if (this.allowsMissingTimestamps) return (_element, recordTimestamp) => recordTimestamp as number;
    const strategy = this.toString();
    return (element, recordTimestamp) => {
      if (recordTimestamp === undefined) {
        throw new TimestampAssignmentError(
          'MISSING_TIMESTAMP',
          strategy,
          element,
          undefined,
          'the record has no event timestamp and the strategy has no timestamp assigner; add .withTimestampAssigner((element) => element.timestamp)',
        );
      }
      return recordTimestamp;
    };
  }

  /** noWatermarks() without a timestamp assigner: records without a timestamp pass as they are. */
  get allowsMissingTimestamps(): boolean {
    return this.timestampAssigner === undefined && this.generatorFactory === NO_WATERMARKS_FACTORY;
  }

  /** Whether the user gave a timestamp assigner (otherwise records keep their own timestamps). */
  get hasTimestampAssigner(): boolean {
    return this.timestampAssigner !== undefined;
  }

  toString(): string {
    return (
      this.base +
      (this.timestampAssigner === undefined ? '' : '.withTimestampAssigner(fn)') +
      (this.idleTimeoutMs === undefined ? '' : `.withIdleness(${this.idleTimeoutMs})`)
    );
  }
}

const NO_WATERMARKS: WatermarkGenerator<never> = Object.freeze({ onEvent() {}, onPeriodicEmit() {} });
const NO_WATERMARKS_FACTORY = (): WatermarkGenerator<any> => NO_WATERMARKS;

/**
 * A user's generator, checked: it must have both methods, and neither may
 * return a Promise (an `async onEvent` would emit its watermarks later, out of
 * order with the records). Checked here rather than in TimestampsAndWatermarks
 * so that a generator wrapped for idleness is checked too.
 */
function checkedGenerator<T>(g: WatermarkGenerator<T>): WatermarkGenerator<T> {
  if (isThenable(g)) throw new ThenableReturnedError('watermark generator factory', g);
  if (typeof g !== 'object' || g === null || typeof g.onEvent !== 'function' || typeof g.onPeriodicEmit !== 'function') {
    throw new ConfigurationError('forGenerator', `the generator factory must return an object with onEvent and onPeriodicEmit methods, got ${preview(g)}`);
  }
  return {
    onEvent(event: T, eventTimestamp: number, output: WatermarkOutput): void {
      const r: unknown = g.onEvent(event, eventTimestamp, output);
      if (isThenable(r)) throw new ThenableReturnedError('watermark generator onEvent()', r);
    },
    onPeriodicEmit(output: WatermarkOutput): void {
      const r: unknown = g.onPeriodicEmit(output);
      if (isThenable(r)) throw new ThenableReturnedError('watermark generator onPeriodicEmit()', r);
    },
  };
}
