/**
 * Channel selectors of the partitioners: forward is channel 0, broadcast is
 * BROADCAST, rebalance is round-robin from a (seeded) random start, shuffle is
 * in range and deterministic for a seeded random, and hash routes every key to
 * operatorIndexForKeyGroup(assignToKeyGroup(normalizeKey(key))) — the subtask
 * whose key-group range holds the key, so routing and keyed state agree.
 */
import fc from 'fast-check';
import { InvalidKeyError } from '../errors';
import { assignToKeyGroup, KeyGroupRange, normalizeKey, operatorIndexForKeyGroup } from '../state/KeyGroup';
import { seededRandom } from '../testing/random';
import { BROADCAST, createChannelSelector, isAllToAll, type PartitionerSpec } from './partitioners';

const never = () => {
  throw new Error('random must not be used');
};

describe('partitioners', () => {
  test('isAllToAll: everything but forward', () => {
    expect(isAllToAll({ kind: 'forward' })).toBe(false);
    for (const kind of ['rebalance', 'shuffle', 'broadcast'] as const) expect(isAllToAll({ kind })).toBe(true);
    expect(isAllToAll({ kind: 'hash', keySelector: (x) => String(x) })).toBe(true);
  });

  test('forward always selects channel 0 (its one local channel)', () => {
    const sel = createChannelSelector({ kind: 'forward' }, 1, 128, never);
    for (const v of [1, 'a', { x: 1 }, undefined]) expect(sel(v)).toBe(0);
  });

  test('broadcast selects BROADCAST for every record', () => {
    const sel = createChannelSelector({ kind: 'broadcast' }, 5, 128, never);
    expect(BROADCAST).toBe(-1);
    for (let i = 0; i < 10; i++) expect(sel(i)).toBe(BROADCAST);
  });

  test('rebalance: round-robin starting at floor(random() × n)', () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const n = 5;
      const start = Math.floor(seededRandom(seed)() * n);
      const sel = createChannelSelector({ kind: 'rebalance' }, n, 128, seededRandom(seed));
      const got = Array.from({ length: 12 }, (_, i) => sel(i));
      expect(got).toEqual(Array.from({ length: 12 }, (_, i) => (start + i) % n));
    }
  });

  test('rebalance draws randomness once, at creation', () => {
    let calls = 0;
    const random = () => {
      calls++;
      return 0.99;
    };
    const sel = createChannelSelector({ kind: 'rebalance' }, 3, 128, random);
    expect(calls).toBe(1);
    expect([sel(0), sel(0), sel(0), sel(0)]).toEqual([2, 0, 1, 2]);
    expect(calls).toBe(1);
  });

  test('rebalance over one channel is always 0; starts differ across seeds', () => {
    const one = createChannelSelector({ kind: 'rebalance' }, 1, 128, seededRandom(9));
    expect([one(0), one(0), one(0)]).toEqual([0, 0, 0]);
    const starts = new Set(Array.from({ length: 40 }, (_, s) => createChannelSelector({ kind: 'rebalance' }, 4, 128, seededRandom(s))(0)));
    expect(starts.size).toBe(4);
  });

  test('rebalance spreads records evenly', () => {
    const sel = createChannelSelector({ kind: 'rebalance' }, 4, 128, seededRandom(7));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 103; i++) counts[sel(i)]++;
    expect(counts.reduce((a, b) => a + b)).toBe(103);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  test('shuffle: every choice in range, deterministic for a seed, roughly uniform', () => {
    const n = 6;
    const a = createChannelSelector({ kind: 'shuffle' }, n, 128, seededRandom(99));
    const b = createChannelSelector({ kind: 'shuffle' }, n, 128, seededRandom(99));
    const c = createChannelSelector({ kind: 'shuffle' }, n, 128, seededRandom(100));
    const sa = Array.from({ length: 600 }, (_, i) => a(i));
    const sb = Array.from({ length: 600 }, (_, i) => b(i));
    const sc = Array.from({ length: 600 }, (_, i) => c(i));
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    for (const x of sa) {
      expect(Number.isInteger(x)).toBe(true);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(n);
    }
    const counts = new Array(n).fill(0);
    for (const x of sa) counts[x]++;
    for (const k of counts) expect(k).toBeGreaterThan(50); // expected 100 each
  });

  test('shuffle stays in range for random() values at the edges of [0, 1)', () => {
    const values = [0, 0.5, 1 - Number.EPSILON, 0.9999999];
    let i = 0;
    const sel = createChannelSelector({ kind: 'shuffle' }, 3, 128, () => values[i++ % values.length]);
    expect([sel(0), sel(0), sel(0), sel(0)]).toEqual([0, 1, 2, 2]);
  });

  test('hash routes each key to operatorIndexForKeyGroup(assignToKeyGroup(normalizeKey(key)))', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.integer(),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.boolean(),
          fc.bigInt(),
          fc.array(fc.oneof(fc.string(), fc.integer()), { minLength: 1, maxLength: 3 }),
        ),
        fc.integer({ min: 1, max: 16 }),
        fc.constantFrom(16, 128, 1000),
        (key, parallelism, maxParallelism) => {
          const spec: PartitionerSpec = { kind: 'hash', keySelector: (r: { k: unknown }) => r.k as never };
          const sel = createChannelSelector(spec, parallelism, maxParallelism, never);
          const keyGroup = assignToKeyGroup(normalizeKey(key), maxParallelism);
          const expected = operatorIndexForKeyGroup(maxParallelism, parallelism, keyGroup);
          const c = sel({ k: key });
          expect(c).toBe(expected);
          expect(c).toBeGreaterThanOrEqual(0);
          expect(c).toBeLessThan(parallelism);
          // the chosen subtask owns the key group in its state backend
          expect(KeyGroupRange.forOperator(maxParallelism, parallelism, c).contains(keyGroup)).toBe(true);
          // deterministic
          expect(sel({ k: key })).toBe(c);
        },
      ),
    );
  });

  test('hash: every key group is owned by exactly the subtask routing sends it to', () => {
    for (const [maxP, p] of [
      [128, 3],
      [128, 128],
      [10, 7],
      [1, 1],
      [7, 1],
    ]) {
      for (let g = 0; g < maxP; g++) {
        const owner = operatorIndexForKeyGroup(maxP, p, g);
        const owners = Array.from({ length: p }, (_, i) => KeyGroupRange.forOperator(maxP, p, i).contains(g));
        expect(owners.filter(Boolean)).toHaveLength(1);
        expect(owners[owner]).toBe(true);
      }
    }
  });

  test('hash: equal keys go to the same channel; -0 and 0 are one key; composite keys', () => {
    const sel = createChannelSelector({ kind: 'hash', keySelector: (x: { k: unknown }) => x.k as never }, 7, 128, never);
    expect(sel({ k: -0 })).toBe(sel({ k: 0 }));
    expect(sel({ k: ['a', 1] })).toBe(sel({ k: ['a', 1] }));
    // keys spread over all channels
    const used = new Set(Array.from({ length: 200 }, (_, i) => sel({ k: `user-${i}` })));
    expect(used.size).toBe(7);
  });

  test('hash: a key selector returning an invalid key throws InvalidKeyError', () => {
    const sel = createChannelSelector({ kind: 'hash', keySelector: (x: { k: unknown }) => x.k as never }, 2, 128, never);
    for (const bad of [NaN, Infinity, undefined, null, { a: 1 }, [], [{}]]) {
      expect(() => sel({ k: bad })).toThrow(InvalidKeyError);
    }
  });
});
