/**
 * process on a keyed stream: sets the current key from the record (so keyed
 * state reads and writes that key's entry) and runs a KeyedProcessFunction.
 * What the function emits is copied (unless object reuse is on), so a value
 * it emits and keeps in state can be changed in state later without
 * changing the emitted record. A Promise from processElement, open, close or
 * the key selector fails the job: an async processElement would run its
 * continuation under whatever key is current by then.
 */
import { copyFunctionObject, type Collector, type KeyedProcessContext, type KeyedProcessFunction, type KeySelector } from '../api/functions';
import { isThenable } from '../errors';
import { copyValue } from '../state/copyValue';
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
  private copyOutput = true;
  timestamp: number | undefined;

  constructor(private readonly keySelector: KeySelector<I, K>, fn: KeyedProcessFunction<K, I, O>) {
    super();
    this.fn = copyFunctionObject(fn);
  }
  override open(ctx: OperatorContext, next: Input<O>): void {
    super.open(ctx, next);
    this.backend = ctx.keyedStateBackend!;
    this.copyOutput = !ctx.objectReuse;
    const r: unknown = this.fn.open?.(ctx.runtimeContext);
    if (isThenable(r)) throw this.asyncResult(r, 'open() method', undefined, 'open');
  }
  processElement(value: I, timestamp: number | undefined): void {
    this.recordsIn++;
    this.timestamp = timestamp;
    let r: unknown;
    try {
      this.key = this.keySelector(value);
      this.backend.setCurrentKey(normalizeKey(this.key));
      r = this.fn.processElement(value, this, this);
    } catch (e) {
      throw this.userError(e, value);
    }
    if (r !== undefined && isThenable(r)) throw this.asyncResult(r, 'processElement() method', value);
  }
  getCurrentKey(): K {
    return this.key;
  }
  collect(value: O): void {
    this.next.processElement(this.copyOutput ? copyValue(value) : value, this.timestamp);
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.ctx.output?.(tag, this.copyOutput ? copyValue(value) : value, this.timestamp);
  }
  override close(): void {
    const r: unknown = this.fn.close?.();
    if (isThenable(r)) throw this.asyncResult(r, 'close() method', undefined, 'close');
  }
}
