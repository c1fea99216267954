/** End to end: the fault experiment scenario is exactly-once for a few seeds, and its faults really fire. */
import { runExperiment } from './faultExperiment';

test.each([1, 2, 3])('seed %i: output and final state equal the fault-free run', async (seed) => {
  const { result, problems } = await runExperiment(seed, 8_000);
  expect(problems).toEqual([]);
  expect(result.faults.some((f) => f.fault.kind === 'fail-during-notify')).toBe(true);
  expect(result.restarts.length).toBeGreaterThanOrEqual(1);
});
