/**
 * TimestampsAndWatermarks with forBoundedOutOfOrderness, over random event
 * timestamps (out of order, negative, fractional), bounds, polls, clock
 * advances, with and without idleness, ending or not with end of input.
 *
 * Checked on everything that goes downstream:
 * - emitted watermarks strictly increase;
 * - before end of input, a watermark never exceeds (highest timestamp seen
 *   so far − bound − 1);
 * - without idleness, after each poll the watermark is exactly
 *   max(last, highest − bound − 1) once a record was seen (a reference model);
 * - statuses alternate (a status goes out only when it changes), and no
 *   record goes down while the output is IDLE;
 * - each record goes down once, with the timestamp it was given;
 * - end of input emits +Infinity exactly once, last.
 *
 * Replay: FC_SEED=<seed> npx jest lib/time/TimestampsAndWatermarks.prop.ts
 */
import fc from 'fast-check';
import { ManualClock } from '../testing/ManualClock';
import { TimestampsAndWatermarks, type WatermarkEmission } from './TimestampsAndWatermarks';
import type { WatermarkStatus } from './Watermark';
import { WatermarkStrategy } from './WatermarkStrategy';

type Op = { readonly t: 'event'; readonly ts: number } | { readonly t: 'poll' } | { readonly t: 'advance'; readonly ms: number };

const timestamp = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -10_000, max: 10_000 }) },
  { weight: 1, arbitrary: fc.double({ min: -1e12, max: 1e12, noNaN: true, noDefaultInfinity: true }) },
);
const bound = fc.oneof(fc.constant(0), fc.nat(5000), fc.double({ min: 0, max: 1e6, noNaN: true }));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('event' as const), ts: timestamp }) },
  { weight: 3, arbitrary: fc.constant({ t: 'poll' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.nat(3000) }) },
);

describe('TimestampsAndWatermarks with bounded out-of-orderness', () => {
  test('watermarks strictly increase and never run ahead of max − bound − 1; statuses alternate; MAX once at the end', () => {
    fc.assert(
      fc.property(bound, fc.option(fc.integer({ min: 1, max: 2000 })), fc.array(op, { maxLength: 100 }), fc.boolean(), (b, idleness, ops, end) => {
        let strategy = WatermarkStrategy.forBoundedOutOfOrderness<number>(b).withTimestampAssigner((n) => n);
        if (idleness !== null) strategy = strategy.withIdleness(idleness);
        const clock = new ManualClock();
        let max = -Infinity;
        let last = -Infinity;
        let status: WatermarkStatus = 'ACTIVE';
        let ended = false;
        const records: number[] = [];
        const t = new TimestampsAndWatermarks(strategy, clock, {
          autoWatermarkIntervalMs: 200,
          collect: (value, ts) => {
            expect(status).toBe('ACTIVE');
            expect(ts).toBe(value + 0); // -0 goes down as 0
            records.push(ts!);
          },
          emit: (e: WatermarkEmission) => {
            expect(ended).toBe(false);
            if (e.kind === 'status') {
              expect(e.status).not.toBe(status);
              status = e.status;
              return;
            }
            expect(status).toBe('ACTIVE');
            expect(e.timestamp).toBeGreaterThan(last);
            if (e.timestamp === Infinity) ended = true;
            else expect(e.timestamp).toBeLessThanOrEqual(max - b - 1);
            last = e.timestamp;
          },
        });
        const sent: number[] = [];
        for (const o of ops) {
          if (o.t === 'event') {
            max = Math.max(max, o.ts);
            sent.push(o.ts + 0);
            t.onElement(o.ts, undefined);
          } else {
            if (o.t === 'advance') clock.advance(o.ms);
            else clock.advance(t.nextPeriodicEmitAt! - clock.now());
            t.onPeriodicEmit();
            if (idleness === null && max > -Infinity) expect(t.currentWatermark).toBe(Math.max(last, max - b - 1));
          }
          expect(t.currentWatermark).toBe(last);
          expect(t.currentStatus).toBe(status);
        }
        expect(records).toEqual(sent);
        if (end) {
          t.onEndOfInput();
          t.onEndOfInput();
          expect(ended).toBe(true);
          expect(status).toBe('ACTIVE');
        }
      }),
    );
  });
});
