/**
 * Restart strategies and RestartBackoff decisions: noRestart; fixed delay
 * (attempts, then give up); failure rate (a sliding window of failures);
 * exponential delay (growth by the multiplier, the cap, reset after a quiet
 * threshold, attempts, jitter bounds with a seeded random); defaults; and
 * ConfigurationError for every invalid argument, and for every bad field of
 * a strategy object built by hand (validateRestartStrategy, which
 * env.setRestartStrategy applies).
 */
import fc from 'fast-check';
import { ConfigurationError } from '../errors';
import { seededRandom } from '../testing/random';
import { StreamExecutionEnvironment } from '../api/StreamExecutionEnvironment';
import { RestartBackoff, RestartStrategies, validateRestartStrategy, type RestartDecision } from './RestartStrategies';

function delays(b: RestartBackoff, times: readonly number[]): (number | 'fail')[] {
  return times.map((t) => {
    const d = b.onFailure(t);
    return d.restart ? d.delayMs : 'fail';
  });
}

function expectConfigError(f: () => unknown, option: string): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ConfigurationError);
  expect((thrown as ConfigurationError).option).toBe(option);
  expect((thrown as ConfigurationError).code).toBe('INVALID_CONFIGURATION');
  expect((thrown as ConfigurationError).message).toContain(option);
}

describe('noRestart', () => {
  test('never restarts', () => {
    const b = new RestartBackoff(RestartStrategies.noRestart());
    const d = b.onFailure(0);
    expect(d.restart).toBe(false);
    expect((d as Extract<RestartDecision, { restart: false }>).reason).toMatch(/noRestart/);
    expect(b.onFailure(10).restart).toBe(false);
    expect(b.restartCount).toBe(0);
  });
});

describe('fixedDelay', () => {
  test('restarts `attempts` times with the fixed delay, then fails', () => {
    const s = RestartStrategies.fixedDelay(3, 250);
    expect(s).toEqual({ kind: 'fixed-delay', attempts: 3, delayMs: 250 });
    const b = new RestartBackoff(s);
    expect(delays(b, [0, 1, 2])).toEqual([250, 250, 250]);
    expect(b.restartCount).toBe(3);
    const d = b.onFailure(3);
    expect(d).toEqual({ restart: false, reason: expect.stringContaining('3') });
    expect(b.restartCount).toBe(3);
    expect(b.onFailure(1_000_000).restart).toBe(false);
  });

  test('zero attempts: the first failure fails the job', () => {
    expect(new RestartBackoff(RestartStrategies.fixedDelay(0, 10)).onFailure(0).restart).toBe(false);
  });

  test('attempts may be Infinity', () => {
    const b = new RestartBackoff(RestartStrategies.fixedDelay(Infinity, 0));
    for (let i = 0; i < 100; i++) expect(b.onFailure(i)).toEqual({ restart: true, delayMs: 0 });
    expect(b.restartCount).toBe(100);
  });
});

describe('failureRate', () => {
  test('restarts while at most maxFailuresPerInterval fall within the interval', () => {
    const b = new RestartBackoff(RestartStrategies.failureRate(2, 1000, 30));
    expect(b.onFailure(0)).toEqual({ restart: true, delayMs: 30 });
    expect(b.onFailure(500)).toEqual({ restart: true, delayMs: 30 });
    const d = b.onFailure(999); // three failures within [0, 1000)
    expect(d.restart).toBe(false);
    expect((d as Extract<RestartDecision, { restart: false }>).reason).toMatch(/more than 2 failures within 1000 ms/);
  });

  test('failures older than the interval leave the window', () => {
    const b = new RestartBackoff(RestartStrategies.failureRate(2, 1000, 0));
    expect(delays(b, [0, 500, 1000, 1600, 2100])).toEqual([0, 0, 0, 0, 0]);
    // at 2200 the window holds 1600, 2100 and 2200: three failures within 1000 ms are too many
    expect(b.onFailure(2200).restart).toBe(false);
    expect(b.restartCount).toBe(5);
  });

  test('a failure exactly intervalMs after another no longer counts it', () => {
    const b = new RestartBackoff(RestartStrategies.failureRate(1, 100, 5));
    expect(b.onFailure(0).restart).toBe(true);
    expect(b.onFailure(99).restart).toBe(false);
    const b2 = new RestartBackoff(RestartStrategies.failureRate(1, 100, 5));
    expect(b2.onFailure(0).restart).toBe(true);
    expect(b2.onFailure(100).restart).toBe(true);
  });

  test('maxFailuresPerInterval 0 never restarts', () => {
    expect(new RestartBackoff(RestartStrategies.failureRate(0, 100, 5)).onFailure(0).restart).toBe(false);
  });
});

describe('exponentialDelay', () => {
  test('defaults', () => {
    expect(RestartStrategies.exponentialDelay()).toEqual({
      kind: 'exponential-delay',
      initialBackoffMs: 1000,
      maxBackoffMs: 60_000,
      backoffMultiplier: 2,
      resetBackoffThresholdMs: 3_600_000,
      jitterFactor: 0.1,
      attempts: Infinity,
    });
  });

  test('grows by the multiplier up to the cap (no jitter)', () => {
    const b = new RestartBackoff(RestartStrategies.exponentialDelay({ initialBackoffMs: 100, maxBackoffMs: 1000, jitterFactor: 0 }));
    expect(delays(b, [0, 1, 2, 3, 4, 5, 6])).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(b.restartCount).toBe(7);
  });

  test('a custom multiplier; multiplier 1 keeps the delay constant', () => {
    const b = new RestartBackoff(RestartStrategies.exponentialDelay({ initialBackoffMs: 10, maxBackoffMs: 10_000, backoffMultiplier: 3, jitterFactor: 0 }));
    expect(delays(b, [0, 1, 2, 3])).toEqual([10, 30, 90, 270]);
    const c = new RestartBackoff(RestartStrategies.exponentialDelay({ initialBackoffMs: 10, maxBackoffMs: 10_000, backoffMultiplier: 1, jitterFactor: 0 }));
    expect(delays(c, [0, 1, 2])).toEqual([10, 10, 10]);
  });

  test('a failure resetBackoffThresholdMs after the previous one resets the backoff', () => {
    const s = RestartStrategies.exponentialDelay({ initialBackoffMs: 100, maxBackoffMs: 10_000, resetBackoffThresholdMs: 5000, jitterFactor: 0 });
    const b = new RestartBackoff(s);
    expect(delays(b, [0, 10, 20])).toEqual([100, 200, 400]);
    expect(delays(b, [20 + 4999])).toEqual([800]); // just under the threshold: keeps growing
    expect(delays(b, [5019 + 5000])).toEqual([100]); // quiet for the threshold: back to initial
    expect(delays(b, [10_020])).toEqual([200]);
  });

  test('attempts bounds the number of restarts', () => {
    const b = new RestartBackoff(RestartStrategies.exponentialDelay({ initialBackoffMs: 1, maxBackoffMs: 8, jitterFactor: 0, attempts: 2 }));
    expect(delays(b, [0, 1, 2])).toEqual([1, 2, 'fail']);
    expect(b.restartCount).toBe(2);
  });

  test('jitter stays within ± jitterFactor of the backoff and is replayable with a seeded random', () => {
    const s = RestartStrategies.exponentialDelay({ initialBackoffMs: 1000, maxBackoffMs: 8000, jitterFactor: 0.25 });
    const times = Array.from({ length: 40 }, (_, i) => i);
    const a = delays(new RestartBackoff(s, seededRandom(7)), times) as number[];
    const again = delays(new RestartBackoff(s, seededRandom(7)), times) as number[];
    expect(again).toEqual(a);
    const base = times.map((i) => Math.min(8000, 1000 * 2 ** i));
    a.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(Math.floor(base[i] * 0.75));
      expect(d).toBeLessThanOrEqual(Math.ceil(base[i] * 1.25));
    });
    // the jitter is really applied: at the cap, the delays are not all equal
    expect(new Set(a.slice(5)).size).toBeGreaterThan(1);
  });

  test('jitter extremes: random 0 gives backoff·(1−j), random → 1 gives about backoff·(1+j)', () => {
    const s = RestartStrategies.exponentialDelay({ initialBackoffMs: 1000, maxBackoffMs: 1000, jitterFactor: 0.5 });
    expect(new RestartBackoff(s, () => 0).onFailure(0)).toEqual({ restart: true, delayMs: 500 });
    expect(new RestartBackoff(s, () => 0.5).onFailure(0)).toEqual({ restart: true, delayMs: 1000 });
    expect(new RestartBackoff(s, () => 0.9999999).onFailure(0)).toEqual({ restart: true, delayMs: 1500 });
  });

  test('jitter bounds hold for any seed and factor (property)', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 12 }),
        (seed, jitterFactor, initialBackoffMs, n) => {
          const s = RestartStrategies.exponentialDelay({ initialBackoffMs, maxBackoffMs: initialBackoffMs * 4, jitterFactor });
          const b = new RestartBackoff(s, seededRandom(seed));
          for (let i = 0; i < n; i++) {
            const backoff = Math.min(initialBackoffMs * 4, initialBackoffMs * 2 ** i);
            const d = b.onFailure(i);
            if (!d.restart) throw new Error('must restart');
            expect(Number.isInteger(d.delayMs)).toBe(true);
            expect(d.delayMs).toBeGreaterThanOrEqual(Math.max(0, Math.floor(backoff * (1 - jitterFactor))));
            expect(d.delayMs).toBeLessThanOrEqual(Math.ceil(backoff * (1 + jitterFactor)));
          }
        },
      ),
    );
  });
});

describe('invalid arguments', () => {
  test('fixedDelay', () => {
    expectConfigError(() => RestartStrategies.fixedDelay(-1, 10), 'attempts');
    expectConfigError(() => RestartStrategies.fixedDelay(1.5, 10), 'attempts');
    expectConfigError(() => RestartStrategies.fixedDelay(NaN, 10), 'attempts');
    expectConfigError(() => RestartStrategies.fixedDelay(1, -1), 'delayMs');
    expectConfigError(() => RestartStrategies.fixedDelay(1, NaN), 'delayMs');
    expectConfigError(() => RestartStrategies.fixedDelay(1, Infinity), 'delayMs');
  });

  test('failureRate', () => {
    expectConfigError(() => RestartStrategies.failureRate(-1, 100, 0), 'maxFailuresPerInterval');
    expectConfigError(() => RestartStrategies.failureRate(2.5, 100, 0), 'maxFailuresPerInterval');
    expectConfigError(() => RestartStrategies.failureRate(1, -100, 0), 'failureIntervalMs');
    expectConfigError(() => RestartStrategies.failureRate(1, NaN, 0), 'failureIntervalMs');
    expectConfigError(() => RestartStrategies.failureRate(1, 100, -5), 'delayMs');
  });

  test('exponentialDelay', () => {
    expectConfigError(() => RestartStrategies.exponentialDelay({ initialBackoffMs: -1 }), 'initialBackoffMs');
    expectConfigError(() => RestartStrategies.exponentialDelay({ maxBackoffMs: NaN }), 'maxBackoffMs');
    expectConfigError(() => RestartStrategies.exponentialDelay({ initialBackoffMs: 500, maxBackoffMs: 100 }), 'maxBackoffMs');
    expectConfigError(() => RestartStrategies.exponentialDelay({ backoffMultiplier: 0.5 }), 'backoffMultiplier');
    expectConfigError(() => RestartStrategies.exponentialDelay({ backoffMultiplier: NaN }), 'backoffMultiplier');
    expectConfigError(() => RestartStrategies.exponentialDelay({ jitterFactor: -0.1 }), 'jitterFactor');
    expectConfigError(() => RestartStrategies.exponentialDelay({ jitterFactor: 1.01 }), 'jitterFactor');
    expectConfigError(() => RestartStrategies.exponentialDelay({ jitterFactor: NaN }), 'jitterFactor');
    expectConfigError(() => RestartStrategies.exponentialDelay({ resetBackoffThresholdMs: -1 }), 'resetBackoffThresholdMs');
    expectConfigError(() => RestartStrategies.exponentialDelay({ attempts: -2 }), 'attempts');
    expectConfigError(() => RestartStrategies.exponentialDelay({ attempts: 0.5 }), 'attempts');
  });

  test('boundary values are accepted', () => {
    expect(() => RestartStrategies.fixedDelay(0, 0)).not.toThrow();
    expect(() => RestartStrategies.failureRate(0, 0, 0)).not.toThrow();
    expect(() => RestartStrategies.exponentialDelay({ initialBackoffMs: 0, maxBackoffMs: 0, backoffMultiplier: 1, jitterFactor: 0 })).not.toThrow();
    expect(() => RestartStrategies.exponentialDelay({ jitterFactor: 1 })).not.toThrow();
  });
});

describe('strategy objects built by hand', () => {
  test.each<[unknown, string]>([
    [{ kind: 'bogus' }, 'restartStrategy.kind'],
    [{}, 'restartStrategy.kind'],
    [{ kind: 'fixed-delay' }, 'restartStrategy.attempts'],
    [{ kind: 'fixed-delay', attempts: 3 }, 'restartStrategy.delayMs'],
    [{ kind: 'fixed-delay', attempts: '3', delayMs: 10 }, 'restartStrategy.attempts'],
    [{ kind: 'fixed-delay', attempts: 3, delayMs: -1 }, 'restartStrategy.delayMs'],
    [{ kind: 'failure-rate', failureIntervalMs: 10, delayMs: 0 }, 'restartStrategy.maxFailuresPerInterval'],
    [{ kind: 'failure-rate', maxFailuresPerInterval: 1, delayMs: 0 }, 'restartStrategy.failureIntervalMs'],
    [{ kind: 'failure-rate', maxFailuresPerInterval: 1, failureIntervalMs: 10 }, 'restartStrategy.delayMs'],
    [{ ...RestartStrategies.exponentialDelay(), initialBackoffMs: undefined }, 'restartStrategy.initialBackoffMs'],
    [{ ...RestartStrategies.exponentialDelay(), maxBackoffMs: null }, 'restartStrategy.maxBackoffMs'],
    [{ ...RestartStrategies.exponentialDelay(), backoffMultiplier: '2' }, 'restartStrategy.backoffMultiplier'],
    [{ ...RestartStrategies.exponentialDelay(), backoffMultiplier: Infinity }, 'restartStrategy.backoffMultiplier'],
    [{ ...RestartStrategies.exponentialDelay(), resetBackoffThresholdMs: NaN }, 'restartStrategy.resetBackoffThresholdMs'],
    [{ ...RestartStrategies.exponentialDelay(), jitterFactor: undefined }, 'restartStrategy.jitterFactor'],
    [{ ...RestartStrategies.exponentialDelay(), attempts: -1 }, 'restartStrategy.attempts'],
    [null, 'restartStrategy'],
    ['fixed-delay', 'restartStrategy'],
  ])('%p: ConfigurationError naming %s', (strategy, field) => {
    expectConfigError(() => validateRestartStrategy(strategy), field);
    expectConfigError(() => StreamExecutionEnvironment.create().setRestartStrategy(strategy as never), field);
  });

  test("{ kind: 'bogus' } says which kinds exist and how to build one", () => {
    expect(() => validateRestartStrategy({ kind: 'bogus' })).toThrow(
      /'restartStrategy.kind': must be one of 'no-restart', 'fixed-delay', 'exponential-delay', 'failure-rate', got "bogus"; build strategies with RestartStrategies/,
    );
  });

  test('every strategy the factories build passes unchanged; extra fields are dropped', () => {
    for (const s of [
      RestartStrategies.noRestart(),
      RestartStrategies.fixedDelay(3, 10),
      RestartStrategies.fixedDelay(Infinity, 0),
      RestartStrategies.failureRate(2, 1000, 5),
      RestartStrategies.exponentialDelay(),
      RestartStrategies.exponentialDelay({ initialBackoffMs: 0, maxBackoffMs: 0, backoffMultiplier: 1, jitterFactor: 0, attempts: 4 }),
    ]) {
      expect(validateRestartStrategy(s)).toEqual(s);
    }
    expect(validateRestartStrategy({ kind: 'fixed-delay', attempts: 1, delayMs: 2, extra: true })).toEqual({ kind: 'fixed-delay', attempts: 1, delayMs: 2 });
    const env = StreamExecutionEnvironment.create().setRestartStrategy({ kind: 'fixed-delay', attempts: 1, delayMs: 2 });
    expect(env.config.restartStrategy).toEqual({ kind: 'fixed-delay', attempts: 1, delayMs: 2 });
  });
});
