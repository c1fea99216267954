/**
 * The broadcast state operators on a two-input harness (input 1: the
 * events, input 2: the broadcast stream): broadcast state written only by
 * processBroadcastElement (read-only views, and writable views kept past
 * their call, refuse writes with StateAccessError), several descriptors,
 * undeclared ones refused, stored and checkpointed values never changed by
 * later writes; the keyed variant's keyed state, timers that read the
 * broadcast state, applyToKeyedState over every key of the subtask, keyed
 * state refused on the broadcast side; and snapshots restored at another
 * parallelism (1→3, 3→1, 3→2, 2→3): every new subtask gets one copy —
 * old subtask i's, or old subtask (i mod old parallelism)'s beyond it —
 * and keyed state and timers go with their key groups.
 */
import type {
  BroadcastContext,
  BroadcastProcessFunction,
  KeyedBroadcastContext,
  KeyedBroadcastOnTimerContext,
  KeyedBroadcastProcessFunction,
  KeyedReadOnlyBroadcastContext,
  ReadOnlyBroadcastContext,
} from '../api/broadcastFunctions';
import type { Collector, RuntimeContext } from '../api/functions';
import { OutputTag } from '../api/OutputTag';
import { AsyncUserFunctionError, CorruptStateError, StateAccessError, UserFunctionError } from '../errors';
import { RestoredState } from '../checkpoint/SubtaskState';
import { BROADCAST_STATE, BroadcastStateStore, type BroadcastState } from '../state/BroadcastState';
import { assignToKeyGroup, normalizeKey, operatorIndexForKeyGroup } from '../state/KeyGroup';
import type { ListState, ValueState } from '../state/KeyedState';
import { ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor } from '../state/StateDescriptor';
import { ManualClock } from '../testing/ManualClock';
import type { HarnessSnapshot } from '../testing/OperatorHarness';
import { TwoInputOperatorHarness } from '../testing/TwoInputOperatorHarness';
import { CoBroadcastWithKeyedOperator } from './CoBroadcastWithKeyedOperator';
import { CoBroadcastWithNonKeyedOperator } from './CoBroadcastWithNonKeyedOperator';

interface Rule {
  readonly id: string;
  limit: number;
}
type RuleUpdate = Rule | { readonly remove: string };
interface Payment {
  readonly account: string;
  readonly amount: number;
}

const rulesDesc = new MapStateDescriptor<string, Rule>('rules');
const countsDesc = new MapStateDescriptor<string, number>('counts');
const refused = new OutputTag<string>('refused');

/** Rules by id in broadcast state; a payment above a rule's limit is flagged; a second state counts updates. */
class Limits implements BroadcastProcessFunction<Payment, RuleUpdate, string> {
  processElement(p: Payment, ctx: ReadOnlyBroadcastContext, out: Collector<string>): void {
    for (const r of ctx.getBroadcastState(rulesDesc).values()) {
      if (p.amount > r.limit) out.collect(`${p.account}:${p.amount}>${r.id}(${r.limit})`);
    }
    if (p.amount < 0) ctx.output(refused, `${p.account}@${String(ctx.timestamp)} wm=${ctx.currentWatermark()}`);
  }
  processBroadcastElement(u: RuleUpdate, ctx: BroadcastContext): void {
    const rules = ctx.getBroadcastState(rulesDesc);
    if ('remove' in u) rules.remove(u.remove);
    else rules.put(u.id, u);
    const counts = ctx.getBroadcastState(countsDesc);
    counts.put('updates', (counts.get('updates') ?? 0) + 1);
  }
}

const location = (subtask: number, parallelism: number) => ({ operator: 'limits', uid: 'limits', subtaskIndex: subtask, parallelism });

function nonKeyed(fn: BroadcastProcessFunction<Payment, RuleUpdate, string> = new Limits(), subtask = 0, parallelism = 1) {
  return new TwoInputOperatorHarness(new CoBroadcastWithNonKeyedOperator(fn, [rulesDesc, countsDesc]), new ManualClock(), location(subtask, parallelism));
}

describe('CoBroadcastWithNonKeyedOperator', () => {
  test('broadcast records write the rules every event is checked against; rules change and disappear', () => {
    const h = nonKeyed();
    h.open();
    h.processElement1({ account: 'a', amount: 500 });
    h.processElement2({ id: 'big', limit: 100 });
    h.processElement1({ account: 'a', amount: 150 });
    h.processElement2({ id: 'big', limit: 200 });
    h.processElement2({ id: 'huge', limit: 1000 });
    h.processElement1({ account: 'b', amount: 250 });
    h.processElement2({ remove: 'big' });
    h.processElement1({ account: 'c', amount: 5000 });
    expect(h.values()).toEqual(['a:150>big(100)', 'b:250>big(200)', 'c:5000>huge(1000)']);
    expect(h.operator.recordsIn).toBe(8);
  });

  test('processElement gets a read-only view: every write throws StateAccessError naming the rule', () => {
    const attempts: [string, (s: BroadcastState<string, Rule>) => void][] = [
      ['put', (s) => s.put('x', { id: 'x', limit: 1 })],
      ['putAll', (s) => s.putAll([['x', { id: 'x', limit: 1 }]])],
      ['remove', (s) => s.remove('x')],
      ['clear', (s) => s.clear()],
    ];
    for (const [method, write] of attempts) {
      const h = nonKeyed({
        processElement(_p, ctx) {
          write(ctx.getBroadcastState(rulesDesc) as unknown as BroadcastState<string, Rule>);
        },
        processBroadcastElement() {},
      });
      h.open();
      const e = catchError(() => h.processElement1({ account: 'a', amount: 1 }));
      expect(e).toBeInstanceOf(UserFunctionError);
      expect(e.cause).toBeInstanceOf(StateAccessError);
      expect(e.message).toContain(`broadcast state 'rules' is read-only in processElement(): ${method}() is refused`);
      expect(e.message).toContain('Only the broadcast side (processBroadcastElement()) writes broadcast state');
    }
  });

  test('a writable view kept past processBroadcastElement refuses writes from processElement', () => {
    let kept: BroadcastState<string, Rule> | undefined;
    const h = nonKeyed({
      processElement() {
        kept!.put('sneaky', { id: 'sneaky', limit: 0 });
      },
      processBroadcastElement(r: RuleUpdate, ctx) {
        kept = ctx.getBroadcastState(rulesDesc);
        kept.put('ok', r as Rule);
      },
    });
    h.open();
    h.processElement2({ id: 'ok', limit: 1 });
    expect(() => h.processElement1({ account: 'a', amount: 1 })).toThrow(/read-only in processElement\(\): put\(\) is refused/);
    expect([...kept!.keys()]).toEqual(['ok']);
  });

  test('several descriptors are separate states; an undeclared one is a StateAccessError naming the declared ones', () => {
    const h = nonKeyed({
      processElement(p, ctx, out) {
        out.collect(`${ctx.getBroadcastState(rulesDesc).size()} rules, ${String(ctx.getBroadcastState(countsDesc).get('updates'))} updates`);
        if (p.amount === 0) ctx.getBroadcastState(new MapStateDescriptor<string, string>('other'));
      },
      processBroadcastElement: new Limits().processBroadcastElement,
    });
    h.open();
    h.processElement2({ id: 'r1', limit: 1 });
    h.processElement2({ id: 'r2', limit: 1 });
    h.processElement2({ remove: 'r1' });
    h.processElement1({ account: 'a', amount: 1 });
    expect(h.values()).toEqual(['1 rules, 3 updates']);
    const e = catchError(() => h.processElement1({ account: 'a', amount: 0 }));
    expect(e.cause).toBeInstanceOf(StateAccessError);
    expect(e.message).toMatch(/broadcast state 'other' was not declared: pass its descriptor to broadcast\(...\).*declared: 'rules', 'counts'/);
  });

  test("a stored rule is a copy: changing the record after put changes neither the state nor a snapshot taken before", () => {
    const h = nonKeyed({
      processElement(_p, ctx, out) {
        out.collect(JSON.stringify([...ctx.getBroadcastState(rulesDesc).values()]));
      },
      processBroadcastElement(r: RuleUpdate, ctx) {
        const rule = r as Rule;
        ctx.getBroadcastState(rulesDesc).put(rule.id, rule);
        rule.limit = -1; // the function's own record: the state keeps what was put
      },
    });
    h.open();
    h.processElement2({ id: 'r', limit: 10 });
    const snap = h.snapshot();
    h.processElement2({ id: 'q', limit: 20 });
    h.processElement1({ account: 'a', amount: 1 });
    expect(h.values()).toEqual(['[{"id":"r","limit":10},{"id":"q","limit":20}]']);
    expect(snap[BROADCAST_STATE]).toEqual([{ subtask: 0, states: [['rules', [['r', { id: 'r', limit: 10 }]]]] }]);
  });

  test('side outputs, timestamps and the watermark (the minimum of both inputs) reach the read-only context', () => {
    const h = nonKeyed();
    h.open();
    h.processWatermark1(50);
    h.processWatermark2(20);
    h.processElement1({ account: 'a', amount: -1 }, 60);
    expect(h.sideOutputs.get('refused')!.map((r) => [r.value, r.timestamp])).toEqual([['a@60 wm=20', 60]]);
    expect(h.watermarks).toEqual([20]);
  });

  test('a throwing or async method fails with the record named', () => {
    const h = nonKeyed({
      processElement() {},
      processBroadcastElement(r) {
        throw new Error(`bad rule ${JSON.stringify(r)}`);
      },
    });
    h.open();
    expect(() => h.processElement2({ id: 'x', limit: 1 })).toThrow(/record #1 .*bad rule/);
    const a = nonKeyed({ processElement: (() => Promise.resolve()) as never, processBroadcastElement() {} });
    a.open();
    expect(() => a.processElement1({ account: 'a', amount: 1 })).toThrow(AsyncUserFunctionError);
  });

  test('a restored item that is not a broadcast state copy is a CorruptStateError', () => {
    expect(() => nonKeyed().open({ [BROADCAST_STATE]: [{ subtask: 0, states: 'nope' }] })).toThrow(CorruptStateError);
    expect(() => nonKeyed().open({ [BROADCAST_STATE]: [42] })).toThrow(CorruptStateError);
  });
});

// ---- keyed ---------------------------------------------------------------------------------------

const spentDesc = new ValueStateDescriptor<number>('spent');
const seenDesc = new ListStateDescriptor<number>('seen');

/**
 * Per account: the amount spent (keyed value state) and the payments seen
 * (keyed list state), a timer 10 ms after each payment that reports the
 * total against the rules in force then. A rule update with `reset`
 * clears every account's total through applyToKeyedState.
 */
class Budget implements KeyedBroadcastProcessFunction<string, Payment, Rule & { reset?: boolean }, string> {
  private spent!: ValueState<number>;
  private seen!: ListState<number>;
  open(ctx: RuntimeContext): void {
    this.spent = ctx.getState(spentDesc);
    this.seen = ctx.getListState(seenDesc);
  }
  processElement(p: Payment, ctx: KeyedReadOnlyBroadcastContext<string>, out: Collector<string>): void {
    const total = (this.spent.value() ?? 0) + p.amount;
    this.spent.update(total);
    this.seen.add(p.amount);
    for (const r of ctx.getBroadcastState(rulesDesc).values()) if (total > r.limit) out.collect(`${ctx.getCurrentKey()} over ${r.id}: ${total}`);
    if (ctx.timestamp !== undefined) ctx.timerService().registerEventTimeTimer(ctx.timestamp + 10);
  }
  processBroadcastElement(r: Rule & { reset?: boolean }, ctx: KeyedBroadcastContext<string>, out: Collector<string>): void {
    ctx.getBroadcastState(rulesDesc).put(r.id, r);
    if (!r.reset) return;
    ctx.applyToKeyedState(spentDesc, (account, state) => {
      out.collect(`reset ${account} from ${String(state.value())} (via open() state: ${String(this.spent.value())})`);
      state.clear();
    });
  }
  onTimer(t: number, ctx: KeyedBroadcastOnTimerContext<string>, out: Collector<string>): void {
    const rules = [...ctx.getBroadcastState(rulesDesc).keys()].join(',');
    out.collect(`timer ${ctx.getCurrentKey()}@${t} ${ctx.timeDomain()} spent=${String(this.spent.value())} rules=${rules}`);
  }
}

function keyed(fn: KeyedBroadcastProcessFunction<string, Payment, any, string> = new Budget(), subtask = 0, parallelism = 1) {
  const op = new CoBroadcastWithKeyedOperator<string, Payment, any, string>((p) => p.account, fn, [rulesDesc]);
  return new TwoInputOperatorHarness(op, new ManualClock(), location(subtask, parallelism), { keyed: true });
}

describe('CoBroadcastWithKeyedOperator', () => {
  test('keyed state per account, rules from broadcast state, timers that read the rules in force when they fire', () => {
    const h = keyed();
    h.open();
    h.processElement2({ id: 'r100', limit: 100 }, 0);
    h.processElement1({ account: 'a', amount: 60 }, 1);
    h.processElement1({ account: 'b', amount: 70 }, 2);
    h.processElement1({ account: 'a', amount: 60 }, 3);
    h.processElement2({ id: 'r50', limit: 50 }, 4);
    h.processWatermark1(20);
    h.processWatermark2(12);
    expect(h.values()).toEqual([
      'a over r100: 120',
      'timer a@11 EVENT_TIME spent=120 rules=r100,r50',
      'timer b@12 EVENT_TIME spent=70 rules=r100,r50',
    ]);
    expect(h.output[1].timestamp).toBe(11);
  });

  test('applyToKeyedState visits every key with a value in the state, with the key current; the state may be cleared', () => {
    const h = keyed();
    h.open();
    for (const [account, amount] of [['a', 1], ['b', 2], ['c', 3], ['a', 4]] as const) h.processElement1({ account, amount });
    h.processElement2({ id: 'r', limit: 1000, reset: true });
    expect(h.values().sort()).toEqual(['reset a from 5 (via open() state: 5)', 'reset b from 2 (via open() state: 2)', 'reset c from 3 (via open() state: 3)']);
    expect(h.backend!.size('spent')).toBe(0);
    expect(h.backend!.size('seen')).toBe(3); // other state untouched
    h.processElement1({ account: 'b', amount: 10 });
    h.processElement2({ id: 'r', limit: 1000, reset: true });
    expect(h.values().slice(3)).toEqual(['reset b from 10 (via open() state: 10)']);
  });

  test('keyed state used on the broadcast side outside applyToKeyedState is a StateAccessError', () => {
    let spent!: ValueState<number>;
    const h = keyed({
      open(ctx: RuntimeContext) {
        spent = ctx.getState(spentDesc);
      },
      processElement() {
        spent.update(1);
      },
      processBroadcastElement() {
        spent.value();
      },
    });
    h.open();
    h.processElement1({ account: 'a', amount: 1 }); // the backend's current key is 'a' now
    const e = catchError(() => h.processElement2({ id: 'r', limit: 0 }));
    expect(e.cause).toBeInstanceOf(StateAccessError);
    expect(e.message).toContain("keyed state 'spent' accessed in processBroadcastElement(), where there is no current key; use ctx.applyToKeyedState");
    // In processElement the same state object works.
    expect(() => h.processElement1({ account: 'b', amount: 1 })).not.toThrow();
  });

  test('onTimer cannot write broadcast state', () => {
    const h = keyed({
      processElement(_p, ctx) {
        ctx.timerService().registerEventTimeTimer(5);
      },
      processBroadcastElement() {},
      onTimer(_t, ctx) {
        (ctx.getBroadcastState(rulesDesc) as unknown as BroadcastState<string, Rule>).remove('x');
      },
    });
    h.open();
    h.processElement1({ account: 'a', amount: 1 });
    h.processWatermark2(Infinity);
    expect(() => h.processWatermark1(5)).toThrow(/broadcast state 'rules' is read-only in onTimer\(\): remove\(\) is refused/);
  });

  test('applyToKeyedState: only on the broadcast side; a function returning a Promise fails the record', () => {
    const h = keyed({
      processElement(p: Payment) {
        void p;
      },
      processBroadcastElement(_r, ctx) {
        ctx.applyToKeyedState(spentDesc, (() => Promise.resolve()) as never);
      },
    });
    h.open();
    const op = h.twoInputOperator as CoBroadcastWithKeyedOperator<string, Payment, unknown, string>;
    expect(() => op.applyToKeyedState(spentDesc, () => {})).toThrow(/applyToKeyedState\(\) is for processBroadcastElement/);
    h.backend!.setCurrentKey(normalizeKey('a'));
    (h.backend!.getState(spentDesc) as ValueState<number>).update(1);
    expect(() => h.processElement2({ id: 'r', limit: 1 })).toThrow(/applyToKeyedState\(\) returned a Promise/);
  });
});

// ---- rescaling -----------------------------------------------------------------------------------

const ACCOUNTS = ['acct-1', 'acct-2', 'acct-3', 'acct-4', 'acct-5', 'acct-6', 'acct-7', 'acct-8'];
const owner = (k: string, p: number) => operatorIndexForKeyGroup(128, p, assignToKeyGroup(normalizeKey(k), 128));

/**
 * Runs `parallelism` keyed subtasks: each gets the same rules (as a
 * broadcast delivers them), the payments of the accounts it owns (a timer
 * each) and, when `tag` is set, one extra rule naming its subtask, so the
 * copies can be told apart.
 */
async function runSubtasks(parallelism: number, opts: { tag?: boolean; restored?: HarnessSnapshot[] } = {}) {
  const snaps: HarnessSnapshot[] = [];
  const harnesses = [];
  for (let s = 0; s < parallelism; s++) {
    const h = keyed(new Budget(), s, parallelism);
    h.open(opts.restored);
    harnesses.push(h);
    if (opts.restored !== undefined) continue;
    h.processElement2({ id: 'r100', limit: 100 }, 0);
    h.processElement2({ id: 'r300', limit: 300 }, 0);
    if (opts.tag) h.processElement2({ id: `from-${s}`, limit: 1e9 }, 0);
    for (const [i, a] of ACCOUNTS.entries()) if (owner(a, parallelism) === s) h.processElement1({ account: a, amount: 40 * (i + 1) }, 10 * i);
    h.processWatermark1(5);
    h.processWatermark2(5);
    snaps.push(await h.snapshotState());
  }
  return { snaps, harnesses };
}

/**
 * What a restored subtask reports: its rules (through its timers, and a
 * payment of 1 on the account it owns with the highest total) and its timers.
 */
function probe(h: ReturnType<typeof keyed>, parallelism: number, subtask: number): { rules: string; timers: string[]; over: string[]; expectedOver: string[] } {
  const mine = ACCOUNTS.filter((a) => owner(a, parallelism) === subtask);
  h.processWatermark1(1000);
  h.processWatermark2(1000);
  const timers = h.values().filter((v) => v.startsWith('timer'));
  const rules = timers[0]?.replace(/.*rules=/, '') ?? '';
  const account = mine[mine.length - 1];
  if (account === undefined) return { rules, timers, over: [], expectedOver: [] };
  h.processElement1({ account, amount: 1 });
  const total = 40 * (ACCOUNTS.indexOf(account) + 1) + 1;
  const expectedOver = [100, 300].filter((l) => total > l).map((l) => `${account} over r${l}: ${total}`);
  return { rules, timers, over: h.values().filter((v) => v.includes(' over ')), expectedOver };
}

describe('broadcast state, keyed state and timers restored at another parallelism', () => {
  test.each([
    [1, 3],
    [3, 1],
    [3, 2],
    [2, 3],
  ])('%i → %i: every subtask keeps the rules; keyed state and timers follow their keys', async (from, to) => {
    const { snaps } = await runSubtasks(from);
    const { harnesses } = await runSubtasks(to, { restored: snaps });
    const allTimers: string[] = [];
    for (const [s, h] of harnesses.entries()) {
      const { rules, timers, over, expectedOver } = probe(h, to, s);
      if (timers.length > 0) expect(rules).toBe('r100,r300');
      allTimers.push(...timers);
      // The probe payment adds 1 to the account's restored total, checked against the restored rules.
      expect(over).toEqual(expectedOver);
    }
    expect(allTimers.sort()).toEqual(
      ACCOUNTS.map((a, i) => `timer ${a}@${10 * i + 10} EVENT_TIME spent=${40 * (i + 1)} rules=r100,r300`).sort(),
    );
  });

  test.each([
    [3, 1, ['from-0']],
    [3, 2, ['from-0', 'from-1']],
    [2, 3, ['from-0', 'from-1', 'from-0']],
    [1, 3, ['from-0', 'from-0', 'from-0']],
  ])("%i → %i: new subtask i takes old subtask i's copy, those beyond the old parallelism old subtask (i mod old)'s", async (from, to, expected) => {
    const { snaps } = await runSubtasks(from, { tag: true });
    const { harnesses } = await runSubtasks(to, { restored: snaps });
    const tags = harnesses.map((h, s) => probe(h, to, s).rules.split(',').filter((r) => r.startsWith('from-')).join());
    expect(tags).toEqual(expected);
  });

  test('the non-keyed operator restores its copy the same way', () => {
    const copies = [0, 1].map((s) => {
      const h = nonKeyed(new Limits(), s, 2);
      h.open();
      h.processElement2({ id: `only-${s}`, limit: 0 });
      return { lists: h.snapshot() };
    });
    const rulesOf = (s: number, p: number) => {
      const h = nonKeyed(new Limits(), s, p);
      h.open(copies);
      h.processElement1({ account: 'x', amount: 1 });
      return h.values();
    };
    expect(rulesOf(0, 1)).toEqual(['x:1>only-0(0)']);
    expect(rulesOf(1, 2)).toEqual(['x:1>only-1(0)']);
    expect(rulesOf(2, 3)).toEqual(['x:1>only-0(0)']);
  });
});

test("through a checkpoint's RestoredState (round-robin lists at a new parallelism), each new subtask still finds its copy", () => {
  const copies = [0, 1, 2].map((s) => {
    const store = new BroadcastStateStore([rulesDesc]);
    store.open(s, false);
    store.writable = true;
    store.writableState(rulesDesc).put('owner', { id: `old-${s}`, limit: s });
    return { subtaskIndex: s, operators: { limits: { lists: store.snapshotState() } } };
  });
  const ownerAt = (restored: RestoredState, index: number, parallelism: number) => {
    const store = new BroadcastStateStore([rulesDesc]);
    store.initializeState(restored.forSubtask('limits', index, parallelism));
    store.open(index, false);
    return store.readOnly(rulesDesc).get('owner')!.id;
  };
  const restored = new RestoredState(7, copies, new Map(), new Map([['limits', 3]]));
  expect([0, 1, 2].map((i) => ownerAt(restored, i, 3))).toEqual(['old-0', 'old-1', 'old-2']);
  expect([0, 1].map((i) => ownerAt(restored, i, 2))).toEqual(['old-0', 'old-1']);
  expect([0, 1, 2, 3, 4].map((i) => ownerAt(restored, i, 5))).toEqual(['old-0', 'old-1', 'old-2', 'old-0', 'old-1']);
});

function catchError(f: () => void): Error & { cause?: unknown } {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}
