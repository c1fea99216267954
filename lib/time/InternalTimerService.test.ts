/**
 * InternalTimerService, one example per guarantee: firing order, dedup,
 * deletes, timers registered while firing, processing time, snapshots that
 * later changes do not reach, the msgpackr round trip, and restore at other
 * parallelisms (every timer restored exactly once). The reference-model
 * property is in InternalTimerService.prop.ts.
 */
import { CorruptStateError, KeyGroupMismatchError } from '../errors';
import { decodeState, encodeState } from '../state/codec';
import { assignToKeyGroup, KeyGroupRange, normalizeKey, type StateKey } from '../state/KeyGroup';
import { InternalTimerService, type InternalTimer, type TimerSnapshot } from './InternalTimerService';

type Window = { readonly start: number; readonly end: number };

function keyContext(key: StateKey = 'a') {
  return { key, currentKey(): StateKey { return this.key; } };
}

function service<N = string>(range = KeyGroupRange.of(0, 127)) {
  const ctx = keyContext();
  const timers = new InternalTimerService<N>(128, range, ctx);
  const fired: [StateKey, N, number][] = [];
  const record = (t: InternalTimer<N>) => void fired.push([t.key, t.namespace, t.timestamp]);
  return { ctx, timers, fired, record };
}

describe('InternalTimerService, event time', () => {
  test('fires the timers ≤ the watermark in timestamp order, ties in registration order', () => {
    const { ctx, timers, fired, record } = service();
    ctx.key = 'b';
    timers.registerEventTimeTimer('w', 30);
    timers.registerEventTimeTimer('w', 10);
    ctx.key = 'a';
    timers.registerEventTimeTimer('w', 20);
    timers.registerEventTimeTimer('v', 10);
    timers.registerEventTimeTimer('w', -5);
    expect(timers.numEventTimeTimers).toBe(5);
    timers.advanceWatermark(20, record);
    expect(timers.currentWatermark).toBe(20);
    expect(fired).toEqual([['a', 'w', -5], ['b', 'w', 10], ['a', 'v', 10], ['a', 'w', 20]]);
    timers.advanceWatermark(Infinity, record);
    expect(fired.at(-1)).toEqual(['b', 'w', 30]);
    expect(timers.numEventTimeTimers).toBe(0);
  });

  test('a timer is one per (key, namespace, timestamp); namespaces compare as values', () => {
    const { ctx, timers, fired, record } = service<Window>();
    timers.registerEventTimeTimer({ start: 0, end: 10 }, 9);
    timers.registerEventTimeTimer({ end: 10, start: 0 }, 9); // same window
    timers.registerEventTimeTimer({ start: 0, end: 10 }, 8); // another time
    timers.registerEventTimeTimer({ start: 5, end: 15 }, 9); // another window
    ctx.key = 'b';
    timers.registerEventTimeTimer({ start: 0, end: 10 }, 9); // another key
    expect(timers.numEventTimeTimers).toBe(4);
    timers.advanceWatermark(9, record);
    expect(fired).toEqual([['a', { start: 0, end: 10 }, 8], ['a', { start: 0, end: 10 }, 9], ['a', { start: 5, end: 15 }, 9], ['b', { start: 0, end: 10 }, 9]]);
  });

  test('delete removes the timer of the current key only; deleting what is not there does nothing', () => {
    const { ctx, timers, fired, record } = service();
    timers.registerEventTimeTimer('w', 5);
    timers.registerProcessingTimeTimer('w', 5);
    ctx.key = 'b';
    timers.registerEventTimeTimer('w', 5);
    timers.deleteEventTimeTimer('w', 5);
    timers.deleteEventTimeTimer('w', 6);
    timers.deleteEventTimeTimer('x', 5);
    expect(timers.numEventTimeTimers).toBe(1);
    expect(timers.numProcessingTimeTimers).toBe(1); // the other time domain is untouched
    timers.advanceWatermark(10, record);
    expect(fired).toEqual([['a', 'w', 5]]);
  });

  test('timers registered while firing at a time ≤ the watermark fire in the same advance; later ones wait', () => {
    const { ctx, timers, fired } = service();
    timers.registerEventTimeTimer('w', 10);
    timers.registerEventTimeTimer('w', 15);
    timers.registerEventTimeTimer('gone', 12);
    timers.advanceWatermark(20, (t) => {
      fired.push([t.key, t.namespace, t.timestamp]);
      if (fired.length === 1) {
        ctx.key = t.key; // as the task would
        timers.registerEventTimeTimer('w', 10); // again, at the firing time
        timers.registerEventTimeTimer('w', 5); // in the past
        timers.registerEventTimeTimer('w', 20); // at the watermark
        timers.registerEventTimeTimer('w', 21); // beyond it
        timers.deleteEventTimeTimer('gone', 12);
      }
    });
    expect(fired).toEqual([['a', 'w', 10], ['a', 'w', 5], ['a', 'w', 10], ['a', 'w', 15], ['a', 'w', 20]]);
    expect(timers.numEventTimeTimers).toBe(1);
  });

  test('a timer registered at or below the watermark outside a firing waits for the next advance', () => {
    const { timers, fired, record } = service();
    timers.advanceWatermark(100, record);
    timers.registerEventTimeTimer('late', 50);
    expect(fired).toEqual([]);
    timers.advanceWatermark(100, record); // the same watermark again is allowed
    expect(fired).toEqual([['a', 'late', 50]]);
  });

  test('event time cannot go back, NaN is refused, and a callback cannot advance time', () => {
    const { timers, record } = service();
    timers.advanceWatermark(10, record);
    expect(() => timers.advanceWatermark(9, record)).toThrow(/watermark 9 is behind the current watermark 10/);
    expect(() => timers.advanceWatermark(NaN, record)).toThrow(RangeError);
    expect(() => timers.registerEventTimeTimer('w', NaN)).toThrow(RangeError);
    timers.registerEventTimeTimer('w', 11);
    expect(() => timers.advanceWatermark(12, () => timers.advanceWatermark(13, record))).toThrow(/not reentrant/);
    expect(() => timers.onProcessingTime(0, record)).not.toThrow(); // the guard was released
  });

  test('a callback that throws loses only its own timer; the rest still fire later', () => {
    const { timers, fired, record } = service();
    timers.registerEventTimeTimer('boom', 1);
    timers.registerEventTimeTimer('w', 2);
    expect(() => timers.advanceWatermark(5, () => { throw new Error('user'); })).toThrow('user');
    timers.advanceWatermark(5, record);
    expect(fired).toEqual([['a', 'w', 2]]);
  });

  test('a key outside the key-group range is a KeyGroupMismatchError', () => {
    const g = assignToKeyGroup('a', 128);
    const { timers } = service(KeyGroupRange.of(g + 1, 127));
    expect(() => timers.registerEventTimeTimer('w', 1)).toThrow(KeyGroupMismatchError);
  });

  test('what is not plain data cannot be a namespace', () => {
    const { timers } = service<unknown>();
    expect(() => timers.registerEventTimeTimer(new Map(), 1)).toThrow(TypeError);
  });
});

describe('InternalTimerService, processing time', () => {
  test('nextProcessingTime is the earliest timer; onProcessingTime fires the due ones, in order', () => {
    const { ctx, timers, fired, record } = service();
    expect(timers.nextProcessingTime()).toBeUndefined();
    timers.registerProcessingTimeTimer('w', 1_000);
    ctx.key = 'b';
    timers.registerProcessingTimeTimer('w', 500);
    timers.registerProcessingTimeTimer('w', 2_000);
    expect(timers.nextProcessingTime()).toBe(500);
    timers.deleteProcessingTimeTimer('w', 500);
    expect(timers.nextProcessingTime()).toBe(1_000);
    timers.onProcessingTime(1_500, (t) => {
      record(t);
      ctx.key = t.key;
      if (t.namespace === 'w') timers.registerProcessingTimeTimer('again', 1_200); // due: fires in this call
    });
    expect(fired).toEqual([['a', 'w', 1_000], ['a', 'again', 1_200]]);
    expect(timers.nextProcessingTime()).toBe(2_000);
    expect(timers.currentWatermark).toBe(-Infinity); // processing time does not move event time
  });
});

function keys(n: number): StateKey[] {
  return Array.from({ length: n }, (_, i) => (i % 3 === 0 ? i : `k${i}`));
}

/** One timer per key in each domain, namespaces of several kinds. */
function filled(range = KeyGroupRange.of(0, 127), ks = keys(300)) {
  const s = service<unknown>(range);
  for (const k of ks) {
    s.ctx.key = k;
    s.timers.registerEventTimeTimer({ start: 0, end: String(k).length }, 100);
    s.timers.registerProcessingTimeTimer(['p', k], 7);
  }
  return s;
}

const allEntries = (snaps: readonly TimerSnapshot[]) =>
  snaps.flatMap((s) => s.keyGroups.flatMap((g) => [...g.eventTime.map((e) => ['e', ...e]), ...g.processingTime.map((e) => ['p', ...e])]));

describe('InternalTimerService snapshots', () => {
  test('grouped by key group in firing order; later registrations, deletes and firings do not reach it', () => {
    const { ctx, timers, record } = service<unknown>();
    const ns = { start: 0, end: 10 };
    timers.registerEventTimeTimer(ns, 9);
    timers.registerEventTimeTimer('x', 3);
    timers.registerProcessingTimeTimer('p', 1);
    const snap = timers.snapshot();
    const copy = structuredClone(snap);
    const g = assignToKeyGroup('a', 128);
    expect(snap).toEqual({
      maxParallelism: 128,
      keyGroupRange: { start: 0, end: 127 },
      keyGroups: [{ keyGroup: g, eventTime: [['a', 'x', 3], ['a', ns, 9]], processingTime: [['a', 'p', 1]] }],
    });
    ns.end = 99; // the caller's object: the service kept a frozen copy
    timers.deleteEventTimeTimer('x', 3);
    ctx.key = 'b';
    timers.registerEventTimeTimer('y', 1);
    timers.advanceWatermark(100, record);
    timers.onProcessingTime(100, record);
    expect(snap).toEqual(copy);
    expect(Object.isFrozen(snap.keyGroups[0].eventTime[1][1])).toBe(true);
  });

  test('survives the checkpoint codec: bigint and composite keys, infinite window bounds', () => {
    const s = service<unknown>();
    for (const k of [normalizeKey(['user', 7]), 12n, true, -3.5]) {
      s.ctx.key = k;
      s.timers.registerEventTimeTimer({ start: -Infinity, end: Infinity }, Infinity);
      s.timers.registerProcessingTimeTimer(null, -1);
    }
    const snap = s.timers.snapshot();
    const decoded = decodeState<TimerSnapshot>(encodeState(snap), 'timers');
    expect(decoded).toEqual(snap);
    const restored = service<unknown>();
    restored.timers.restore([decoded]);
    expect(restored.timers.snapshot()).toEqual(snap);
  });

  test('restore at parallelism 3 from 1: each subtask gets its key groups, every timer exactly once', () => {
    const one = filled();
    const snap = decodeState<TimerSnapshot>(encodeState(one.timers.snapshot()), 'timers');
    const subtasks = [0, 1, 2].map((i) => {
      const s = service<unknown>(KeyGroupRange.forOperator(128, 3, i));
      s.timers.restore([snap]);
      return s;
    });
    const parts = subtasks.map((s) => s.timers.snapshot());
    for (const [i, p] of parts.entries()) {
      const range = KeyGroupRange.forOperator(128, 3, i);
      expect(p.keyGroups.every((g) => range.contains(g.keyGroup))).toBe(true);
      expect(p.keyGroups.length).toBeGreaterThan(0);
    }
    const sortKey = (e: unknown[]) => JSON.stringify(e, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
    expect(allEntries(parts).map(sortKey).sort()).toEqual(allEntries([snap]).map(sortKey).sort());
    expect(subtasks.reduce((n, s) => n + s.timers.numEventTimeTimers + s.timers.numProcessingTimeTimers, 0)).toBe(600);
    // and back to 2: restoring from all three snapshots
    const two = [0, 1].map((i) => {
      const s = service<unknown>(KeyGroupRange.forOperator(128, 2, i));
      s.timers.restore(parts);
      return s;
    });
    expect(two.reduce((n, s) => n + s.timers.numEventTimeTimers, 0)).toBe(300);
    for (const s of two) s.timers.advanceWatermark(100, s.record);
    expect(two.flatMap((s) => s.fired.map((f) => f[0])).sort()).toEqual(keys(300).sort());
  });

  test('restoring the same timers twice keeps one of each', () => {
    const snap = filled().timers.snapshot();
    const s = service<unknown>();
    s.timers.restore([snap, snap]);
    expect(s.timers.numEventTimeTimers).toBe(300);
    expect(s.timers.numProcessingTimeTimers).toBe(300);
  });

  test('a snapshot of another maxParallelism, a misfiled key or a malformed entry is a CorruptStateError', () => {
    const snap = filled(undefined, ['a']).timers.snapshot();
    const s = service();
    expect(() => s.timers.restore([{ ...snap, maxParallelism: 256 }])).toThrow(/maxParallelism 256/);
    const g = snap.keyGroups[0];
    const misfiled = { ...snap, keyGroups: [{ ...g, keyGroup: (g.keyGroup + 1) % 128 }] };
    expect(() => s.timers.restore([misfiled])).toThrow(CorruptStateError);
    const malformed = { ...snap, keyGroups: [{ ...g, eventTime: [['a', 'w']] }] } as unknown as TimerSnapshot;
    expect(() => s.timers.restore([malformed])).toThrow(/not a \[key, namespace, timestamp\] entry/);
  });
});
