/**
 * A named side output (Flink's OutputTag): a second stream an operator can
 * emit into besides its main output, of its own record type.
 *
 *   const late = new OutputTag<Order>('late');
 *   const main = orders.process({
 *     processElement(o, ctx, out) { if (o.late) ctx.output(late, o); else out.collect(o); },
 *   });
 *   main.getSideOutput(late).sinkTo(lateOrders);
 *
 * Tags are equal when their ids are: two `OutputTag`s with the same id name
 * the same side output. Records emitted with a tag that nothing consumes
 * are dropped, as in Flink.
 */
import { GraphValidationError } from '../errors';

export class OutputTag<T> {
  /**
   * @param id a non-empty name, unique per side output of the job
   * @throws GraphValidationError (INVALID_ARGUMENT) when `id` is not a non-empty string
   */
  constructor(readonly id: string) {
    if (typeof id !== 'string' || id.length === 0) {
      throw new GraphValidationError('INVALID_ARGUMENT', `an OutputTag needs a non-empty string id, got ${String(id)}`);
    }
  }

  toString(): string {
    return `OutputTag(${this.id})`;
  }

  declare readonly __type?: T;
}

/** True for an OutputTag (or an object of its shape from another copy of the library). */
export function isOutputTag(tag: unknown): tag is OutputTag<unknown> {
  return tag instanceof OutputTag || (typeof tag === 'object' && tag !== null && typeof (tag as { id?: unknown }).id === 'string');
}
