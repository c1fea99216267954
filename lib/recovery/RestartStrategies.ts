/**
 * Restart strategies (Flink's RestartStrategies): what the job master does
 * when a subtask fails — restart the job after a delay, or give up and fail
 * it. Pure: a RestartBackoff takes the failure time and says restart after
 * `delayMs` or fail with a reason; clock and jitter randomness are injected.
 *
 *   RestartStrategies.fixedDelay(3, 1000)              // 3 restarts, 1 s apart
 *   RestartStrategies.exponentialDelay({ initialBackoffMs: 100, maxBackoffMs: 10_000 })
 *   RestartStrategies.failureRate(3, 60_000, 1000)     // ≤ 3 failures per minute
 *   RestartStrategies.noRestart()
 */
import { ConfigurationError, preview } from '../errors';

export type RestartStrategy =
  | { readonly kind: 'no-restart' }
  | { readonly kind: 'fixed-delay'; readonly attempts: number; readonly delayMs: number }
  | {
      readonly kind: 'exponential-delay';
      readonly initialBackoffMs: number;
      readonly maxBackoffMs: number;
      readonly backoffMultiplier: number;
      /** A failure this long after the previous one resets the backoff to its initial value. */
      readonly resetBackoffThresholdMs: number;
      /** ± this fraction of random jitter on each delay. */
      readonly jitterFactor: number;
      readonly attempts: number;
    }
  | { readonly kind: 'failure-rate'; readonly maxFailuresPerInterval: number; readonly failureIntervalMs: number; readonly delayMs: number };

export const RestartStrategies = {
  noRestart(): RestartStrategy {
    return { kind: 'no-restart' };
  },
  fixedDelay(attempts: number, delayMs: number): RestartStrategy {
    return { kind: 'fixed-delay', attempts: count('attempts', attempts), delayMs: duration('delayMs', delayMs) };
  },
  exponentialDelay(
    o: {
      initialBackoffMs?: number;
      maxBackoffMs?: number;
      backoffMultiplier?: number;
      resetBackoffThresholdMs?: number;
      jitterFactor?: number;
      attempts?: number;
    } = {},
  ): RestartStrategy {
    return exponential(
      {
        initialBackoffMs: o.initialBackoffMs ?? 1000,
        maxBackoffMs: o.maxBackoffMs ?? 60_000,
        backoffMultiplier: o.backoffMultiplier ?? 2,
        resetBackoffThresholdMs: o.resetBackoffThresholdMs ?? 3_600_000,
        jitterFactor: o.jitterFactor ?? 0.1,
        attempts: o.attempts ?? Infinity,
      },
      '',
    );
  },
  failureRate(maxFailuresPerInterval: number, failureIntervalMs: number, delayMs: number): RestartStrategy {
    return {
      kind: 'failure-rate',
      maxFailuresPerInterval: count('maxFailuresPerInterval', maxFailuresPerInterval),
      failureIntervalMs: duration('failureIntervalMs', failureIntervalMs),
      delayMs: duration('delayMs', delayMs),
    };
  },
};

const KINDS = ['no-restart', 'fixed-delay', 'exponential-delay', 'failure-rate'];

/**
 * Checks a strategy object, whether RestartStrategies built it or a program
 * assembled it by hand: the kind and every field the kind needs. Throws a
 * ConfigurationError naming the field (`restartStrategy.delayMs`).
 */
export function validateRestartStrategy(strategy: unknown): RestartStrategy {
  const p = 'restartStrategy.';
  if (typeof strategy !== 'object' || strategy === null) {
    throw new ConfigurationError(
      'restartStrategy',
      `must be a strategy from RestartStrategies.fixedDelay(), exponentialDelay(), failureRate() or noRestart(), got ${preview(strategy)}`,
    );
  }
  const s = strategy as Record<string, unknown>;
  switch (s.kind) {
    case 'no-restart':
      return { kind: 'no-restart' };
    case 'fixed-delay':
      return { kind: 'fixed-delay', attempts: count(`${p}attempts`, s.attempts), delayMs: duration(`${p}delayMs`, s.delayMs) };
    case 'failure-rate':
      return {
        kind: 'failure-rate',
        maxFailuresPerInterval: count(`${p}maxFailuresPerInterval`, s.maxFailuresPerInterval),
        failureIntervalMs: duration(`${p}failureIntervalMs`, s.failureIntervalMs),
        delayMs: duration(`${p}delayMs`, s.delayMs),
      };
    case 'exponential-delay':
      return exponential(s, p);
    default:
      throw new ConfigurationError(
        `${p}kind`,
        `must be one of ${KINDS.map((k) => `'${k}'`).join(', ')}, got ${preview(s.kind)}; ` +
          'build strategies with RestartStrategies.fixedDelay(), exponentialDelay(), failureRate() or noRestart()',
      );
  }
}

function exponential(o: Record<string, unknown>, prefix: string): RestartStrategy {
  const s = {
    kind: 'exponential-delay' as const,
    initialBackoffMs: duration(`${prefix}initialBackoffMs`, o.initialBackoffMs),
    maxBackoffMs: duration(`${prefix}maxBackoffMs`, o.maxBackoffMs),
    backoffMultiplier: o.backoffMultiplier as number,
    resetBackoffThresholdMs: duration(`${prefix}resetBackoffThresholdMs`, o.resetBackoffThresholdMs),
    jitterFactor: o.jitterFactor as number,
    attempts: count(`${prefix}attempts`, o.attempts),
  };
  if (!(typeof s.backoffMultiplier === 'number' && s.backoffMultiplier >= 1 && s.backoffMultiplier !== Infinity)) {
    throw new ConfigurationError(`${prefix}backoffMultiplier`, `must be a finite number ≥ 1, got ${preview(o.backoffMultiplier)}`);
  }
  if (!(typeof s.jitterFactor === 'number' && s.jitterFactor >= 0 && s.jitterFactor <= 1)) {
    throw new ConfigurationError(`${prefix}jitterFactor`, `must be in 0..1, got ${preview(o.jitterFactor)}`);
  }
  if (s.maxBackoffMs < s.initialBackoffMs) throw new ConfigurationError(`${prefix}maxBackoffMs`, 'must be ≥ initialBackoffMs');
  return s;
}

export type RestartDecision = { readonly restart: true; readonly delayMs: number } | { readonly restart: false; readonly reason: string };

/** The state of a strategy over one job's life. */
export class RestartBackoff {
  private restarts = 0;
  private failures: number[] = [];
  private backoff: number | undefined;
  private lastFailure = -Infinity;

  constructor(readonly strategy: RestartStrategy, private readonly random: () => number = Math.random) {}

  get restartCount(): number {
    return this.restarts;
  }

  onFailure(now: number): RestartDecision {
    const s = this.strategy;
    switch (s.kind) {
      case 'no-restart':
        return { restart: false, reason: 'the restart strategy is noRestart()' };
      case 'fixed-delay':
        if (this.restarts >= s.attempts) return { restart: false, reason: `all ${s.attempts} restart attempts were used` };
        this.restarts++;
        return { restart: true, delayMs: s.delayMs };
      case 'failure-rate': {
        this.failures = this.failures.filter((t) => now - t < s.failureIntervalMs);
        this.failures.push(now);
        if (this.failures.length > s.maxFailuresPerInterval) {
          return { restart: false, reason: `more than ${s.maxFailuresPerInterval} failures within ${s.failureIntervalMs} ms` };
        }
        this.restarts++;
        return { restart: true, delayMs: s.delayMs };
      }
      case 'exponential-delay': {
        if (this.restarts >= s.attempts) return { restart: false, reason: `all ${s.attempts} restart attempts were used` };
        if (this.backoff === undefined || now - this.lastFailure >= s.resetBackoffThresholdMs) this.backoff = s.initialBackoffMs;
        else this.backoff = Math.min(s.maxBackoffMs, this.backoff * s.backoffMultiplier);
        this.lastFailure = now;
        this.restarts++;
        const jitter = this.backoff * s.jitterFactor * (2 * this.random() - 1);
        return { restart: true, delayMs: Math.max(0, Math.round(this.backoff + jitter)) };
      }
    }
  }
}

function count(option: string, v: unknown): number {
  if (!(v === Infinity || (Number.isInteger(v) && (v as number) >= 0))) {
    throw new ConfigurationError(option, `must be a non-negative integer or Infinity, got ${preview(v)}`);
  }
  return v as number;
}

function duration(option: string, v: unknown): number {
  if (!(Number.isFinite(v) && (v as number) >= 0)) throw new ConfigurationError(option, `must be a non-negative number of ms, got ${preview(v)}`);
  return v as number;
}
