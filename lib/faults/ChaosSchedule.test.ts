/** chaosSchedule: the same seed gives the same schedule; events fall in the spread and name real nodes; faults name real subtasks and pass validateFaults. */
import fc from 'fast-check';
import { chaosSchedule } from './ChaosSchedule';
import { validateFaults } from './PlannedFaults';

const target = {
  vertices: [
    { uids: ['src', 'map'], parallelism: 2 },
    { uids: ['sum'], parallelism: 4 },
    { uids: ['sink'], parallelism: 4 },
  ],
  edges: [
    { from: 0, to: 1, allToAll: true },
    { from: 1, to: 2, allToAll: false },
  ],
  nodes: 3,
};

test('a seed replays its schedule; another seed gives another', () => {
  expect(chaosSchedule(42, target)).toEqual(chaosSchedule(42, target));
  expect(chaosSchedule(42, target)).not.toEqual(chaosSchedule(43, target));
});

test('property: events in the spread, in order, on real nodes; faults on real subtasks, valid as data', () => {
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), (seed, events, faults) => {
      const s = chaosSchedule(seed, target, { events, faults, spreadMs: 1000 });
      expect(s.events).toHaveLength(events);
      expect(s.plan).toHaveLength(faults);
      s.events.forEach((e, i) => {
        expect(e.atMs).toBeGreaterThanOrEqual(i === 0 ? 0 : s.events[i - 1].atMs);
        expect(e.atMs).toBeLessThan(1000);
        expect(e.node).toBeLessThan(3);
      });
      expect(validateFaults(JSON.parse(JSON.stringify(s.plan)))).toEqual(s.plan);
      const vertexOf = (r: { operator: string; subtask: number }) => target.vertices.findIndex((v) => v.uids.includes(r.operator) && r.subtask < v.parallelism);
      for (const f of s.plan) {
        expect(f.attempt).toBe('any');
        if (f.kind === 'delay-channel' || f.kind === 'drop-channel') {
          // Data flows from → to along an edge; credits flow back.
          const [up, down] = f.what === 'data' ? [f.from, f.to] : [f.to, f.from];
          const e = target.edges.find((x) => x.from === vertexOf(up) && x.to === vertexOf(down));
          expect(e).toBeDefined();
          if (!e!.allToAll) expect(up.subtask).toBe(down.subtask);
        } else expect(vertexOf(f)).toBeGreaterThanOrEqual(0);
      }
    }),
  );
});
