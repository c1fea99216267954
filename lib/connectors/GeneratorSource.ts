/**
 * A deterministic generator source (Flink's DataGeneratorSource): record i is
 * `generate(i)`, for i from 0 to count-1 (or forever). The index space is
 * split into strided splits (split s of n yields s, s+n, s+2n, ...), each
 * carrying the next index it will yield, so a reader replays exactly from a
 * checkpointed offset, and splits can be redistributed at another parallelism.
 * An optional rate limit (records per second over all subtasks) paces output
 * on the injected clock. A generator function that returns a Promise fails
 * the job (ThenableReturnedError).
 */
import { ConfigurationError, isThenable, ThenableReturnedError } from '../errors';
import type { Clock } from '../time/Clock';
import { alwaysAvailable, type InputStatus, type ReaderOutput, type Source, type SourceReader, type SourceReaderContext, type SourceSplit } from './Source';

export interface GeneratorSplit extends SourceSplit {
  /** Next index this split yields. */
  readonly next: number;
  readonly step: number;
}

export interface GeneratorOptions {
  /** Records per second over all subtasks; unlimited when absent. */
  readonly ratePerSecond?: number;
}

export type GeneratorFunction<T> = (index: number) => T;

export class GeneratorSource<T> implements Source<T, GeneratorSplit> {
  readonly boundedness: 'BOUNDED' | 'CONTINUOUS_UNBOUNDED';
  private readonly count: number;

  constructor(
    count: number | 'unbounded',
    private readonly generate: GeneratorFunction<T>,
    private readonly options: GeneratorOptions = {},
  ) {
    if (count !== 'unbounded' && count !== Infinity && !(Number.isSafeInteger(count) && count >= 0)) {
      throw new ConfigurationError('fromGenerator.count', `must be a non-negative integer or 'unbounded', got ${String(count)}`);
    }
    if (typeof generate !== 'function') throw new ConfigurationError('fromGenerator.generator', 'must be a function (index) => record');
    const rate = options.ratePerSecond;
    if (rate !== undefined && !(rate > 0 && Number.isFinite(rate))) {
      throw new ConfigurationError('fromGenerator.ratePerSecond', `must be a positive number, got ${String(rate)}`);
    }
    this.count = count === 'unbounded' ? Infinity : count;
    this.boundedness = this.count === Infinity ? 'CONTINUOUS_UNBOUNDED' : 'BOUNDED';
  }

  /** The count of a bounded generator; undefined when unbounded. */
  get totalRecords(): number | undefined {
    return this.count === Infinity ? undefined : this.count;
  }

  createSplits(parallelism: number): GeneratorSplit[] {
    return Array.from({ length: parallelism }, (_, s) => ({ splitId: `gen-${s}-of-${parallelism}`, next: s, step: parallelism }));
  }

  createReader(ctx: SourceReaderContext): SourceReader<T, GeneratorSplit> {
    const rate = this.options.ratePerSecond;
    const limiter = rate === undefined ? undefined : new RateLimiter(rate / ctx.parallelism, ctx.clock);
    return new GeneratorReader(this.generate, this.count, ctx.batchSizeHint, limiter);
  }
}

class GeneratorReader<T> implements SourceReader<T, GeneratorSplit> {
  private splits: { splitId: string; next: number; step: number }[] = [];

  constructor(
    private readonly generate: GeneratorFunction<T>,
    private readonly count: number,
    private readonly batch: number,
    private readonly limiter: RateLimiter | undefined,
  ) {}

  addSplits(splits: readonly GeneratorSplit[]): void {
    for (const s of splits) if (s.next < this.count) this.splits.push({ splitId: s.splitId, next: s.next, step: s.step });
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    if (this.splits.length === 0) return 'END_OF_INPUT';
    let budget = this.limiter ? Math.min(this.batch, this.limiter.acquire(this.batch)) : this.batch;
    if (budget === 0) return 'NOTHING_AVAILABLE';
    const count = this.count;
    const generate = this.generate;
    if (this.splits.length === 1) {
      const split = this.splits[0];
      let i = split.next;
      for (; budget > 0 && i < count; budget--, i += split.step) this.emit(generate(i), output);
      split.next = i;
      if (i >= count) this.splits.length = 0;
    } else {
      // Several splits (a rescaled-down job): records in index order across them, so the reader's
      // output stays as ordered in index — and in event time — as the generator's.
      for (; budget > 0 && this.splits.length > 0; budget--) {
        let k = 0;
        for (let j = 1; j < this.splits.length; j++) if (this.splits[j].next < this.splits[k].next) k = j;
        const split = this.splits[k];
        this.emit(generate(split.next), output);
        split.next += split.step;
        if (split.next >= count) this.splits.splice(k, 1);
      }
    }
    return this.splits.length === 0 ? 'END_OF_INPUT' : 'MORE_AVAILABLE';
  }

  private emit(r: T, output: ReaderOutput<T>): void {
    if (isThenable(r)) throw new ThenableReturnedError('generator function', r);
    output.collect(r);
  }

  isAvailable(): Promise<void> {
    return this.limiter ? this.limiter.available() : alwaysAvailable;
  }

  snapshotState(): GeneratorSplit[] {
    return this.splits.map((s) => ({ splitId: s.splitId, next: s.next, step: s.step }));
  }
}

/** A token bucket on an injected clock; holds one second of permits (at least one permit). */
export class RateLimiter {
  private tokens = 0;
  private last: number;

  constructor(private readonly perSecond: number, private readonly clock: Clock) {
    this.last = clock.now();
    this.tokens = Math.min(1, perSecond);
  }

  /** Takes up to `n` permits; returns how many were granted. */
  acquire(n: number): number {
    const now = this.clock.now();
    this.tokens = Math.min(Math.max(1, this.perSecond), this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    const granted = Math.min(n, Math.floor(this.tokens));
    this.tokens -= granted;
    return granted;
  }

  /** Resolves when at least one permit will be available. */
  available(): Promise<void> {
    const missing = 1 - this.tokens;
    if (missing <= 0) return alwaysAvailable;
    const delay = Math.ceil((missing * 1000) / this.perSecond);
    return new Promise((resolve) => this.clock.setTimer(delay, resolve));
  }
}
