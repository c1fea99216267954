/**
 * Argument checks shared by the window assigners: each throws
 * ConfigurationError naming the parameter and the bad value, at
 * construction, so a bad window never reaches a running job.
 */
import { ConfigurationError, preview } from '../errors';

/** A whole number of ms above 0 (Flink's sizes are long milliseconds; a fractional size would give windows whose maxTimestamp precedes their records). */
export function requirePositiveMs(option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(option, `must be a whole number of ms above 0, got ${preview(value)}`);
  }
  return value;
}

/** A whole offset in ms with |offset| < bound (the window size, or the slide for sliding windows). */
export function requireOffset(option: string, offset: number, boundName: string, bound: number): number {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset)) {
    throw new ConfigurationError(option, `must be a whole number of ms, got ${preview(offset)}`);
  }
  if (Math.abs(offset) >= bound) {
    throw new ConfigurationError(option, `must satisfy |offset| < ${boundName} (${bound} ms), got ${offset}`);
  }
  return offset + 0;
}

/** A positive safe integer (a count). */
export function requirePositiveCount(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(option, `must be a whole number above 0, got ${preview(value)}`);
  }
  return value;
}

/** A function. */
export function requireFunction<F>(option: string, value: F): F {
  if (typeof value !== 'function') throw new ConfigurationError(option, `must be a function, got ${preview(value)}`);
  return value;
}
