/**
 * A clock that moves only when told: `advance(ms)` fires every timer that
 * falls due, in time order. Tests of timeouts, rate limits and restart
 * delays use it to run without waiting and replay exactly.
 */
import type { Clock, TimerHandle } from '../time/Clock';

interface Timer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const t: Timer = { due: this.time + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => void (t.cancelled = true) };
  }

  /** Moves time forward by `ms`, firing due timers in order (timers they set fire too, if due). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward; advance(${ms})`);
    const target = this.time + ms;
    for (;;) {
      const next = this.timers
        .filter((t) => !t.cancelled && t.due <= target)
        .sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = Math.max(this.time, next.due);
      next.fn();
    }
    this.time = target;
  }

  /** Timers not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
