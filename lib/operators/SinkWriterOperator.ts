/**
 * The operator at the end of a sinkTo(): hands records to the sink's writer,
 * deferring the task on writes that return a promise.
 */
import type { Sink, SinkWriter } from '../connectors/Sink';
import { AbstractStreamOperator, type OperatorContext, type Output } from './StreamOperator';

export class SinkWriterOperator<T> extends AbstractStreamOperator<T, never> {
  private writer!: SinkWriter<T>;
  private readonly writeCtx = { timestamp: undefined as number | undefined };

  constructor(private readonly sink: Sink<T>) {
    super();
  }
  override open(ctx: OperatorContext, output: Output<never>): void {
    super.open(ctx, output);
    this.writer = this.sink.createWriter({
      indexOfSubtask: ctx.location.subtaskIndex,
      parallelism: ctx.location.parallelism,
      operatorUid: ctx.location.uid,
      clock: ctx.clock,
      sendToCoordinator: (e) => ctx.sendOperatorEvent(e),
    });
  }
  processElement(value: T, timestamp: number | undefined): void {
    this.writeCtx.timestamp = timestamp;
    const r = this.writer.write(value, this.writeCtx);
    if (isPromiseLike(r)) this.ctx.defer(r);
  }
  override endInput(): void {
    const r = this.writer.flush?.(true);
    if (isPromiseLike(r)) this.ctx.defer(r);
  }
  override close(): void {
    const r = this.writer.close?.();
    if (isPromiseLike(r)) this.ctx.defer(r);
  }
}

function isPromiseLike(v: unknown): v is Promise<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
