/**
 * Drives one OneInputStreamOperator without a task or actors (Flink's
 * OneInputStreamOperatorTestHarness): feeds records, runs the mailbox
 * actions the operator submits when the test says so, records what it
 * emits and what it defers, takes snapshots and restores from them. Time is
 * a ManualClock; nothing runs unless the test calls it.
 *
 *   const h = new OperatorHarness(new AsyncWaitOperator(fn, config));
 *   h.open();
 *   h.processElement('a', 1);
 *   await h.settle();            // promise callbacks, then mailbox actions
 *   h.output                     // [{ value, timestamp }]
 *
 * A keyed harness (`{ keyed: true }`) gives the operator a keyed-state
 * backend for its subtask's key groups; `snapshotState()` then takes the
 * keyed state too, and `open([...snapshots])` restores from the snapshots
 * of any number of subtasks, as a rescale does.
 */
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import type { OperatorLocation } from '../errors';
import { createRuntimeContext } from '../operators/StreamingRuntimeContext';
import type { OneInputStreamOperator, OperatorContext } from '../operators/StreamOperator';
import { HeapKeyedStateBackend, type KeyedStateHandle } from '../state/HeapKeyedStateBackend';
import { KeyGroupRange } from '../state/KeyGroup';
import { OperatorStateStore } from '../state/OperatorStateStore';
import { ManualClock } from './ManualClock';

export interface EmittedRecord<O> {
  readonly value: O;
  readonly timestamp: number | undefined;
}

/** A promise the operator deferred, and whether it settled. */
export interface DeferredWork {
  readonly promise: Promise<unknown>;
  readonly settled: boolean;
  readonly error: unknown;
}

export const HARNESS_LOCATION: OperatorLocation = { operator: 'op', uid: 'op-uid', subtaskIndex: 0, parallelism: 1 };

/** What the operator emitted, records and watermarks, in order. */
export type EmittedElement<O> = { readonly kind: 'record'; readonly value: O; readonly timestamp: number | undefined } | { readonly kind: 'watermark'; readonly watermark: number };

export interface HarnessOptions {
  /** Give the operator a keyed-state backend (an operator after keyBy); maxParallelism 128. */
  readonly keyed?: boolean;
}

/** One subtask's state: its operator lists and, when keyed, its keyed state. */
export interface HarnessSnapshot {
  readonly lists: Record<string, unknown[]>;
  readonly keyed?: KeyedStateHandle;
}

const MAX_PARALLELISM = 128;

export class OperatorHarness<I, O> {
  /** The keyed-state backend of a keyed harness (after open). */
  backend: HeapKeyedStateBackend | undefined;
  readonly output: EmittedRecord<O>[] = [];
  /** Watermarks the operator emitted, in order. */
  readonly watermarks: number[] = [];
  /** Records and watermarks in emission order. */
  readonly timeline: EmittedElement<O>[] = [];
  readonly deferred: DeferredWork[] = [];
  /** What the operator emitted to side outputs, by tag id. */
  readonly sideOutputs = new Map<string, EmittedRecord<unknown>[]>();
  private mail: (() => void)[] = [];

  constructor(
    readonly operator: OneInputStreamOperator<I, O>,
    readonly clock = new ManualClock(),
    readonly location: OperatorLocation = HARNESS_LOCATION,
    readonly options: HarnessOptions = {},
  ) {}

  /**
   * initializeState (from `restored`, if any), then open. `restored` is
   * this subtask's operator lists, or the snapshots of every subtask of an
   * earlier run (operator lists concatenated; keyed state of this
   * subtask's key groups).
   */
  open(restored?: Readonly<Record<string, readonly unknown[]>> | readonly HarnessSnapshot[]): void {
    let state: OperatorRestoreState | undefined;
    if (Array.isArray(restored)) {
      const snaps = restored as readonly HarnessSnapshot[];
      const lists: Record<string, unknown[]> = {};
      for (const snap of snaps) for (const [name, items] of Object.entries(snap.lists)) (lists[name] ??= []).push(...items);
      state = { keyed: snaps.flatMap((x) => (x.keyed ? [x.keyed] : [])), lists, allLists: lists };
    } else if (restored !== undefined) {
      const lists = restored as Readonly<Record<string, readonly unknown[]>>;
      state = { keyed: [], lists, allLists: lists };
    }
    if (this.options.keyed) {
      this.backend = new HeapKeyedStateBackend(MAX_PARALLELISM, KeyGroupRange.forOperator(MAX_PARALLELISM, this.location.parallelism, this.location.subtaskIndex));
      if (state !== undefined) this.backend.restore(state.keyed);
    }
    this.operator.initializeState?.(state);
    const ctx: OperatorContext = {
      location: this.location,
      jobId: 'harness',
      attemptNumber: 1,
      maxParallelism: MAX_PARALLELISM,
      clock: this.clock,
      keyedStateBackend: this.backend,
      runtimeContext: createRuntimeContext(this.location, MAX_PARALLELISM, this.backend, new OperatorStateStore(), this.clock),
      objectReuse: false,
      defer: (promise) => {
        const w = { promise, settled: false, error: undefined as unknown };
        promise.then(
          () => void (w.settled = true),
          (e: unknown) => {
            w.settled = true;
            w.error = e;
          },
        );
        this.deferred.push(w);
      },
      mailbox: { execute: (action) => void this.mail.push(action) },
      sendOperatorEvent: () => {},
      output: (tag, value, timestamp) => {
        const list = this.sideOutputs.get(tag.id) ?? [];
        list.push({ value, timestamp });
        this.sideOutputs.set(tag.id, list);
      },
      emitWatermark: (watermark) => {
        this.watermarks.push(watermark);
        this.timeline.push({ kind: 'watermark', watermark });
      },
      processingTimeService: {
        now: () => this.clock.now(),
        registerTimer: (time, callback) => this.clock.setTimer(Math.max(0, time - this.clock.now()), () => void this.mail.push(() => callback(time))),
      },
    };
    this.operator.open(ctx, {
      processElement: (value, timestamp) => {
        this.output.push({ value, timestamp });
        this.timeline.push({ kind: 'record', value, timestamp });
      },
    });
  }

  processElement(value: I, timestamp?: number): void {
    this.operator.processElement(value, timestamp);
  }

  /** Feeds a watermark (ms), as the task does when its input's event time advances. */
  processWatermark(watermark: number): void {
    this.operator.processWatermark?.(watermark);
  }

  /** Feeds records in one loop, as a task feeds an input frame. */
  processFrame(values: readonly I[], timestamps?: readonly number[]): void {
    values.forEach((v, i) => this.operator.processElement(v, timestamps?.[i]));
  }

  get pendingMail(): number {
    return this.mail.length;
  }

  /** Whether a deferred promise has not settled: a task would take no further input. */
  get blocked(): boolean {
    return this.deferred.some((d) => !d.settled);
  }

  /** Runs the mailbox actions submitted so far and those they submit; throws what an action throws. */
  runMail(): void {
    while (this.mail.length > 0) this.mail.shift()!();
  }

  /** Lets settled promises call back (microtasks), runs the mailbox, until nothing is left to do. */
  async settle(): Promise<void> {
    for (;;) {
      await new Promise<void>((r) => setImmediate(r));
      if (this.mail.length === 0) return;
      this.runMail();
    }
  }

  /** Advances the clock (firing due timers), then settles. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.settle();
  }

  snapshot(checkpointId = 1): Record<string, unknown[]> {
    return this.operator.snapshotState?.(checkpointId) ?? {};
  }

  /** The operator lists and (keyed harness) the keyed state, as a checkpoint holds them. */
  async snapshotState(checkpointId = 1): Promise<HarnessSnapshot> {
    const lists = this.snapshot(checkpointId);
    const keyed = this.backend && (await this.backend.snapshot().write());
    return keyed === undefined ? { lists } : { lists, keyed };
  }

  endInput(): void {
    this.operator.endInput();
  }

  close(): void {
    this.operator.close();
  }

  values(): O[] {
    return this.output.map((r) => r.value);
  }
}
