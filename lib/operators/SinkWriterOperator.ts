/**
 * The operator at the end of a sinkTo(): hands records to the sink's writer,
 * deferring the task on writes that return a promise. A rejected write fails
 * the job like a throw, attributed to the sink and the record.
 */
import type { Sink, SinkWriter } from '../connectors/Sink';
import { AbstractStreamOperator, type Input, type OperatorContext } from './StreamOperator';

export class SinkWriterOperator<T> extends AbstractStreamOperator<T, never> {
  private writer!: SinkWriter<T>;
  private readonly writeCtx = { timestamp: undefined as number | undefined };

  constructor(private readonly sink: Sink<T>) {
    super();
  }
  override open(ctx: OperatorContext, next: Input<never>): void {
    super.open(ctx, next);
    this.writer = this.sink.createWriter({
      indexOfSubtask: ctx.location.subtaskIndex,
      parallelism: ctx.location.parallelism,
      operatorUid: ctx.location.uid,
      clock: ctx.clock,
      sendToCoordinator: (e) => ctx.sendOperatorEvent(e),
    });
  }
  processElement(value: T, timestamp: number | undefined): void {
    this.recordsIn++;
    this.writeCtx.timestamp = timestamp;
    let r: unknown;
    try {
      r = this.writer.write(value, this.writeCtx);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (isPromiseLike(r)) {
      const position = this.recordsIn;
      this.ctx.defer(
        r.then(undefined, (e: unknown) => {
          throw this.userError(e, value, position);
        }),
      );
    }
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
