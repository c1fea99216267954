/**
 * The one seam every channel crosses: a subtask hands its buffers (data
 * frames and in-band events) and the credits it returns to a channel
 * transport, which delivers them to the subtask at the other end — in this
 * process by reference (no copies), or to another node process over TCP.
 * Test faults (delays, lost buffers) are a decorator on this seam.
 *
 * Guarantees a transport must keep: per channel and direction, FIFO order
 * (a barrier never overtakes the frames before it); nothing is duplicated;
 * a buffer or credit it cannot deliver breaks the channel (the subtask at
 * that end fails and the job restores), never disappears silently.
 *
 * Channels are named, on both ends and on the wire, by
 * (source vertex, source index, target vertex, target index) plus the job
 * edge: two edges may join the same pair of subtasks (a stream unioned or
 * connected with itself). Each end also knows the channel by its own number
 * (the producer's output channel, the consumer's input channel; see
 * ExecutionGraph); both are derived from the same job graph.
 */
import type { ExecutionVertex, SubtaskId } from '../graph/ExecutionGraph';
import type { ChannelBuffer } from './ChannelBuffer';

/** A channel's name: plain data, the same in every process of a job. */
export interface ChannelName {
  readonly sourceVertex: number;
  readonly sourceIndex: number;
  readonly targetVertex: number;
  readonly targetIndex: number;
  /** The job edge the channel belongs to. */
  readonly edge: number;
}

/** A channel as both ends know it: its name and each end's channel number. */
export interface ChannelAddress {
  readonly name: ChannelName;
  readonly producer: SubtaskId;
  /** The producer's output channel number: credits are returned to it. */
  readonly producerChannel: number;
  readonly consumer: SubtaskId;
  /** The consumer's input channel number: buffers are addressed to it. */
  readonly consumerChannel: number;
}

export interface ChannelTransport {
  /** Delivers a data frame or event to the consumer of `channel`; FIFO per channel. */
  sendBuffer(channel: ChannelAddress, buffer: ChannelBuffer): void;
  /** Returns `credits` (frames) to the producer of `channel`; FIFO per channel. */
  sendCredit(channel: ChannelAddress, credits: number): void;
  /**
   * The channel lost a buffer or credit (a lost connection, an injected
   * drop): the subtask at `end` fails with `error`, as Flink fails a task
   * whose partition connection broke.
   */
  breakChannel(channel: ChannelAddress, end: 'producer' | 'consumer', error: Error): void;
}

/** The addresses of a subtask's output channels, by producer channel number. */
export function outputChannelAddresses(subtask: ExecutionVertex): ChannelAddress[] {
  const out: ChannelAddress[] = [];
  for (const partition of subtask.outputs) {
    partition.channels.forEach((c, i) => {
      out[partition.firstChannel + i] = address(partition.edgeId, subtask.id, partition.firstChannel + i, c.consumer, c.consumerChannel);
    });
  }
  return out;
}

/** The addresses of a subtask's input channels, by consumer channel number. */
export function inputChannelAddresses(subtask: ExecutionVertex): ChannelAddress[] {
  return subtask.inputs.map((c, i) => address(c.edgeId, c.producer, c.producerChannel, subtask.id, i));
}

/** "edge 3: 1#0 → 2#1", for logs and errors. */
export function describeChannel(name: ChannelName): string {
  return `edge ${name.edge}: ${name.sourceVertex}#${name.sourceIndex} → ${name.targetVertex}#${name.targetIndex}`;
}

function address(edge: number, producer: SubtaskId, producerChannel: number, consumer: SubtaskId, consumerChannel: number): ChannelAddress {
  return {
    name: { sourceVertex: producer.vertexId, sourceIndex: producer.index, targetVertex: consumer.vertexId, targetIndex: consumer.index, edge },
    producer,
    producerChannel,
    consumer,
    consumerChannel,
  };
}
