/**
 * The risk-control scenario: the job's alerts equal a plain loop evaluating
 * the same rules over the same payments, at parallelism 1 and 3, whichever
 * stream runs ahead — rules paced so that payments wait for them, or
 * payments paced so that rule updates arrive long before the payments they
 * apply to. The demo data really exercises rules that are added, changed
 * and removed mid-stream.
 */
import {
  payment,
  referenceAlerts,
  riskControl,
  RULE_UPDATES,
  sortAlerts,
  START,
  type Alert,
  type RiskControlOptions,
} from './riskControl';

const PAYMENTS = 3_000;
const payments = Array.from({ length: PAYMENTS }, (_, i) => payment(i));
const reference = sortAlerts(referenceAlerts(payments, RULE_UPDATES));
const sec = (a: Alert) => (a.payment.ts - START) / 1000;

test('the demo data exercises every kind of rule and every change of the rules', () => {
  const by = (id: string) => reference.filter((a) => a.rule.id === id);
  // max-amount changed at +60 s: alerts under both versions.
  expect(new Set(by('max-amount').map((a) => a.rule.kind === 'max-amount' && a.rule.maxCents))).toEqual(new Set([100_000, 50_000]));
  expect(by('max-amount').filter((a) => sec(a) < 60).every((a) => a.payment.amountCents > 100_000)).toBe(true);
  // blocked-XA removed at +150 s, blocked-XB added at +90 s.
  expect(by('blocked-XA').length).toBeGreaterThan(0);
  expect(by('blocked-XA').every((a) => sec(a) < 150)).toBe(true);
  expect(by('blocked-XB').every((a) => sec(a) >= 90)).toBe(true);
  // velocity changed at +120 s and removed at +200 s; velocity-slow from +240 s; the hour-long rule never applies.
  expect(new Set(by('velocity').map((a) => a.rule.kind === 'velocity' && a.rule.maxPayments))).toEqual(new Set([5, 3]));
  expect(by('velocity').every((a) => sec(a) < 200)).toBe(true);
  expect(by('velocity-slow').length).toBeGreaterThan(0);
  expect(by('velocity-slow').every((a) => sec(a) >= 240)).toBe(true);
  expect(by('velocity-hour')).toEqual([]);
});

test.each<[string, RiskControlOptions]>([
  ['parallelism 1', { parallelism: 1 }],
  ['parallelism 3', { parallelism: 3 }],
  ['parallelism 3, rules paced behind the payments', { parallelism: 3, ruleRatePerSecond: 100 }],
  ['parallelism 3, payments paced behind the rules', { parallelism: 3, paymentRatePerSecond: 15_000 }],
])('%s: the alerts equal a plain loop over the same rules and payments', async (_name, options) => {
  const { alerts, rejected, late, result } = await riskControl({ payments: PAYMENTS, ...options });
  expect(result.status).toBe('FINISHED');
  expect(late).toEqual([]);
  expect(rejected.map((r) => r.update.id)).toEqual(['velocity-hour']);
  expect(alerts.length).toBe(reference.length);
  expect(alerts).toEqual(reference);
});
