/**
 * What travels on a channel, in FIFO order: frames of records and in-band
 * control events (end-of-partition now; checkpoint barriers and watermarks
 * join this union). Each buffer, data or event, costs one credit.
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

export type ChannelEvent = EndOfPartition;
export type ChannelBuffer = RecordFrame | ChannelEvent;

export const END_OF_PARTITION: EndOfPartition = Object.freeze({ kind: 'end-of-partition' });
