/**
 * An observer of channel traffic from outside the protocol (tests and
 * experiments; weir/testing's MailboxProbe implements it): told when a
 * buffer is sent to a consumer's channel and when the consumer processed
 * one, so the frames a consumer holds can be compared with its credits.
 */
import type { SubtaskId } from '../graph/ExecutionGraph';

export interface ChannelProbe {
  bufferSent(consumer: SubtaskId, channel: number): void;
  bufferProcessed(consumer: SubtaskId, channel: number): void;
}
