/**
 * The consumer end of all input channels of a subtask (Flink's InputGate).
 * Buffers are queued per channel and taken round-robin over channels that
 * have data and are not blocked. A processed buffer earns its producer a
 * credit back; credits are returned in batches of at least half the window,
 * which can never stall a producer (a producer with no credit means a whole
 * window is queued or processed here, so at least half a window is due).
 *
 * A producer that sends more than its credits allow breaks the protocol:
 * `receive` throws a ChannelProtocolError naming the channel.
 */
import { WeirError } from '../errors';
import type { ChannelBuffer } from './ChannelBuffer';

export class ChannelProtocolError extends WeirError {
  readonly code = 'CHANNEL_PROTOCOL';
}

interface ChannelState {
  queue: ChannelBuffer[];
  head: number;
  /** Received and not yet credited back. */
  outstanding: number;
  /** Processed and not yet credited back. */
  due: number;
  /** End of partition received (maybe not yet processed): nothing may follow it. */
  ended: boolean;
  finished: boolean;
  blocked: boolean;
}

export interface CreditReturn {
  readonly channel: number;
  readonly credits: number;
}

export class InputGate {
  private readonly channels: ChannelState[];
  private cursor = 0;
  private queued = 0;
  private finishedCount = 0;
  private readonly threshold: number;
  /** Most buffers ever queued at once (received, not yet processed). */
  maxQueued = 0;

  constructor(numberOfChannels: number, private readonly credits: number) {
    this.channels = Array.from({ length: numberOfChannels }, () => ({
      queue: [],
      head: 0,
      outstanding: 0,
      due: 0,
      ended: false,
      finished: false,
      blocked: false,
    }));
    this.threshold = Math.max(1, Math.ceil(credits / 2));
  }

  get numberOfChannels(): number {
    return this.channels.length;
  }

  /** Buffers received and not yet processed. */
  get queuedBuffers(): number {
    return this.queued;
  }

  /** Sum of the credits this gate grants over all channels. */
  get totalCredits(): number {
    return this.credits * this.channels.length;
  }

  get isFinished(): boolean {
    return this.finishedCount === this.channels.length;
  }

  receive(channel: number, buffer: ChannelBuffer): void {
    const c = this.channels[channel];
    if (c === undefined) throw new ChannelProtocolError(`buffer for unknown input channel ${channel}`);
    if (c.ended) throw new ChannelProtocolError(`buffer on input channel ${channel} after its end of partition`);
    if (c.outstanding + 1 > this.credits) {
      throw new ChannelProtocolError(`input channel ${channel} received more buffers than its ${this.credits} credits`);
    }
    c.outstanding++;
    if (buffer.kind === 'end-of-partition') c.ended = true;
    c.queue.push(buffer);
    if (++this.queued > this.maxQueued) this.maxQueued = this.queued;
  }

  /** The next buffer to process, or undefined if none is ready. */
  poll(): { channel: number; buffer: ChannelBuffer } | undefined {
    const n = this.channels.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.cursor + i) % n;
      const c = this.channels[idx];
      if (c.blocked || c.head === c.queue.length) continue;
      const buffer = c.queue[c.head];
      c.queue[c.head++] = undefined as unknown as ChannelBuffer;
      if (c.head === c.queue.length) {
        c.queue = [];
        c.head = 0;
      }
      this.queued--;
      this.cursor = idx + 1 === n ? 0 : idx + 1;
      if (buffer.kind === 'end-of-partition') {
        c.finished = true;
        this.finishedCount++;
      }
      return { channel: idx, buffer };
    }
    return undefined;
  }

  /** Whether poll() would return a buffer. */
  get hasReady(): boolean {
    for (const c of this.channels) if (!c.blocked && c.head < c.queue.length) return true;
    return false;
  }

  /** Marks one buffer of a channel processed; its credit becomes due. */
  processed(channel: number): void {
    this.channels[channel].due++;
  }

  /** Credits to return now (batches of at least half the window; all at end of partition). */
  takeCredits(): CreditReturn[] {
    const out: CreditReturn[] = [];
    for (let i = 0; i < this.channels.length; i++) {
      const c = this.channels[i];
      if (c.due >= this.threshold || (c.finished && c.due > 0)) {
        if (!c.finished) out.push({ channel: i, credits: c.due });
        c.outstanding -= c.due;
        c.due = 0;
      }
    }
    return out;
  }

  setBlocked(channel: number, blocked: boolean): void {
    this.channels[channel].blocked = blocked;
  }
}
