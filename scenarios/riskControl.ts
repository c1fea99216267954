/**
 * Risk control with dynamic rules — Flink's broadcast state pattern. A
 * stream of payments is keyed by account; a second, low-volume stream of
 * rule updates (add, change, remove) is broadcast to every subtask, where
 * processBroadcastElement keeps the rules in broadcast state. A
 * KeyedBroadcastProcessFunction checks each payment against the rules in
 * force at the payment's time and emits an alert {account, rule, payment}
 * per rule it breaks:
 *
 *   max-amount       a payment above `maxCents`
 *   velocity         more than `maxPayments` payments of the account within `windowMs` of event time
 *   blocked-country  a payment from `country`
 *
 * Per account, keyed state holds the payments waiting for their time
 * (below) and the recent payments the velocity rules count; event-time
 * timers release the waiting payments and expire recent ones after
 * RETENTION_MS (velocity windows may not be longer; longer ones are
 * rejected to a side output).
 *
 * Time and order — what makes the alerts deterministic. Rules and payments
 * are two independent streams, so which one reaches a subtask first is a
 * matter of scheduling; Flink users meet the same race and usually buffer
 * events until the rules they need have arrived. Here:
 *
 * - A rule update carries the event time it applies from (`ts`), and the
 *   rule stream is ordered by it: one source emits the updates in `ts`
 *   order with monotonous watermarks. So once the rule stream's watermark
 *   passed t, every update that applies at or before t has been sent.
 *   This ordering of the rule stream is the assumption the job rests on.
 * - A payment waits in keyed state until the operator's watermark — the
 *   minimum of the payment stream's and the rule stream's — reaches its
 *   time (an event-time timer); only then is it checked. By then every
 *   rule update applying to it has arrived.
 * - Updates that arrived early (the rule stream ran ahead) must not apply
 *   to older payments, so the broadcast state keeps each rule's versions,
 *   {from, rule | null (removed)}, and a payment at t uses the last version
 *   from at or before t. An update at the same time as a payment applies
 *   to it. Versions are never pruned (their number is that of the updates;
 *   pruning them needs a clock every subtask agrees on, e.g. the rule
 *   stream's own time, and a bound on how far payments lag behind it).
 * - Payments of one account with the same time are checked in id order,
 *   and a velocity rule counts the account's payments in (t − windowMs, t]
 *   checked before, plus the payment itself.
 *
 * The result is a function of the two streams alone — the same at any
 * parallelism, with any pacing, through failures — which the test checks
 * against `referenceAlerts`, a plain loop over the same data.
 *
 *   node dist/scenarios/riskControl.js [payments] [parallelism]
 */
import {
  CollectionSource,
  GeneratorSource,
  ListStateDescriptor,
  MapStateDescriptor,
  OutputTag,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type Collector,
  type JobResult,
  type KeyedBroadcastContext,
  type KeyedBroadcastOnTimerContext,
  type KeyedBroadcastProcessFunction,
  type KeyedReadOnlyBroadcastContext,
  type ListState,
  type MapState,
  type RuntimeContext,
} from '../index';

export type Rule =
  | { readonly id: string; readonly kind: 'max-amount'; readonly maxCents: number }
  | { readonly id: string; readonly kind: 'velocity'; readonly maxPayments: number; readonly windowMs: number }
  | { readonly id: string; readonly kind: 'blocked-country'; readonly country: string };

/** Rule `id` becomes `rule` from event time `ts` on; `rule: null` removes it. */
export interface RuleUpdate {
  readonly ts: number;
  readonly id: string;
  readonly rule: Rule | null;
}

export interface Payment {
  readonly id: number;
  /** Event time, ms. */
  readonly ts: number;
  readonly account: string;
  readonly amountCents: number;
  readonly country: string;
}

export interface Alert {
  readonly account: string;
  /** The version of the rule the payment broke. */
  readonly rule: Rule;
  readonly payment: Payment;
}

/** One version of a rule in broadcast state: in force from `from` (ms) until the next version. */
export interface RuleVersion {
  readonly from: number;
  readonly rule: Rule | null;
}

/** How long recent payments are kept per account: the longest velocity window allowed (ms). */
export const RETENTION_MS = 60_000;
/** Event time of the first payment (2024-03-01T09:00:00Z). */
export const START = Date.UTC(2024, 2, 1, 9);
/** Event time between payments, ms (10 payments per second). */
export const PAYMENT_INTERVAL_MS = 100;

const sec = (s: number) => START + s * 1000;

/** The demo's rule updates, in event-time order: rules are added, changed and removed while payments flow. */
export const RULE_UPDATES: readonly RuleUpdate[] = [
  { ts: sec(0), id: 'max-amount', rule: { id: 'max-amount', kind: 'max-amount', maxCents: 100_000 } },
  { ts: sec(0), id: 'velocity', rule: { id: 'velocity', kind: 'velocity', maxPayments: 5, windowMs: 3_000 } },
  { ts: sec(0), id: 'blocked-XA', rule: { id: 'blocked-XA', kind: 'blocked-country', country: 'XA' } },
  { ts: sec(60), id: 'max-amount', rule: { id: 'max-amount', kind: 'max-amount', maxCents: 50_000 } },
  { ts: sec(90), id: 'blocked-XB', rule: { id: 'blocked-XB', kind: 'blocked-country', country: 'XB' } },
  { ts: sec(120), id: 'velocity', rule: { id: 'velocity', kind: 'velocity', maxPayments: 3, windowMs: 2_000 } },
  { ts: sec(150), id: 'blocked-XA', rule: null },
  // Rejected: a window longer than RETENTION_MS (recent payments are not kept that long).
  { ts: sec(180), id: 'velocity-hour', rule: { id: 'velocity-hour', kind: 'velocity', maxPayments: 100, windowMs: 3_600_000 } },
  { ts: sec(200), id: 'velocity', rule: null },
  { ts: sec(240), id: 'velocity-slow', rule: { id: 'velocity-slow', kind: 'velocity', maxPayments: 40, windowMs: 30_000 } },
];

/** A deterministic hash of (i, salt) in [0, 1). */
function unit(i: number, salt: number): number {
  let h = Math.imul(i ^ Math.imul(salt, 0x9e3779b1), 0x85ebca6b) ^ 0x6a09e667;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

const HOME = ['NL', 'DE', 'FR', 'BE'];
const ABROAD = ['ES', 'IT', 'XA', 'XB'];

/** Payment i: deterministic, in event-time order; a few busy accounts, a few large payments, some from abroad. */
export function payment(i: number): Payment {
  const a = unit(i, 1);
  const account = a < 0.12 ? 'acct-07' : a < 0.18 ? 'acct-13' : `acct-${String(Math.floor(unit(i, 2) * 40)).padStart(2, '0')}`;
  const large = unit(i, 3) < 0.04;
  const amountCents = large ? 40_000 + Math.floor(unit(i, 4) * 160_000) : 500 + Math.floor(unit(i, 4) * 19_500);
  const c = unit(i, 5);
  const country = c < 0.85 ? HOME[Math.floor(unit(i, 6) * HOME.length)] : ABROAD[Math.floor(unit(i, 6) * ABROAD.length)];
  return { id: i, ts: START + i * PAYMENT_INTERVAL_MS, account, amountCents, country };
}

/** Why an update cannot be used (undefined: it can). The job and the reference reject the same ones. */
export function invalidReason(u: RuleUpdate): string | undefined {
  if (u.rule === null) return undefined;
  if (u.rule.id !== u.id) return `rule id '${u.rule.id}' differs from the update's '${u.id}'`;
  switch (u.rule.kind) {
    case 'max-amount':
      return u.rule.maxCents >= 0 ? undefined : 'maxCents must be ≥ 0';
    case 'blocked-country':
      return u.rule.country ? undefined : 'no country';
    case 'velocity':
      if (!(u.rule.maxPayments >= 1)) return 'maxPayments must be ≥ 1';
      if (!(u.rule.windowMs > 0 && u.rule.windowMs <= RETENTION_MS)) return `windowMs must be in (0, ${RETENTION_MS}]`;
      return undefined;
    default:
      return `unknown kind '${(u.rule as { kind: string }).kind}'`;
  }
}

/** `versions` with `v` added after those from at or before its time (updates at equal times apply in stream order). */
export function withVersion(versions: readonly RuleVersion[], v: RuleVersion): RuleVersion[] {
  const at = versions.findIndex((x) => x.from > v.from);
  return at < 0 ? [...versions, v] : [...versions.slice(0, at), v, ...versions.slice(at)];
}

/** The rules in force at `t`, by id. */
export function rulesAt(versions: Iterable<RuleVersion[]>, t: number): Rule[] {
  const out: Rule[] = [];
  for (const vs of versions) {
    let current: Rule | null = null;
    for (const v of vs) if (v.from <= t) current = v.rule;
    if (current !== null) out.push(current);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Whether `p` breaks `rule`; `recent`: the account's earlier payment times (all ≤ p.ts). */
export function breaks(rule: Rule, p: Payment, recent: readonly number[]): boolean {
  switch (rule.kind) {
    case 'max-amount':
      return p.amountCents > rule.maxCents;
    case 'blocked-country':
      return p.country === rule.country;
    case 'velocity': {
      let n = 1;
      for (const ts of recent) if (ts > p.ts - rule.windowMs) n++;
      return n > rule.maxPayments;
    }
  }
}

export const rulesDescriptor = new MapStateDescriptor<string, RuleVersion[]>('rules');
export const rejectedRules = new OutputTag<{ readonly update: RuleUpdate; readonly reason: string }>('rejected-rules');
export const latePayments = new OutputTag<Payment>('late-payments');

const pendingDescriptor = new MapStateDescriptor<number, Payment[]>('pending');
const recentDescriptor = new ListStateDescriptor<number>('recent');

/** The rules engine: see the header. */
export class RiskRules implements KeyedBroadcastProcessFunction<string, Payment, RuleUpdate, Alert> {
  /** Payments waiting for the watermark, by time. */
  private pending!: MapState<number, Payment[]>;
  /** Times of the account's payments checked in the last RETENTION_MS. */
  private recent!: ListState<number>;
  private subtask = 0;

  open(ctx: RuntimeContext): void {
    this.pending = ctx.getMapState(pendingDescriptor);
    this.recent = ctx.getListState(recentDescriptor);
    this.subtask = ctx.indexOfThisSubtask;
  }

  processBroadcastElement(u: RuleUpdate, ctx: KeyedBroadcastContext<string>): void {
    const reason = invalidReason(u);
    if (reason !== undefined) {
      // Every subtask rejects it (the state stays the same everywhere); one reports it.
      if (this.subtask === 0) ctx.output(rejectedRules, { update: u, reason });
      return;
    }
    const rules = ctx.getBroadcastState(rulesDescriptor);
    rules.put(u.id, withVersion(rules.get(u.id) ?? [], { from: u.ts, rule: u.rule }));
  }

  processElement(p: Payment, ctx: KeyedReadOnlyBroadcastContext<string>): void {
    const timers = ctx.timerService();
    if (p.ts <= timers.currentWatermark()) {
      // Its time has passed: the payments and rules after it may already have been checked. Reported, not checked.
      ctx.output(latePayments, p);
      return;
    }
    this.pending.put(p.ts, [...(this.pending.get(p.ts) ?? []), p]);
    timers.registerEventTimeTimer(p.ts);
  }

  onTimer(t: number, ctx: KeyedBroadcastOnTimerContext<string>, out: Collector<Alert>): void {
    const recent = this.recent.get().filter((ts) => ts > t - RETENTION_MS);
    const due = this.pending.get(t);
    if (due !== undefined) {
      this.pending.remove(t);
      const rules = rulesAt(ctx.getBroadcastState(rulesDescriptor).values(), t);
      for (const p of [...due].sort((a, b) => a.id - b.id)) {
        for (const rule of rules) if (breaks(rule, p, recent)) out.collect({ account: p.account, rule, payment: p });
        recent.push(p.ts);
        ctx.timerService().registerEventTimeTimer(p.ts + RETENTION_MS); // to expire it
      }
    }
    if (recent.length > 0) this.recent.update(recent);
    else this.recent.clear();
  }
}

/** The alerts a plain loop finds: the same rules over the same payments, one account at a time in (time, id) order. */
export function referenceAlerts(payments: readonly Payment[], updates: readonly RuleUpdate[]): Alert[] {
  const versions = new Map<string, RuleVersion[]>();
  for (const u of updates) if (invalidReason(u) === undefined) versions.set(u.id, withVersion(versions.get(u.id) ?? [], { from: u.ts, rule: u.rule }));
  const byAccount = new Map<string, Payment[]>();
  for (const p of payments) byAccount.set(p.account, [...(byAccount.get(p.account) ?? []), p]);
  const alerts: Alert[] = [];
  for (const ps of byAccount.values()) {
    const earlier: number[] = [];
    for (const p of [...ps].sort((a, b) => a.ts - b.ts || a.id - b.id)) {
      for (const rule of rulesAt(versions.values(), p.ts)) if (breaks(rule, p, earlier)) alerts.push({ account: p.account, rule, payment: p });
      earlier.push(p.ts);
    }
  }
  return alerts;
}

/** Alerts in a canonical order: by payment id, then rule id. */
export function sortAlerts(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort((a, b) => a.payment.id - b.payment.id || (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0));
}

export interface RiskControlOptions {
  readonly payments?: number;
  readonly parallelism?: number;
  readonly updates?: readonly RuleUpdate[];
  /** Pace the rule updates (records per second): rules then lag behind the payments, which wait for them. */
  readonly ruleRatePerSecond?: number;
  /** Pace the payments (records per second over all source subtasks). */
  readonly paymentRatePerSecond?: number;
}

export interface RiskControlResult {
  readonly alerts: Alert[];
  readonly rejected: { readonly update: RuleUpdate; readonly reason: string }[];
  readonly late: Payment[];
  readonly result: JobResult;
}

/** Builds and runs the job over `payments` payments; returns the alerts (canonical order), rejected rule updates and late payments. */
export async function riskControl(options: RiskControlOptions = {}): Promise<RiskControlResult> {
  const count = options.payments ?? 3_000;
  const parallelism = options.parallelism ?? 2;
  const env = StreamExecutionEnvironment.create({ parallelism, autoWatermarkIntervalMs: 10 });
  const alerts: Alert[] = [];
  const rejected: RiskControlResult['rejected'] = [];
  const late: Payment[] = [];

  const updates = env
    .fromSource(
      options.ruleRatePerSecond === undefined
        ? new CollectionSource([...(options.updates ?? RULE_UPDATES)])
        : new GeneratorSource((options.updates ?? RULE_UPDATES).length, (i) => (options.updates ?? RULE_UPDATES)[i], { ratePerSecond: options.ruleRatePerSecond }),
      WatermarkStrategy.forMonotonousTimestamps<RuleUpdate>().withTimestampAssigner((u) => u.ts),
      'Rule updates',
    )
    .uid('rule-updates')
    .setParallelism(1);

  const payments = env
    .fromSource(
      new GeneratorSource(count, payment, options.paymentRatePerSecond === undefined ? {} : { ratePerSecond: options.paymentRatePerSecond }),
      WatermarkStrategy.forMonotonousTimestamps<Payment>().withTimestampAssigner((p) => p.ts),
      'Payments',
    )
    .uid('payments');

  const checked = payments
    .keyBy((p) => p.account)
    .connect(updates.broadcast(rulesDescriptor))
    .process(new RiskRules())
    .name('Risk rules')
    .uid('risk-rules');

  checked.sinkTo((a: Alert) => void alerts.push(a), 'Alerts').uid('alerts').setParallelism(1);
  checked.getSideOutput(rejectedRules).sinkTo((r) => void rejected.push(r), 'Rejected rules').uid('rejected-rules').setParallelism(1);
  checked.getSideOutput(latePayments).sinkTo((p: Payment) => void late.push(p), 'Late payments').uid('late-payments').setParallelism(1);

  const result = await env.execute('Risk control');
  return { alerts: sortAlerts(alerts), rejected, late, result };
}

const euros = (cents: number) => `€${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const at = (ms: number) => `+${String(Math.round((ms - START) / 1000)).padStart(3)}s`;

function describeRule(r: Rule): string {
  switch (r.kind) {
    case 'max-amount':
      return `payments above ${euros(r.maxCents)}`;
    case 'velocity':
      return `more than ${r.maxPayments} payments in ${r.windowMs / 1000} s`;
    case 'blocked-country':
      return `payments from ${r.country}`;
  }
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 3_000);
  const parallelism = Number(process.argv[3] ?? 2);
  const { alerts, rejected, late, result } = await riskControl({ payments: count, parallelism });
  console.log(`Risk control over ${count} payments (${(count * PAYMENT_INTERVAL_MS) / 1000} s of event time), parallelism ${parallelism}\n`);
  console.log('Rule updates (event time from the first payment):');
  for (const u of RULE_UPDATES) console.log(`  ${at(u.ts)}  ${u.id.padEnd(14)} ${u.rule === null ? 'removed' : describeRule(u.rule)}`);
  console.log(`\nRejected: ${rejected.map((r) => `${r.update.id} (${r.reason})`).join('; ') || 'none'}`);
  const byRule = new Map<string, Alert[]>();
  for (const a of alerts) byRule.set(a.rule.id, [...(byRule.get(a.rule.id) ?? []), a]);
  console.log(`\n${alerts.length} alerts:`);
  for (const [id, as] of [...byRule].sort()) {
    console.log(`  ${id.padEnd(14)} ${String(as.length).padStart(4)}   e.g. ${as.slice(0, 2).map((a) => `${a.account} ${euros(a.payment.amountCents)} from ${a.payment.country} at ${at(a.payment.ts)}`).join(', ')}`);
  }
  const ref = referenceAlerts(Array.from({ length: count }, (_, i) => payment(i)), RULE_UPDATES);
  console.log(`\nSame as a plain loop over the same data: ${JSON.stringify(sortAlerts(ref)) === JSON.stringify(alerts) ? 'yes' : 'NO'}; late payments: ${late.length}`);
  console.log(`\nJob '${result.jobName}' finished in ${result.durationMs} ms:`);
  for (const op of result.operators) console.log(`  ${op.name.padEnd(28)} p=${op.parallelism}  in=${op.recordsIn}  out=${op.recordsOut}`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
