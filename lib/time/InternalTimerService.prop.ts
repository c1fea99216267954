/**
 * InternalTimerService against a reference model: timers in a plain array,
 * deduplicated by a linear search, fired by picking the smallest
 * (timestamp, registration number) each time. Random sequences of registers
 * and deletes (both time domains, a few keys, namespaces that are equal
 * objects in another field order), watermark advances, processing-time
 * firings, and checkpoints (snapshot → codec → restore into a fresh
 * service, which keeps the watermark). Firing callbacks register timers of their own, some of them
 * already due, so those must fire within the same advance. The fired
 * sequences must be equal, in order; after every step the timer counts and
 * the earliest processing time agree, and a snapshot split over three
 * subtasks holds every timer exactly once.
 *
 * Replay: FC_SEED=<seed> npx jest lib/time/InternalTimerService.prop.ts
 */
import fc from 'fast-check';
import { decodeState, encodeState } from '../state/codec';
import { assignToKeyGroup, KeyGroupRange, type StateKey } from '../state/KeyGroup';
import { namespaceId } from '../state/namespace';
import { InternalTimerService, type InternalTimer, type TimerSnapshot } from './InternalTimerService';

type Domain = 'event' | 'processing';
type Command =
  | { readonly c: 'register' | 'delete'; readonly domain: Domain; readonly key: StateKey; readonly ns: unknown; readonly time: number }
  | { readonly c: 'advance'; readonly by: number }
  | { readonly c: 'processing'; readonly by: number }
  | { readonly c: 'checkpoint' };

interface ModelTimer {
  readonly domain: Domain;
  readonly key: StateKey;
  readonly ns: unknown;
  readonly time: number;
  seq: number;
}

const MAX_PARALLELISM = 128;
const KEYS: StateKey[] = ['a', 'b', 1, 2n];
const NAMESPACES: unknown[] = ['w', { start: 0, end: 10 }, { end: 10, start: 0 }, ['x', 1]];

class Model {
  timers: ModelTimer[] = [];
  watermark = -Infinity;
  now = 0;
  private seq = 0;

  register(domain: Domain, key: StateKey, ns: unknown, time: number): void {
    if (this.find(domain, key, ns, time) < 0) this.timers.push({ domain, key, ns, time, seq: this.seq++ });
  }

  delete(domain: Domain, key: StateKey, ns: unknown, time: number): void {
    const i = this.find(domain, key, ns, time);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Fires every timer of `domain` ≤ `time`, smallest (time, seq) first, re-reading the array after each callback. */
  fire(domain: Domain, time: number, onTimer: (t: ModelTimer) => void): void {
    for (;;) {
      let best = -1;
      this.timers.forEach((t, i) => {
        if (t.domain !== domain || t.time > time) return;
        const b = this.timers[best];
        if (best < 0 || t.time < b.time || (t.time === b.time && t.seq < b.seq)) best = i;
      });
      if (best < 0) return;
      onTimer(this.timers.splice(best, 1)[0]);
    }
  }

  /** A restore renumbers timers by key group, keeping their order within a group; the watermark comes back with them. */
  checkpoint(): void {
    const kg = (t: ModelTimer) => assignToKeyGroup(t.key, MAX_PARALLELISM);
    this.timers.sort((a, b) => kg(a) - kg(b) || a.time - b.time || a.seq - b.seq);
    this.timers.forEach((t) => (t.seq = this.seq++));
  }

  count(domain: Domain): number {
    return this.timers.filter((t) => t.domain === domain).length;
  }

  private find(domain: Domain, key: StateKey, ns: unknown, time: number): number {
    return this.timers.findIndex((t) => t.domain === domain && t.key === key && namespaceId(t.ns) === namespaceId(ns) && t.time === time);
  }
}

/**
 * What a firing timer does, the same for service and model: a timer whose
 * time is a multiple of 3 registers one 2 ms earlier under namespace 'echo'
 * (due at once when it is within the advance) and one 5 ms later.
 */
function echoes(t: { domain: Domain; time: number; ns: unknown }): { ns: unknown; time: number }[] {
  if (t.ns === 'echo' || t.time % 3 !== 0) return [];
  return [{ ns: 'echo', time: t.time - 2 }, { ns: 'echo', time: t.time + 5 }];
}

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      c: fc.constantFrom('register' as const, 'register' as const, 'delete' as const),
      domain: fc.constantFrom<Domain>('event', 'processing'),
      key: fc.constantFrom(...KEYS),
      ns: fc.constantFrom(...NAMESPACES),
      time: fc.integer({ min: -5, max: 40 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ c: fc.constant('advance' as const), by: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ c: fc.constant('processing' as const), by: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ c: fc.constant('checkpoint' as const) }) },
);

const show = (domain: Domain, key: StateKey, ns: unknown, time: number) => `${domain} ${String(key)} ${namespaceId(ns)} @${time}`;

describe('InternalTimerService against a reference model', () => {
  test('same firings in the same order through registers, deletes, advances and checkpoints', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 80, size: 'max' }), (commands) => {
        const ctx = { key: 'a' as StateKey, currentKey: () => ctx.key };
        let timers = new InternalTimerService<unknown>(MAX_PARALLELISM, KeyGroupRange.of(0, MAX_PARALLELISM - 1), ctx);
        const model = new Model();
        const got: string[] = [];
        const want: string[] = [];
        const real = (domain: Domain) => (t: InternalTimer<unknown>) => {
          got.push(show(domain, t.key, t.namespace, t.timestamp));
          ctx.key = t.key;
          for (const e of echoes({ domain, time: t.timestamp, ns: t.namespace })) {
            if (domain === 'event') timers.registerEventTimeTimer(e.ns, e.time);
            else timers.registerProcessingTimeTimer(e.ns, e.time);
          }
        };
        const modelled = (t: ModelTimer) => {
          want.push(show(t.domain, t.key, t.ns, t.time));
          for (const e of echoes({ domain: t.domain, time: t.time, ns: t.ns })) model.register(t.domain, t.key, e.ns, e.time);
        };
        for (const cmd of commands) {
          switch (cmd.c) {
            case 'register':
            case 'delete': {
              ctx.key = cmd.key;
              const method = `${cmd.c}${cmd.domain === 'event' ? 'Event' : 'Processing'}TimeTimer` as const;
              timers[method](cmd.ns, cmd.time);
              model[cmd.c](cmd.domain, cmd.key, cmd.ns, cmd.time);
              break;
            }
            case 'advance': {
              const to = (Number.isFinite(model.watermark) ? model.watermark : 0) + cmd.by;
              timers.advanceWatermark(to, real('event'));
              model.watermark = to;
              model.fire('event', to, modelled);
              break;
            }
            case 'processing':
              model.now += cmd.by;
              timers.onProcessingTime(model.now, real('processing'));
              model.fire('processing', model.now, modelled);
              break;
            case 'checkpoint': {
              const snap = decodeState<TimerSnapshot>(encodeState(timers.snapshot()), 'timers');
              timers = new InternalTimerService<unknown>(MAX_PARALLELISM, KeyGroupRange.of(0, MAX_PARALLELISM - 1), ctx);
              timers.restore([snap]);
              model.checkpoint();
              break;
            }
          }
          expect(got).toEqual(want);
          expect(timers.currentWatermark).toBe(model.watermark);
          expect(timers.numEventTimeTimers).toBe(model.count('event'));
          expect(timers.numProcessingTimeTimers).toBe(model.count('processing'));
          const next = model.timers.filter((t) => t.domain === 'processing').map((t) => t.time);
          expect(timers.nextProcessingTime()).toBe(next.length ? Math.min(...next) : undefined);
        }
        const snap = timers.snapshot();
        const split = [0, 1, 2].map((i) => {
          const s = new InternalTimerService<unknown>(MAX_PARALLELISM, KeyGroupRange.forOperator(MAX_PARALLELISM, 3, i), ctx);
          s.restore([snap]);
          return s;
        });
        const entries = (snaps: TimerSnapshot[]) =>
          snaps.flatMap((s) => s.keyGroups.flatMap((g) => [...g.eventTime.map((e) => show('event', ...e)), ...g.processingTime.map((e) => show('processing', ...e))])).sort();
        expect(entries(split.map((s) => s.snapshot()))).toEqual(entries([snap]));
        expect(entries([snap])).toEqual(model.timers.map((t) => show(t.domain, t.key, t.ns, t.time)).sort());
      }),
    );
  });
});
