/**
 * process on a (not keyed) stream connected with a broadcast stream
 * (Flink's CoBroadcastWithNonKeyedOperator): input 1 is the stream's
 * records, handed to `processElement` with the broadcast state read-only;
 * input 2 is the broadcast stream (every subtask gets every record), handed
 * to `processBroadcastElement`, the only place broadcast state is written
 * (BroadcastStateStore). Broadcast state is checkpointed per subtask and
 * restored at any parallelism (one copy per new subtask).
 *
 * The operator's watermark is the minimum of both inputs'
 * (AbstractTwoInputStreamOperator). What the function emits is copied
 * (unless object reuse is on). A Promise from either method, open or close
 * fails the job.
 */
import type { BroadcastProcessFunction } from '../api/broadcastFunctions';
import { copyFunctionObject, type Collector } from '../api/functions';
import type { OutputTag } from '../api/OutputTag';
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import { isThenable } from '../errors';
import { BroadcastStateStore } from '../state/BroadcastState';
import type { MapStateDescriptor } from '../state/StateDescriptor';
import { AbstractTwoInputStreamOperator } from './AbstractTwoInputStreamOperator';
import { BroadcastContextImpl, ReadOnlyContextImpl, type BroadcastHost } from './broadcastContexts';
import type { Input, OperatorContext } from './StreamOperator';

export class CoBroadcastWithNonKeyedOperator<I1, I2, O>
  extends AbstractTwoInputStreamOperator<I1, I2, O>
  implements Collector<O>, BroadcastHost
{
  private readonly fn: BroadcastProcessFunction<I1, I2, O>;
  readonly broadcastStates: BroadcastStateStore;
  timestamp: number | undefined;
  private readonly readOnlyContext = new ReadOnlyContextImpl(this);
  private readonly broadcastContext = new BroadcastContextImpl(this);

  constructor(fn: BroadcastProcessFunction<I1, I2, O>, descriptors: readonly MapStateDescriptor<any, any>[]) {
    super();
    this.fn = copyFunctionObject(fn);
    this.broadcastStates = new BroadcastStateStore(descriptors);
  }

  initializeState(restored: OperatorRestoreState | undefined): void {
    this.broadcastStates.initializeState(restored);
  }

  override open(ctx: OperatorContext, next: Input<O>): void {
    super.open(ctx, next);
    this.broadcastStates.open(ctx.location.subtaskIndex, ctx.objectReuse);
    const r: unknown = this.fn.open?.(ctx.runtimeContext);
    if (isThenable(r)) throw this.asyncResult(r, 'open() method', undefined, 'open');
  }

  processElement1(value: I1, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    let r: unknown;
    try {
      r = this.fn.processElement(value, this.readOnlyContext, this);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'processElement() method', value);
  }

  processElement2(value: I2, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    let r: unknown;
    const states = this.broadcastStates;
    states.writable = true;
    try {
      r = this.fn.processBroadcastElement(value, this.broadcastContext, this);
    } catch (e) {
      throw this.userError(e, value);
    } finally {
      states.writable = false;
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'processBroadcastElement() method', value);
  }

  snapshotState(): Record<string, unknown[]> {
    return this.broadcastStates.snapshotState();
  }

  collect(value: O): void {
    this.emitKept(value, this.timestamp);
  }

  output<X>(tag: OutputTag<X>, value: X): void {
    this.emitKeptTo(tag, value, this.timestamp);
  }

  processingTime(): number {
    return this.ctx.clock.now();
  }

  watermark(): number {
    return this.currentWatermark;
  }

  override close(): void {
    const r: unknown = this.fn.close?.();
    if (isThenable(r)) throw this.asyncResult(r, 'close() method', undefined, 'close');
  }
}
