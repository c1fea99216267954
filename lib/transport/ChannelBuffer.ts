/**
 * What travels on a channel, in FIFO order: frames of records and in-band
 * control events — checkpoint barriers, watermarks and watermark status,
 * end-of-partition. Each buffer, data or event, costs one credit.
 */
import type { WatermarkStatus } from '../time/Watermark';

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

/** Event time on this channel has reached `timestamp` (ms; +Infinity at the end of input). */
export interface WatermarkEvent {
  readonly kind: 'watermark';
  readonly timestamp: number;
}

/** The producer went idle (no watermarks will hold this channel back) or became active again. */
export interface WatermarkStatusEvent {
  readonly kind: 'watermark-status';
  readonly status: WatermarkStatus;
}

export type ChannelEvent = EndOfPartition | CheckpointBarrier | WatermarkEvent | WatermarkStatusEvent;
export type ChannelBuffer = RecordFrame | ChannelEvent;

export const END_OF_PARTITION: EndOfPartition = Object.freeze({ kind: 'end-of-partition' });
