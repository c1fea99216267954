/**
 * A simulated remote service for async I/O tests and benchmarks: each call
 * answers after a latency drawn from a seeded random source, on an injected
 * clock (a ManualClock in unit tests, the system clock in jobs). Chosen
 * inputs can fail or never answer. It counts what a test needs to check
 * the operator from outside: calls made, calls in flight (and their most
 * at once), and a log of when each call started and settled.
 *
 *   const service = new SimulatedService({ latencyMs: (r) => 1 + 4 * r, seed: 7, respond: (x: number) => x * 2 });
 *   AsyncDataStream.orderedWait(stream, service.call, { timeoutMs: 1000 });
 */
import { systemClock, type Clock } from '../time/Clock';
import { seededRandom } from './random';

export interface SimulatedServiceOptions<I, O> {
  /**
   * Latency of a call in ms: fixed, or a function of a random number in
   * [0, 1) drawn per call (and of the input, for latencies that must not
   * depend on the order of calls).
   */
  readonly latencyMs: number | ((random: number, input: I) => number);
  /** The answer to an input. */
  readonly respond: (input: I) => O;
  /** Seed of the latency draws (0). */
  readonly seed?: number;
  /** Clock the latency runs on (system clock). */
  readonly clock?: Clock;
  /** Inputs whose call rejects (after the latency) with an Error. */
  readonly fails?: (input: I) => boolean;
  /** Inputs whose call never settles. */
  readonly hangs?: (input: I) => boolean;
}

export interface ServiceCall<I> {
  readonly input: I;
  /** Clock time the call started. */
  readonly startedAt: number;
  /** Clock time it settled; undefined while in flight (or hanging). */
  settledAt: number | undefined;
}

export class SimulatedService<I, O> {
  readonly log: ServiceCall<I>[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly random: () => number;
  private readonly clock: Clock;

  constructor(private readonly options: SimulatedServiceOptions<I, O>) {
    this.random = seededRandom(options.seed ?? 0);
    this.clock = options.clock ?? systemClock;
  }

  get calls(): number {
    return this.log.length;
  }

  /** Calls the service (bound: pass `service.call` as the async function). */
  readonly call = (input: I): Promise<O> => {
    const { latencyMs, respond, fails, hangs } = this.options;
    const record: ServiceCall<I> = { input, startedAt: this.clock.now(), settledAt: undefined };
    this.log.push(record);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (hangs?.(input)) return new Promise<O>(() => {});
    const delay = typeof latencyMs === 'number' ? latencyMs : latencyMs(this.random(), input);
    return new Promise<O>((resolve, reject) => {
      this.clock.setTimer(delay, () => {
        this.inFlight--;
        record.settledAt = this.clock.now();
        if (fails?.(input)) reject(new Error(`service failed for ${JSON.stringify(input)}`));
        else resolve(respond(input));
      });
    });
  };

  /** Calls that started before `time` and had not settled by then. */
  inFlightAt(time: number): ServiceCall<I>[] {
    return this.log.filter((c) => c.startedAt < time && (c.settledAt === undefined || c.settledAt > time));
  }
}
