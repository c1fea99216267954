/**
 * KeyedCoProcessOperator on a two-input harness: keyed state shared by both
 * inputs, event-time timers under the minimum of the two watermarks (an
 * ended input at +Infinity), processing-time timers, side outputs, timers
 * and state restored at another parallelism, and user failures attributed.
 */
import type { KeyedCoProcessFunction } from '../api/coFunctions';
import type { Collector, KeyedProcessContext, OnTimerContext, RuntimeContext } from '../api/functions';
import { OutputTag } from '../api/OutputTag';
import { AsyncUserFunctionError, UserFunctionError } from '../errors';
import { assignToKeyGroup, normalizeKey, operatorIndexForKeyGroup } from '../state/KeyGroup';
import type { ValueState } from '../state/KeyedState';
import { ValueStateDescriptor } from '../state/StateDescriptor';
import { ManualClock } from '../testing/ManualClock';
import type { HarnessSnapshot } from '../testing/OperatorHarness';
import { TwoInputOperatorHarness } from '../testing/TwoInputOperatorHarness';
import { KeyedCoProcessOperator } from './KeyedCoProcessOperator';

interface Order {
  readonly key: string;
  readonly id: number;
}
interface Rate {
  readonly key: string;
  readonly rate: number;
}

const late = new OutputTag<string>('no-rate');

/** Input 2 sets a key's rate; input 1 emits order × rate, or sends the order to a side output; a timer per order. */
class Price implements KeyedCoProcessFunction<string, Order, Rate, string> {
  private rate!: ValueState<number>;
  open(ctx: RuntimeContext): void {
    this.rate = ctx.getState(new ValueStateDescriptor<number>('rate'));
  }
  processElement1(o: Order, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    const r = this.rate.value();
    if (r === undefined) ctx.output(late, `${ctx.getCurrentKey()}#${o.id}`);
    else out.collect(`${ctx.getCurrentKey()}#${o.id}=${o.id * r}`);
    if (ctx.timestamp !== undefined) ctx.timerService().registerEventTimeTimer(ctx.timestamp + 10);
  }
  processElement2(r: Rate, ctx: KeyedProcessContext<string>): void {
    this.rate.update(r.rate);
    ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 100);
  }
  onTimer(t: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    out.collect(`timer ${ctx.getCurrentKey()}@${t} ${ctx.timeDomain()} ts=${String(ctx.timestamp)} rate=${String(this.rate.value())}`);
  }
}

function harness(opts: { subtask?: number; parallelism?: number; clock?: ManualClock } = {}) {
  const op = new KeyedCoProcessOperator<string, Order, Rate, string>((o) => o.key, (r) => r.key, new Price());
  const location = { operator: 'price', uid: 'price', subtaskIndex: opts.subtask ?? 0, parallelism: opts.parallelism ?? 1 };
  return new TwoInputOperatorHarness(op, opts.clock ?? new ManualClock(), location, { keyed: true });
}

describe('KeyedCoProcessOperator', () => {
  test('keyed state written through input 2 is read through input 1, per key; unknown keys go to the side output', () => {
    const h = harness();
    h.open();
    h.processElement2({ key: 'eur', rate: 2 });
    h.processElement1({ key: 'eur', id: 3 });
    h.processElement1({ key: 'usd', id: 4 });
    expect(h.values()).toEqual(['eur#3=6']);
    expect(h.sideOutputs.get('no-rate')!.map((r) => r.value)).toEqual(['usd#4']);
    expect(h.operator.recordsIn).toBe(3);
  });

  test('an event-time timer fires only once both inputs passed it, with its time as timestamp', () => {
    const h = harness();
    h.open();
    h.processElement2({ key: 'a', rate: 1 }, 0);
    h.processElement1({ key: 'a', id: 1 }, 5); // timer at 15
    h.processWatermark1(100);
    h.processWatermark2(14);
    expect(h.values()).toEqual(['a#1=1']);
    expect(h.watermarks).toEqual([14]);
    h.processWatermark2(15);
    expect(h.values().slice(1)).toEqual(['timer a@15 EVENT_TIME ts=15 rate=1']);
    expect(h.watermarks).toEqual([14, 15]);
    expect(h.output[1].timestamp).toBe(15);
  });

  test('an ended input (+Infinity) leaves the other to decide', () => {
    const h = harness();
    h.open();
    h.processElement1({ key: 'a', id: 1 }, 5);
    h.processWatermark2(Infinity);
    h.endInput2();
    h.processWatermark1(20);
    expect(h.values()).toContain('timer a@15 EVENT_TIME ts=15 rate=undefined');
    expect(h.watermarks).toEqual([20]);
  });

  test('processing-time timers fire on the clock under their key, without an event timestamp', async () => {
    const clock = new ManualClock(1000);
    const h = harness({ clock });
    h.open();
    h.processElement2({ key: 'b', rate: 3 });
    await h.advance(99);
    expect(h.values()).toEqual([]);
    await h.advance(1);
    expect(h.values()).toEqual(['timer b@1100 PROCESSING_TIME ts=undefined rate=3']);
    expect(h.output[0].timestamp).toBeUndefined();
  });

  test('state and timers of two subtasks restore into one subtask (a rescale from 2 to 1)', async () => {
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
    const owner = (k: string, p: number) => operatorIndexForKeyGroup(128, p, assignToKeyGroup(normalizeKey(k), 128));
    const snaps: HarnessSnapshot[] = [];
    for (let s = 0; s < 2; s++) {
      const h = harness({ subtask: s, parallelism: 2 });
      h.open();
      for (const [i, k] of keys.entries()) {
        if (owner(k, 2) !== s) continue;
        h.processElement2({ key: k, rate: i + 1 }, 0);
        h.processElement1({ key: k, id: 10 }, 10 * i); // timer at 10i + 10
      }
      h.processWatermark1(5);
      h.processWatermark2(5);
      snaps.push(await h.snapshotState());
    }
    const one = harness();
    one.open(snaps);
    one.processWatermark1(100);
    one.processWatermark2(100);
    expect(one.values().sort()).toEqual(keys.map((k, i) => `timer ${k}@${10 * i + 10} EVENT_TIME ts=${10 * i + 10} rate=${i + 1}`).sort());
    // rates restored too: input 1 reads them
    one.processElement1({ key: 'k3', id: 2 });
    expect(one.values()).toContain('k3#2=6');
  });

  test('a throwing or async method fails with the record named', () => {
    const throwing = new TwoInputOperatorHarness(
      new KeyedCoProcessOperator<string, string, string, string>((s) => s, (s) => s, {
        processElement1() {},
        processElement2(v) {
          throw new Error(`bad ${v}`);
        },
      }),
      undefined,
      undefined,
      { keyed: true },
    );
    throwing.open();
    throwing.processElement1('x');
    expect(() => throwing.processElement2('y')).toThrow(UserFunctionError);
    const asyncOne = new TwoInputOperatorHarness(
      new KeyedCoProcessOperator<string, string, string, string>((s) => s, (s) => s, {
        processElement1: (() => Promise.resolve()) as never,
        processElement2() {},
      }),
      undefined,
      undefined,
      { keyed: true },
    );
    asyncOne.open();
    expect(() => asyncOne.processElement1('x')).toThrow(AsyncUserFunctionError);
  });
});
