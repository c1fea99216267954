/**
 * WatermarkStrategy and its generators on their own, through a recording
 * WatermarkOutput: the built-in generators' exact watermarks, idleness on a
 * ManualClock, argument checks, the builder's immutability, and the checks
 * on a custom generator. TimestampsAndWatermarks.test.ts runs strategies
 * end to end.
 */
import { ConfigurationError, ThenableReturnedError, TimestampAssignmentError } from '../errors';
import { ManualClock } from '../testing/ManualClock';
import { Watermark } from './Watermark';
import type { WatermarkGenerator, WatermarkOutput } from './WatermarkGenerator';
import { WatermarkStrategy } from './WatermarkStrategy';

type Out = number | 'IDLE' | 'ACTIVE';

function recording(): { output: WatermarkOutput; take: () => Out[] } {
  const got: Out[] = [];
  return {
    output: {
      emitWatermark: (w) => void got.push(w.timestamp),
      markIdle: () => void got.push('IDLE'),
      markActive: () => void got.push('ACTIVE'),
    },
    take: () => got.splice(0),
  };
}

function generator<T>(strategy: WatermarkStrategy<T>, clock = new ManualClock()): WatermarkGenerator<T> {
  return strategy.createWatermarkGenerator({ clock });
}

describe('forBoundedOutOfOrderness', () => {
  test('emits max − bound − 1 on every periodic emit, never on an event', () => {
    const g = generator(WatermarkStrategy.forBoundedOutOfOrderness<string>(100));
    const { output, take } = recording();
    g.onEvent('a', 1000, output);
    g.onEvent('b', 1500, output);
    g.onEvent('c', 1200, output); // late but within the bound: max stays 1500
    expect(take()).toEqual([]);
    g.onPeriodicEmit(output);
    g.onPeriodicEmit(output);
    expect(take()).toEqual([1399, 1399]); // repeats are the output's job to drop
  });

  test('before any event it emits -Infinity ("nothing known")', () => {
    const g = generator(WatermarkStrategy.forBoundedOutOfOrderness(50));
    const { output, take } = recording();
    g.onPeriodicEmit(output);
    expect(take()).toEqual([-Infinity]);
  });

  test('negative and fractional timestamps are ordinary event times', () => {
    const g = generator(WatermarkStrategy.forBoundedOutOfOrderness(10));
    const { output, take } = recording();
    g.onEvent(0, -500, output);
    g.onPeriodicEmit(output);
    g.onEvent(0, 20.5, output);
    g.onPeriodicEmit(output);
    expect(take()).toEqual([-511, 9.5]);
  });

  test.each([-1, NaN, Infinity, -Infinity, '5', undefined])('rejects a bound of %p with ConfigurationError naming it', (bad) => {
    const build = () => WatermarkStrategy.forBoundedOutOfOrderness(bad as number);
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow(/maxOutOfOrdernessMs/);
    expect(build).toThrow(bad === '5' ? '"5"' : String(bad));
  });

  test('a bound of 0 is the monotonous strategy', () => {
    const a = generator(WatermarkStrategy.forBoundedOutOfOrderness(0));
    const b = generator(WatermarkStrategy.forMonotonousTimestamps());
    const ra = recording();
    const rb = recording();
    for (const ts of [3, 7, 7, 9]) {
      a.onEvent(null, ts, ra.output);
      b.onEvent(null, ts, rb.output);
      a.onPeriodicEmit(ra.output);
      b.onPeriodicEmit(rb.output);
    }
    expect(rb.take()).toEqual([2, 6, 6, 8]);
    expect(ra.take()).toEqual([2, 6, 6, 8]);
  });
});

describe('noWatermarks', () => {
  test('emits nothing, ever', () => {
    const g = generator(WatermarkStrategy.noWatermarks<number>());
    const { output, take } = recording();
    g.onEvent(1, 1000, output);
    g.onPeriodicEmit(output);
    expect(take()).toEqual([]);
  });
});

describe('withIdleness (on a ManualClock)', () => {
  const idle = (ms: number) => WatermarkStrategy.forMonotonousTimestamps<string>().withIdleness(ms);

  test('idle at the first poll once the timeout has passed without events; active again at the next event', () => {
    const clock = new ManualClock(10_000);
    const g = generator(idle(1000), clock);
    const { output, take } = recording();
    g.onEvent('a', 5, output);
    clock.advance(999);
    g.onPeriodicEmit(output);
    expect(take()).toEqual([4]); // not yet idle: the wrapped generator is polled
    clock.advance(1);
    g.onPeriodicEmit(output);
    g.onPeriodicEmit(output);
    expect(take()).toEqual(['IDLE']); // once; the wrapped generator is not polled while idle
    clock.advance(5000);
    g.onEvent('b', 8, output);
    expect(take()).toEqual(['ACTIVE']);
    g.onPeriodicEmit(output);
    expect(take()).toEqual([7]);
  });

  test('every event restarts the countdown', () => {
    const clock = new ManualClock();
    const g = generator(idle(1000), clock);
    const { output, take } = recording();
    for (let i = 0; i < 5; i++) {
      clock.advance(600);
      g.onEvent('x', i, output);
      g.onPeriodicEmit(output);
    }
    expect(take()).not.toContain('IDLE');
  });

  test('an input that never gets an event goes idle after the timeout from creation', () => {
    const clock = new ManualClock();
    const g = generator(idle(300), clock);
    const { output, take } = recording();
    clock.advance(299);
    g.onPeriodicEmit(output);
    expect(take()).toEqual([-Infinity]);
    clock.advance(1);
    g.onPeriodicEmit(output);
    expect(take()).toEqual(['IDLE']);
  });

  test.each([0, -1, NaN, Infinity, '100', null])('rejects a timeout of %p with ConfigurationError naming it', (bad) => {
    const build = () => WatermarkStrategy.noWatermarks().withIdleness(bad as number);
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow(/idleTimeoutMs/);
  });
});

describe('the builder', () => {
  test('is immutable: each method returns a new strategy and leaves the old one as it was', () => {
    const base = WatermarkStrategy.forBoundedOutOfOrderness<{ ts: number }>(1000);
    const withAssigner = base.withTimestampAssigner((e) => e.ts);
    const withBoth = withAssigner.withIdleness(5000);
    expect(Object.isFrozen(base)).toBe(true);
    expect(String(base)).toBe('WatermarkStrategy.forBoundedOutOfOrderness(1000)');
    expect(String(withAssigner)).toBe('WatermarkStrategy.forBoundedOutOfOrderness(1000).withTimestampAssigner(fn)');
    expect(String(withBoth)).toBe('WatermarkStrategy.forBoundedOutOfOrderness(1000).withTimestampAssigner(fn).withIdleness(5000)');
    expect(base.hasTimestampAssigner).toBe(false);
    expect(base.idleTimeoutMs).toBeUndefined();
    expect(withBoth.hasTimestampAssigner).toBe(true);
    expect(withBoth.idleTimeoutMs).toBe(5000);
  });

  test('withIdleness again replaces the timeout; withTimestampAssigner keeps it', () => {
    const s = WatermarkStrategy.forMonotonousTimestamps<number>().withIdleness(100).withIdleness(200).withTimestampAssigner((n) => n);
    expect(s.idleTimeoutMs).toBe(200);
    expect(s.createTimestampAssigner()(42, undefined)).toBe(42);
  });

  test('rejects a timestamp assigner or generator factory that is not a function', () => {
    expect(() => WatermarkStrategy.noWatermarks().withTimestampAssigner(5 as never)).toThrow(/timestampAssigner.*must be a function/);
    expect(() => WatermarkStrategy.forGenerator({} as never)).toThrow(ConfigurationError);
  });

  test('without an assigner, records keep their own timestamp; one without fails with MISSING_TIMESTAMP', () => {
    const assign = WatermarkStrategy.forMonotonousTimestamps<string>().createTimestampAssigner();
    expect(assign('a', 17)).toBe(17);
    let err: unknown;
    try {
      assign('a', undefined);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TimestampAssignmentError);
    expect(err).toMatchObject({ code: 'MISSING_TIMESTAMP', record: 'a', strategy: 'WatermarkStrategy.forMonotonousTimestamps()' });
    expect((err as Error).message).toMatch(/withTimestampAssigner/);
  });
});

describe('forGenerator', () => {
  test('calls the factory once per generator with the clock, and runs what it returns', () => {
    const clock = new ManualClock(77);
    const seen: number[] = [];
    const s = WatermarkStrategy.forGenerator<number>((ctx) => {
      seen.push(ctx.clock.now());
      return {
        onEvent: (_e, ts, out) => out.emitWatermark(new Watermark(ts)),
        onPeriodicEmit: (out) => out.markIdle(),
      };
    });
    const g = s.createWatermarkGenerator({ clock });
    s.createWatermarkGenerator({ clock });
    expect(seen).toEqual([77, 77]);
    const { output, take } = recording();
    g.onEvent(1, 10, output);
    g.onPeriodicEmit(output);
    expect(take()).toEqual([10, 'IDLE']);
  });

  test('keeps `this` for a generator written as a class', () => {
    class Punctuated implements WatermarkGenerator<number> {
      private last = -1;
      onEvent(e: number, _ts: number, out: WatermarkOutput): void {
        this.last = e;
        out.emitWatermark(new Watermark(this.last));
      }
      onPeriodicEmit(): void {}
    }
    const g = generator(WatermarkStrategy.forGenerator(() => new Punctuated()));
    const { output, take } = recording();
    g.onEvent(3, 0, output);
    expect(take()).toEqual([3]);
  });

  test('a factory that returns something other than a generator fails with ConfigurationError', () => {
    const s = WatermarkStrategy.forGenerator(() => ({ onEvent() {} }) as never);
    expect(() => generator(s)).toThrow(/onEvent and onPeriodicEmit/);
  });

  test('async factory, onEvent or onPeriodicEmit: ThenableReturnedError naming which', () => {
    const asyncFactory = WatermarkStrategy.forGenerator((async () => ({ onEvent() {}, onPeriodicEmit() {} })) as never);
    expect(() => generator(asyncFactory)).toThrow(ThenableReturnedError);
    expect(() => generator(asyncFactory)).toThrow(/watermark generator factory returned a Promise/);

    const g = generator(WatermarkStrategy.forGenerator(() => ({ async onEvent() {}, async onPeriodicEmit() {} })));
    const { output } = recording();
    expect(() => g.onEvent(1, 1, output)).toThrow(/onEvent\(\) returned a Promise/);
    expect(() => g.onPeriodicEmit(output)).toThrow(/onPeriodicEmit\(\) returned a Promise/);
  });

  test('an async generator is caught also behind withIdleness', () => {
    const g = generator(WatermarkStrategy.forGenerator(() => ({ async onEvent() {}, onPeriodicEmit() {} })).withIdleness(10));
    expect(() => g.onEvent(1, 1, recording().output)).toThrow(ThenableReturnedError);
  });
});
