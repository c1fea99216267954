/**
 * process on a keyed stream: sets the current key from the record (so keyed
 * state reads and writes that key's entry) and runs a KeyedProcessFunction.
 */
import { copyFunctionObject, type Collector, type KeyedProcessContext, type KeyedProcessFunction, type KeySelector } from '../api/functions';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import { normalizeKey, type Key } from '../state/KeyGroup';
import type { OutputTag } from '../api/OutputTag';
import { AbstractStreamOperator, type Input, type OperatorContext } from './StreamOperator';

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
  override open(ctx: OperatorContext, next: Input<O>): void {
    super.open(ctx, next);
    this.backend = ctx.keyedStateBackend!;
    this.fn.open?.(ctx.runtimeContext);
  }
  processElement(value: I, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    try {
      this.key = this.keySelector(value);
      this.backend.setCurrentKey(normalizeKey(this.key));
      this.fn.processElement(value, this, this);
    } catch (e) {
      throw this.userError(e, value);
    }
  }
  getCurrentKey(): K {
    return this.key;
  }
  collect(value: O): void {
    this.next.processElement(value, this.timestamp);
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.ctx.output?.(tag, value, this.timestamp);
  }
  override close(): void {
    this.fn.close?.();
  }
}
