/**
 * The sink contract (Flink's Sink V2 writer, simplified): each sink subtask
 * gets a SinkWriter. `write` may return a promise; the subtask then waits for
 * it before taking more input, so a slow sink back-pressures the job instead
 * of buffering without bound. `flush(true)` is called once at the end of
 * bounded input, then `close()`.
 *
 * A sink may also have an OperatorCoordinator: one object in the job master
 * that receives events from the writers (`ctx.sendToCoordinator`) and whose
 * `result()` the JobResult reports under the sink's uid. executeAndCollect()
 * is built on that.
 */
import type { Clock } from '../time/Clock';

export interface SinkWriterContext {
  readonly timestamp: number | undefined;
}

export interface SinkInitContext {
  readonly indexOfSubtask: number;
  readonly parallelism: number;
  readonly operatorUid: string;
  readonly clock: Clock;
  /** Sends an event to this sink's coordinator in the job master (FIFO per subtask). */
  sendToCoordinator(event: unknown): void;
}

export interface SinkWriter<T> {
  write(value: T, ctx: SinkWriterContext): void | Promise<void>;
  flush?(endOfInput: boolean): void | Promise<void>;
  close?(): void | Promise<void>;
}

export interface OperatorCoordinator {
  handleEvent(subtaskIndex: number, event: unknown): void;
  /** What the JobResult reports for this operator, if anything. */
  result?(): unknown;
}

export interface Sink<T> {
  createWriter(ctx: SinkInitContext): SinkWriter<T>;
  createCoordinator?(): OperatorCoordinator;
}

/** A sink given as a plain function, called for every record. */
export type SinkFunction<T> = (value: T, ctx: SinkWriterContext) => void | Promise<void>;

export function toSink<T>(sink: Sink<T> | SinkFunction<T>): Sink<T> {
  if (typeof sink === 'function') return { createWriter: () => ({ write: sink }) };
  if (sink && typeof sink.createWriter === 'function') return sink;
  throw new TypeError('sinkTo() needs a Sink (an object with createWriter) or a function (value) => void');
}
