/**
 * Time-to-live of keyed state (Flink's StateTtlConfig), on processing time:
 * a value whose last access is `ttl` ms or more behind the job's clock is
 * expired.
 *
 *   const ttl = StateTtlConfig.newBuilder(60_000)
 *     .setUpdateType('OnReadAndWrite')                     // default OnCreateAndWrite
 *     .setStateVisibility('ReturnExpiredIfNotCleanedUp')   // default NeverReturnExpired
 *     .cleanupIncrementally(10)                            // default 5 keys per access
 *     .build();
 *   const seen = new ValueStateDescriptor<number>('last-seen');
 *   seen.enableTimeToLive(ttl);
 *
 * Semantics (per value: a value state's value, each list element, each map
 * entry, a reducing state's reduced value, an aggregating state's
 * accumulator):
 * - Each value carries the processing time of its last write
 *   (OnCreateAndWrite) or of its last write or read (OnReadAndWrite).
 * - It is expired when `lastAccess + ttl <= now`.
 * - NeverReturnExpired: an expired value is never returned; it is removed
 *   when an access meets it. ReturnExpiredIfNotCleanedUp: an expired value
 *   still stored is returned — once: the access that returns it removes it,
 *   as Flink does.
 * - An expired reduced value or accumulator counts as absent when adding:
 *   the next add starts afresh.
 * - Incremental cleanup (on by default, 5 keys): every access of a TTL state
 *   also checks up to `cleanupSize` other keys of that state and removes
 *   their expired values, so keys that are never read again go away too.
 *   `disableCleanupInBackground()` turns the default off; an explicit
 *   `cleanupIncrementally(n)` stays on.
 * - Expired values are not dropped when a snapshot is taken (no cleanup at
 *   full snapshot): a checkpoint carries them with their last-access times,
 *   and after a restore they are expired as before.
 * - Stored values are TtlValues `{ value, lastAccess }` (TtlValue.ts): that
 *   is what a tool reading a checkpoint (readKeyedState) sees.
 * - A value written by a state without TTL and read through one with TTL is
 *   taken as written at the time the TTL state first meets it. The reverse
 *   (TTL state read without TTL, under the same name) is not supported:
 *   give the state another name. Within one operator a name is either TTL
 *   state or plain state (StateAccessError otherwise: TtlStateFactory.ts).
 * - Scope: state a function gets from its RuntimeContext (keyed process
 *   functions, rich functions after keyBy, a window function's
 *   globalState()). Per-window state (a trigger's getPartitionedState, a
 *   window function's windowState()) ignores the TTL configuration.
 * - Cost: see benchmarks/stateTtl.bench.ts; each incremental-cleanup pass
 *   starts by listing the state's keys, a pause proportional to its size.
 */
import { ConfigurationError, preview } from '../../errors';

/** Which accesses restart a value's time to live (Flink's StateTtlConfig.UpdateType). */
export type TtlUpdateType = 'OnCreateAndWrite' | 'OnReadAndWrite';

/** Whether an expired value not yet removed may be returned (Flink's StateTtlConfig.StateVisibility). */
export type TtlStateVisibility = 'NeverReturnExpired' | 'ReturnExpiredIfNotCleanedUp';

/** Keys checked per state access, as in Flink. */
export const DEFAULT_CLEANUP_SIZE = 5;

const UPDATE_TYPES: readonly TtlUpdateType[] = ['OnCreateAndWrite', 'OnReadAndWrite'];
const VISIBILITIES: readonly TtlStateVisibility[] = ['NeverReturnExpired', 'ReturnExpiredIfNotCleanedUp'];

/** The settings of a StateTtlConfig. */
export interface StateTtlSettings {
  /** Time to live in ms of processing time: a finite number above 0. */
  readonly ttl: number;
  readonly updateType: TtlUpdateType;
  readonly stateVisibility: TtlStateVisibility;
  /** Keys checked per state access (a whole number above 0); undefined: no incremental cleanup. */
  readonly incrementalCleanupSize: number | undefined;
}

/** An immutable TTL configuration; build one with `StateTtlConfig.newBuilder(ms)…build()`. */
export class StateTtlConfig implements StateTtlSettings {
  /** Starts a configuration with a time to live of `ttlMs` ms of processing time (a finite number above 0). */
  static newBuilder(ttlMs: number): StateTtlConfigBuilder {
    return new StateTtlConfigBuilder(ttlMs);
  }

  readonly ttl: number;
  readonly updateType: TtlUpdateType;
  readonly stateVisibility: TtlStateVisibility;
  readonly incrementalCleanupSize: number | undefined;

  /** Checks every setting (ConfigurationError naming the first bad one). */
  constructor(settings: StateTtlSettings) {
    this.ttl = requirePositiveMs('StateTtlConfig.ttl', settings.ttl);
    this.updateType = oneOf('StateTtlConfig.updateType', settings.updateType, UPDATE_TYPES);
    this.stateVisibility = oneOf('StateTtlConfig.stateVisibility', settings.stateVisibility, VISIBILITIES);
    const size = settings.incrementalCleanupSize;
    this.incrementalCleanupSize = size === undefined ? undefined : requirePositiveCount('StateTtlConfig.cleanupSize', size);
    Object.freeze(this);
  }

  /** Same settings. */
  equals(other: StateTtlConfig): boolean {
    return (
      this.ttl === other.ttl &&
      this.updateType === other.updateType &&
      this.stateVisibility === other.stateVisibility &&
      this.incrementalCleanupSize === other.incrementalCleanupSize
    );
  }

  toString(): string {
    const cleanup = this.incrementalCleanupSize === undefined ? 'no incremental cleanup' : `incremental cleanup of ${this.incrementalCleanupSize}`;
    return `StateTtlConfig(${this.ttl} ms, ${this.updateType}, ${this.stateVisibility}, ${cleanup})`;
  }
}

/** Flink's StateTtlConfig.Builder; every setter checks its argument (ConfigurationError naming it) and returns the builder. */
export class StateTtlConfigBuilder {
  private ttl: number;
  private updateType: TtlUpdateType = 'OnCreateAndWrite';
  private stateVisibility: TtlStateVisibility = 'NeverReturnExpired';
  private cleanupInBackground = true;
  private cleanupSize: number | undefined;

  constructor(ttlMs: number) {
    this.ttl = requirePositiveMs('StateTtlConfig.ttl', ttlMs);
  }

  setTtl(ttlMs: number): this {
    this.ttl = requirePositiveMs('StateTtlConfig.ttl', ttlMs);
    return this;
  }

  setUpdateType(updateType: TtlUpdateType): this {
    this.updateType = oneOf('StateTtlConfig.updateType', updateType, UPDATE_TYPES);
    return this;
  }

  /** setUpdateType('OnCreateAndWrite'). */
  updateTtlOnCreateAndWrite(): this {
    return this.setUpdateType('OnCreateAndWrite');
  }

  /** setUpdateType('OnReadAndWrite'). */
  updateTtlOnReadAndWrite(): this {
    return this.setUpdateType('OnReadAndWrite');
  }

  setStateVisibility(visibility: TtlStateVisibility): this {
    this.stateVisibility = oneOf('StateTtlConfig.stateVisibility', visibility, VISIBILITIES);
    return this;
  }

  /** setStateVisibility('NeverReturnExpired'). */
  neverReturnExpired(): this {
    return this.setStateVisibility('NeverReturnExpired');
  }

  /** setStateVisibility('ReturnExpiredIfNotCleanedUp'). */
  returnExpiredIfNotCleanedUp(): this {
    return this.setStateVisibility('ReturnExpiredIfNotCleanedUp');
  }

  /**
   * Each access of a state also checks up to `cleanupSize` other keys of it
   * (a whole number above 0) and removes their expired values. On by
   * default with 5; setting it explicitly keeps it on after
   * disableCleanupInBackground().
   */
  cleanupIncrementally(cleanupSize: number = DEFAULT_CLEANUP_SIZE): this {
    this.cleanupSize = requirePositiveCount('StateTtlConfig.cleanupSize', cleanupSize);
    return this;
  }

  /** Turns off the default incremental cleanup: expired values go only when an access of their key meets them. */
  disableCleanupInBackground(): this {
    this.cleanupInBackground = false;
    return this;
  }

  build(): StateTtlConfig {
    const size = this.cleanupSize ?? (this.cleanupInBackground ? DEFAULT_CLEANUP_SIZE : undefined);
    return new StateTtlConfig({ ttl: this.ttl, updateType: this.updateType, stateVisibility: this.stateVisibility, incrementalCleanupSize: size });
  }
}

/** A finite number of ms above 0 (as the window assigners check theirs). */
function requirePositiveMs(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(option, `must be a finite number of ms above 0, got ${preview(value)}`);
  }
  return value;
}

/** A whole number above 0. */
function requirePositiveCount(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(option, `must be a whole number above 0, got ${preview(value)}`);
  }
  return value;
}

function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new ConfigurationError(option, `must be one of ${allowed.map((x) => `'${x}'`).join(', ')}, got ${preview(value)}`);
  }
  return value as T;
}

/** The descriptor's argument checked: a StateTtlConfig (ConfigurationError otherwise). */
export function requireTtlConfig(value: unknown): StateTtlConfig {
  if (!(value instanceof StateTtlConfig)) {
    throw new ConfigurationError('StateDescriptor.ttlConfig', `must be a StateTtlConfig (StateTtlConfig.newBuilder(ms)...build()), got ${preview(value)}`);
  }
  return value;
}
