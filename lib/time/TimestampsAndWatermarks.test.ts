/**
 * TimestampsAndWatermarks end to end on a ManualClock: what goes downstream
 * and in which order (records, watermarks, status changes), for each kind of
 * strategy; the checks on assigned timestamps and emitted watermarks; end of
 * input; the periodic schedule. The strictly-increasing / never-ahead
 * property is in TimestampsAndWatermarks.prop.ts.
 */
import { ConfigurationError, ThenableReturnedError, TimestampAssignmentError } from '../errors';
import { ManualClock } from '../testing/ManualClock';
import { TimestampsAndWatermarks, type WatermarkEmission } from './TimestampsAndWatermarks';
import { Watermark } from './Watermark';
import type { WatermarkOutput } from './WatermarkGenerator';
import { WatermarkStrategy } from './WatermarkStrategy';

type Down<T> = { kind: 'record'; value: T; timestamp: number | undefined } | WatermarkEmission;

const wm = (timestamp: number): WatermarkEmission => ({ kind: 'watermark', timestamp });
const rec = <T>(value: T, timestamp: number | undefined): Down<T> => ({ kind: 'record', value, timestamp });
const IDLE: WatermarkEmission = { kind: 'status', status: 'IDLE' };
const ACTIVE: WatermarkEmission = { kind: 'status', status: 'ACTIVE' };

function harness<T>(strategy: WatermarkStrategy<T>, opts: { clock?: ManualClock; autoWatermarkIntervalMs?: number } = {}) {
  const clock = opts.clock ?? new ManualClock();
  const down: Down<T>[] = [];
  const t = new TimestampsAndWatermarks(strategy, clock, {
    autoWatermarkIntervalMs: opts.autoWatermarkIntervalMs,
    collect: (value, timestamp) => void down.push({ kind: 'record', value, timestamp }),
    emit: (e) => void down.push(e),
  });
  /** Advances the clock to the next due poll and runs it, as the task's timer would. */
  const tick = () => {
    clock.advance(t.nextPeriodicEmitAt! - clock.now());
    t.onPeriodicEmit();
  };
  return { t, clock, tick, take: () => down.splice(0) };
}

/** A generator whose periodic emit replays a script, to test the output's deduplication. */
function scripted(script: ((out: WatermarkOutput) => void)[]) {
  return WatermarkStrategy.forGenerator<unknown>(() => ({ onEvent() {}, onPeriodicEmit: (out) => script.shift()?.(out) }));
}

describe('bounded out-of-orderness and monotonous timestamps', () => {
  test('records go down with their timestamps; each poll emits max − bound − 1 if it is new', () => {
    const { t, tick, take } = harness(WatermarkStrategy.forBoundedOutOfOrderness<{ ts: number }>(100).withTimestampAssigner((e) => e.ts));
    tick();
    expect(take()).toEqual([]); // nothing before the first record
    expect(t.onElement({ ts: 1000 }, undefined)).toBe(1000);
    t.onElement({ ts: 1500 }, undefined);
    t.onElement({ ts: 1200 }, undefined);
    expect(take()).toEqual([rec({ ts: 1000 }, 1000), rec({ ts: 1500 }, 1500), rec({ ts: 1200 }, 1200)]);
    tick();
    tick(); // same max: nothing new
    expect(take()).toEqual([wm(1399)]);
    t.onElement({ ts: 1501 }, undefined);
    tick();
    expect(take()).toEqual([rec({ ts: 1501 }, 1501), wm(1400)]);
    expect(t.currentWatermark).toBe(1400);
  });

  test('monotonous: the watermark trails the highest timestamp by 1 ms', () => {
    const { t, tick, take } = harness(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n));
    for (const n of [5, 9, 9]) t.onElement(n, undefined);
    tick();
    expect(take().filter((d) => d.kind === 'watermark')).toEqual([wm(8)]);
  });

  test('the assigner gets the timestamp the record already carries', () => {
    const { t, take } = harness(WatermarkStrategy.noWatermarks<number>().withTimestampAssigner((delay, prev) => (prev ?? 0) + delay));
    expect(t.onElement(5, 100)).toBe(105);
    expect(t.onElement(5, undefined)).toBe(5);
    expect(take()).toEqual([rec(5, 105), rec(5, 5)]);
  });

  test('without an assigner the record keeps its own timestamp; without one it fails before anything goes down', () => {
    const { t, take } = harness(WatermarkStrategy.forMonotonousTimestamps<string>());
    expect(t.onElement('a', 42)).toBe(42);
    expect(() => t.onElement('b', undefined)).toThrow(expect.objectContaining({ code: 'MISSING_TIMESTAMP', record: 'b' }));
    expect(take()).toEqual([rec('a', 42)]);
  });
});

describe('custom generators (forGenerator)', () => {
  test('punctuated: a watermark emitted in onEvent goes down after its record', () => {
    const strategy = WatermarkStrategy.forGenerator<{ ts: number; last?: boolean }>(() => ({
      onEvent(e, ts, out) {
        if (e.last) out.emitWatermark(new Watermark(ts));
      },
      onPeriodicEmit() {},
    })).withTimestampAssigner((e) => e.ts);
    const { t, tick, take } = harness(strategy);
    t.onElement({ ts: 10 }, undefined);
    t.onElement({ ts: 20, last: true }, undefined);
    tick();
    t.onElement({ ts: 15, last: true }, undefined); // a lower punctuation is dropped
    expect(take()).toEqual([rec({ ts: 10 }, 10), rec({ ts: 20, last: true }, 20), wm(20), rec({ ts: 15, last: true }, 15)]);
  });

  test('periodic: polled every interval, with what it learned from the events', () => {
    const strategy = WatermarkStrategy.forGenerator<number>(() => {
      let max = -Infinity;
      return {
        onEvent: (_e, ts) => void (max = Math.max(max, ts)),
        onPeriodicEmit: (out) => out.emitWatermark(new Watermark(max - 10)),
      };
    }).withTimestampAssigner((n) => n);
    const { t, tick, take } = harness(strategy);
    t.onElement(100, undefined);
    tick();
    t.onElement(150, undefined);
    tick();
    expect(take()).toEqual([rec(100, 100), wm(90), rec(150, 150), wm(140)]);
  });

  test('only strictly increasing watermarks go down', () => {
    const { tick, take } = harness(
      scripted([(o) => o.emitWatermark(new Watermark(5)), (o) => o.emitWatermark(new Watermark(5)), (o) => o.emitWatermark(new Watermark(3)), (o) => o.emitWatermark(new Watermark(7))]),
    );
    for (let i = 0; i < 4; i++) tick();
    expect(take()).toEqual([wm(5), wm(7)]);
  });

  test('a status goes down only when it changes; a watermark while idle goes down after ACTIVE', () => {
    const { t, tick, take } = harness(
      scripted([(o) => o.markActive(), (o) => o.markIdle(), (o) => o.markIdle(), (o) => o.emitWatermark(new Watermark(1)), (o) => (o.markIdle(), o.markActive(), o.markActive())]),
    );
    tick();
    expect(take()).toEqual([]); // ACTIVE at the start
    tick();
    tick();
    expect(take()).toEqual([IDLE]);
    expect(t.currentStatus).toBe('IDLE');
    tick();
    expect(take()).toEqual([ACTIVE, wm(1)]);
    tick();
    expect(take()).toEqual([IDLE, ACTIVE]);
  });

  test('a record while idle goes down after ACTIVE', () => {
    const { t, tick, take } = harness(scripted([(o) => o.markIdle()]).withTimestampAssigner(() => 3));
    tick();
    t.onElement('x', undefined);
    expect(take()).toEqual([IDLE, ACTIVE, rec('x', 3)]);
  });

  test.each([
    ['a number', 5],
    ['a NaN watermark', new Watermark(NaN)],
    ['undefined', undefined],
    ['a string timestamp', { timestamp: '5' }],
  ])('emitting %s fails with INVALID_WATERMARK', (_what, bad) => {
    const { tick } = harness(scripted([(o) => o.emitWatermark(bad as Watermark)]));
    expect(tick).toThrow(TimestampAssignmentError);
    const { tick: tick2 } = harness(scripted([(o) => o.emitWatermark(bad as Watermark)]));
    expect(tick2).toThrow(expect.objectContaining({ code: 'INVALID_WATERMARK', value: bad }));
  });
});

describe('idleness (withIdleness on a ManualClock)', () => {
  const strategy = WatermarkStrategy.forMonotonousTimestamps<number>()
    .withTimestampAssigner((n) => n)
    .withIdleness(1000);

  test('IDLE at the first poll ≥ 1000 ms after the last record; ACTIVE before the next record; watermarks deduplicated across', () => {
    const { t, clock, tick, take } = harness(strategy);
    t.onElement(50, undefined); // at t=0
    tick(); // 200
    expect(take()).toEqual([rec(50, 50), wm(49)]);
    for (let i = 0; i < 3; i++) tick(); // 400, 600, 800
    tick(); // 1000: exactly the timeout
    expect(take()).toEqual([IDLE]);
    for (let i = 0; i < 5; i++) tick();
    expect(take()).toEqual([]); // IDLE once
    clock.advance(37);
    t.onElement(40, undefined); // behind the watermark: ACTIVE, the record, no watermark
    tick();
    expect(take()).toEqual([ACTIVE, rec(40, 40)]);
    t.onElement(60, undefined);
    tick();
    expect(take()).toEqual([rec(60, 60), wm(59)]);
    expect(t.currentStatus).toBe('ACTIVE');
  });

  test('a source that never gets a record goes idle after the timeout', () => {
    const { tick, take } = harness(strategy);
    for (let i = 0; i < 4; i++) tick();
    expect(take()).toEqual([]);
    tick();
    expect(take()).toEqual([IDLE]);
  });
});

describe('invalid timestamps', () => {
  test.each([NaN, Infinity, -Infinity, '123', undefined, null, 10n])('an assigner returning %p fails with INVALID_TIMESTAMP naming the value', (bad) => {
    const { t, take } = harness(WatermarkStrategy.forMonotonousTimestamps<{ id: number }>().withTimestampAssigner(() => bad as number));
    let err: unknown;
    try {
      t.onElement({ id: 7 }, 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TimestampAssignmentError);
    expect(err).toMatchObject({ code: 'INVALID_TIMESTAMP', record: { id: 7 }, value: bad });
    const shown = typeof bad === 'string' ? `"${bad}"` : typeof bad === 'bigint' ? `${bad}n` : String(bad);
    expect((err as Error).message).toContain(`returned ${shown}`);
    expect((err as Error).message).toContain('{"id":7}');
    expect(take()).toEqual([]); // nothing went down
  });

  test('an async assigner fails with ThenableReturnedError, and its rejection is handled', async () => {
    const { t, take } = harness(WatermarkStrategy.noWatermarks<number>().withTimestampAssigner((async () => { throw new Error('boom'); }) as never));
    expect(() => t.onElement(1, undefined)).toThrow(ThenableReturnedError);
    expect(() => t.onElement(1, undefined)).toThrow(expect.objectContaining({ code: 'ASYNC_USER_FUNCTION', functionName: 'timestamp assigner' }));
    expect(take()).toEqual([]);
    await new Promise((r) => setImmediate(r)); // an unhandled rejection would fail the run (setupFilesAfterEnv)
  });

  test("an assigner's own throw passes through unwrapped", () => {
    const boom = new Error('boom');
    const { t } = harness(WatermarkStrategy.noWatermarks<number>().withTimestampAssigner(() => { throw boom; }));
    expect(() => t.onElement(1, undefined)).toThrow(boom);
  });

  test('-0 becomes 0', () => {
    const { t } = harness(WatermarkStrategy.noWatermarks<number>().withTimestampAssigner(() => -0));
    expect(Object.is(t.onElement(1, undefined), 0)).toBe(true);
  });
});

describe('end of input', () => {
  test('emits Watermark.MAX once; then nothing more, and no poll is due', () => {
    const { t, tick, take } = harness(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n));
    t.onElement(5, undefined);
    tick();
    t.onEndOfInput();
    t.onEndOfInput();
    t.onWatermark(Infinity);
    expect(take()).toEqual([rec(5, 5), wm(4), wm(Watermark.MAX.timestamp)]);
    expect(t.nextPeriodicEmitAt).toBeUndefined();
    t.onPeriodicEmit();
    expect(take()).toEqual([]);
    expect(t.currentWatermark).toBe(Infinity);
  });

  test('upstream +Infinity is the end of input; other upstream watermarks are ignored', () => {
    const { t, take } = harness(WatermarkStrategy.noWatermarks<number>());
    t.onWatermark(100);
    t.onWatermark(-Infinity);
    expect(take()).toEqual([]);
    t.onWatermark(Infinity);
    t.onEndOfInput();
    expect(take()).toEqual([wm(Infinity)]);
  });

  test('while idle: ACTIVE, then MAX', () => {
    const { t, tick, take } = harness(WatermarkStrategy.noWatermarks<number>().withIdleness(100), { autoWatermarkIntervalMs: 100 });
    tick();
    t.onEndOfInput();
    expect(take()).toEqual([IDLE, ACTIVE, wm(Infinity)]);
  });
});

describe('the periodic schedule', () => {
  test('first poll one interval after creation; each next one an interval after the last poll', () => {
    const clock = new ManualClock(1000);
    const { t } = harness(WatermarkStrategy.noWatermarks(), { clock });
    expect(t.autoWatermarkIntervalMs).toBe(200);
    expect(t.nextPeriodicEmitAt).toBe(1200);
    clock.advance(250); // the timer fired late
    t.onPeriodicEmit();
    expect(t.nextPeriodicEmitAt).toBe(1450);
  });

  test('interval 0 disables periodic polls; an explicit poll still runs the generator', () => {
    const { t, take } = harness(scripted([(o) => o.emitWatermark(new Watermark(3))]), { autoWatermarkIntervalMs: 0 });
    expect(t.nextPeriodicEmitAt).toBeUndefined();
    t.onPeriodicEmit();
    expect(t.nextPeriodicEmitAt).toBeUndefined();
    expect(take()).toEqual([wm(3)]);
  });

  test.each([-1, NaN, Infinity, '200'])('rejects an interval of %p with ConfigurationError', (bad) => {
    expect(() => harness(WatermarkStrategy.noWatermarks(), { autoWatermarkIntervalMs: bad as number })).toThrow(/autoWatermarkIntervalMs/);
  });

  test('rejects something that is not a WatermarkStrategy', () => {
    const notAStrategy = { createWatermarkGenerator() {}, createTimestampAssigner() {} } as never;
    expect(() => harness(notAStrategy)).toThrow(ConfigurationError);
  });
});

test('noWatermarks() without an assigner passes records without a timestamp as they are (processing-time pipelines)', () => {
  const { t, take } = harness(WatermarkStrategy.noWatermarks<string>());
  t.onElement('a', undefined);
  t.onElement('b', 7);
  expect(take()).toEqual([rec('a', undefined), rec('b', 7)]);
  const assigned = harness(WatermarkStrategy.noWatermarks<string>().withTimestampAssigner(() => 3));
  assigned.t.onElement('c', undefined);
  expect(assigned.take()).toEqual([rec('c', 3)]);
});
