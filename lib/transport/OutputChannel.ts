/**
 * The producer end of one channel: batches records into frames and sends a
 * buffer only while it holds a credit (Flink's credit-based flow control).
 * A finished frame without credit waits in the backlog; a non-empty backlog
 * makes the channel unavailable, which stops the task from taking input —
 * that is how back-pressure travels upstream to the sources.
 *
 * A frame is finished when it holds `frameSize` records, when an event must
 * follow it, or when the task flushes (buffer timeout, end of input).
 */
import type { ChannelBuffer, ChannelEvent, RecordFrame } from './ChannelBuffer';

export type SendBuffer = (buffer: ChannelBuffer) => void;

export class OutputChannel {
  private values: unknown[] = [];
  private timestamps: (number | undefined)[] | undefined;
  private readonly backlog: ChannelBuffer[] = [];
  private credits: number;
  /** Buffers handed to `send` so far. */
  sent = 0;

  constructor(
    readonly id: number,
    initialCredits: number,
    private readonly frameSize: number,
    private readonly send: SendBuffer,
  ) {
    this.credits = initialCredits;
  }

  add(value: unknown, timestamp: number | undefined): void {
    const n = this.values.push(value);
    if (timestamp !== undefined || this.timestamps !== undefined) {
      if (this.timestamps === undefined) this.timestamps = new Array(n - 1).fill(undefined);
      this.timestamps.push(timestamp);
    }
    if (n >= this.frameSize) this.finishFrame();
  }

  /** Finishes the current frame, then queues the event behind it. */
  addEvent(event: ChannelEvent): void {
    this.finishFrame();
    this.enqueue(event);
  }

  /** Finishes a partly filled frame (buffer timeout, end of input). */
  flush(): void {
    if (this.values.length > 0) this.finishFrame();
  }

  addCredit(n: number): void {
    this.credits += n;
    while (this.credits > 0 && this.backlog.length > 0) {
      this.credits--;
      this.sent++;
      this.send(this.backlog.shift()!);
    }
  }

  /** True while nothing waits for credit. */
  get isAvailable(): boolean {
    return this.backlog.length === 0;
  }

  get availableCredits(): number {
    return this.credits;
  }

  get backlogSize(): number {
    return this.backlog.length;
  }

  /** Records in the partly filled frame. */
  get pendingRecords(): number {
    return this.values.length;
  }

  private finishFrame(): void {
    if (this.values.length === 0) return;
    const frame: RecordFrame = { kind: 'records', values: this.values, timestamps: this.timestamps };
    this.values = [];
    this.timestamps = undefined;
    this.enqueue(frame);
  }

  private enqueue(buffer: ChannelBuffer): void {
    if (this.credits > 0 && this.backlog.length === 0) {
      this.credits--;
      this.sent++;
      this.send(buffer);
    } else {
      this.backlog.push(buffer);
    }
  }
}
