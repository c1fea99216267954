/**
 * What travels on a channel, in FIFO order: frames of records and in-band
 * control events — checkpoint barriers and end-of-partition (watermarks join
 * this union). Each buffer, data or event, costs one credit.
 */

export interface RecordFrame {
  readonly kind: 'records';
  readonly values: unknown[];
  /** Event timestamps by position; absent when no record in the frame has one. */
  readonly timestamps: (number | undefined)[] | undefined;
}

export interface EndOfPartition {
  readonly kind: 'end-of-partition';
}

/** Checkpoint n's marker: everything before it on a channel belongs to checkpoint n. */
export interface CheckpointBarrier {
  readonly kind: 'barrier';
  readonly checkpointId: number;
  readonly timestamp: number;
  /** A savepoint; `terminate`: sources stop emitting after it (stop-with-savepoint). */
  readonly savepoint: boolean;
  readonly terminate: boolean;
  /** Where a savepoint's files go (a directory); checkpoints use the job's storage. */
  readonly target?: string;
}

export type ChannelEvent = EndOfPartition | CheckpointBarrier;
export type ChannelBuffer = RecordFrame | ChannelEvent;

export const END_OF_PARTITION: EndOfPartition = Object.freeze({ kind: 'end-of-partition' });
