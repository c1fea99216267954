/**
 * A sink that delivers every record, as a message, to a given actor, with
 * acknowledgements, so a slow target back-pressures the job instead of
 * filling its own (unbounded) nact mailbox.
 *
 * Protocol. The target receives, per record,
 *
 *   { type: 'SinkDelivery', payload: toMessage(record, subtaskIndex), seq, ackTo }
 *
 * and acknowledges each delivery once it has handled it: `acknowledge(msg)`,
 * which dispatches `{ type: 'SinkAcknowledged', seq }` to `ackTo`. `seq`
 * counts from 0 per writer (sink subtask attempt); acknowledgements may come
 * in any order, duplicates are ignored.
 *
 * Guarantees, per writer: at most `window` deliveries are unacknowledged;
 * when the window is full `write` returns a promise the task waits for, so
 * what the writer holds back is at most one step of the task's input (one
 * frame and what chained operators make of it). `flush(true)` and `close()`
 * resolve only when everything sent was acknowledged, so `job.result()`
 * settles after the target handled the job's output. A delivery not
 * acknowledged within `ackTimeoutMs`, or a target that is stopped, fails
 * the job with ActorSinkDeliveryError naming the sink and the target.
 * Acknowledgements come back to a small actor per writer
 * (`weir-ack-<uid>-<subtask>-<n>`, under `options.parent` or the target's
 * actor system), stopped when the writer closes — on cancellation too.
 * Delivery is at least once across a restart: a restored job sends again
 * what came after its checkpoint.
 */
import { dispatch, spawn, stop, type Ref } from 'nact';
import { DeliveryWindow } from '../lib/connectors/DeliveryWindow';
import type { Sink, SinkInitContext, SinkWriter } from '../lib/connectors/Sink';
import { ActorSinkDeliveryError, ConfigurationError } from '../lib/errors';
import type { Clock, TimerHandle } from '../lib/time/Clock';

/** What the target actor receives for each record. */
export interface SinkDelivery<M> {
  readonly type: 'SinkDelivery';
  readonly payload: M;
  /** Per writer, from 0, consecutive in send order. */
  readonly seq: number;
  readonly ackTo: Ref<SinkAcknowledgement>;
}

/** What the target sends back (use `acknowledge(msg)`). */
export interface SinkAcknowledgement {
  readonly type: 'SinkAcknowledged';
  readonly seq: number;
}

export interface ActorSinkOptions {
  /** Unacknowledged deliveries per writer at most (64). */
  readonly window?: number;
  /** A delivery not acknowledged within this many ms fails the job (30,000). */
  readonly ackTimeoutMs?: number;
  /** Where the writers' acknowledgement actors are spawned (default: the target's actor system). */
  readonly parent?: Ref<any>;
}

/** A writer's delivery counters. */
export interface ActorSinkWriterMetrics {
  readonly subtaskIndex: number;
  readonly sent: number;
  readonly acknowledged: number;
  readonly unacknowledged: number;
  /** Most deliveries ever unacknowledged at once (at most `window`). */
  readonly peakUnacknowledged: number;
}

/** Acknowledges a delivery to the writer that sent it. Throws TypeError for anything but a SinkDelivery. */
export function acknowledge(delivery: SinkDelivery<unknown>): void {
  if (!isSinkDelivery(delivery)) throw new TypeError('acknowledge() needs the SinkDelivery message the actor sink sent');
  const ack: SinkAcknowledgement = { type: 'SinkAcknowledged', seq: delivery.seq };
  dispatch(delivery.ackTo, ack);
}

export function isSinkDelivery(msg: unknown): msg is SinkDelivery<unknown> {
  const m = msg as Partial<SinkDelivery<unknown>> | null;
  return typeof m === 'object' && m !== null && m.type === 'SinkDelivery' && typeof m.seq === 'number' && typeof m.ackTo === 'object' && m.ackTo !== null;
}

export class ActorSink<T, M = T> implements Sink<T> {
  readonly window: number;
  readonly ackTimeoutMs: number;
  private readonly writers = new Map<number, DeliveryWindow<M>>();

  /** Throws ConfigurationError for a `window` or `ackTimeoutMs` that is not a positive integer. */
  constructor(
    private readonly target: Ref<SinkDelivery<M>>,
    private readonly toMessage: (record: T, subtaskIndex: number) => M = (r) => r as unknown as M,
    private readonly options: ActorSinkOptions = {},
  ) {
    this.window = options.window ?? 64;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 30_000;
    if (!(Number.isInteger(this.window) && this.window > 0)) throw new ConfigurationError('ActorSink.window', `must be a positive integer, got ${this.window}`);
    if (!(Number.isInteger(this.ackTimeoutMs) && this.ackTimeoutMs > 0)) {
      throw new ConfigurationError('ActorSink.ackTimeoutMs', `must be a positive integer (ms), got ${this.ackTimeoutMs}`);
    }
  }

  createWriter(ctx: SinkInitContext): SinkWriter<T> {
    const writer = new ActorSinkWriter<T, M>(this.target, this.toMessage, ctx, this.window, this.ackTimeoutMs, this.options.parent);
    this.writers.set(ctx.indexOfSubtask, writer.delivery);
    return writer;
  }

  /** Counters of the newest writer of each subtask. */
  metrics(): ActorSinkWriterMetrics[] {
    return [...this.writers].map(([subtaskIndex, w]) => ({
      subtaskIndex,
      sent: w.sent,
      acknowledged: w.acknowledged,
      unacknowledged: w.unacknowledged,
      peakUnacknowledged: w.peakUnacknowledged,
    }));
  }
}

let ackActors = 0;

class ActorSinkWriter<T, M> implements SinkWriter<T> {
  readonly delivery: DeliveryWindow<M>;
  private readonly subtask: number;
  private readonly clock: Clock;
  private ackTo: Ref<SinkAcknowledgement> | undefined;
  private timer: TimerHandle | undefined;
  private released = false;

  constructor(
    private readonly target: Ref<SinkDelivery<M>>,
    private readonly toMessage: (record: T, subtaskIndex: number) => M,
    private readonly ctx: SinkInitContext,
    window: number,
    private readonly ackTimeoutMs: number,
    private readonly parent: Ref<any> | undefined,
  ) {
    this.subtask = ctx.indexOfSubtask;
    this.clock = ctx.clock;
    this.delivery = new DeliveryWindow<M>(window, (seq, payload) => this.send(seq, payload));
  }

  write(record: T): void | Promise<void> {
    const payload = this.toMessage(record, this.subtask);
    if (this.delivery.offer(payload, this.clock.now())) return;
    return this.delivery.whenSent();
  }

  flush(): void | Promise<void> {
    if (this.delivery.failed) throw this.delivery.failed;
    if (this.delivery.isSettled) return;
    return this.delivery.whenSettled();
  }

  close(): Promise<void> {
    const done = this.delivery.whenSettled().finally(() => this.release());
    done.catch(() => {}); // on cancellation nobody awaits close(); a late failure must not be an unhandled rejection
    return done;
  }

  private send(seq: number, payload: M): void {
    const target = concrete(this.target);
    if (target === undefined) {
      this.fail('TARGET_STOPPED', seq);
      return;
    }
    const delivery: SinkDelivery<M> = { type: 'SinkDelivery', payload, seq, ackTo: (this.ackTo ??= this.spawnAckActor()) };
    target.dispatch(delivery);
    this.armTimer();
  }

  private onAcknowledgement(msg: unknown): void {
    const ack = msg as Partial<SinkAcknowledgement> | null;
    if (this.released || typeof ack !== 'object' || ack === null || ack.type !== 'SinkAcknowledged' || typeof ack.seq !== 'number') return;
    this.delivery.acknowledge(ack.seq, this.clock.now());
    if (this.delivery.unacknowledged === 0) this.cancelTimer();
  }

  /** One timer at a time, for the oldest unacknowledged delivery's deadline. */
  private armTimer(): void {
    if (this.timer !== undefined || this.released) return;
    const oldest = this.delivery.oldest();
    if (oldest === undefined) return;
    this.timer = this.clock.setTimer(oldest.sentAt + this.ackTimeoutMs - this.clock.now(), () => {
      this.timer = undefined;
      const o = this.delivery.oldest();
      if (o === undefined) return;
      if (this.clock.now() - o.sentAt >= this.ackTimeoutMs) this.fail(concrete(this.target) ? 'ACK_TIMEOUT' : 'TARGET_STOPPED', o.seq);
      else this.armTimer();
    });
  }

  private fail(reason: ActorSinkDeliveryError['reason'], seq: number): void {
    this.delivery.fail(new ActorSinkDeliveryError(reason, this.ctx.operatorUid, this.subtask, describeRef(this.target), seq, this.ackTimeoutMs));
    this.release();
  }

  private spawnAckActor(): Ref<SinkAcknowledgement> {
    const parent = this.parent ?? systemOf(this.target);
    const base = `weir-ack-${this.ctx.operatorUid.replace(/[^a-z0-9-_.]/gi, '_')}-${this.subtask}`;
    for (;;) {
      const name = `${base}-${++ackActors}`;
      try {
        return spawn(parent, (state: undefined, msg: unknown) => {
          this.onAcknowledgement(msg);
          return state;
        }, name) as Ref<SinkAcknowledgement>;
      } catch (e) {
        // a name taken by another actor: try the next number; anything else is real
        if (!(e instanceof Error && /already exists/.test(e.message))) throw e;
      }
    }
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.cancelTimer();
    if (this.ackTo !== undefined) stop(this.ackTo);
  }
}

interface Dispatchable {
  dispatch(message: unknown, sender?: unknown): void;
}

/** nact's concrete actor behind a ref (undefined once stopped); nact's own dispatch looks it up the same way. */
function concrete(ref: Ref<unknown>): Dispatchable | undefined {
  const r = ref as unknown as { system?: { name?: string } };
  const actor = require('nact/lib/system-map').find(r.system?.name, ref) as Partial<Dispatchable> | undefined;
  return actor !== undefined && typeof actor.dispatch === 'function' ? (actor as Dispatchable) : undefined;
}

function systemOf(ref: Ref<unknown>): Ref<any> {
  const system = require('nact/lib/system-map').find((ref as unknown as { system: { name: string } }).system.name) as
    | { reference: Ref<any> }
    | undefined;
  if (system === undefined) throw new Error(`the actor system of ${describeRef(ref)} is stopped`);
  return system.reference;
}

function describeRef(ref: Ref<unknown>): string {
  const path = (ref as unknown as { path?: { toString(): string } }).path;
  return path !== undefined ? String(path) : JSON.stringify(ref);
}
