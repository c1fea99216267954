/**
 * process on a keyed stream connected with a broadcast stream (Flink's
 * CoBroadcastWithKeyedOperator): input 1 is the keyed stream — each record
 * sets the current key from the key selector, then `processElement` runs
 * with keyed state, timers and the broadcast state read-only; input 2 is
 * the broadcast stream — every subtask gets every record, and
 * `processBroadcastElement` runs with the broadcast state writable and no
 * current key: keyed state is reached only through
 * `ctx.applyToKeyedState(descriptor, (key, state) => ...)`, which visits
 * every key of this subtask with a value in that state. Keyed state used
 * directly on the broadcast side (state objects from `open()`) throws
 * StateAccessError, as the last record's key would be a different one on
 * each subtask.
 *
 * Timers as in KeyedCoProcessOperator: event-time timers fire once the
 * combined watermark of both inputs passes them (an ended input counts as
 * +Infinity), processing-time timers from the task's mailbox; `onTimer`
 * reads the broadcast state. Checkpoints hold the keyed state (the chain's
 * backend), the timers (OperatorTimers) and this subtask's copy of the
 * broadcast state (BroadcastStateStore), all restored at any parallelism.
 *
 * What the function emits is copied (unless object reuse is on). A Promise
 * from either method, onTimer, open, close, a key selector or a function
 * given to applyToKeyedState fails the job.
 */
import type { KeyedBroadcastProcessFunction, KeyedStateFunction } from '../api/broadcastFunctions';
import { copyFunctionObject, type KeySelector, type RuntimeContext, type TimeDomain, type TimerService } from '../api/functions';
import type { OutputTag } from '../api/OutputTag';
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import { isThenable, preview, StateAccessError, ThenableReturnedError } from '../errors';
import { BroadcastStateStore } from '../state/BroadcastState';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import type { Key } from '../state/KeyGroup';
import type { MapStateDescriptor, StateDescriptor } from '../state/StateDescriptor';
import { AbstractTwoInputStreamOperator } from './AbstractTwoInputStreamOperator';
import { KeyedBroadcastContextImpl, KeyedReadOnlyContextImpl, type KeyedBroadcastHost } from './broadcastContexts';
import { KeyedFunctionRunner, type KeyedFunctionCalls } from './KeyedFunctionRunner';
import type { Input, InputId, OperatorContext } from './StreamOperator';

/** The keyed element path, timers and collector are the runner's (KeyedFunctionRunner); the contexts forward to it. */
export class CoBroadcastWithKeyedOperator<K extends Key, I1, I2, O>
  extends AbstractTwoInputStreamOperator<I1, I2, O>
  implements KeyedBroadcastHost<K>, KeyedFunctionCalls<K, O, I1 | I2>
{
  private readonly fn: KeyedBroadcastProcessFunction<K, I1, I2, O>;
  readonly broadcastStates: BroadcastStateStore;
  private readonly runner: KeyedFunctionRunner<K, O, I1 | I2>;
  private backend!: HeapKeyedStateBackend;
  /** False while the broadcast side runs outside applyToKeyedState: keyed state has no current key then. */
  private keyedAccess = true;
  private readonly readOnlyContext = new KeyedReadOnlyContextImpl<K>(this);
  private readonly broadcastContext = new KeyedBroadcastContextImpl<K>(this);
  /** What `ctx.timerService()` returns: the current key's timers. */
  readonly timers: TimerService;

  constructor(
    private readonly keySelector: KeySelector<I1, K>,
    fn: KeyedBroadcastProcessFunction<K, I1, I2, O>,
    descriptors: readonly MapStateDescriptor<any, any>[],
  ) {
    super();
    this.fn = copyFunctionObject(fn);
    this.broadcastStates = new BroadcastStateStore(descriptors);
    this.runner = new KeyedFunctionRunner(this, this.fn);
    this.timers = this.runner.timerService();
  }

  override open(ctx: OperatorContext, next: Input<O>): void {
    super.open(ctx, next);
    if (ctx.keyedStateBackend === undefined) throw new Error('CoBroadcastWithKeyedOperator needs a keyed-state backend (a keyed stream connected with a broadcast stream)');
    this.backend = ctx.keyedStateBackend;
    this.broadcastStates.open(ctx.location.subtaskIndex, ctx.objectReuse);
    this.runner.open(ctx, this.backend, guardedRuntimeContext(ctx.runtimeContext, (name) => this.checkKeyedAccess(name)));
  }

  override close(): void {
    this.runner.close();
  }

  // ---- the keyed side: records and timers, and the user calls the runner makes for them -------------

  processElement1(value: I1, timestamp: number | undefined): void {
    this.runner.processElement(value, timestamp, 1, 'processElement() method');
  }

  callElement(value: I1 | I2, input: InputId, run: KeyedFunctionRunner<K, O, I1 | I2>): unknown {
    if (input === 2) return this.callBroadcastElement(value as I2, run);
    run.setKey(this.keySelector(value as I1));
    return this.fn.processElement(value as I1, this.readOnlyContext, run);
  }

  /** The combined watermark of both inputs: fires the event-time timers up to it, then passes it on. */
  override processWatermark(watermark: number): void {
    if (this.runner.advanceWatermark(watermark)) super.processWatermark(watermark);
  }

  callTimer(timestamp: number, run: KeyedFunctionRunner<K, O, I1 | I2>): unknown {
    const states = this.broadcastStates;
    states.reader = 'onTimer()';
    try {
      return this.fn.onTimer!(timestamp, this.readOnlyContext, run);
    } finally {
      states.reader = 'processElement()';
    }
  }

  // ---- the broadcast side: broadcast state writable, no current key ---------------------------------

  processElement2(value: I2, timestamp: number | undefined): void {
    this.runner.processElement(value, timestamp, 2, 'processBroadcastElement() method');
  }

  private callBroadcastElement(value: I2, run: KeyedFunctionRunner<K, O, I1 | I2>): unknown {
    const states = this.broadcastStates;
    states.writable = true;
    this.keyedAccess = false;
    run.key = undefined;
    try {
      return this.fn.processBroadcastElement(value, this.broadcastContext, run);
    } finally {
      states.writable = false;
      this.keyedAccess = true;
    }
  }

  applyToKeyedState(descriptor: StateDescriptor, fn: KeyedStateFunction<K, any>): void {
    if (this.keyedAccess) throw new StateAccessError('applyToKeyedState() is for processBroadcastElement(); elsewhere the current key\'s state is at hand');
    if (typeof fn !== 'function') throw new TypeError(`applyToKeyedState() needs a function (key, state) => void, got ${preview(fn)}`);
    const state = this.backend.getState(descriptor);
    // Collected first: fn may clear the state of the key it visits.
    const keys = [...this.backend.keys(descriptor.name)];
    const run = this.runner;
    this.keyedAccess = true;
    try {
      for (const k of keys) {
        run.enterKey(k);
        const r: unknown = fn(run.key as K, state);
        if (r !== undefined && isThenable(r)) throw new ThenableReturnedError('function given to applyToKeyedState()', r);
      }
    } finally {
      this.keyedAccess = false;
      run.key = undefined;
    }
  }

  private checkKeyedAccess(name: string): void {
    if (!this.keyedAccess) {
      throw new StateAccessError(
        `keyed state '${name}' accessed in processBroadcastElement(), where there is no current key; ` +
          `use ctx.applyToKeyedState(descriptor, (key, state) => ...) to reach every key's state`,
      );
    }
  }

  // ---- checkpoints: the timers and this subtask's broadcast state (the keyed state is the chain's) --

  initializeState(restored: OperatorRestoreState | undefined): void {
    this.runner.initializeState(restored);
    this.broadcastStates.initializeState(restored);
  }

  snapshotState(): Record<string, unknown[]> {
    return { ...this.runner.snapshotState(), ...this.broadcastStates.snapshotState() };
  }

  // ---- what the contexts forward to (KeyedBroadcastHost) --------------------------------------------

  get timestamp(): number | undefined {
    return this.runner.timestamp;
  }

  get timeDomain(): TimeDomain {
    return this.runner.timeDomain();
  }

  currentKey(): K {
    const key = this.runner.key;
    if (key === undefined) throw new StateAccessError('there is no current key in processBroadcastElement(): use ctx.applyToKeyedState() to visit the keys');
    return key;
  }

  processingTime(): number {
    return this.ctx.clock.now();
  }

  watermark(): number {
    return this.timers.currentWatermark();
  }

  output<X>(tag: OutputTag<X>, value: X): void {
    this.runner.output(tag, value);
  }
}

/**
 * The runtime context handed to the function: keyed state objects check
 * `check(stateName)` before every call, so the broadcast side cannot use
 * them outside applyToKeyedState. One wrapper per state, as the backend
 * returns one state object per name.
 */
function guardedRuntimeContext(rc: RuntimeContext, check: (name: string) => void): RuntimeContext {
  const wrappers = new Map<unknown, unknown>();
  const guard =
    (get: (d: any) => unknown) =>
    (d: StateDescriptor): any => {
      const state = get(d) as object;
      let w = wrappers.get(state);
      if (w === undefined) wrappers.set(state, (w = guardState(state, d.name, check)));
      return w;
    };
  return {
    ...rc,
    getState: guard((d) => rc.getState(d)),
    getListState: guard((d) => rc.getListState(d)),
    getMapState: guard((d) => rc.getMapState(d)),
    getReducingState: guard((d) => rc.getReducingState(d)),
    getAggregatingState: guard((d) => rc.getAggregatingState(d)),
  };
}

/** An object with `state`'s methods, each checking first. */
function guardState(state: object, name: string, check: (name: string) => void): object {
  const out: Record<string, unknown> = {};
  for (let p: object | null = state; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const m of Object.getOwnPropertyNames(p)) {
      const f = (state as Record<string, unknown>)[m];
      if (m === 'constructor' || m in out || typeof f !== 'function') continue;
      out[m] = (...args: unknown[]) => {
        check(name);
        return (f as (...a: unknown[]) => unknown).apply(state, args);
      };
    }
  }
  return out;
}

