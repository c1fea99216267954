/**
 * Slot assignment: as many shared slots as the largest parallelism, subtask
 * i of every vertex in slot i, slots spread evenly over nodes, used slots
 * respected, not enough slots reported with the numbers, and determinism
 * whatever the order nodes are listed in (a property).
 */
import fc from 'fast-check';
import type { SubtaskId } from '../graph/ExecutionGraph';
import { assignSlots, slotsNeeded } from './SlotAssignment';

function job(...parallelism: number[]): SubtaskId[] {
  return parallelism.flatMap((p, v) => Array.from({ length: p }, (_, index) => ({ vertexId: v + 1, index })));
}

test('subtask i of every vertex shares slot i; slots alternate over equal nodes', () => {
  const r = assignSlots(job(4, 4, 2), [
    { nodeId: 'b', slots: 2, used: 0 },
    { nodeId: 'a', slots: 2, used: 0 },
  ]);
  if (!r.ok) throw new Error('expected a placement');
  const at = (v: number, i: number) => r.placement.get(`${v}#${i}`)!.nodeId;
  expect([0, 1, 2, 3].map((i) => at(1, i))).toEqual(['a', 'b', 'a', 'b']);
  expect([0, 1, 2, 3].map((i) => at(2, i))).toEqual(['a', 'b', 'a', 'b']);
  expect([0, 1].map((i) => at(3, i))).toEqual(['a', 'b']);
  expect(Object.fromEntries(r.slotsPerNode)).toEqual({ a: 2, b: 2 });
});

test('the least utilised node is filled first; used slots are not offered', () => {
  const r = assignSlots(job(3), [
    { nodeId: 'a', slots: 4, used: 3 },
    { nodeId: 'b', slots: 2, used: 0 },
  ]);
  if (!r.ok) throw new Error('expected a placement');
  expect(Object.fromEntries(r.slotsPerNode)).toEqual({ b: 2, a: 1 });
  const big = assignSlots(job(3), [
    { nodeId: 'a', slots: 8, used: 0 },
    { nodeId: 'b', slots: 2, used: 0 },
  ]);
  if (!big.ok) throw new Error('expected a placement');
  expect(Object.fromEntries(big.slotsPerNode)).toEqual({ a: 2, b: 1 });
});

test('too few slots: how many are needed and available', () => {
  expect(assignSlots(job(2, 5), [{ nodeId: 'a', slots: 4, used: 1 }])).toEqual({ ok: false, needed: 5, available: 3 });
  expect(assignSlots(job(1), [])).toEqual({ ok: false, needed: 1, available: 0 });
});

test('property: every subtask placed, no node over its free slots, spread within one slot, order-independent', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
      fc.uniqueArray(fc.record({ nodeId: fc.string({ minLength: 1, maxLength: 3 }), slots: fc.integer({ min: 0, max: 4 }), used: fc.integer({ min: 0, max: 4 }) }), {
        selector: (n) => n.nodeId,
        maxLength: 5,
      }),
      (parallelism, nodes) => {
        const subtasks = job(...parallelism);
        const r = assignSlots(subtasks, nodes);
        const again = assignSlots(subtasks, [...nodes].reverse());
        expect(again).toEqual(r);
        const free = new Map(nodes.map((n) => [n.nodeId, Math.max(0, n.slots - n.used)]));
        if (!r.ok) {
          expect(r.needed).toBe(slotsNeeded(subtasks));
          expect(r.available).toBeLessThan(r.needed);
          return;
        }
        for (const s of subtasks) expect(r.placement.get(`${s.vertexId}#${s.index}`)?.slot).toBe(s.index);
        for (const [id, n] of r.slotsPerNode) expect(n).toBeLessThanOrEqual(free.get(id)!);
        // Least utilised first: when a node took its last slot, it was no more utilised than any node that still has room.
        const util = nodes.map((n) => ({ got: r.slotsPerNode.get(n.nodeId) ?? 0, used: n.used, slots: n.slots, room: free.get(n.nodeId)! }));
        for (const a of util) {
          if (a.got === 0) continue;
          for (const b of util) {
            if (b.got < b.room) expect((a.used + a.got - 1) / a.slots).toBeLessThanOrEqual((b.used + b.got) / b.slots);
          }
        }
      },
    ),
  );
});
