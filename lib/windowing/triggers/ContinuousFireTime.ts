/**
 * The periodic schedule shared by ContinuousEventTimeTrigger and
 * ContinuousProcessingTimeTrigger (one concept, two time domains): the
 * window's next fire time in a ReducingState (min) named "fire-time", so
 * merged windows keep the earliest, with a timer of the given domain at it.
 * Each fire time is the next interval boundary, capped at the window's
 * maxTimestamp.
 */
import type { ReducingState } from '../../state/KeyedState';
import { ReducingStateDescriptor } from '../../state/StateDescriptor';
import type { Window } from '../windows/Window';
import type { OnMergeContext, TriggerContext } from './Trigger';

export class ContinuousFireTime {
  private readonly stateDesc = new ReducingStateDescriptor<number>('fire-time', Math.min);

  constructor(
    /** ms */ private readonly interval: number,
    private readonly domain: 'event' | 'processing',
  ) {}

  /** Whether the window has a fire time scheduled. */
  isScheduled(ctx: TriggerContext): boolean {
    return ctx.getPartitionedState(this.stateDesc).get() !== undefined;
  }

  /** Schedules the first fire time: the interval boundary after `time` (truncating toward zero, as Flink does). */
  start(time: number, window: Window, ctx: TriggerContext): void {
    this.schedule(time - (time % this.interval), window, ctx, ctx.getPartitionedState(this.stateDesc));
  }

  /** A timer of this domain fired at `time`: when it is the scheduled one, schedules the next and returns true (fire). */
  onTimer(time: number, window: Window, ctx: TriggerContext): boolean {
    const fireTime = ctx.getPartitionedState(this.stateDesc);
    if (fireTime.get() !== time) return false;
    fireTime.clear();
    this.schedule(time, window, ctx, fireTime);
    return true;
  }

  /** Windows merged: keep the earliest fire time and its timer. */
  onMerge(ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.stateDesc);
    const next = ctx.getPartitionedState(this.stateDesc).get();
    if (next !== undefined) this.register(ctx, next);
  }

  /** The window is discarded: its timer and state go. */
  clear(ctx: TriggerContext): void {
    const fireTime = ctx.getPartitionedState(this.stateDesc);
    const t = fireTime.get();
    if (t === undefined) return;
    if (this.domain === 'event') ctx.deleteEventTimeTimer(t);
    else ctx.deleteProcessingTimeTimer(t);
    fireTime.clear();
  }

  private schedule(time: number, window: Window, ctx: TriggerContext, fireTime: ReducingState<number>): void {
    const next = Math.min(time + this.interval, window.maxTimestamp());
    fireTime.add(next);
    this.register(ctx, next);
  }

  private register(ctx: TriggerContext, time: number): void {
    if (this.domain === 'event') ctx.registerEventTimeTimer(time);
    else ctx.registerProcessingTimeTimer(time);
  }
}
