/**
 * Event time's progress marker (Flink's Watermark and WatermarkStatus).
 *
 * A watermark with timestamp t says: no more records with a timestamp ≤ t
 * will arrive on this stream. Timestamps are milliseconds (any number, also
 * negative). Flink's Long.MIN_VALUE and Long.MAX_VALUE are -Infinity
 * ("nothing known yet") and +Infinity ("end of input": every event-time
 * timer and window fires) here.
 *
 * A stream's WatermarkStatus is IDLE while its source has nothing to send:
 * downstream then leaves it out of the minimum, so one quiet partition does
 * not hold event time back for everyone.
 */

export class Watermark {
  /** The watermark of a bounded input's end: fires everything. */
  static readonly MAX = new Watermark(Number.POSITIVE_INFINITY);
  /** The timestamp of "no watermark yet". */
  static readonly UNINITIALIZED = Number.NEGATIVE_INFINITY;

  /** @param timestamp event time in ms */
  constructor(readonly timestamp: number) {}

  toString(): string {
    return `Watermark @ ${this.timestamp}`;
  }
}

export type WatermarkStatus = 'ACTIVE' | 'IDLE';
