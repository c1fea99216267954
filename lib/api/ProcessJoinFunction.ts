/**
 * The user function of an interval join (Flink's ProcessJoinFunction):
 * called once per pair of a left and a right record with equal keys whose
 * timestamps are within the join's bounds.
 */
import type { Collector, RichFunction } from './functions';
import type { OutputTag } from './OutputTag';

/** What a ProcessJoinFunction learns about the pair (all times in ms). */
export interface ProcessJoinContext {
  /** The left record's event timestamp. */
  readonly leftTimestamp: number;
  /** The right record's event timestamp. */
  readonly rightTimestamp: number;
  /** The pair's timestamp, the later of the two: what `out.collect` gives the output record. */
  readonly timestamp: number;
  /** Emits `value` to the side output `tag`, with the pair's timestamp. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

export interface ProcessJoinFunction<IN1, IN2, OUT> extends RichFunction {
  processElement(left: IN1, right: IN2, ctx: ProcessJoinContext, out: Collector<OUT>): void;
}
