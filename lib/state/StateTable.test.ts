/**
 * StateTable outside the default namespace: one copy-on-write map per
 * namespace, pinned lazily for snapshots. snapshot() pins no namespace map;
 * the first write after it does, once, for every live snapshot since; a
 * pin shared by several snapshots lives until the last of them is
 * released; a snapshot reading a namespace nobody wrote since pins it
 * itself, so writes made while it reads never show; an emptied namespace
 * map is dropped at once, or when the snapshots that pin it are released.
 */
import type { StateKey } from './KeyGroup';
import { StateTable, type NamespaceMap, type StateTableSnapshot } from './StateTable';

type Table = StateTable<number>;

function put(t: Table, id: string, key: StateKey, v: number): NamespaceMap<number> {
  const m = t.namespace(id) ?? t.addNamespace(id, id);
  t.writable(m).set(key, v);
  return m;
}

/** id → sorted [key, value] of a snapshot. */
function contents(s: StateTableSnapshot<number>): Record<string, [StateKey, number][]> {
  const out: Record<string, [StateKey, number][]> = {};
  for (const ns of s.namespaces()) {
    const entries = [...ns.entries()].sort(([a], [b]) => String(a).localeCompare(String(b)));
    if (entries.length > 0) out[ns.namespaceId] = entries;
  }
  return out;
}

function live(t: Table): Record<string, [StateKey, number][]> {
  const out: Record<string, [StateKey, number][]> = {};
  for (const c of t.liveCells()) (out[c.namespaceId] ??= []).push([c.key, c.value]);
  for (const e of Object.values(out)) e.sort(([a], [b]) => String(a).localeCompare(String(b)));
  return out;
}

test('snapshot() pins no namespace map; the first write to one after it pins that one, once', () => {
  const t: Table = new StateTable();
  const maps = Array.from({ length: 1000 }, (_, i) => put(t, `w${i}`, 'k', i));
  const s = t.snapshot();
  expect(maps.every((m) => m.entries.depth === 1)).toBe(true);
  put(t, 'w7', 'k', -1);
  put(t, 'w7', 'j', -2);
  expect(maps[7].entries.depth).toBe(2);
  expect(maps.filter((m) => m.entries.depth > 1)).toHaveLength(1);
  expect(contents(s).w7).toEqual([['k', 7]]);
  s.release();
  expect(maps[7].entries.depth).toBe(1);
  expect(live(t).w7).toEqual([['j', -2], ['k', -1]]);
});

test('a pin shared by snapshots taken before a write lives until the last of them is released', () => {
  const t: Table = new StateTable();
  const m = put(t, 'w', 'a', 1);
  const s1 = t.snapshot();
  const s2 = t.snapshot();
  put(t, 'w', 'a', 2); // one pin, serving s1 and s2
  s1.release();
  put(t, 'w', 'a', 3);
  t.erase(m, 'a');
  put(t, 'w', 'b', 4);
  expect(contents(s2)).toEqual({ w: [['a', 1]] });
  s2.release();
  expect(m.entries.depth).toBe(1);
  expect(live(t)).toEqual({ w: [['b', 4]] });
});

test('pins of successive snapshots: each snapshot reads the namespace as it was when taken', () => {
  const t: Table = new StateTable();
  put(t, 'w', 'a', 1);
  const s1 = t.snapshot();
  put(t, 'w', 'a', 2);
  const s2 = t.snapshot();
  const s3 = t.snapshot();
  put(t, 'w', 'a', 3);
  const s4 = t.snapshot();
  put(t, 'x', 'a', 9); // a namespace s1–s4 do not have
  s2.release();
  put(t, 'w', 'a', 4);
  expect(contents(s1)).toEqual({ w: [['a', 1]] });
  expect(contents(s3)).toEqual({ w: [['a', 2]] });
  expect(contents(s4)).toEqual({ w: [['a', 3]] });
  for (const s of [s4, s1, s3]) s.release();
  expect(live(t)).toEqual({ w: [['a', 4]], x: [['a', 9]] });
  expect(t.namespace('w')!.entries.depth).toBe(1);
});

test('a snapshot reading a namespace nobody wrote since pins it: writes while it reads never show', () => {
  const t: Table = new StateTable();
  for (let i = 0; i < 10; i++) put(t, 'w', `k${i}`, i);
  const old = t.snapshot();
  put(t, 'w', 'k0', 100); // pinned for `old`
  const s = t.snapshot();
  const [view] = s.namespaces(); // not written since s
  const it = view.entries();
  const first = it.next().value as [StateKey, number];
  put(t, 'w', 'k1', 200);
  put(t, 'w', 'k2', 300);
  old.release(); // must not fold layers under the read in progress
  put(t, 'w', 'k3', 400);
  const rest = [...it];
  const read = new Map([first, ...rest]);
  expect(read.size).toBe(10);
  expect(Object.fromEntries(read)).toEqual({ k0: 100, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9 });
  // and the same view read again, after more writes
  put(t, 'w', 'k4', 500);
  expect(Object.fromEntries(view.entries())).toEqual(Object.fromEntries(read));
  s.release();
  expect(t.namespace('w')!.entries.depth).toBe(1);
});

test('an emptied namespace map is dropped at once, or when the snapshots that pin it are released', () => {
  const t: Table = new StateTable();
  const a = put(t, 'a', 1, 1);
  t.erase(a, 1);
  expect(a.dropped).toBe(true);
  expect(t.namespace('a')).toBeUndefined();
  expect(t.namespaceCount).toBe(0);

  const b = put(t, 'b', 1, 1);
  put(t, 'b', '1', 2); // the number 1 and the string '1' are two keys
  const s1 = t.snapshot();
  t.erase(b, 1);
  t.erase(b, '1');
  expect(b.dropped).toBe(false); // s1 pins it
  const s2 = t.snapshot(); // sees b empty
  s1.release();
  expect(b.dropped).toBe(true);
  expect(t.namespaceCount).toBe(0);
  expect(contents(s2)).toEqual({});
  s2.release();

  // a new map for the same id is a new one; the dropped one is never written again
  const b2 = put(t, 'b', 1, 3);
  expect(b2).not.toBe(b);
  expect(live(t)).toEqual({ b: [[1, 3]] });
});

test('a snapshot read after its release is an error; release is idempotent', () => {
  const t: Table = new StateTable();
  put(t, 'w', 'a', 1);
  const s = t.snapshot();
  s.release();
  s.release();
  expect(() => s.namespaces()).toThrow('snapshot used after release');
  put(t, 'w', 'a', 2);
  expect(t.namespace('w')!.entries.depth).toBe(1);
});
