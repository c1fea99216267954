/**
 * A source fed by other actors. `new ActorSource(parent, name)` spawns an
 * ingress actor under `parent` at once; producers dispatch batches to
 * `source.ref` and receive an acknowledgement when the batch is accepted:
 *
 *   dispatch(source.ref, { type: 'Push', records, replyTo, seq })
 *     → { type: 'Accepted', seq } once the batch is queued for the job
 *     → { type: 'Refused', seq, reason } if the producer ignored back-pressure
 *   dispatch(source.ref, { type: 'End' })   // bounded input: the job's input ends
 *
 * `pushTo(ref, records)` does the round trip as a promise. The queue is
 * bounded (IngressBuffer): a producer that awaits each acknowledgement
 * waits while the job is behind. The source is non-parallel; records taken
 * by the job are not replayable (at-most-once across a restart).
 */
import { query, spawn, stop, type Ref } from 'nact';
import { IngressOverflowError } from '../lib/errors';
import { IngressBuffer, type IngressOptions } from '../lib/connectors/IngressBuffer';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext, SourceSplit } from '../lib/connectors/Source';
import { tell, type TRef } from './protocol';

export type IngressMsg<T> =
  | { readonly type: 'Push'; readonly records: readonly T[]; readonly replyTo?: Ref<IngressReply>; readonly seq?: number }
  | { readonly type: 'End' };

export type IngressReply =
  | { readonly type: 'Accepted'; readonly seq: number | undefined }
  | { readonly type: 'Refused'; readonly seq: number | undefined; readonly reason: string };

interface IngressSplit extends SourceSplit {
  /** Records the job had taken when the split was snapshotted. */
  readonly taken: number;
}

export class ActorSource<T> implements Source<T, IngressSplit> {
  readonly boundedness = 'CONTINUOUS_UNBOUNDED' as const;
  readonly maxParallelism = 1;
  readonly ref: TRef<IngressMsg<T>>;
  readonly buffer: IngressBuffer<T>;

  constructor(parent: Ref<any>, readonly name: string, options: IngressOptions = {}) {
    this.buffer = new IngressBuffer<T>(options);
    const buffer = this.buffer;
    this.ref = spawn(
      parent,
      (state: undefined, msg: IngressMsg<T>) => {
        if (msg.type === 'End') {
          buffer.end();
          return state;
        }
        const reply = (r: IngressReply) => msg.replyTo && tell(msg.replyTo as TRef<IngressReply>, r);
        try {
          buffer.offer(msg.records, () => reply({ type: 'Accepted', seq: msg.seq }));
        } catch (e) {
          if (!(e instanceof IngressOverflowError)) throw e;
          reply({ type: 'Refused', seq: msg.seq, reason: e.message });
        }
        return state;
      },
      `ingress-${name}`,
    ) as TRef<IngressMsg<T>>;
  }

  createSplits(): IngressSplit[] {
    return [{ splitId: `ingress-${this.name}`, taken: 0 }];
  }

  createReader(ctx: SourceReaderContext): SourceReader<T, IngressSplit> {
    const buffer = this.buffer;
    return {
      addSplits: () => {},
      pollNext(output: ReaderOutput<T>): InputStatus {
        for (const r of buffer.take(ctx.batchSizeHint)) output.collect(r);
        if (buffer.size > 0) return 'MORE_AVAILABLE';
        return buffer.isEnded ? 'END_OF_INPUT' : 'NOTHING_AVAILABLE';
      },
      isAvailable: () => buffer.available(),
      snapshotState: () => [{ splitId: `ingress-${this.name}`, taken: buffer.taken }],
    };
  }

  /** Stops the ingress actor. */
  stop(): void {
    stop(this.ref);
  }
}

/** Pushes a batch and resolves once it is accepted; rejects with IngressOverflowError if refused. */
export async function pushTo<T>(ref: TRef<IngressMsg<T>>, records: readonly T[], timeoutMs = 60_000): Promise<void> {
  const reply = (await query(ref as Ref<IngressMsg<T>>, (replyTo: Ref<IngressReply>) => ({ type: 'Push', records, replyTo }), timeoutMs)) as IngressReply;
  if (reply.type === 'Refused') throw new IngressOverflowError(reply.reason);
}
