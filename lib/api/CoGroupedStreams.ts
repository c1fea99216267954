/**
 * Window joins and co-groups of two streams (Flink's CoGroupedStreams and
 * JoinedStreams): records of both sides with equal keys that fall into the
 * same window meet when the window fires.
 *
 *   orders.join(payments)
 *     .where((o) => o.orderId).equalTo((p) => p.orderId)
 *     .window(TumblingEventTimeWindows.of(60_000))
 *     .apply((order, payment) => ({ ...order, paidAt: payment.ts }));
 *
 * Built as Flink builds it: both sides tagged and unioned, keyed by their
 * own key selectors, cut into windows by one window operator that keeps
 * every element, and split by side when a window fires. So it shares the
 * window operator's guarantees — checkpointed contents and timers, exactly
 * once across restarts, any parallelism, lateness — and each fired window
 * emits `apply`'s results with the window's maxTimestamp.
 *
 * A join emits one result per pair (left, right) of a key and window (an
 * inner join: a key with records on one side only yields nothing); a
 * co-group calls its function once per key and window with both sides'
 * records (either may be empty), so outer joins are a co-group.
 */
import { GraphValidationError, isThenable, preview, ThenableReturnedError } from '../errors';
import type { Key } from '../state/KeyGroup';
import type { WindowAssigner } from '../windowing/assigners/WindowAssigner';
import type { Evictor } from '../windowing/evictors/Evictor';
import type { Trigger } from '../windowing/triggers/Trigger';
import type { Window } from '../windowing/windows/Window';
import type { DataStream, SingleOutputStreamOperator } from './DataStream';
import { copyFunctionObject, type Collector, type KeySelector } from './functions';
import type { WindowedStream } from './WindowedStream';

/** A record of either side inside the join's window operator. */
interface Tagged<L, R> {
  readonly side: 1 | 2;
  readonly left?: L;
  readonly right?: R;
}

/** Called once per key and window with the records of each side (arrival order); either list may be empty. */
export type CoGroupFunction<L, R, O> =
  | ((left: readonly L[], right: readonly R[], out: Collector<O>) => void)
  | { coGroup(left: readonly L[], right: readonly R[], out: Collector<O>): void };

/** One result per pair; a function of three parameters (or `join(l, r, out)`) emits any number through `out` (Flink's FlatJoinFunction). */
export type JoinFunction<L, R, O> = ((left: L, right: R, out: Collector<O>) => O | void) | { join(left: L, right: R, out: Collector<O>): O | void };

type Kind = 'join' | 'coGroup';

/** What `apply` takes for a kind. */
type ApplyFunction<Fn extends Kind, L, R, O> = Fn extends 'join' ? JoinFunction<L, R, O> : CoGroupFunction<L, R, O>;

/** `a.coGroup(b)` / `a.join(b)`: name the key of the first side. */
export class CoGroupedStreams<L, R, Fn extends Kind = 'coGroup'> {
  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
    private readonly kind: Fn = 'coGroup' as Fn,
  ) {
    if (right === null || typeof right !== 'object' || typeof (right as { keyBy?: unknown }).keyBy !== 'function') {
      throw new GraphValidationError('INVALID_ARGUMENT', `${kind}() needs another DataStream, got ${preview(right)}`);
    }
  }

  /** The first side's key. */
  where<K extends Key>(leftKey: KeySelector<L, K>): Where<L, R, K, Fn> {
    requireFunction(leftKey, 'where');
    return new Where(this.left, this.right, this.kind, leftKey);
  }
}

export class Where<L, R, K extends Key, Fn extends Kind> {
  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
    private readonly kind: Fn,
    private readonly leftKey: KeySelector<L, K>,
  ) {}

  /** The second side's key: records meet when the keys are equal. */
  equalTo(rightKey: KeySelector<R, K>): EqualTo<L, R, K, Fn> {
    requireFunction(rightKey, 'equalTo');
    return new EqualTo(this.left, this.right, this.kind, this.leftKey, rightKey);
  }
}

export class EqualTo<L, R, K extends Key, Fn extends Kind> {
  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
    private readonly kind: Fn,
    private readonly leftKey: KeySelector<L, K>,
    private readonly rightKey: KeySelector<R, K>,
  ) {}

  /** The windows both sides are cut into. */
  window<W extends Window>(assigner: WindowAssigner<any, W>): WithWindow<L, R, K, W, Fn> {
    const tagLeft = (value: L): Tagged<L, R> => ({ side: 1, left: value });
    const tagRight = (value: R): Tagged<L, R> => ({ side: 2, right: value });
    const { leftKey, rightKey } = this;
    const union = this.left.map(tagLeft).name(`${this.kind}: left`).union(this.right.map(tagRight).name(`${this.kind}: right`));
    const windowed = union
      .keyBy<K>((t) => (t.side === 1 ? leftKey(t.left as L) : rightKey(t.right as R)))
      .window(assigner as WindowAssigner<Tagged<L, R>, W>);
    return new WithWindow<L, R, K, W, Fn>(windowed, this.kind);
  }
}

export class WithWindow<L, R, K extends Key, W extends Window, Fn extends Kind> {
  constructor(
    private readonly windowed: WindowedStream<Tagged<L, R>, K, W>,
    private readonly kind: Fn,
  ) {}

  trigger(trigger: Trigger<any, W>): this {
    this.windowed.trigger(trigger);
    return this;
  }

  evictor(evictor: Evictor<any, W>): this {
    this.windowed.evictor(evictor);
    return this;
  }

  /** ms; see WindowedStream.allowedLateness. */
  allowedLateness(ms: number): this {
    this.windowed.allowedLateness(ms);
    return this;
  }

  /** Join: `fn(left, right)` per pair; co-group: `fn(lefts, rights, out)` per key and window. */
  apply<O>(fn: ApplyFunction<Fn, L, R, O>): SingleOutputStreamOperator<O> {
    const kind: Kind = this.kind;
    if (kind === 'join') checkJoin(fn);
    else checkCoGroup(fn);
    return this.windowed
      .build<O>(kind === 'join' ? 'Join' : 'CoGroup', { kind: 'list' }, () => {
        const call = kind === 'join' ? joinCall(fn as JoinFunction<L, R, O>) : coGroupCall(fn as CoGroupFunction<L, R, O>);
        return {
          process(_key: K, _ctx: unknown, elements: readonly Tagged<L, R>[], out: Collector<O>) {
            const lefts: L[] = [];
            const rights: R[] = [];
            for (const t of elements) {
              if (t.side === 1) lefts.push(t.left as L);
              else rights.push(t.right as R);
            }
            call(lefts, rights, out);
          },
        };
      })
      .name(kind === 'join' ? 'Window Join' : 'Window CoGroup');
  }
}

/** Join: `a.join(b).where(...).equalTo(...).window(...).apply((l, r) => ...)`. */
export class JoinedStreams<L, R> extends CoGroupedStreams<L, R, 'join'> {
  constructor(left: DataStream<L>, right: DataStream<R>) {
    super(left, right, 'join');
  }
}

function requireFunction(fn: unknown, op: string): void {
  if (typeof fn !== 'function') throw new GraphValidationError('INVALID_ARGUMENT', `${op}() needs a key selector function, got ${preview(fn)}`);
}

function checkJoin(fn: unknown): void {
  if (typeof fn !== 'function' && typeof (fn as { join?: unknown } | null)?.join !== 'function') {
    throw new GraphValidationError('INVALID_ARGUMENT', 'apply() of a join needs a function (left, right) => result, or an object with join(left, right[, out])');
  }
}

function checkCoGroup(fn: unknown): void {
  if (typeof fn !== 'function' && typeof (fn as { coGroup?: unknown } | null)?.coGroup !== 'function') {
    throw new GraphValidationError('INVALID_ARGUMENT', 'apply() of a coGroup needs a function (lefts, rights, out), or an object with coGroup(lefts, rights, out)');
  }
}

/** A subtask's call of a join function over one key and window: the nested loop over both sides. */
function joinCall<L, R, O>(fn: JoinFunction<L, R, O>): (lefts: readonly L[], rights: readonly R[], out: Collector<O>) => void {
  const f = typeof fn === 'function' ? fn : copyFunctionObject(fn);
  const join = (typeof f === 'function' ? f : f.join.bind(f)) as (l: L, r: R, out?: Collector<O>) => O | void;
  const flat = join.length >= 3 || (typeof f !== 'function' && f.join.length >= 3);
  return (lefts, rights, out) => {
    for (const l of lefts) {
      for (const r of rights) {
        const result = join(l, r, flat ? out : undefined);
        if (result !== null && typeof result === 'object' && isThenable(result)) throw new ThenableReturnedError('join function', result);
        if (!flat) out.collect(result as O);
      }
    }
  };
}

function coGroupCall<L, R, O>(fn: CoGroupFunction<L, R, O>): (lefts: readonly L[], rights: readonly R[], out: Collector<O>) => void {
  const f = typeof fn === 'function' ? fn : copyFunctionObject(fn);
  const coGroup = typeof f === 'function' ? f : f.coGroup.bind(f);
  return (lefts, rights, out) => {
    const r: unknown = coGroup(lefts, rights, out);
    if (r !== null && typeof r === 'object' && isThenable(r)) throw new ThenableReturnedError('coGroup function', r);
  };
}

// A chain broken in plain JavaScript (TypeScript refuses it at compile time) gets a typed error saying what comes first.
refuseOutOfOrder(Where.prototype, 'window', 'where(key) needs equalTo(otherKey) before window(): .where(k1).equalTo(k2).window(assigner).apply(fn)');
refuseOutOfOrder(EqualTo.prototype, 'apply', 'where(k1).equalTo(k2) needs window(assigner) before apply(): .window(TumblingEventTimeWindows.of(ms)).apply(fn)');

/** @internal Defines `method` on `proto`, invisible to TypeScript, throwing GraphValidationError(INVALID_ARGUMENT) with `message`. */
export function refuseOutOfOrder(proto: object, method: string, message: string): void {
  Object.defineProperty(proto, method, {
    value() {
      throw new GraphValidationError('INVALID_ARGUMENT', message);
    },
    enumerable: false,
  });
}
