/**
 * ListState with time-to-live (Flink's TtlListState): each element is a
 * TtlValue and expires on its own. `get()` returns the live elements (and,
 * with ReturnExpiredIfNotCleanedUp, the expired ones still stored) in
 * order, and writes the list back without the expired ones — with fresh
 * last-access times under OnReadAndWrite. Adding stamps only the new
 * elements; `update` stamps all of them.
 */
import type { HeapListState, ListState } from '../KeyedState';
import { AbstractTtlState } from './AbstractTtlState';
import type { StateTtlConfig } from './StateTtlConfig';
import type { Clock } from '../../time/Clock';
import { TtlValue } from './TtlValue';

export class TtlListState<T> extends AbstractTtlState implements ListState<T> {
  constructor(
    private readonly original: HeapListState<TtlValue<T> | T>,
    name: string,
    config: StateTtlConfig,
    clock: Clock,
  ) {
    super(name, config, clock);
  }

  get(): readonly T[] {
    const now = this.access();
    const stored = this.original.get();
    if (stored.length === 0) return [];
    const out: T[] = [];
    const kept: TtlValue<T>[] = [];
    let changed = false;
    for (const e of stored) {
      if (!(e instanceof TtlValue)) {
        out.push(e);
        kept.push(new TtlValue(e, now));
        changed = true;
      } else if (this.expired(e, now)) {
        if (this.returnExpired) out.push(e.value);
        changed = true;
      } else {
        out.push(e.value);
        if (this.updateOnRead) {
          kept.push(new TtlValue(e.value, now));
          changed = true;
        } else {
          kept.push(e);
        }
      }
    }
    if (changed) this.write(kept);
    return out;
  }

  add(value: T): void {
    const now = this.access();
    this.original.add(new TtlValue(value, now));
  }

  addAll(values: readonly T[]): void {
    const now = this.access();
    this.original.addAll(values.map((v) => new TtlValue(v, now)));
  }

  update(values: readonly T[]): void {
    const now = this.access();
    this.original.update(values.map((v) => new TtlValue(v, now)));
  }

  clear(): void {
    this.access();
    this.original.clear();
  }

  cleanupCurrentKey(now: number): void {
    const stored = this.original.get();
    if (stored.length === 0) return;
    let changed = false;
    const kept: TtlValue<T>[] = [];
    for (const e of stored) {
      if (!(e instanceof TtlValue)) {
        kept.push(new TtlValue(e, now));
        changed = true;
      } else if (this.expired(e, now)) {
        changed = true;
      } else {
        kept.push(e);
      }
    }
    if (changed) this.write(kept);
  }

  override oldestAccess(stored: unknown): number | undefined {
    const list = stored as readonly unknown[] | undefined;
    if (list === undefined || list.length === 0) return undefined;
    let oldest = Infinity;
    for (const e of list) {
      const t = e instanceof TtlValue ? e.lastAccess : -Infinity;
      if (t < oldest) oldest = t;
    }
    return oldest;
  }

  private write(kept: TtlValue<T>[]): void {
    if (kept.length === 0) this.original.clear();
    else this.original.update(kept);
  }
}
