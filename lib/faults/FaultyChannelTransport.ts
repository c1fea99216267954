/**
 * A channel transport decorator that injects channel faults: each buffer or
 * credit a subtask sends is delivered, delayed, or lost, as `decide` says
 * (a SubtaskFaults decision). Delays keep each channel FIFO: a delayed
 * send holds back every later send of that channel and direction until it
 * is out, as a slow link would. A lost send breaks the channel, so the
 * receiving subtask fails — the failure a real network loss causes — rather
 * than the loss going unnoticed.
 */
import type { ChannelBuffer } from '../transport/ChannelBuffer';
import type { ChannelAddress, ChannelTransport } from '../transport/ChannelTransport';
import type { SendDecision } from './SubtaskFaults';

export interface DelayTimers {
  /** Now, in ms on the job's clock. */
  now(): number;
  /** Runs `fn` after `ms`; the owner cancels pending ones when the subtask goes away. */
  after(ms: number, fn: () => void): void;
}

export class FaultyChannelTransport implements ChannelTransport {
  /** Per channel and direction: sends held back, in order, each with the time it is due. */
  private readonly lines = new Map<string, { due: number; deliver: () => void }[]>();

  constructor(
    private readonly inner: ChannelTransport,
    private readonly decide: (channel: ChannelAddress, what: 'data' | 'credit') => SendDecision,
    private readonly timers: DelayTimers,
  ) {}

  sendBuffer(channel: ChannelAddress, buffer: ChannelBuffer): void {
    this.send(channel, 'data', () => this.inner.sendBuffer(channel, buffer));
  }

  sendCredit(channel: ChannelAddress, credits: number): void {
    this.send(channel, 'credit', () => this.inner.sendCredit(channel, credits));
  }

  breakChannel(channel: ChannelAddress, end: 'producer' | 'consumer', error: Error): void {
    this.inner.breakChannel(channel, end, error);
  }

  private send(channel: ChannelAddress, what: 'data' | 'credit', deliver: () => void): void {
    const decision = this.decide(channel, what);
    if (decision !== undefined && 'error' in decision) {
      return this.inner.breakChannel(channel, what === 'data' ? 'consumer' : 'producer', decision.error);
    }
    const n = channel.name;
    const key = `${what}:${n.edge}:${n.sourceVertex}#${n.sourceIndex}:${n.targetVertex}#${n.targetIndex}`;
    const line = this.lines.get(key);
    if (decision === undefined && line === undefined) return deliver();
    const delayMs = decision?.delayMs ?? 0;
    const queue = line ?? [];
    const due = this.timers.now() + delayMs;
    queue.push({ due: Math.max(due, queue.length > 0 ? queue[queue.length - 1].due : 0), deliver });
    if (line !== undefined) return;
    this.lines.set(key, queue);
    const drain = () => {
      while (queue.length > 0 && queue[0].due <= this.timers.now()) queue.shift()!.deliver();
      if (queue.length === 0) this.lines.delete(key);
      else this.timers.after(queue[0].due - this.timers.now(), drain);
    };
    this.timers.after(delayMs, drain);
  }
}
