/**
 * The event-time and processing-time timers of one keyed operator subtask
 * (Flink's InternalTimerServiceImpl over heap priority queues), as plain
 * data structures: no clock, no actor. The task advances time by calling
 * `advanceWatermark` and `onProcessingTime`; it sets one real timer for
 * `nextProcessingTime()`.
 *
 * Guarantees:
 * - A timer is (key, namespace, timestamp in ms), registered for the current
 *   key of the key context. Registering one twice keeps one; deleting one
 *   that is not registered does nothing. Event and processing time are two
 *   separate sets.
 * - Timers fire in timestamp order; timers with the same timestamp in the
 *   order they were registered (after a restore: by key group, then in their
 *   order before the snapshot). So a run is deterministic.
 * - `advanceWatermark(t)` fires every event-time timer ≤ t, including those
 *   registered by a callback during that advance at a time ≤ t (as in
 *   Flink). A timer registered at or below the current watermark outside a
 *   firing waits for the next advance. `onProcessingTime(now)` does the same
 *   for processing time.
 * - A timer is removed before its callback runs; a callback may register
 *   and delete timers, but not advance time. (So, as in Flink, a callback
 *   that always registers a timer at or below the time being advanced to
 *   never lets the advance end.)
 * - `snapshot()` copies the timers, grouped by key group, into plain data a
 *   checkpoint can encode (msgpackr); later changes do not reach it.
 *   `restore()` takes snapshots from any parallelism with the same
 *   maxParallelism and keeps the key groups of this subtask's range.
 *
 * The callback receives the timer, not a scoped key: the caller sets the
 * keyed-state backend's current key to `timer.key` before running user code,
 * as Flink's service does through its KeyContext.
 */
import { CorruptStateError, KeyGroupMismatchError, preview } from '../errors';
import { assignToKeyGroup, denormalizeKey, KeyGroupRange, type StateKey } from '../state/KeyGroup';
import type { KeyContext } from '../state/KeyedState';
import { frozenNamespace, namespaceId } from '../state/namespace';
import { NOT_CONTAINED, TimerHeap, type HeapElement } from './TimerHeap';

export interface InternalTimer<N> {
  readonly key: StateKey;
  readonly namespace: N;
  /** ms */
  readonly timestamp: number;
}

/** One timer in a snapshot: [key, namespace, timestamp in ms]. */
export type TimerEntry = readonly [key: StateKey, namespace: unknown, timestamp: number];

/** The timers of one subtask, by key group; plain data (msgpackr-encodable). */
export interface TimerSnapshot {
  readonly maxParallelism: number;
  /** The subtask's event-time watermark (ms) at the snapshot; absent in snapshots of older versions and while it is -Infinity. */
  readonly watermark?: number;
  readonly keyGroupRange: { readonly start: number; readonly end: number };
  /** Non-empty key groups, ascending; each queue in firing order. */
  readonly keyGroups: readonly {
    readonly keyGroup: number;
    readonly eventTime: readonly TimerEntry[];
    readonly processingTime: readonly TimerEntry[];
  }[];
}

export type TimerCallback<N> = (timer: InternalTimer<N>) => void;

interface QueuedTimer<N> extends InternalTimer<N>, HeapElement {
  /** The namespace's id (deduplication is per key, namespace id and time). */
  readonly nsId: string;
  readonly keyGroup: number;
  /** Registration order, for ties. */
  readonly seq: number;
}

const before = (a: QueuedTimer<unknown>, b: QueuedTimer<unknown>): boolean =>
  a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.seq < b.seq);

/**
 * One time domain: a heap in firing order plus an index for deduplication
 * and deletes, nested by time, namespace id and key — lookups by values the
 * caller already holds (no composite key is built per registration, which
 * matters when every record re-registers its window's timer), and the
 * timers of one window (one time, one namespace) share their maps.
 */
class TimerQueue<N> {
  readonly heap = new TimerHeap<QueuedTimer<N>>(before);
  private readonly index = new Map<number, Map<string, Map<StateKey, QueuedTimer<N>>>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(nsId: string, key: StateKey, time: number): boolean {
    return this.index.get(time)?.get(nsId)?.has(key) === true;
  }

  add(timer: QueuedTimer<N>): void {
    let byNs = this.index.get(timer.timestamp);
    if (byNs === undefined) this.index.set(timer.timestamp, (byNs = new Map()));
    let byKey = byNs.get(timer.nsId);
    if (byKey === undefined) byNs.set(timer.nsId, (byKey = new Map()));
    byKey.set(timer.key, timer);
    this.count++;
    this.heap.add(timer);
  }

  delete(nsId: string, key: StateKey, time: number): void {
    const t = this.index.get(time)?.get(nsId)?.get(key);
    if (t === undefined) return;
    this.unindex(t);
    this.heap.remove(t);
  }

  /** The first timer due at `time`, removed; undefined when none is. */
  pollDue(time: number): QueuedTimer<N> | undefined {
    const t = this.heap.peek();
    if (t === undefined || t.timestamp > time) return undefined;
    this.heap.poll();
    this.unindex(t);
    return t;
  }

  private unindex(t: QueuedTimer<N>): void {
    const byNs = this.index.get(t.timestamp)!;
    const byKey = byNs.get(t.nsId)!;
    byKey.delete(t.key);
    if (byKey.size === 0) {
      byNs.delete(t.nsId);
      if (byNs.size === 0) this.index.delete(t.timestamp);
    }
    this.count--;
  }
}

export class InternalTimerService<N> {
  private readonly eventTime = new TimerQueue<N>();
  private readonly processingTime = new TimerQueue<N>();
  private watermark = Number.NEGATIVE_INFINITY;
  private seq = 0;
  private firing = false;

  constructor(
    readonly maxParallelism: number,
    readonly keyGroupRange: KeyGroupRange,
    private readonly keyContext: KeyContext,
    /** The namespace id scheme of callers that pass `nsId`, applied to restored timers (default namespaceId). */
    private readonly idOf?: (namespace: N) => string,
  ) {}

  /** The last watermark passed to advanceWatermark, in ms; -Infinity before the first. */
  get currentWatermark(): number {
    return this.watermark;
  }

  get numEventTimeTimers(): number {
    return this.eventTime.size;
  }

  get numProcessingTimeTimers(): number {
    return this.processingTime.size;
  }

  /**
   * Registers an event-time timer at `time` (ms) for the current key and
   * `namespace`. `nsId` is the namespace's identity (namespaceId(namespace)
   * when omitted); a caller that passes one (a window operator: the window's
   * key) must use the same scheme for every timer of this service, also on
   * delete and after a restore.
   */
  registerEventTimeTimer(namespace: N, time: number, nsId?: string): void {
    this.register(this.eventTime, this.keyContext.currentKey(), namespace, time, undefined, nsId);
  }

  deleteEventTimeTimer(namespace: N, time: number, nsId?: string): void {
    this.eventTime.delete(this.nsIdOf(namespace, nsId), this.keyContext.currentKey(), time);
  }

  /** Registers a processing-time timer at `time` (ms since the clock's zero) for the current key and `namespace`; `nsId` as for event time. */
  registerProcessingTimeTimer(namespace: N, time: number, nsId?: string): void {
    this.register(this.processingTime, this.keyContext.currentKey(), namespace, time, undefined, nsId);
  }

  deleteProcessingTimeTimer(namespace: N, time: number, nsId?: string): void {
    this.processingTime.delete(this.nsIdOf(namespace, nsId), this.keyContext.currentKey(), time);
  }

  /**
   * Event time reached `time` (ms): fires every event-time timer ≤ `time`, in
   * order. A watermark below the current one is a RangeError.
   */
  advanceWatermark(time: number, onTimer: TimerCallback<N>): void {
    if (Number.isNaN(time) || time < this.watermark) {
      throw new RangeError(`watermark ${time} is behind the current watermark ${this.watermark}: event time cannot go back`);
    }
    this.watermark = time;
    this.fire(this.eventTime, time, onTimer);
  }

  /** The earliest processing-time timer (ms), for the one real timer the task sets; undefined when there is none. */
  nextProcessingTime(): number | undefined {
    return this.processingTime.heap.peek()?.timestamp;
  }

  /** Processing time is `now` (ms): fires every processing-time timer ≤ `now`, in order. */
  onProcessingTime(now: number, onTimer: TimerCallback<N>): void {
    if (Number.isNaN(now)) throw new RangeError('processing time is NaN');
    this.fire(this.processingTime, now, onTimer);
  }

  /** A copy of all timers by key group; O(n log n) in the number of timers. */
  snapshot(): TimerSnapshot {
    const groups = new Map<number, { event: QueuedTimer<N>[]; processing: QueuedTimer<N>[] }>();
    const group = (g: number) => {
      let e = groups.get(g);
      if (e === undefined) groups.set(g, (e = { event: [], processing: [] }));
      return e;
    };
    for (const t of this.eventTime.heap.values()) group(t.keyGroup).event.push(t);
    for (const t of this.processingTime.heap.values()) group(t.keyGroup).processing.push(t);
    const entries = (ts: QueuedTimer<N>[]): TimerEntry[] =>
      ts.sort((a, b) => (before(a, b) ? -1 : 1)).map((t) => [t.key, t.namespace, t.timestamp] as const);
    return {
      maxParallelism: this.maxParallelism,
      ...(this.watermark > Number.NEGATIVE_INFINITY ? { watermark: this.watermark } : {}),
      keyGroupRange: { start: this.keyGroupRange.start, end: this.keyGroupRange.end },
      keyGroups: [...groups.keys()]
        .sort((a, b) => a - b)
        .map((g) => ({ keyGroup: g, eventTime: entries(groups.get(g)!.event), processingTime: entries(groups.get(g)!.processing) })),
    };
  }

  /**
   * Adds the timers of this subtask's key groups from any number of
   * snapshots (of one parallelism, or another when rescaling), and restores
   * the watermark: the lowest of the snapshots' (-Infinity when one has
   * none), so no record is judged later than it was before. A snapshot of
   * another maxParallelism, or a timer filed under the wrong key group, is a
   * CorruptStateError.
   */
  restore(snapshots: readonly TimerSnapshot[]): void {
    let watermark = Number.POSITIVE_INFINITY;
    for (const s of snapshots) {
      if (s.maxParallelism !== this.maxParallelism) {
        throw new CorruptStateError(`timers were written with maxParallelism ${s.maxParallelism}, this operator has ${this.maxParallelism}`);
      }
      const w = s.watermark ?? Number.NEGATIVE_INFINITY;
      if (typeof w !== 'number' || Number.isNaN(w)) throw new CorruptStateError(`timers: the watermark ${preview(w)} is not a number of ms`);
      watermark = Math.min(watermark, w);
      for (const g of s.keyGroups) {
        if (!this.keyGroupRange.contains(g.keyGroup)) continue;
        this.restoreEntries(this.eventTime, g.keyGroup, g.eventTime);
        this.restoreEntries(this.processingTime, g.keyGroup, g.processingTime);
      }
    }
    if (snapshots.length > 0) this.watermark = Math.max(this.watermark, watermark);
  }

  private restoreEntries(queue: TimerQueue<N>, keyGroup: number, entries: readonly TimerEntry[]): void {
    if (!Array.isArray(entries)) throw new CorruptStateError(`timers of key group ${keyGroup}: not a list`);
    for (const e of entries) {
      if (!Array.isArray(e) || e.length !== 3 || !isStateKey(e[0]) || typeof e[2] !== 'number' || Number.isNaN(e[2])) {
        throw new CorruptStateError(`timers of key group ${keyGroup}: not a [key, namespace, timestamp] entry`);
      }
      if (assignToKeyGroup(e[0], this.maxParallelism) !== keyGroup) {
        throw new CorruptStateError(`timers of key group ${keyGroup}: key ${String(e[0])} belongs to another key group`);
      }
      this.register(queue, e[0], e[1] as N, e[2], keyGroup);
    }
  }

  private register(queue: TimerQueue<N>, key: StateKey, namespace: N, time: number, keyGroup?: number, nsId?: string): void {
    if (Number.isNaN(time)) throw new RangeError('a timer cannot be registered at NaN');
    const id = this.nsIdOf(namespace, nsId);
    if (queue.has(id, key, time)) return;
    const g = keyGroup ?? assignToKeyGroup(key, this.maxParallelism);
    if (!this.keyGroupRange.contains(g)) throw new KeyGroupMismatchError(denormalizeKey(key), g, this.keyGroupRange);
    queue.add({ nsId: id, key, namespace: frozenNamespace(namespace), timestamp: time, keyGroup: g, seq: this.seq++, heapIndex: NOT_CONTAINED });
  }

  private nsIdOf(namespace: N, nsId: string | undefined): string {
    return nsId ?? (this.idOf === undefined ? namespaceId(namespace) : this.idOf(namespace));
  }

  private fire(queue: TimerQueue<N>, time: number, onTimer: TimerCallback<N>): void {
    if (this.firing) throw new Error('a timer callback cannot advance time: advanceWatermark and onProcessingTime are not reentrant');
    this.firing = true;
    try {
      for (let t = queue.pollDue(time); t !== undefined; t = queue.pollDue(time)) onTimer(t);
    } finally {
      this.firing = false;
    }
  }
}

function isStateKey(k: unknown): k is StateKey {
  const t = typeof k;
  return t === 'string' || t === 'boolean' || t === 'bigint' || (t === 'number' && Number.isFinite(k));
}
