/**
 * Barrier alignment for one subtask's input channels, as a state machine
 * (Flink's SingleCheckpointBarrierHandler / CheckpointBarrierTracker).
 *
 * Exactly-once: a channel that delivered barrier n is blocked — its later
 * buffers stay queued, keeping their credit — until barrier n arrived on
 * every channel that has not ended; then the subtask snapshots and all
 * channels are released. At-least-once: nothing is blocked; the snapshot is
 * taken once barrier n arrived on every open channel, so records after the
 * barrier on a fast channel may be in it (duplicates on replay, never loss).
 *
 * A channel that ends (end of partition) stops counting: alignment never
 * waits for a barrier that cannot come. A newer barrier subsumes a pending
 * alignment; an abort from the coordinator cancels it; barriers of an
 * alignment already finished or cancelled are ignored. Every path releases
 * blocked channels: alignment cannot hang the subtask.
 *
 * The handler returns actions for the task to apply, in order.
 */
import type { CheckpointBarrier } from '../transport/ChannelBuffer';

export type CheckpointingMode = 'exactly-once' | 'at-least-once';

export type BarrierAction =
  | { readonly kind: 'block'; readonly channel: number }
  | { readonly kind: 'unblock-all' }
  | { readonly kind: 'snapshot'; readonly barrier: CheckpointBarrier; readonly alignmentMs: number }
  | { readonly kind: 'cancelled'; readonly checkpointId: number; readonly reason: 'SUBSUMED' | 'ABORTED' };

interface Alignment {
  readonly barrier: CheckpointBarrier;
  readonly received: Set<number>;
  readonly startedAt: number;
}

const NONE: readonly BarrierAction[] = [];

export class BarrierHandler {
  private pending: Alignment | undefined;
  /** Highest checkpoint id this handler started, finished or saw aborted. */
  private latest = 0;
  private readonly ended = new Set<number>();

  constructor(
    readonly numberOfChannels: number,
    readonly mode: CheckpointingMode,
    private readonly now: () => number,
  ) {}

  /** The checkpoint being aligned, if any. */
  get pendingCheckpoint(): number | undefined {
    return this.pending?.barrier.checkpointId;
  }

  onBarrier(channel: number, barrier: CheckpointBarrier): readonly BarrierAction[] {
    const id = barrier.checkpointId;
    const pending = this.pending;
    if (pending ? id < pending.barrier.checkpointId : id <= this.latest) return NONE; // obsolete
    const actions: BarrierAction[] = [];
    if (pending && id > pending.barrier.checkpointId) actions.push(...this.cancel('SUBSUMED'));
    if (this.pending === undefined) {
      this.pending = { barrier, received: new Set(), startedAt: this.now() };
      this.latest = id;
    }
    const current = this.pending!;
    if (current.received.has(channel)) return actions; // a duplicate barrier on one channel changes nothing
    current.received.add(channel);
    if (this.mode === 'exactly-once') actions.push({ kind: 'block', channel });
    actions.push(...this.completeIfAligned());
    return actions;
  }

  onEndOfPartition(channel: number): readonly BarrierAction[] {
    this.ended.add(channel);
    return this.completeIfAligned();
  }

  /** The coordinator aborted checkpoint `checkpointId`: drop its alignment (or an older one). */
  abort(checkpointId: number): readonly BarrierAction[] {
    if (checkpointId > this.latest) this.latest = checkpointId;
    if (this.pending && this.pending.barrier.checkpointId <= checkpointId) return this.cancel('ABORTED');
    return NONE;
  }

  private completeIfAligned(): readonly BarrierAction[] {
    const p = this.pending;
    if (p === undefined) return NONE;
    for (let c = 0; c < this.numberOfChannels; c++) if (!p.received.has(c) && !this.ended.has(c)) return NONE;
    this.pending = undefined;
    const snapshot: BarrierAction = { kind: 'snapshot', barrier: p.barrier, alignmentMs: this.now() - p.startedAt };
    return this.mode === 'exactly-once' ? [snapshot, { kind: 'unblock-all' }] : [snapshot];
  }

  private cancel(reason: 'SUBSUMED' | 'ABORTED'): BarrierAction[] {
    const p = this.pending!;
    this.pending = undefined;
    const cancelled: BarrierAction = { kind: 'cancelled', checkpointId: p.barrier.checkpointId, reason };
    return this.mode === 'exactly-once' ? [cancelled, { kind: 'unblock-all' }] : [cancelled];
  }
}
