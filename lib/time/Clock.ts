/**
 * Processing time, injected. Everything in the engine that reads the time or
 * waits (buffer timeouts, rate limits, restart delays) goes through a Clock,
 * so tests can run on a ManualClock and replay exactly.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch (or since the clock's own zero). */
  now(): number;
  /** Calls `fn` once after `delayMs`. */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
}

/** The longest delay Node's setTimeout keeps (2^31 - 1 ms, about 24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  /** Delays longer than MAX_TIMEOUT_MS are waited out in steps; a negative one is 0. */
  setTimer(delayMs, fn) {
    let t: ReturnType<typeof setTimeout>;
    const arm = (remaining: number): void => {
      t = remaining > MAX_TIMEOUT_MS ? setTimeout(() => arm(remaining - MAX_TIMEOUT_MS), MAX_TIMEOUT_MS) : setTimeout(fn, Math.max(0, remaining));
    };
    arm(delayMs);
    return { cancel: () => clearTimeout(t) };
  },
};

/** Resolves after `delayMs` on the given clock. */
export function sleep(clock: Clock, delayMs: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(delayMs, resolve));
}
