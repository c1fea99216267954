/**
 * A bounded, non-parallel source over an in-memory array (Flink's
 * fromCollection). Its one split holds the offset of the next element, so a
 * reader restored from a checkpoint continues exactly where it stopped.
 *
 * It emits copies of the items (unless `objectReuse`): functions downstream
 * may change the records they receive, and neither the caller's objects nor
 * what a replay after a restore emits are affected.
 */
import { copyValue } from '../state/copyValue';
import { alwaysAvailable, type InputStatus, type ReaderOutput, type Source, type SourceReader, type SourceReaderContext, type SourceSplit } from './Source';

export interface CollectionSplit extends SourceSplit {
  readonly offset: number;
}

export class CollectionSource<T> implements Source<T, CollectionSplit> {
  readonly boundedness = 'BOUNDED' as const;
  readonly maxParallelism = 1;

  constructor(
    private readonly items: readonly T[],
    /** Emit the items themselves instead of copies (EnvironmentOptions.objectReuse). */
    private readonly options: { readonly objectReuse?: boolean } = {},
  ) {}

  get totalRecords(): number {
    return this.items.length;
  }

  createSplits(_parallelism?: number): CollectionSplit[] {
    return [{ splitId: 'collection', offset: 0 }];
  }

  createReader(ctx: SourceReaderContext): SourceReader<T, CollectionSplit> {
    return new CollectionReader(this.items, ctx.batchSizeHint, this.options.objectReuse === true);
  }
}

class CollectionReader<T> implements SourceReader<T, CollectionSplit> {
  private splits: { splitId: string; offset: number }[] = [];

  constructor(
    private readonly items: readonly T[],
    private readonly batch: number,
    private readonly objectReuse: boolean,
  ) {}

  addSplits(splits: readonly CollectionSplit[]): void {
    for (const s of splits) this.splits.push({ splitId: s.splitId, offset: s.offset });
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    const split = this.splits[0];
    if (split === undefined) return 'END_OF_INPUT';
    const end = Math.min(this.items.length, split.offset + this.batch);
    if (this.objectReuse) for (let i = split.offset; i < end; i++) output.collect(this.items[i]);
    else for (let i = split.offset; i < end; i++) output.collect(copyValue(this.items[i]));
    split.offset = end;
    if (end >= this.items.length) this.splits.shift();
    return this.splits.length > 0 ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
  }

  isAvailable(): Promise<void> {
    return alwaysAvailable;
  }

  snapshotState(): CollectionSplit[] {
    return this.splits.map((s) => ({ splitId: s.splitId, offset: s.offset }));
  }
}
