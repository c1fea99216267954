/**
 * WatermarkValve against a reference model, over random sequences of
 * watermarks, status changes and channel ends on 1–4 channels.
 *
 * The model is declarative where the valve is procedural: it keeps no
 * "aligned" flags, and after every input recomputes the output from the
 * rules — no open channel: +Infinity; every open channel idle: the highest
 * open channel's watermark, IDLE; otherwise the minimum over the ACTIVE
 * channels at or above the last output (a channel below it is unaligned).
 * Outputs must match exactly, in order. Also checked on the valve alone:
 * output watermarks strictly increase; an emitted watermark never exceeds
 * the highest watermark any channel reported (but for the end, +Infinity),
 * and while ACTIVE never exceeds an aligned ACTIVE channel.
 *
 * Replay: FC_SEED=<seed> npx jest lib/time/WatermarkValve.prop.ts
 */
import fc from 'fast-check';
import type { WatermarkStatus } from './Watermark';
import { WatermarkValve, type ValveOutput } from './WatermarkValve';

/**
 * A watermark input as a step from the channel's last accepted watermark, so
 * channels advance at their own pace and one that was idle comes back behind.
 */
type Step = { readonly t: 'step'; readonly channel: number; readonly delta: number };
type Input =
  | { readonly t: 'watermark'; readonly channel: number; readonly watermark: number }
  | { readonly t: 'status'; readonly channel: number; readonly status: WatermarkStatus }
  | { readonly t: 'finished'; readonly channel: number };

interface ModelChannel {
  watermark: number;
  status: WatermarkStatus;
  finished: boolean;
}

class Model {
  readonly channels: ModelChannel[];
  out = -Infinity;
  status: WatermarkStatus = 'ACTIVE';

  constructor(n: number) {
    this.channels = Array.from({ length: n }, () => ({ watermark: -Infinity, status: 'ACTIVE' as WatermarkStatus, finished: false }));
  }

  apply(input: Input): ValveOutput[] {
    const c = this.channels[input.channel];
    if (!c.finished) {
      if (input.t === 'watermark' && c.status === 'ACTIVE') c.watermark = Math.max(c.watermark, input.watermark);
      if (input.t === 'status') c.status = input.status;
      if (input.t === 'finished') c.finished = true;
    }
    const open = this.channels.filter((x) => !x.finished);
    let status: WatermarkStatus;
    let target: number;
    if (open.length === 0) {
      status = 'ACTIVE';
      target = Infinity;
    } else if (open.every((x) => x.status === 'IDLE')) {
      status = 'IDLE';
      target = Math.max(...open.map((x) => x.watermark));
    } else {
      status = this.status === 'IDLE' ? 'ACTIVE' : this.status;
      const aligned = open.filter((x) => x.status === 'ACTIVE' && x.watermark >= this.out);
      target = aligned.length ? Math.min(...aligned.map((x) => x.watermark)) : -Infinity;
    }
    const out: ValveOutput[] = [];
    if (status === 'ACTIVE' && this.status === 'IDLE') out.push({ kind: 'status', status });
    if (target > this.out) out.push({ kind: 'watermark', timestamp: (this.out = target) });
    if (status === 'IDLE' && this.status === 'ACTIVE') out.push({ kind: 'status', status });
    this.status = status;
    return out;
  }
}

function stepFrom(watermark: number, delta: number): number {
  return (Number.isFinite(watermark) ? watermark : 0) + delta;
}

function feed(v: WatermarkValve, input: Input): readonly ValveOutput[] {
  switch (input.t) {
    case 'watermark':
      return v.inputWatermark(input.channel, input.watermark);
    case 'status':
      return v.inputWatermarkStatus(input.channel, input.status);
    case 'finished':
      return v.channelFinished(input.channel);
  }
}

const inputArb = (n: number): fc.Arbitrary<Input | Step> => {
  const channel = fc.nat(n - 1);
  return fc.oneof(
    { weight: 16, arbitrary: fc.record({ t: fc.constant('step' as const), channel, delta: fc.integer({ min: -3, max: 8 }) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('watermark' as const), channel, watermark: fc.constantFrom(-Infinity, Infinity, -1000) }) },
    { weight: 6, arbitrary: fc.record({ t: fc.constant('status' as const), channel, status: fc.constantFrom<WatermarkStatus>('ACTIVE', 'IDLE') }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('finished' as const), channel }) },
  );
};

const scenario = fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.constant(n), fc.array(inputArb(n), { maxLength: 80, size: 'max' })));

describe('WatermarkValve against a reference model', () => {
  test('same outputs in the same order; monotone; never ahead of an aligned active channel', () => {
    fc.assert(
      fc.property(scenario, ([n, inputs]) => {
        const valve = new WatermarkValve(n);
        const model = new Model(n);
        let last = -Infinity;
        for (const generated of inputs) {
          const input: Input =
            generated.t === 'step'
              ? { t: 'watermark', channel: generated.channel, watermark: stepFrom(model.channels[generated.channel].watermark, generated.delta) }
              : generated;
          const before = model.out;
          const got = feed(valve, input);
          expect(got).toEqual(model.apply(input));
          for (const o of got) {
            if (o.kind !== 'watermark') continue;
            expect(o.timestamp).toBeGreaterThan(last);
            last = o.timestamp;
          }
          expect(valve.currentWatermark).toBe(model.out);
          expect(valve.currentStatus).toBe(model.status);
          const emitted = got.filter((o) => o.kind === 'watermark').map((o) => o.timestamp);
          const open = model.channels.filter((c) => !c.finished);
          for (const w of emitted) {
            if (open.length === 0) continue; // the end: +Infinity
            expect(w).toBeLessThanOrEqual(Math.max(...model.channels.map((c) => c.watermark)));
            if (valve.currentStatus === 'IDLE') continue; // the flush on going idle
            for (const c of open) if (c.status === 'ACTIVE' && c.watermark >= before) expect(w).toBeLessThanOrEqual(c.watermark);
          }
        }
      }),
    );
  });
});
