/**
 * The operator behind AsyncDataStream (Flink's AsyncWaitOperator): starts
 * an asynchronous call per input, keeps at most `capacity` inputs in its
 * StreamElementQueue, and emits results — in input order or as calls
 * complete — from the task's mailbox, never from a promise callback.
 *
 * Flow control. processElement is called for every record of an input
 * frame in a loop. An input starts its call at once if the queue has room;
 * otherwise it waits in `pending` (at most the rest of one frame, plus
 * inputs restored from a checkpoint) and the operator defers a promise that
 * resolves when `pending` is empty again, so the task takes no further
 * input until then. Each completion runs as a mailbox action: it emits what
 * the queue releases and starts pending inputs in the freed slots.
 *
 * Timeouts run on the injected clock from the moment a call starts; the
 * timer's action also goes through the mailbox, and whichever of result and
 * timeout comes first decides the entry (a late result is ignored).
 *
 * Exactly-once. A checkpoint barrier is handled after every record before it
 * was handed to processElement, and snapshotState runs synchronously between
 * mailbox actions. At that moment each of those inputs is in exactly one of
 * two places:
 *   - emitted: an entry leaves the queue in the same action that hands its
 *     results to `next`, and the barrier is forwarded only after the
 *     snapshot, so these results are before the barrier downstream; or
 *   - held: in the queue (call in flight, timed out waiting for its fallback,
 *     or — ordered — completed but behind an earlier entry) or in
 *     `pending`. The snapshot stores these INPUTS (with timestamps), not
 *     results, in input order.
 * A held input's results may still be emitted by this run after the
 * snapshot: they follow the barrier, so a restore of this checkpoint rolls
 * them back with everything else after it, and the restored operator issues
 * the input again. So what a restore sees has each input's results once:
 * either before the barrier (and not stored), or re-issued (and not before
 * it). Ordered mode adds nothing to this argument: an entry behind an
 * incomplete one is held — stored — even though its call completed, and its
 * result is dropped with the run. Unordered mode emits an entry the moment
 * its completion action runs, so the stored set is exactly the entries whose
 * completion action had not run. A restored operator issues its restored
 * inputs first, in stored order, before any new input, so ordered mode keeps
 * per-subtask order across a restore at unchanged parallelism (at another
 * parallelism the stored inputs are dealt round-robin, as all operator list
 * state: on a keyed stream a re-issued input may land on a subtask that
 * does not own its key, as in Flink). Without watermarks in the engine,
 * unordered output is free; with them it must not cross a watermark.
 *
 * close() (finish, cancel, failover) cancels the timers and abandons calls
 * in flight: their settlement is ignored, nothing is emitted or thrown
 * after it, and no rejection goes unhandled.
 */
import type { AsyncFunction, AsyncFunctionContext, AsyncResult, RichAsyncFunction } from '../api/AsyncDataStream';
import { copyFunctionObject } from '../api/functions';
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import { asUserFunctionError, AsyncTimeoutError, CorruptStateError, preview } from '../errors';
import type { TimerHandle } from '../time/Clock';
import { createStreamElementQueue, type AsyncOutputMode, type QueueEntry, type StreamElementQueue } from './StreamElementQueue';
import { AbstractStreamOperator, type Input, type OperatorContext } from './StreamOperator';

/** The operator list state: inputs whose results were not emitted, `{ value, timestamp? }` in input order. */
export const ASYNC_ELEMENTS_STATE = 'asyncElements';

export interface AsyncWaitConfig {
  readonly mode: AsyncOutputMode;
  /** Per call, from its start; Infinity: none. */
  readonly timeoutMs: number;
  /** Most inputs in the queue. */
  readonly capacity: number;
}

/** An input the operator holds. `position` is its record number in this run (0: restored). */
interface Element<I> {
  readonly value: I;
  readonly timestamp: number | undefined;
  readonly position: number;
  timer: TimerHandle | undefined;
  timedOut: boolean;
}

type Entry<I, O> = QueueEntry<Element<I>, readonly O[]>;

interface StoredElement {
  readonly value: unknown;
  readonly timestamp?: number;
}

/** A promise and its resolve function. */
interface Signal {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

function signal(): Signal {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export class AsyncWaitOperator<I, O> extends AbstractStreamOperator<I, O> {
  private readonly fn: RichAsyncFunction<I, O>;
  private readonly queue: StreamElementQueue<Element<I>, readonly O[]>;
  /** Inputs taken but not started, oldest from `pendingHead` on. */
  private pending: Element<I>[] = [];
  private pendingHead = 0;
  /** open() returned a promise that has not resolved: no call starts yet. */
  private opening = false;
  private opened = false;
  private closed = false;
  /** Deferred by processElement when inputs had to wait: resolves once `pending` is empty. */
  private room: Signal | undefined;
  /** Deferred by endInput: resolves once nothing is held. */
  private drained: Signal | undefined;
  /**
   * Watermarks waiting for the results of the inputs that came before them
   * (`before`: inputs taken until then): a watermark never overtakes an
   * earlier input's results, in either output mode (Flink queues them too).
   */
  private heldWatermarks: { readonly watermark: number; readonly before: number }[] = [];

  constructor(fn: AsyncFunction<I, O> | RichAsyncFunction<I, O>, private readonly config: AsyncWaitConfig) {
    super();
    this.fn = typeof fn === 'function' ? { asyncInvoke: fn } : copyFunctionObject(fn);
    this.queue = createStreamElementQueue(config.mode, config.capacity);
  }

  initializeState(restored: OperatorRestoreState | undefined): void {
    const items = restored?.lists[ASYNC_ELEMENTS_STATE] ?? [];
    items.forEach((item, i) => {
      const s = item as StoredElement;
      if (typeof s !== 'object' || s === null || !('value' in s) || (s.timestamp !== undefined && typeof s.timestamp !== 'number')) {
        throw new CorruptStateError(`'${ASYNC_ELEMENTS_STATE}' item ${i} is not an async input { value, timestamp? }: ${preview(item)}`);
      }
      this.pending.push({ value: s.value as I, timestamp: s.timestamp, position: 0, timer: undefined, timedOut: false });
    });
  }

  override open(ctx: OperatorContext, next: Input<O>): void {
    super.open(ctx, next);
    this.opened = true;
    const rc = ctx.runtimeContext;
    const info: AsyncFunctionContext = {
      taskName: rc.taskName,
      operatorUid: rc.operatorUid,
      indexOfThisSubtask: rc.indexOfThisSubtask,
      numberOfParallelSubtasks: rc.numberOfParallelSubtasks,
      maxNumberOfParallelSubtasks: rc.maxNumberOfParallelSubtasks,
    };
    const r = this.fn.open?.(info);
    if (isThenable(r)) {
      this.opening = true;
      Promise.resolve(r).then(
        () =>
          this.mail(() => {
            this.opening = false;
            this.startPending();
          }),
        (e: unknown) =>
          this.mail(() => {
            throw asUserFunctionError(e, ctx.location, 0, 'open');
          }),
      );
    } else {
      this.startPending();
    }
    if (this.pendingCount > 0) this.awaitRoom();
  }

  processElement(value: I, timestamp: number | undefined): void {
    this.recordsIn++;
    const element: Element<I> = { value, timestamp, position: this.recordsIn, timer: undefined, timedOut: false };
    if (this.pendingCount === 0 && !this.opening && !this.queue.isFull) {
      this.start(element);
    } else {
      this.pending.push(element);
      this.awaitRoom();
    }
  }

  override processWatermark(watermark: number): void {
    this.currentWatermark = watermark;
    if (this.heldWatermarks.length === 0 && this.isDrained) return this.emitWatermark(watermark);
    this.heldWatermarks.push({ watermark, before: this.recordsIn });
    this.releaseWatermarks();
  }

  snapshotState(): Record<string, unknown[]> {
    const held = [...this.queue.entries().map((e) => e.element), ...this.pending.slice(this.pendingHead)];
    return { [ASYNC_ELEMENTS_STATE]: held.map(stored) };
  }

  /** Flushes: the task waits until every held input's results are emitted. */
  override endInput(): void {
    if (this.isDrained) return;
    this.drained ??= signal();
    this.ctx.defer(this.drained.promise);
  }

  override close(): void {
    if (!this.opened || this.closed) return;
    this.closed = true;
    for (const e of this.queue.entries()) e.element.timer?.cancel();
    // Nobody needs to wait for these any more.
    this.room?.resolve();
    this.drained?.resolve();
    const r = this.fn.close?.();
    if (isThenable(r)) {
      const location = this.ctx.location;
      this.ctx.defer(
        Promise.resolve(r).then(undefined, (e: unknown) => {
          throw asUserFunctionError(e, location, 0, 'close');
        }),
      );
    }
  }

  private get pendingCount(): number {
    return this.pending.length - this.pendingHead;
  }

  private get isDrained(): boolean {
    return this.queue.size === 0 && this.pendingCount === 0 && !this.opening;
  }

  private awaitRoom(): void {
    if (this.room !== undefined) return;
    this.room = signal();
    this.ctx.defer(this.room.promise);
  }

  /** Runs `action` in the task's mailbox, unless the operator is closed by then. */
  private mail(action: () => void): void {
    if (this.closed) return;
    this.ctx.mailbox.execute(() => {
      if (!this.closed) action();
    });
  }

  private start(element: Element<I>): void {
    let r: unknown;
    try {
      r = this.fn.asyncInvoke(element.value);
    } catch (e) {
      throw this.userError(e, element.value, element.position);
    }
    if (!isThenable(r)) {
      throw this.userError(
        new TypeError(`asyncInvoke returned ${preview(r)}, not a promise: an async function must return the promise of its call (use map() for synchronous work)`),
        element.value,
        element.position,
      );
    }
    const entry = this.queue.add(element);
    if (Number.isFinite(this.config.timeoutMs)) {
      element.timer = this.ctx.clock.setTimer(this.config.timeoutMs, () => this.mail(() => this.onTimeout(entry)));
    }
    Promise.resolve(r).then(
      (result) =>
        this.mail(() => {
          if (!element.timedOut) this.complete(entry, result as AsyncResult<O>);
        }),
      (e: unknown) =>
        this.mail(() => {
          if (entry.completed || element.timedOut) return;
          throw this.userError(e, element.value, element.position);
        }),
    );
  }

  private onTimeout(entry: Entry<I, O>): void {
    const element = entry.element;
    if (entry.completed || element.timedOut) return;
    element.timedOut = true;
    element.timer = undefined;
    if (this.fn.timeout === undefined) {
      throw new AsyncTimeoutError(this.ctx.location, element.position, this.config.timeoutMs, element.value);
    }
    let r: unknown;
    try {
      r = this.fn.timeout(element.value);
    } catch (e) {
      throw this.userError(e, element.value, element.position);
    }
    if (!isThenable(r)) {
      this.complete(entry, r as AsyncResult<O>);
      return;
    }
    Promise.resolve(r).then(
      (result) => this.mail(() => this.complete(entry, result as AsyncResult<O>)),
      (e: unknown) =>
        this.mail(() => {
          throw this.userError(e, element.value, element.position);
        }),
    );
  }

  /** Records the entry's result, emits what the queue releases, starts waiting inputs. */
  private complete(entry: Entry<I, O>, result: AsyncResult<O>): void {
    entry.element.timer?.cancel();
    entry.element.timer = undefined;
    const results: readonly O[] = Array.isArray(result) ? result : [result as O];
    if (!this.queue.complete(entry, results)) return;
    const ordered = this.config.mode === 'ordered';
    for (const e of this.queue.poll()) {
      // In order, everything before this entry has left: the watermarks that came before it go first.
      if (ordered) while (this.heldWatermarks.length > 0 && this.heldWatermarks[0].before < e.element.position) this.emitWatermark(this.heldWatermarks.shift()!.watermark);
      const timestamp = e.element.timestamp;
      for (const out of e.result!) this.next.processElement(out, timestamp);
    }
    this.startPending();
    this.releaseWatermarks();
  }

  /** Emits the held watermarks whose earlier inputs have all left (restored inputs count as earliest). */
  private releaseWatermarks(): void {
    if (this.heldWatermarks.length === 0) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const e of this.queue.entries()) oldest = Math.min(oldest, e.element.position);
    for (let i = this.pendingHead; i < this.pending.length; i++) oldest = Math.min(oldest, this.pending[i].position);
    while (this.heldWatermarks.length > 0 && this.heldWatermarks[0].before < oldest) this.emitWatermark(this.heldWatermarks.shift()!.watermark);
  }

  /** Starts waiting inputs while the queue has room; releases the waits that are over. */
  private startPending(): void {
    while (this.pendingCount > 0 && !this.opening && !this.queue.isFull) {
      const element = this.pending[this.pendingHead++];
      this.start(element);
    }
    if (this.pendingCount === 0) {
      this.pending = [];
      this.pendingHead = 0;
      this.room?.resolve();
      this.room = undefined;
    } else if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
    if (this.isDrained) {
      this.drained?.resolve();
      this.drained = undefined;
    }
  }
}

function stored<I>(e: Element<I>): StoredElement {
  return e.timestamp === undefined ? { value: e.value } : { value: e.value, timestamp: e.timestamp };
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
