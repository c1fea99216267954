/**
 * MapState with time-to-live (Flink's TtlMapState): each entry's value is a
 * TtlValue and expires on its own. Every read of an entry (`get`,
 * `contains`, and each entry `entries`/`keys`/`values` yield) removes it
 * when expired — returning it this once with ReturnExpiredIfNotCleanedUp —
 * and restarts its time to live under OnReadAndWrite. The iterators are
 * taken before they are returned (an array of the entries), so the state
 * may be written while iterating. `isEmpty` removes expired entries and
 * reads no value: it restarts no time to live.
 */
import type { HeapMapState, MapState } from '../KeyedState';
import { AbstractTtlState } from './AbstractTtlState';
import type { StateTtlConfig } from './StateTtlConfig';
import type { Clock } from '../../time/Clock';
import { TtlValue } from './TtlValue';

export class TtlMapState<UK, UV> extends AbstractTtlState implements MapState<UK, UV> {
  constructor(
    private readonly original: HeapMapState<UK, TtlValue<UV> | UV>,
    name: string,
    config: StateTtlConfig,
    clock: Clock,
  ) {
    super(name, config, clock);
  }

  get(key: UK): UV | undefined {
    const now = this.access();
    return this.read(key, now)?.value;
  }

  contains(key: UK): boolean {
    const now = this.access();
    return this.read(key, now) !== undefined;
  }

  put(key: UK, value: UV): void {
    const now = this.access();
    this.original.put(key, new TtlValue(value, now));
  }

  putAll(entries: Iterable<readonly [UK, UV]>): void {
    const now = this.access();
    const wrapped: [UK, TtlValue<UV>][] = [];
    for (const [k, v] of entries) wrapped.push([k, new TtlValue(v, now)]);
    this.original.putAll(wrapped);
  }

  remove(key: UK): void {
    this.access();
    this.original.remove(key);
  }

  entries(): IterableIterator<[UK, UV]> {
    const now = this.access();
    return this.readAll(now, true).values();
  }

  keys(): IterableIterator<UK> {
    const now = this.access();
    return this.readAll(now, true)
      .map(([k]) => k)
      .values();
  }

  values(): IterableIterator<UV> {
    const now = this.access();
    return this.readAll(now, true)
      .map(([, v]) => v)
      .values();
  }

  isEmpty(): boolean {
    const now = this.access();
    return this.readAll(now, false).length === 0;
  }

  clear(): void {
    this.access();
    this.original.clear();
  }

  cleanupCurrentKey(now: number): void {
    if (this.original.isEmpty()) return;
    this.sweep(now, false, false);
  }

  override oldestAccess(stored: unknown): number | undefined {
    const map = stored as ReadonlyMap<unknown, unknown> | undefined;
    if (map === undefined || map.size === 0) return undefined;
    let oldest = Infinity;
    for (const v of map.values()) {
      const t = v instanceof TtlValue ? v.lastAccess : -Infinity;
      if (t < oldest) oldest = t;
    }
    return oldest;
  }

  /** The entry of `key` as a read sees it: expired ones removed (and returned with ReturnExpiredIfNotCleanedUp), others re-stamped on OnReadAndWrite. */
  private read(key: UK, now: number): TtlValue<UV> | undefined {
    if (!this.original.contains(key)) return undefined;
    const v = this.original.get(key) as TtlValue<UV> | UV;
    if (!(v instanceof TtlValue)) {
      const s = new TtlValue(v, now);
      this.original.put(key, s);
      return s;
    }
    if (this.expired(v, now)) {
      this.original.remove(key);
      return this.returnExpired ? v : undefined;
    }
    if (this.updateOnRead) this.original.put(key, new TtlValue(v.value, now));
    return v;
  }

  /** Every entry a read sees, in order, after the same clean-up as `read`; `touch`: restart their time to live on OnReadAndWrite. */
  private readAll(now: number, touch: boolean): [UK, UV][] {
    return this.sweep(now, touch && this.updateOnRead, this.returnExpired);
  }

  /**
   * Removes expired entries and stamps entries written without TTL;
   * `restamp` gives the others a fresh last-access time. Returns the
   * entries kept, plus the expired ones when `withExpired`.
   */
  private sweep(now: number, restamp: boolean, withExpired: boolean): [UK, UV][] {
    const out: [UK, UV][] = [];
    const expired: UK[] = [];
    const stamp: [UK, TtlValue<UV>][] = [];
    for (const [k, v] of this.original.entries()) {
      if (!(v instanceof TtlValue)) {
        out.push([k, v]);
        stamp.push([k, new TtlValue(v, now)]);
      } else if (this.expired(v, now)) {
        expired.push(k);
        if (withExpired) out.push([k, v.value]);
      } else {
        out.push([k, v.value]);
        if (restamp) stamp.push([k, new TtlValue(v.value, now)]);
      }
    }
    if (stamp.length > 0) this.original.putAll(stamp);
    for (const k of expired) this.original.remove(k);
    return out;
  }
}
