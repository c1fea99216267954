/**
 * process on a keyed stream: sets the current key from the record (so keyed
 * state reads and writes that key's entry) and runs a KeyedProcessFunction.
 */
import { copyFunctionObject, type Collector, type KeyedProcessContext, type KeyedProcessFunction, type KeySelector } from '../api/functions';
import { normalizeKey, type Key } from '../state/KeyGroup';
import { AbstractStreamOperator, type OperatorContext, type Output } from './StreamOperator';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';

export class KeyedProcessOperator<K extends Key, I, O>
  extends AbstractStreamOperator<I, O>
  implements Collector<O>, KeyedProcessContext<K>
{
  private readonly fn: KeyedProcessFunction<K, I, O>;
  private backend!: HeapKeyedStateBackend;
  private key!: K;
  timestamp: number | undefined;

  constructor(private readonly keySelector: KeySelector<I, K>, fn: KeyedProcessFunction<K, I, O>) {
    super();
    this.fn = copyFunctionObject(fn);
  }
  override open(ctx: OperatorContext, output: Output<O>): void {
    super.open(ctx, output);
    this.backend = ctx.keyedStateBackend!;
    this.fn.open?.(ctx.runtimeContext);
  }
  processElement(value: I, timestamp: number | undefined): void {
    this.key = this.keySelector(value);
    this.backend.setCurrentKey(normalizeKey(this.key));
    this.timestamp = timestamp;
    this.fn.processElement(value, this, this);
  }
  getCurrentKey(): K {
    return this.key;
  }
  collect(value: O): void {
    this.output.collect(value, this.timestamp);
  }
  override close(): void {
    this.fn.close?.();
  }
}
