/**
 * CopyOnWriteStateMap: the live map API, snapshot isolation (sets, deletes and
 * getForUpdate mutations after a snapshot never show in it), several snapshots
 * released in any order, layer folding (depth back to 1), copy-on-read for
 * update, use-after-release, and a model-based fast-check test against a Map.
 */
import fc from 'fast-check';
import { CopyOnWriteStateMap, type StateMapSnapshot } from './CopyOnWriteStateMap';
import { copyValue } from './copyValue';

type Box = { n: number };

const sorted = <V>(it: Iterable<[string, V]>): [string, V][] => [...it].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

describe('CopyOnWriteStateMap without snapshots', () => {
  test('get / set / delete / has / size / entries', () => {
    const m = new CopyOnWriteStateMap<string, number>();
    expect(m.size).toBe(0);
    expect(m.get('a')).toBeUndefined();
    expect(m.has('a')).toBe(false);
    m.set('a', 1);
    m.set('b', 2);
    m.set('a', 3);
    expect(m.get('a')).toBe(3);
    expect(m.get('b')).toBe(2);
    expect(m.has('a')).toBe(true);
    expect(m.size).toBe(2);
    expect(sorted(m.entries())).toEqual([
      ['a', 3],
      ['b', 2],
    ]);
    m.delete('a');
    m.delete('zzz');
    expect(m.get('a')).toBeUndefined();
    expect(m.has('a')).toBe(false);
    expect(m.size).toBe(1);
    expect(sorted(m.entries())).toEqual([['b', 2]]);
    expect(m.depth).toBe(1);
  });

  test('falsy values are values', () => {
    const m = new CopyOnWriteStateMap<string, unknown>();
    m.set('zero', 0);
    m.set('empty', '');
    m.set('f', false);
    m.set('null', null);
    expect([m.get('zero'), m.get('empty'), m.get('f'), m.get('null')]).toEqual([0, '', false, null]);
    expect(['zero', 'empty', 'f', 'null'].map((k) => m.has(k))).toEqual([true, true, true, true]);
    expect(m.size).toBe(4);
  });

  test('getForUpdate does not copy when no snapshot is live', () => {
    const m = new CopyOnWriteStateMap<string, Box>();
    const v = { n: 1 };
    m.set('a', v);
    const copy = jest.fn(copyValue);
    expect(m.getForUpdate('a', copy)).toBe(v);
    expect(m.getForUpdate('missing', copy)).toBeUndefined();
    expect(copy).not.toHaveBeenCalled();
  });
});

describe('CopyOnWriteStateMap snapshots', () => {
  test('a snapshot sees the contents at snapshot time only', () => {
    const m = new CopyOnWriteStateMap<string, number>();
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    const snap = m.snapshot();
    expect(m.depth).toBe(2);
    m.set('a', 10); // overwrite
    m.delete('b'); // delete
    m.set('d', 4); // new key
    m.delete('c');
    m.set('c', 30); // delete then re-add
    expect(sorted(snap.entries())).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(sorted(m.entries())).toEqual([
      ['a', 10],
      ['c', 30],
      ['d', 4],
    ]);
    expect(m.size).toBe(3);
    expect(m.has('b')).toBe(false);
    expect(m.get('b')).toBeUndefined();
    snap.release();
    expect(m.depth).toBe(1);
    expect(sorted(m.entries())).toEqual([
      ['a', 10],
      ['c', 30],
      ['d', 4],
    ]);
    expect(m.size).toBe(3);
  });

  test('snapshot entries may be iterated lazily while the map is written', () => {
    const m = new CopyOnWriteStateMap<string, number>();
    for (let i = 0; i < 10; i++) m.set(`k${i}`, i);
    const snap = m.snapshot();
    const it = snap.entries();
    const seen: [string, number][] = [];
    let r = it.next();
    while (!r.done) {
      seen.push(r.value);
      m.set(`k${seen.length}`, -1);
      m.delete(`k${9 - seen.length}`);
      m.set(`new${seen.length}`, 100);
      r = it.next();
    }
    expect(sorted(seen)).toEqual(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]));
    snap.release();
  });

  test('getForUpdate copies a value held by a snapshot; mutating it does not change the snapshot', () => {
    const m = new CopyOnWriteStateMap<string, Box>();
    const original = { n: 1 };
    m.set('a', original);
    const snap = m.snapshot();
    const copy = jest.fn(copyValue);
    const v = m.getForUpdate('a', copy)!;
    expect(copy).toHaveBeenCalledTimes(1);
    expect(v).not.toBe(original);
    expect(v).toEqual({ n: 1 });
    v.n = 99;
    expect(original).toEqual({ n: 1 });
    expect(sorted(snap.entries())).toEqual([['a', { n: 1 }]]);
    // the copy is now owned by the top layer: a second call returns it without copying again
    expect(m.getForUpdate('a', copy)).toBe(v);
    expect(copy).toHaveBeenCalledTimes(1);
    expect(m.get('a')).toEqual({ n: 99 });
    snap.release();
    expect(m.depth).toBe(1);
    expect(m.get('a')).toBe(v);
    // with no snapshot live, no copy
    expect(m.getForUpdate('a', copy)).toBe(v);
    expect(copy).toHaveBeenCalledTimes(1);
  });

  test('getForUpdate on a key deleted after the snapshot gives undefined and no copy', () => {
    const m = new CopyOnWriteStateMap<string, Box>();
    m.set('a', { n: 1 });
    const snap = m.snapshot();
    m.delete('a');
    const copy = jest.fn(copyValue);
    expect(m.getForUpdate('a', copy)).toBeUndefined();
    expect(copy).not.toHaveBeenCalled();
    expect(sorted(snap.entries())).toEqual([['a', { n: 1 }]]);
    snap.release();
  });

  test('a value written after a snapshot is not copied by getForUpdate', () => {
    const m = new CopyOnWriteStateMap<string, Box>();
    const snap = m.snapshot();
    const v = { n: 5 };
    m.set('a', v);
    const copy = jest.fn(copyValue);
    expect(m.getForUpdate('a', copy)).toBe(v);
    expect(copy).not.toHaveBeenCalled();
    expect([...snap.entries()]).toEqual([]);
    snap.release();
  });

  test('getForUpdate copies a value pinned by an older snapshot, through several layers', () => {
    const m = new CopyOnWriteStateMap<string, Box>();
    m.set('a', { n: 1 });
    const s1 = m.snapshot();
    m.set('b', { n: 2 });
    const s2 = m.snapshot();
    const s3 = m.snapshot();
    expect(m.depth).toBe(4);
    const a = m.getForUpdate('a', copyValue)!;
    const b = m.getForUpdate('b', copyValue)!;
    a.n = 10;
    b.n = 20;
    expect(sorted(s1.entries())).toEqual([['a', { n: 1 }]]);
    expect(sorted(s2.entries())).toEqual([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
    ]);
    expect(sorted(s3.entries())).toEqual([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
    ]);
    expect(sorted(m.entries())).toEqual([
      ['a', { n: 10 }],
      ['b', { n: 20 }],
    ]);
    s2.release();
    s1.release();
    s3.release();
    expect(m.depth).toBe(1);
  });

  test.each([
    ['in order', [0, 1, 2]],
    ['in reverse', [2, 1, 0]],
    ['middle first', [1, 0, 2]],
    ['middle first, newest next', [1, 2, 0]],
    ['oldest, newest, middle', [0, 2, 1]],
    ['newest, oldest, middle', [2, 0, 1]],
  ])('three concurrent snapshots released %s', (_name, order) => {
    const m = new CopyOnWriteStateMap<string, number>();
    m.set('a', 1);
    m.set('b', 1);
    const snaps: StateMapSnapshot<string, number>[] = [];
    const expected: [string, number][][] = [];
    snaps.push(m.snapshot());
    expected.push([
      ['a', 1],
      ['b', 1],
    ]);
    m.set('a', 2);
    m.delete('b');
    m.set('c', 2);
    snaps.push(m.snapshot());
    expected.push([
      ['a', 2],
      ['c', 2],
    ]);
    m.set('b', 3);
    m.delete('a');
    snaps.push(m.snapshot());
    expected.push([
      ['b', 3],
      ['c', 2],
    ]);
    m.set('d', 4);
    m.delete('c');

    const live = new Set([0, 1, 2]);
    for (const idx of order) {
      snaps[idx].release();
      live.delete(idx);
      // after each release the others are unchanged; write some more in between
      for (const j of live) expect(sorted(snaps[j].entries())).toEqual(expected[j]);
      m.set('e', idx);
      m.delete('e');
      for (const j of live) expect(sorted(snaps[j].entries())).toEqual(expected[j]);
      expect(sorted(m.entries())).toEqual([
        ['b', 3],
        ['d', 4],
      ]);
    }
    expect(m.depth).toBe(1);
    expect(m.size).toBe(2);
    expect(sorted(m.entries())).toEqual([
      ['b', 3],
      ['d', 4],
    ]);
    expect(m.get('a')).toBeUndefined();
    expect(m.get('c')).toBeUndefined();
    expect(m.get('e')).toBeUndefined();
  });

  test('layers above the newest still-pinned layer fold as soon as their snapshots are released', () => {
    const m = new CopyOnWriteStateMap<string, number>();
    m.set('a', 0);
    const s1 = m.snapshot();
    m.set('a', 1);
    const s2 = m.snapshot();
    m.set('a', 2);
    const s3 = m.snapshot();
    m.set('a', 3);
    expect(m.depth).toBe(4);
    s3.release();
    expect(m.depth).toBe(3);
    expect(m.get('a')).toBe(3);
    s1.release(); // s2 still pins the layer above s1's: nothing to fold
    expect(m.depth).toBe(3);
    expect(sorted(s2.entries())).toEqual([['a', 1]]);
    s2.release();
    expect(m.depth).toBe(1);
    expect(m.get('a')).toBe(3);
  });

  test('release is idempotent and does not unpin another snapshot', () => {
    const m = new CopyOnWriteStateMap<string, number>();
    m.set('a', 1);
    const s1 = m.snapshot();
    m.set('a', 2);
    const s2 = m.snapshot();
    m.set('a', 3);
    s2.release();
    s2.release();
    s2.release();
    expect(sorted(s1.entries())).toEqual([['a', 1]]);
    m.set('a', 4);
    expect(sorted(s1.entries())).toEqual([['a', 1]]);
    s1.release();
    expect(m.depth).toBe(1);
    expect(m.get('a')).toBe(4);
  });

  test('snapshot used after release throws', () => {
    const m = new CopyOnWriteStateMap<string, number>();
    m.set('a', 1);
    const s = m.snapshot();
    s.release();
    expect(() => s.entries()).toThrow('snapshot used after release');
  });

  test('deletes are not resurrected after folding', () => {
    const m = new CopyOnWriteStateMap<string, number>();
    m.set('a', 1);
    m.set('b', 2);
    const s1 = m.snapshot();
    m.delete('a');
    const s2 = m.snapshot();
    m.delete('b');
    s1.release(); // folds nothing below s2; tombstones must survive
    expect(m.get('a')).toBeUndefined();
    expect(m.get('b')).toBeUndefined();
    expect(sorted(s2.entries())).toEqual([['b', 2]]);
    s2.release();
    expect(m.depth).toBe(1);
    expect(m.size).toBe(0);
    expect([...m.entries()]).toEqual([]);
    m.set('a', 5);
    expect(sorted(m.entries())).toEqual([['a', 5]]);
  });
});

// ---- model-based test -------------------------------------------------------

type Op =
  | { t: 'set'; k: string; n: number }
  | { t: 'delete'; k: string }
  | { t: 'snapshot' }
  | { t: 'release'; which: number }
  | { t: 'mutate'; k: string; n: number }
  | { t: 'check'; which: number };

const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('set' as const), k: keyArb, n: fc.integer({ min: 0, max: 99 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('delete' as const), k: keyArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('snapshot' as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('release' as const), which: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('mutate' as const), k: keyArb, n: fc.integer({ min: 100, max: 199 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('check' as const), which: fc.nat() }) },
);

function modelEntries(model: Map<string, number>): [string, Box][] {
  return sorted([...model].map(([k, n]): [string, Box] => [k, { n }]));
}

test('model: random interleavings of set/delete/snapshot/release/getForUpdate-mutate match a Map', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 50, size: 'max' }), (ops) => {
      const real = new CopyOnWriteStateMap<string, Box>();
      const model = new Map<string, number>();
      const live: { snap: StateMapSnapshot<string, Box>; expected: [string, Box][] }[] = [];

      const checkAll = () => {
        expect(sorted(real.entries())).toEqual(modelEntries(model));
        expect(real.size).toBe(model.size);
        for (const k of ['a', 'b', 'c', 'd', 'e']) {
          expect(real.has(k)).toBe(model.has(k));
          expect(real.get(k)).toEqual(model.has(k) ? { n: model.get(k) } : undefined);
        }
        for (const s of live) expect(sorted(s.snap.entries())).toEqual(s.expected);
      };

      for (const op of ops) {
        switch (op.t) {
          case 'set':
            real.set(op.k, { n: op.n });
            model.set(op.k, op.n);
            break;
          case 'delete':
            real.delete(op.k);
            model.delete(op.k);
            break;
          case 'snapshot':
            live.push({ snap: real.snapshot(), expected: modelEntries(model) });
            break;
          case 'release':
            if (live.length > 0) {
              const [s] = live.splice(op.which % live.length, 1);
              s.snap.release();
              expect(() => s.snap.entries()).toThrow();
            }
            break;
          case 'mutate': {
            const before = real.get(op.k);
            const v = real.getForUpdate(op.k, copyValue);
            if (live.length === 0) expect(v).toBe(before); // nothing pinned: no copy
            if (model.has(op.k)) {
              expect(v).toEqual({ n: model.get(op.k) });
              v!.n = op.n; // mutate in place, as user code does
              model.set(op.k, op.n);
            } else {
              expect(v).toBeUndefined();
            }
            break;
          }
          case 'check':
            if (live.length > 0) {
              const s = live[op.which % live.length];
              expect(sorted(s.snap.entries())).toEqual(s.expected);
            }
            break;
        }
        checkAll();
        if (live.length === 0) expect(real.depth).toBe(1);
        else expect(real.depth).toBeGreaterThan(1);
      }
      // release what is left, in random-ish order given by the ops
      while (live.length > 0) {
        const s = live.splice(ops.length % live.length, 1)[0];
        s.snap.release();
        checkAll();
      }
      expect(real.depth).toBe(1);
      checkAll();
    }),
  );
});
