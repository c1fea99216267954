/**
 * TTL state as a KeyedProcessFunction sees it, on an OperatorHarness: the
 * runtime context hands out TTL state on the harness's clock, a
 * processing-time timer at exactly lastAccess + ttl finds the value gone,
 * incremental cleanup removes keys never seen again, and a snapshot
 * restored into a new operator keeps the last-access times. Without keyBy
 * there is no keyed state, TTL or not.
 */
import type { Collector, KeyedProcessContext, KeyedProcessFunction, OnTimerContext, RuntimeContext } from '../api/functions';
import { StateAccessError } from '../errors';
import type { ValueState } from '../state/KeyedState';
import { KeyGroupRange } from '../state/KeyGroup';
import { OperatorStateStore } from '../state/OperatorStateStore';
import { ValueStateDescriptor } from '../state/StateDescriptor';
import { StateTtlConfig } from '../state/ttl/StateTtlConfig';
import { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import { ManualClock } from '../testing/ManualClock';
import { OperatorHarness } from '../testing/OperatorHarness';
import { KeyedProcessOperator } from './KeyedProcessOperator';
import { createRuntimeContext } from './StreamingRuntimeContext';

interface Ev {
  readonly key: string;
  readonly op: 'set' | 'get';
  readonly v?: string;
}

const TTL = 1000;

/** 'set' stores v and asks for a timer at the moment it expires; 'get' and the timer emit what the state holds. */
class LastValue implements KeyedProcessFunction<string, Ev, string> {
  private last!: ValueState<string>;
  open(ctx: RuntimeContext): void {
    this.last = ctx.getState(new ValueStateDescriptor<string>('last').enableTimeToLive(StateTtlConfig.newBuilder(TTL).build()));
  }
  processElement(e: Ev, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    if (e.op === 'set') {
      this.last.update(e.v);
      ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + TTL);
    } else {
      out.collect(`${e.key}:${this.last.value()}`);
    }
  }
  onTimer(t: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    out.collect(`${ctx.getCurrentKey()}@${t}:${this.last.value()}`);
  }
}

function harness(clock: ManualClock) {
  return new OperatorHarness<Ev, string>(new KeyedProcessOperator((e: Ev) => e.key, new LastValue()), clock, undefined, { keyed: true });
}

test('a value set through the runtime context expires after the TTL of the harness clock', async () => {
  const clock = new ManualClock(5000);
  const h = harness(clock);
  h.open();
  h.processElement({ key: 'a', op: 'set', v: 'x' });
  await h.advance(TTL - 1);
  h.processElement({ key: 'a', op: 'get' });
  await h.advance(1); // the timer at 6000 = lastAccess + ttl
  h.processElement({ key: 'a', op: 'get' });
  expect(h.values()).toEqual(['a:x', 'a@6000:undefined', 'a:undefined']);
});

test('keys never seen again are cleaned up by the accesses of other keys', async () => {
  const clock = new ManualClock(0);
  const h = harness(clock);
  h.open();
  for (let i = 0; i < 12; i++) h.processElement({ key: `k${i}`, op: 'set', v: 'x' });
  clock.advance(TTL); // timers are not run: only the cleanup can remove them
  expect(h.backend!.size('last')).toBe(12);
  for (let i = 0; i < 3; i++) h.processElement({ key: 'other', op: 'get' });
  expect(h.backend!.size('last')).toBe(0);
});

test('the last-access time survives a snapshot restored into a new operator', async () => {
  const clock = new ManualClock(0);
  const h = harness(clock);
  h.open();
  h.processElement({ key: 'a', op: 'set', v: 'x' });
  await h.advance(400);
  const snap = await h.snapshotState();
  const restored = harness(clock);
  restored.open([snap]);
  await restored.advance(599);
  restored.processElement({ key: 'a', op: 'get' });
  clock.advance(1);
  restored.processElement({ key: 'a', op: 'get' });
  expect(restored.values()).toEqual(['a:x', 'a:undefined']);
});

test('createRuntimeContext: TTL state needs a keyed backend like any keyed state', () => {
  const location = { operator: 'op', uid: 'op', subtaskIndex: 0, parallelism: 1 };
  const d = new ValueStateDescriptor<number>('v').enableTimeToLive(StateTtlConfig.newBuilder(10).build());
  const unkeyed = createRuntimeContext(location, 128, undefined, new OperatorStateStore(), new ManualClock());
  expect(() => unkeyed.getState(d)).toThrow(StateAccessError);
  expect(() => unkeyed.getState(d)).toThrow(/keyed state 'v' requested in operator 'op', which is not keyed/);
  const backend = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
  const clock = new ManualClock(0);
  const ctx = createRuntimeContext(location, 128, backend, new OperatorStateStore(), clock);
  const s = ctx.getState(d);
  expect(ctx.getState(d)).toBe(s);
  backend.setCurrentKey('k');
  s.update(1);
  clock.advance(10);
  expect(s.value()).toBeUndefined();
});
