/**
 * Benchmark helpers: timing with warm-up and best-of-N, and the result
 * shape every case returns. Ratios are always taken against a baseline
 * measured in the same process and run.
 */

export interface Measurement {
  readonly label: string;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
}

export interface CaseResult {
  readonly name: string;
  readonly measurements: readonly Measurement[];
  /** name → value, e.g. "engine/loop" → 0.41 */
  readonly ratios: Readonly<Record<string, number>>;
  readonly targets: Readonly<Record<string, string>>;
  readonly notes?: readonly string[];
  peakRssMb?: number;
}

/** Runs `fn` `reps` times after one warm-up run; returns the fastest. */
export async function best(label: string, records: number, reps: number, fn: () => unknown | Promise<unknown>): Promise<Measurement> {
  await fn();
  let bestSeconds = Infinity;
  for (let i = 0; i < reps; i++) {
    if (global.gc) global.gc();
    const t0 = process.hrtime.bigint();
    await fn();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (s < bestSeconds) bestSeconds = s;
  }
  return { label, records, seconds: bestSeconds, recordsPerSecond: records / bestSeconds };
}

export function fmtRate(r: number): string {
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)}M/s`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(1)}K/s`;
  return `${r.toFixed(0)}/s`;
}
