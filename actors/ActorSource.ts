/**
 * A source fed by other actors. `new ActorSource(parent, name)` spawns an
 * ingress actor under `parent` at once; producers dispatch batches to
 * `source.ref` and receive an acknowledgement when the batch is accepted:
 *
 *   dispatch(source.ref, { type: 'Push', records, replyTo, seq })
 *     → { type: 'Accepted', seq } once the batch is queued for the job
 *     → { type: 'Refused', seq, refusal, reason } if it cannot be taken
 *   dispatch(source.ref, { type: 'End' })   // bounded input: never refused
 *
 * `pushTo(ref, records)` does the round trip as a promise.
 *
 * Bounded for real: nact mailboxes are unbounded, so the ingress does not
 * use its own. Its messages are handled in the dispatching call (the nact
 * actor's `dispatch` is replaced), so a batch is either queued, parked
 * (acknowledged later, when the job has taken enough) or refused at once —
 * it never waits in a mailbox. The records held are at most
 * `source.buffer.bound` = max(capacity, maxBatchSize) + maxParked ×
 * maxBatchSize, whatever producers do; a producer that awaits each
 * acknowledgement is slowed down, one that floods gets `Refused` replies
 * (in its own mailbox). A refused Push without `replyTo` throws its
 * IngressOverflowError in the dispatching call, and a message that is
 * neither Push nor End throws InvalidIngressMessageError there.
 *
 * The source is non-parallel; records taken by the job are not replayable
 * (at-most-once across a restart).
 */
import { query, spawn, stop, type Ref } from 'nact';
import { IngressOverflowError, InvalidIngressMessageError } from '../lib/errors';
import { IngressBuffer, type IngressOptions } from '../lib/connectors/IngressBuffer';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext, SourceSplit } from '../lib/connectors/Source';
import { tell, type TRef } from './protocol';

export type IngressMsg<T> =
  | { readonly type: 'Push'; readonly records: readonly T[]; readonly replyTo?: Ref<IngressReply>; readonly seq?: number }
  | { readonly type: 'End' };

export type IngressReply =
  | { readonly type: 'Accepted'; readonly seq: number | undefined }
  | {
      readonly type: 'Refused';
      readonly seq: number | undefined;
      readonly refusal: IngressOverflowError['refusal'];
      readonly reason: string;
    };

interface IngressSplit extends SourceSplit {
  /** Records the job had taken when the split was snapshotted. */
  readonly taken: number;
}

/** The part of nact 7.6.2's concrete actor the ingress relies on (node_modules/nact/lib/actor.js). */
interface ConcreteActor {
  dispatch(message: unknown, sender?: unknown): void;
  readonly mailbox: { readonly length: number };
  readonly stopped: boolean;
}

export class ActorSource<T> implements Source<T, IngressSplit> {
  readonly boundedness = 'CONTINUOUS_UNBOUNDED' as const;
  readonly maxParallelism = 1;
  readonly ref: TRef<IngressMsg<T>>;
  readonly buffer: IngressBuffer<T>;
  private readonly actor: ConcreteActor;

  /**
   * Spawns the ingress actor `ingress-<name>` under `parent`. Throws
   * RangeError for bad options, and an Error if the installed nact does not
   * have the concrete actor shape the ingress relies on.
   */
  constructor(parent: Ref<any>, readonly name: string, options: IngressOptions = {}) {
    this.buffer = new IngressBuffer<T>(options);
    const receive = (msg: unknown): void => this.receive(msg);
    this.ref = spawn(
      parent,
      (state: undefined, msg: unknown) => {
        receive(msg); // not reached while dispatch is replaced; kept so the actor is correct either way
        return state;
      },
      `ingress-${name}`,
    ) as TRef<IngressMsg<T>>;
    this.actor = concreteActor(this.ref);
    this.actor.dispatch = (message: unknown) => {
      if (!this.actor.stopped) receive(message);
    };
  }

  /** Messages waiting in the ingress actor's nact mailbox: always 0, as nothing is ever enqueued there. */
  get mailboxLength(): number {
    return this.actor.mailbox.length;
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

  /** Stops the ingress actor; later pushes are dropped by nact (pushTo rejects). */
  stop(): void {
    stop(this.ref);
  }

  private receive(msg: unknown): void {
    const m = msg as Partial<{ type: unknown; records: unknown; replyTo: unknown; seq: unknown }> | null;
    if (m === null || typeof m !== 'object') throw new InvalidIngressMessageError(this.name, `expected { type: 'Push' | 'End' }, got ${typeof msg}`);
    if (m.type === 'End') {
      this.buffer.end();
      return;
    }
    if (m.type !== 'Push') throw new InvalidIngressMessageError(this.name, `unknown message type ${JSON.stringify(m.type)}`);
    if (!Array.isArray(m.records)) throw new InvalidIngressMessageError(this.name, `Push needs an array 'records'`);
    if (m.replyTo !== undefined && !isRef(m.replyTo)) throw new InvalidIngressMessageError(this.name, `Push 'replyTo' is not an actor reference`);
    const replyTo = m.replyTo as TRef<IngressReply> | undefined;
    const seq = m.seq as number | undefined;
    try {
      this.buffer.offer(m.records as T[], () => replyTo && tell(replyTo, { type: 'Accepted', seq }));
    } catch (e) {
      // Without a replyTo the refusal can only reach the producer as a throw from its dispatch call.
      if (!(e instanceof IngressOverflowError) || replyTo === undefined) throw e;
      tell(replyTo, { type: 'Refused', seq, refusal: e.refusal, reason: e.message });
    }
  }
}

/** Pushes a batch and resolves once it is accepted; rejects with IngressOverflowError if refused. */
export async function pushTo<T>(ref: TRef<IngressMsg<T>>, records: readonly T[], timeoutMs = 60_000): Promise<void> {
  const reply = (await query(ref as Ref<IngressMsg<T>>, (replyTo: Ref<IngressReply>) => ({ type: 'Push', records, replyTo }), timeoutMs)) as IngressReply;
  if (reply.type === 'Refused') throw new IngressOverflowError(reply.reason, reply.refusal);
}

function concreteActor(ref: Ref<unknown>): ConcreteActor {
  const actor = require('nact/lib/system-map').find((ref as unknown as { system: { name: string } }).system.name, ref) as
    | Partial<ConcreteActor>
    | undefined;
  if (actor === undefined || typeof actor.dispatch !== 'function' || typeof actor.mailbox?.length !== 'number') {
    throw new Error("the installed nact has no concrete actor with 'dispatch' and 'mailbox' (ActorSource needs nact 7.6)");
  }
  return actor as ConcreteActor;
}

function isRef(v: unknown): boolean {
  const r = v as { system?: { name?: unknown }; type?: unknown } | null;
  return typeof r === 'object' && r !== null && typeof r.system === 'object' && r.system !== null && typeof r.type === 'string';
}
