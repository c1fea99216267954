/**
 * The in-process channel transport: buffers and credits go to the
 * receiving subtask's actor by reference (no copies, no encoding), as
 * DeliverBuffer / GrantCredit messages; a broken channel fails the subtask
 * at that end. nact keeps per-sender FIFO order, so each channel stays FIFO.
 * One instance per job attempt: sends of a replaced attempt reach that
 * attempt's stopped actors, never the new ones.
 */
import type { SubtaskId } from '../lib/graph/ExecutionGraph';
import type { ChannelBuffer } from '../lib/transport/ChannelBuffer';
import type { ChannelAddress, ChannelTransport } from '../lib/transport/ChannelTransport';
import { tell, type SubtaskMsg, type TRef } from './protocol';

export class LocalChannelTransport implements ChannelTransport {
  /** Resolved refs per channel end, so the hot path does no lookups by name. */
  private readonly consumers = new WeakMap<ChannelAddress, TRef<SubtaskMsg>>();
  private readonly producers = new WeakMap<ChannelAddress, TRef<SubtaskMsg>>();

  /** @param resolve the actor of a subtask of this attempt */
  constructor(private readonly resolve: (id: SubtaskId) => TRef<SubtaskMsg>) {}

  sendBuffer(channel: ChannelAddress, buffer: ChannelBuffer): void {
    let ref = this.consumers.get(channel);
    if (ref === undefined) this.consumers.set(channel, (ref = this.resolve(channel.consumer)));
    tell(ref, { type: 'DeliverBuffer', channel: channel.consumerChannel, buffer });
  }

  sendCredit(channel: ChannelAddress, credits: number): void {
    let ref = this.producers.get(channel);
    if (ref === undefined) this.producers.set(channel, (ref = this.resolve(channel.producer)));
    tell(ref, { type: 'GrantCredit', channel: channel.producerChannel, credits });
  }

  breakChannel(channel: ChannelAddress, end: 'producer' | 'consumer', error: Error): void {
    tell(this.resolve(end === 'producer' ? channel.producer : channel.consumer), { type: 'Fail', error });
  }
}
