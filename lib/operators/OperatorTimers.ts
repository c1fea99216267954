/**
 * The timers of one keyed operator subtask as a task runs them (the part of
 * Flink's InternalTimeServiceManager a single timer service needs): an
 * InternalTimerService over the operator's keyed backend, checkpointed in
 * the operator list state `__timers` and restored from every subtask's
 * snapshot (each keeps its own key groups, so timers rescale with state),
 * together with the subtask's watermark; plus one real timer on the task's
 * ProcessingTimeService at the earliest processing-time timer. Processing-time timers fire in the task's mailbox,
 * never while a record is being processed.
 *
 * The operator calls `reschedule()` after anything that may have registered
 * or deleted a processing-time timer (a record, a watermark, a firing).
 */
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import type { TimerService } from '../api/functions';
import { CorruptStateError, preview } from '../errors';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import type { TimerHandle } from '../time/Clock';
import { InternalTimerService, type TimerCallback, type TimerSnapshot } from '../time/InternalTimerService';
import type { OperatorContext } from './StreamOperator';

/** Operator list state holding this subtask's timers (one TimerSnapshot); every subtask reads all on restore. */
export const TIMERS_STATE = '__timers';

export class OperatorTimers<N> {
  private service!: InternalTimerService<N>;
  private restored: readonly TimerSnapshot[] = [];
  /** The one real timer, set for the earliest processing-time timer. */
  private wakeup: { readonly at: number; readonly handle: TimerHandle } | undefined;
  private ctx!: OperatorContext;
  private onProcessingTimer!: TimerCallback<N>;

  /** `idOf`: the namespace id scheme the operator passes as `nsId` (InternalTimerService), if any. */
  constructor(private readonly idOf?: (namespace: N) => string) {}

  /** Before open: keeps the restored timer snapshots. CorruptStateError when an item is not one. */
  initializeState(restored: OperatorRestoreState | undefined): void {
    const items = restored?.allLists[TIMERS_STATE] ?? [];
    items.forEach((item, i) => {
      if (typeof item !== 'object' || item === null || !Array.isArray((item as TimerSnapshot).keyGroups)) {
        throw new CorruptStateError(`'${TIMERS_STATE}' item ${i} is not a timer snapshot: ${preview(item)}`);
      }
    });
    this.restored = items as TimerSnapshot[];
  }

  /** Creates the service on `backend`, restores this subtask's timers and sets the real timer. */
  open(ctx: OperatorContext, backend: HeapKeyedStateBackend, onProcessingTimer: TimerCallback<N>): InternalTimerService<N> {
    this.ctx = ctx;
    this.onProcessingTimer = onProcessingTimer;
    this.service = new InternalTimerService<N>(backend.maxParallelism, backend.keyGroupRange, backend, this.idOf);
    if (this.restored.length > 0) this.service.restore(this.restored);
    this.restored = [];
    this.reschedule();
    return this.service;
  }

  /**
   * Fires event-time timers up to `watermark` (ms) through `onTimer`, then
   * reschedules. Returns false, doing nothing, for a watermark at or below
   * the current one: after a restore the inputs start again below the
   * restored watermark, and the operator must not pass those on.
   */
  advanceWatermark(watermark: number, onTimer: TimerCallback<N>): boolean {
    if (watermark <= this.service.currentWatermark) return false;
    this.service.advanceWatermark(watermark, onTimer);
    this.reschedule();
    return true;
  }

  /** Keeps one real timer at the earliest processing-time timer. */
  reschedule(): void {
    const next = this.service.nextProcessingTime();
    if (next === this.wakeup?.at) return;
    this.wakeup?.handle.cancel();
    this.wakeup = undefined;
    const pts = this.ctx.processingTimeService;
    if (next === undefined || pts === undefined) return;
    const handle = pts.registerTimer(next, (time) => {
      if (this.wakeup?.handle !== handle) return;
      this.wakeup = undefined;
      this.service.onProcessingTime(Math.max(time, pts.now()), this.onProcessingTimer);
      this.reschedule();
    });
    this.wakeup = { at: next, handle };
  }

  /**
   * The operator list state of a checkpoint: one snapshot per subtask, even
   * without timers, since it also carries the subtask's watermark (restored
   * as the lowest of all subtasks', see InternalTimerService.restore).
   */
  snapshotState(): Record<string, unknown[]> {
    return { [TIMERS_STATE]: [this.service.snapshot()] };
  }

  /** Cancels the real timer: nothing fires after close. */
  close(): void {
    this.wakeup?.handle.cancel();
    this.wakeup = undefined;
  }
}

/** A timer's time as user code gave it: a number of ms, not NaN; a TypeError naming the value otherwise. */
export function checkTimerTime(time: number): number {
  if (typeof time !== 'number' || Number.isNaN(time)) throw new TypeError(`a timer needs a time in ms, got ${preview(time)}`);
  return time;
}

/**
 * What `ctx.timerService()` gives a keyed process function (Flink's
 * TimerService): the current key's timers, in the one (void) namespace of
 * user timers. `timers` is read on each call (the service exists from open).
 */
export function userTimerService(timers: () => InternalTimerService<null>, now: () => number): TimerService {
  return {
    currentProcessingTime: now,
    currentWatermark: () => timers().currentWatermark,
    registerEventTimeTimer: (time) => timers().registerEventTimeTimer(null, checkTimerTime(time)),
    registerProcessingTimeTimer: (time) => timers().registerProcessingTimeTimer(null, checkTimerTime(time)),
    deleteEventTimeTimer: (time) => timers().deleteEventTimeTimer(null, time),
    deleteProcessingTimeTimer: (time) => timers().deleteProcessingTimeTimer(null, time),
  };
}
