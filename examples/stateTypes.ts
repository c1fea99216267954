/**
 * README "State values": registered classes come back from a checkpoint with
 * their prototype. A keyed job keeps an Account (methods) and a Money
 * (#private field, toData/fromData) per key, fails once after a checkpoint,
 * and restores them: the methods work after the restore and every amount is
 * counted once.
 */
import assert from 'node:assert/strict';

import { StreamExecutionEnvironment, RestartStrategies, ValueStateDescriptor, type Collector, type KeyedProcessContext, type RuntimeContext, type ValueState } from 'weir-stream';
import { FaultInjector } from 'weir-stream/testing';

  import { registerStateType } from 'weir-stream';

  class Account {
    constructor(public owner = '', public balance = 0) {}
    deposit(n: number) { this.balance += n; }
  }
  registerStateType(Account, { name: 'Account' });   // the name goes into checkpoints: keep it stable

  class Money {
    #cents: number;
    constructor(cents: number) { this.#cents = cents; }
    get cents() { return this.#cents; }
  }
  registerStateType(Money, { name: 'Money', toData: (m) => m.cents, fromData: (c: number) => new Money(c) });

class Deposits {
  private account!: ValueState<Account>;
  private last!: ValueState<Money>;
  open(ctx: RuntimeContext) {
    this.account = ctx.getState(new ValueStateDescriptor<Account>('account'));
    this.last = ctx.getState(new ValueStateDescriptor<Money>('last'));
  }
  processElement(n: number, ctx: KeyedProcessContext<string>, out: Collector<{ owner: string; balance: number; last: number }>) {
    const a = this.account.value() ?? new Account(ctx.getCurrentKey());
    a.deposit(n); // a method: works after a restore too
    this.account.update(a);
    this.last.update(new Money(n * 100));
    out.collect({ owner: a.owner, balance: a.balance, last: this.last.value()!.cents });
  }
}

const faults = new FaultInjector([{ kind: 'fail-during-notify', operator: 'deposits', subtask: 0, checkpoint: 2 }]);
const env = StreamExecutionEnvironment.create({ faults });
env.enableCheckpointing(10);
env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
const out = await env
  .fromGenerator(3000, (i) => 1 + (i % 3), { ratePerSecond: 20_000 })
  .keyBy((n) => `owner-${n}`)
  .process(new Deposits())
  .uid('deposits')
  .executeAndCollect('deposits');
assert.ok(faults.allFired, 'the job failed once and restored its state');
const finals = new Map<string, number>();
for (const o of out) finals.set(o.owner, Math.max(o.balance, finals.get(o.owner) ?? 0));
assert.deepEqual(Object.fromEntries(finals), { 'owner-1': 1000, 'owner-2': 2000, 'owner-3': 3000 });
console.log('balances after a restore:', Object.fromEntries(finals));
