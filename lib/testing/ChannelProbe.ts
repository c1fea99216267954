/**
 * Observes channel traffic from outside the protocol: counts, per consumer
 * subtask, buffers sent to it (at the producer's dispatch) and buffers it
 * has processed, and keeps the largest difference ever seen — frames in the
 * consumer's mailbox or input queue. The bounded-mailbox property compares
 * that peak with the credits the consumer grants.
 */
import type { SubtaskId } from '../graph/ExecutionGraph';
import type { ChannelProbe } from '../transport/ChannelProbe';

export type { ChannelProbe } from '../transport/ChannelProbe';

export class MailboxProbe implements ChannelProbe {
  private readonly held = new Map<string, number>();
  private readonly peak = new Map<string, number>();
  sent = 0;
  processed = 0;

  bufferSent(consumer: SubtaskId): void {
    const k = key(consumer);
    const h = (this.held.get(k) ?? 0) + 1;
    this.held.set(k, h);
    if (h > (this.peak.get(k) ?? 0)) this.peak.set(k, h);
    this.sent++;
  }

  bufferProcessed(consumer: SubtaskId): void {
    const k = key(consumer);
    this.held.set(k, (this.held.get(k) ?? 0) - 1);
    this.processed++;
  }

  /** Peak undelivered-or-unprocessed buffers per consumer, "vertexId#index" → count. */
  peaks(): ReadonlyMap<string, number> {
    return this.peak;
  }

  /** Buffers sent and never processed, per consumer (all zero after a clean finish). */
  outstanding(): ReadonlyMap<string, number> {
    return this.held;
  }
}

export function subtaskKey(id: SubtaskId): string {
  return key(id);
}

function key(id: SubtaskId): string {
  return `${id.vertexId}#${id.index}`;
}
