/**
 * Jest setup: the fast-check budget. CI runs a modest number of cases
 * (FC_NUM_RUNS overrides; `npm run test:long` raises it), and every failure
 * prints its seed and path for replay (see README, "Replaying a failure").
 */
import fc from 'fast-check';

const numRuns = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 100 : 50));
fc.configureGlobal({ numRuns, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) });
