/** End to end: running balances per account, in order per key, equal a sequential reference. */
import { payment, runningBalances, type Payment } from './keyedRunningSum';

function reference(count: number, accounts: number): Map<string, number[]> {
  const totals = new Map<string, number>();
  const seq = new Map<string, number[]>();
  for (let i = 0; i < count; i++) {
    const p = payment(i, accounts);
    const t = (totals.get(p.account) ?? 0) + p.amount;
    totals.set(p.account, t);
    seq.set(p.account, [...(seq.get(p.account) ?? []), t]);
  }
  return seq;
}

function byKey(out: readonly Payment[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const p of out) m.set(p.account, [...(m.get(p.account) ?? []), p.amount]);
  return m;
}

describe('keyed running sum', () => {
  test.each([
    [1, 5_000],
    [2, 20_000],
    [4, 20_000],
  ])('parallelism %i, %i payments: per-key sequences equal the reference', async (p, n) => {
    const out = await runningBalances(n, p, 37);
    expect(out).toHaveLength(n);
    const got = byKey(out);
    const expected = reference(n, 37);
    expect(new Map([...got].sort())).toEqual(new Map([...expected].sort()));
  });
});
