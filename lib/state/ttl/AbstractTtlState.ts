/**
 * What the TTL state kinds share (Flink's AbstractTtlDecorator): the
 * configuration, the clock, the expiry test, and the hook that runs the
 * incremental cleanup before every access.
 *
 * Each kind wraps the user-facing heap state of the same name and kind,
 * obtained with a descriptor whose values are TtlValues (TtlStateFactory),
 * and uses only its public methods. A stored value that is not a TtlValue
 * was written without TTL: it is taken as written now, and stamped so.
 */
import { isThenable, ThenableReturnedError } from '../../errors';
import type { Clock } from '../../time/Clock';
import type { StateTtlConfig } from './StateTtlConfig';
import type { TtlIncrementalCleanup } from './TtlIncrementalCleanup';
import { isExpired, TtlValue } from './TtlValue';

export abstract class AbstractTtlState {
  protected readonly ttl: number;
  protected readonly updateOnRead: boolean;
  protected readonly returnExpired: boolean;
  /** Set when the state cleans up incrementally. */
  cleanup: TtlIncrementalCleanup | undefined;

  constructor(
    readonly name: string,
    readonly config: StateTtlConfig,
    protected readonly clock: Clock,
  ) {
    this.ttl = config.ttl;
    this.updateOnRead = config.updateType === 'OnReadAndWrite';
    this.returnExpired = config.stateVisibility === 'ReturnExpiredIfNotCleanedUp';
  }

  /**
   * Removes the current key's expired values and stamps values written
   * without TTL, without counting as a read: the incremental cleanup calls
   * it with the backend set to another key.
   */
  abstract cleanupCurrentKey(now: number): void;

  /**
   * The oldest last-access time in a stored entry, as the backend holds it
   * (-Infinity for a value written without TTL; undefined for nothing):
   * here for a single value (value, reducing, aggregating state).
   */
  oldestAccess(stored: unknown): number | undefined {
    if (stored === undefined) return undefined;
    return stored instanceof TtlValue ? stored.lastAccess : -Infinity;
  }

  /** Called first by every access: the time of the access, after the incremental cleanup of other keys. */
  protected access(): number {
    const now = this.clock.now();
    this.cleanup?.run(now);
    return now;
  }

  protected expired(v: TtlValue<unknown>, now: number): boolean {
    return isExpired(v, this.ttl, now);
  }

  /** A stored value as a TtlValue: one written without TTL counts as written `now`. */
  protected stamped<T>(v: T | TtlValue<T>, now: number): TtlValue<T> {
    return v instanceof TtlValue ? v : new TtlValue(v, now);
  }

  /** A user function's result; ThenableReturnedError when it is a Promise (as the heap states do). */
  protected synchronous<R>(r: R, fn: string): R {
    if (isThenable(r)) throw new ThenableReturnedError(`${fn} of state '${this.name}'`, r);
    return r;
  }
}
