/**
 * Combines the watermarks and watermark statuses of a subtask's input
 * channels into the subtask's own (Flink's StatusWatermarkValve), as a pure
 * state machine: each input returns the outputs to forward, in order.
 *
 * Guarantees:
 * - Output watermarks strictly increase; the valve never emits one at or
 *   below the last.
 * - While the valve is ACTIVE, the output is the minimum over the channels
 *   that are ACTIVE and aligned. A channel that becomes ACTIVE again behind
 *   the output is "unaligned": it cannot pull the output back, and it is left
 *   out of the minimum until its watermark catches up with the output.
 * - Watermarks are per channel monotone: a lower or equal one is ignored, and
 *   so is any watermark arriving on an IDLE channel (as in Flink).
 * - When every open channel is IDLE the valve emits IDLE, after flushing the
 *   highest watermark of those channels if it is above the output (Flink
 *   1.15+), so event time still completes on a quiet input. The first channel
 *   to become ACTIVE again makes the valve emit ACTIVE.
 * - A finished channel (end of partition) never holds event time back, as if
 *   it stood at +Infinity, and never keeps the valve ACTIVE: with the other
 *   channels idle, the valve is IDLE. When every channel has finished, the
 *   valve emits +Infinity (after ACTIVE if it was idle), so every event-time
 *   timer fires.
 *
 * Where this differs from Flink, it only emits sooner: Flink recomputes the
 * minimum when a watermark arrives but not when a channel becomes ACTIVE and
 * aligned again, and it flushes on going idle only when the last channel to
 * go idle stood at the output. Here the output after every input is exactly
 * what the rules above give, which a reference model can check.
 *
 * Channels are few (a subtask's upstream parallelism), so the minimum is a
 * scan; Flink keeps a heap.
 */
import type { WatermarkStatus } from './Watermark';

export type ValveOutput =
  | { readonly kind: 'watermark'; readonly timestamp: number }
  | { readonly kind: 'status'; readonly status: WatermarkStatus };

interface ChannelState {
  /** Highest watermark received, in ms; -Infinity before the first. */
  watermark: number;
  status: WatermarkStatus;
  /** ACTIVE and not behind the output; the only channels in the minimum. */
  aligned: boolean;
  finished: boolean;
}

const NONE: readonly ValveOutput[] = [];

export class WatermarkValve {
  private readonly channels: ChannelState[];
  private lastWatermark = Number.NEGATIVE_INFINITY;
  private lastStatus: WatermarkStatus = 'ACTIVE';
  private finished = 0;

  constructor(readonly numberOfChannels: number) {
    if (!Number.isInteger(numberOfChannels) || numberOfChannels < 1) {
      throw new RangeError(`a WatermarkValve needs at least one channel, got ${numberOfChannels}`);
    }
    this.channels = Array.from({ length: numberOfChannels }, () => ({
      watermark: Number.NEGATIVE_INFINITY,
      status: 'ACTIVE' as WatermarkStatus,
      aligned: true,
      finished: false,
    }));
  }

  /** The last watermark emitted, in ms; -Infinity before the first. */
  get currentWatermark(): number {
    return this.lastWatermark;
  }

  /** The last status emitted; ACTIVE at the start. */
  get currentStatus(): WatermarkStatus {
    return this.lastStatus;
  }

  /** A watermark (event time in ms) arrived on `channel`. */
  inputWatermark(channel: number, watermark: number): readonly ValveOutput[] {
    const c = this.channel(channel);
    if (Number.isNaN(watermark)) throw new RangeError(`watermark on channel ${channel} is NaN`);
    if (c.finished || c.status === 'IDLE' || watermark <= c.watermark) return NONE;
    c.watermark = watermark;
    if (!c.aligned && watermark >= this.lastWatermark) c.aligned = true; // caught up
    const out: ValveOutput[] = [];
    this.emitMinOfAligned(out);
    return out;
  }

  /** `channel` became IDLE or ACTIVE; a repeated status changes nothing. */
  inputWatermarkStatus(channel: number, status: WatermarkStatus): readonly ValveOutput[] {
    const c = this.channel(channel);
    if (status !== 'ACTIVE' && status !== 'IDLE') throw new RangeError(`unknown watermark status ${String(status)}`);
    if (c.finished || c.status === status) return NONE;
    const out: ValveOutput[] = [];
    c.status = status;
    if (status === 'IDLE') {
      c.aligned = false;
      if (this.hasActiveChannel()) this.emitMinOfAligned(out);
      else this.becomeIdle(out);
    } else {
      c.aligned = c.watermark >= this.lastWatermark;
      this.becomeActive(out);
      this.emitMinOfAligned(out);
    }
    return out;
  }

  /** `channel` ended (end of partition): nothing more arrives on it. */
  channelFinished(channel: number): readonly ValveOutput[] {
    const c = this.channel(channel);
    if (c.finished) return NONE;
    c.finished = true;
    c.aligned = false;
    this.finished++;
    const out: ValveOutput[] = [];
    if (this.finished === this.numberOfChannels) {
      this.becomeActive(out);
      this.emit(Number.POSITIVE_INFINITY, out);
    } else if (this.lastStatus === 'ACTIVE') {
      if (this.hasActiveChannel()) this.emitMinOfAligned(out);
      else this.becomeIdle(out);
    }
    return out;
  }

  private channel(channel: number): ChannelState {
    const c = Number.isInteger(channel) ? this.channels[channel] : undefined;
    if (c === undefined) {
      throw new RangeError(`channel ${channel} does not exist: this valve has channels 0..${this.numberOfChannels - 1}`);
    }
    return c;
  }

  private hasActiveChannel(): boolean {
    return this.channels.some((c) => !c.finished && c.status === 'ACTIVE');
  }

  private emitMinOfAligned(out: ValveOutput[]): void {
    if (this.lastStatus === 'IDLE') return;
    let min = Number.POSITIVE_INFINITY;
    let any = false;
    for (const c of this.channels) {
      if (c.aligned && c.watermark < min) min = c.watermark;
      any ||= c.aligned;
    }
    if (any) this.emit(min, out);
  }

  /** Every open channel is idle: flush their highest watermark, then go IDLE. */
  private becomeIdle(out: ValveOutput[]): void {
    let max = Number.NEGATIVE_INFINITY;
    for (const c of this.channels) if (!c.finished && c.watermark > max) max = c.watermark;
    this.emit(max, out);
    this.lastStatus = 'IDLE';
    out.push({ kind: 'status', status: 'IDLE' });
  }

  private becomeActive(out: ValveOutput[]): void {
    if (this.lastStatus === 'ACTIVE') return;
    this.lastStatus = 'ACTIVE';
    out.push({ kind: 'status', status: 'ACTIVE' });
  }

  private emit(watermark: number, out: ValveOutput[]): void {
    if (watermark <= this.lastWatermark) return;
    this.lastWatermark = watermark;
    out.push({ kind: 'watermark', timestamp: watermark });
  }
}
