/**
 * The sending side of acknowledged delivery, as the actor sink uses it: at
 * most `window` messages are ever unacknowledged; what is offered beyond
 * that waits, in order, in a backlog and is sent as acknowledgements free
 * room. Sequence numbers are given at send time, from 0, consecutive.
 * Acknowledgements may arrive in any order; a duplicate or unknown one
 * changes nothing. Pure and synchronous but for two promises (backlog sent,
 * everything acknowledged); time is passed in, so a caller decides on
 * timeouts from `oldest()`.
 *
 * Guarantees: `unacknowledged <= window` at all times; every offered
 * message is sent exactly once, in offer order, unless the window failed.
 */

export class DeliveryWindow<M> {
  readonly window: number;
  /** seq → time sent (ms), in send order. */
  private readonly inFlight = new Map<number, number>();
  private backlog: M[] = [];
  private backlogHead = 0;
  private nextSeq = 0;
  private failure: Error | undefined;
  private sentWaiter: Waiter | undefined;
  private settledWaiter: Waiter | undefined;
  private pumping = false;
  /** Messages sent so far. */
  sent = 0;
  /** Acknowledgements that matched a message in flight. */
  acknowledged = 0;
  /** Acknowledgements for a sequence number not in flight (duplicates, unknown). */
  unexpectedAcks = 0;
  /** Most messages ever unacknowledged at once (never above `window`). */
  peakUnacknowledged = 0;

  /**
   * `send(seq, message)` hands one message to the transport; it may call
   * `fail()`. Throws RangeError unless `window` is a positive integer.
   */
  constructor(
    window: number,
    private readonly send: (seq: number, message: M) => void,
  ) {
    if (!(Number.isInteger(window) && window > 0)) throw new RangeError(`delivery window must be a positive integer, got ${window}`);
    this.window = window;
  }

  /** Messages sent and not yet acknowledged. */
  get unacknowledged(): number {
    return this.inFlight.size;
  }

  /** Messages offered and not yet sent. */
  get backlogSize(): number {
    return this.backlog.length - this.backlogHead;
  }

  /** Everything offered was sent and acknowledged. */
  get isSettled(): boolean {
    return this.inFlight.size === 0 && this.backlogSize === 0;
  }

  /** The failure given to fail(), if any. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /**
   * Offers a message at time `now` (ms). Returns true when it was sent at
   * once, false when it waits in the backlog (see whenSent()). Throws the
   * window's failure once it failed, also when sending this message failed it.
   */
  offer(message: M, now: number): boolean {
    if (this.failure) throw this.failure;
    this.backlog.push(message);
    this.pump(now);
    if (this.failure) throw this.failure;
    return this.backlogSize === 0;
  }

  /**
   * The acknowledgement of `seq` arrived at time `now`. Returns false, and
   * changes nothing, when `seq` is not in flight; otherwise sends backlog
   * into the freed room.
   */
  acknowledge(seq: number, now: number): boolean {
    if (!this.inFlight.delete(seq)) {
      this.unexpectedAcks++;
      return false;
    }
    this.acknowledged++;
    this.pump(now);
    if (this.isSettled) this.settle();
    return true;
  }

  /** The oldest unacknowledged message: its seq and when it was sent (ms). */
  oldest(): { readonly seq: number; readonly sentAt: number } | undefined {
    for (const [seq, sentAt] of this.inFlight) return { seq, sentAt };
    return undefined;
  }

  /** Resolves when the backlog is empty (every offered message sent); rejects with the failure. */
  whenSent(): Promise<void> {
    if (this.failure) return rejected(this.failure);
    if (this.backlogSize === 0) return Promise.resolve();
    return (this.sentWaiter ??= waiter()).promise;
  }

  /** Resolves when everything offered was sent and acknowledged; rejects with the failure. */
  whenSettled(): Promise<void> {
    if (this.failure) return rejected(this.failure);
    if (this.isSettled) return Promise.resolve();
    return (this.settledWaiter ??= waiter()).promise;
  }

  /** Fails the window: waiters reject with `error`, offers throw it, nothing more is sent. The first failure wins. */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.backlog = [];
    this.backlogHead = 0;
    const waiters = [this.sentWaiter, this.settledWaiter];
    this.sentWaiter = this.settledWaiter = undefined;
    for (const w of waiters) w?.reject(error);
  }

  private pump(now: number): void {
    if (this.pumping) return; // a send that acknowledges synchronously re-enters; the outer loop continues
    this.pumping = true;
    try {
      while (this.failure === undefined && this.backlogSize > 0 && this.inFlight.size < this.window) {
        const message = this.backlog[this.backlogHead];
        this.backlog[this.backlogHead++] = undefined as M;
        const seq = this.nextSeq++;
        this.inFlight.set(seq, now);
        this.sent++;
        if (this.inFlight.size > this.peakUnacknowledged) this.peakUnacknowledged = this.inFlight.size;
        this.send(seq, message);
      }
    } finally {
      this.pumping = false;
    }
    if (this.backlogHead === this.backlog.length) {
      this.backlog = [];
      this.backlogHead = 0;
    } else if (this.backlogHead > 1024 && this.backlogHead * 2 > this.backlog.length) {
      this.backlog = this.backlog.slice(this.backlogHead);
      this.backlogHead = 0;
    }
    if (this.failure === undefined && this.backlogSize === 0 && this.sentWaiter) {
      const w = this.sentWaiter;
      this.sentWaiter = undefined;
      w.resolve();
    }
  }

  private settle(): void {
    const w = this.settledWaiter;
    this.settledWaiter = undefined;
    w?.resolve();
  }
}

interface Waiter {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(e: Error): void;
}

function waiter(): Waiter {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Whoever awaits still sees the rejection; a waiter nobody awaits any more (a cancelled task) must not
  // surface as an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function rejected(e: Error): Promise<void> {
  const p = Promise.reject(e);
  p.catch(() => {});
  return p;
}
