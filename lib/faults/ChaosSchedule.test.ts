/** chaosSchedule: the same seed gives the same schedule; events fall in the spread and name real nodes; faults name real subtasks and pass validateFaults. */
import fc from 'fast-check';
import { chaosSchedule } from './ChaosSchedule';
import { validateFaults } from './PlannedFaults';

const target = { operators: [{ uid: 'src', parallelism: 2 }, { uid: 'sum', parallelism: 4 }], nodes: 3 };

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
      const real = (r: { operator: string; subtask: number }) => target.operators.some((o) => o.uid === r.operator && r.subtask < o.parallelism);
      for (const f of s.plan) {
        if (f.kind === 'delay-channel' || f.kind === 'drop-channel') expect(real(f.from) && real(f.to)).toBe(true);
        else expect(real(f)).toBe(true);
      }
    }),
  );
});
