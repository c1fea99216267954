/**
 * Partitioners: which downstream channel(s) a record goes to (Flink's
 * StreamPartitioner). `hash` sends a key to the subtask owning its key group,
 * so keyed state and routing agree; `rebalance` is round-robin from a random
 * start; `shuffle` is uniformly random; `broadcast` is every channel;
 * `forward` is the one local channel. Randomness is injected.
 */
import type { KeySelector } from '../api/functions';
import { assignToKeyGroup, normalizeKey, operatorIndexForKeyGroup } from '../state/KeyGroup';

export type PartitionerSpec =
  | { readonly kind: 'forward' }
  | { readonly kind: 'rebalance' }
  | { readonly kind: 'shuffle' }
  | { readonly kind: 'broadcast' }
  | { readonly kind: 'hash'; readonly keySelector: KeySelector<any> };

/** Is every producer connected to every consumer (as opposed to pointwise i → i)? */
export function isAllToAll(spec: PartitionerSpec): boolean {
  return spec.kind !== 'forward';
}

export const BROADCAST = -1;

/** Returns a channel index, or BROADCAST for all channels. */
export type ChannelSelector = (value: unknown) => number;

export function createChannelSelector(
  spec: PartitionerSpec,
  numberOfChannels: number,
  maxParallelism: number,
  random: () => number,
): ChannelSelector {
  switch (spec.kind) {
    case 'forward':
      return () => 0;
    case 'broadcast':
      return () => BROADCAST;
    case 'shuffle':
      return () => Math.floor(random() * numberOfChannels);
    case 'rebalance': {
      let next = Math.floor(random() * numberOfChannels);
      return () => {
        const c = next;
        next = next + 1 === numberOfChannels ? 0 : next + 1;
        return c;
      };
    }
    case 'hash': {
      const select = spec.keySelector;
      return (value) =>
        operatorIndexForKeyGroup(maxParallelism, numberOfChannels, assignToKeyGroup(normalizeKey(select(value)), maxParallelism));
    }
  }
}
