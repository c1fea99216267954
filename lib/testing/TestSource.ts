/**
 * A replayable test source over an array with a seeded, bursty pace: each
 * poll emits a random burst (up to the batch hint) and now and then reports
 * NOTHING_AVAILABLE for a random pause, so tests exercise a source that is
 * sometimes faster and sometimes slower than the job. Splits are strided
 * like the generator's, so the source runs at any parallelism and restores
 * from offsets.
 */
import { seededRandom } from './random';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext, SourceSplit } from '../connectors/Source';

export interface TestSourceSplit extends SourceSplit {
  readonly next: number;
  readonly step: number;
}

export interface TestSourcePace {
  readonly seed: number;
  /** Chance that a poll pauses instead of emitting (0..1). */
  readonly pauseChance: number;
  /** Longest pause, in ms of the source's clock. */
  readonly maxPauseMs: number;
}

export class TestSource<T> implements Source<T, TestSourceSplit> {
  readonly boundedness = 'BOUNDED' as const;

  constructor(private readonly items: readonly T[], private readonly pace?: TestSourcePace) {}

  createSplits(parallelism: number): TestSourceSplit[] {
    return Array.from({ length: parallelism }, (_, s) => ({ splitId: `test-${s}`, next: s, step: parallelism }));
  }

  createReader(ctx: SourceReaderContext): SourceReader<T, TestSourceSplit> {
    const items = this.items;
    const pace = this.pace;
    const random = seededRandom((pace?.seed ?? 0) * 31 + ctx.indexOfSubtask);
    const splits: { splitId: string; next: number; step: number }[] = [];
    let pauseUntil = 0;
    return {
      addSplits: (s) => {
        for (const x of s) if (x.next < items.length) splits.push({ ...x });
      },
      pollNext(output: ReaderOutput<T>): InputStatus {
        if (splits.length === 0) return 'END_OF_INPUT';
        if (pace && ctx.clock.now() < pauseUntil) return 'NOTHING_AVAILABLE';
        if (pace && random() < pace.pauseChance) {
          pauseUntil = ctx.clock.now() + Math.floor(random() * (pace.maxPauseMs + 1));
          return 'NOTHING_AVAILABLE';
        }
        const split = splits[0];
        const burst = pace ? 1 + Math.floor(random() * ctx.batchSizeHint) : ctx.batchSizeHint;
        for (let n = 0; n < burst && split.next < items.length; n++, split.next += split.step) output.collect(items[split.next]);
        if (split.next >= items.length) splits.shift();
        return splits.length === 0 ? 'END_OF_INPUT' : 'MORE_AVAILABLE';
      },
      isAvailable: () =>
        new Promise<void>((resolve) => ctx.clock.setTimer(Math.max(0, pauseUntil - ctx.clock.now()), resolve)),
      snapshotState: () => splits.map((s) => ({ ...s })),
    };
  }
}
