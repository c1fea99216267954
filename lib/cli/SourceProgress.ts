/**
 * How far the sources of an embedded job have read, for `weir run`'s
 * progress line. `SourceProgress.instrument(jobGraph)` puts a counting
 * wrapper around each source node's Source (the job runs in this process,
 * so its readers can be counted where they emit); `snapshot()` reads the
 * counts at any time.
 *
 * Guarantees: the wrapper changes nothing a job sees — every property but
 * `createReader` is the source's own (its class, so savepoint compatibility
 * checks are unaffected), and a reader's records pass through unchanged.
 * Totals are only what sources know exactly (`Source.totalRecords`:
 * collections, bounded generators); a percentage is given only when every
 * source knows its total, and only until the first restart — after one,
 * readers start again from restored offsets, so counts restart from zero
 * and `restarted` says so; no percentage is guessed.
 *
 * `sourceTotals` and `progressSnapshot` are the same rules for counts read
 * elsewhere (a cluster run: the coordinator sums what nodes report).
 */
import type { JobGraph } from '../graph/JobGraph';
import type { StreamNode } from '../graph/StreamGraph';
import type { ReaderOutput, Source, SourceReader, SourceReaderContext, SourceSplit } from '../connectors/Source';

export interface ProgressSnapshot {
  /** Records the sources' current readers emitted (since the start, or since the last restart). */
  readonly recordsRead: number;
  /** Records all sources emit in all; undefined unless every source knows its total. */
  readonly totalRecords: number | undefined;
  /** 0..100, when totalRecords is known and the job has not restarted. */
  readonly percent: number | undefined;
  /** Whether readers were recreated (a restart restores offsets; counting began again). */
  readonly restarted: boolean;
  /** Whether every source is bounded. */
  readonly bounded: boolean;
  /** Restarts so far and the failure behind the latest, when the runner reports them (a cluster run does). */
  readonly restarts?: number;
  readonly lastFailure?: string;
}

/** What a job's sources say about their size. */
export interface SourceTotals {
  /** Records all sources emit in all; undefined unless every source knows its total. */
  readonly totalRecords: number | undefined;
  /** Whether every source is bounded. */
  readonly bounded: boolean;
}

/** The sources of `jobGraph`: every chain head that is a source. */
export function sourceNodes(jobGraph: JobGraph): StreamNode[] {
  return jobGraph.vertices.flatMap((v) => v.nodes.filter((n) => n.kind === 'source' && n.source !== undefined));
}

/** The exact total of `jobGraph`'s sources (when every one knows its own) and whether all are bounded. */
export function sourceTotals(jobGraph: JobGraph): SourceTotals {
  return totalsOf(sourceNodes(jobGraph));
}

function totalsOf(sources: readonly StreamNode[]): SourceTotals {
  const totals = sources.map((n) => n.source?.totalRecords);
  return {
    totalRecords: totals.every((t): t is number => typeof t === 'number') ? totals.reduce((a, b) => a + b, 0) : undefined,
    bounded: sources.every((n) => n.source?.boundedness === 'BOUNDED'),
  };
}

/** A snapshot from a count of records read: a percentage only from an exact total and only before a restart. */
export function progressSnapshot(recordsRead: number, totals: SourceTotals, restarted: boolean): ProgressSnapshot {
  const { totalRecords, bounded } = totals;
  const percent =
    totalRecords === undefined || restarted ? undefined : totalRecords === 0 ? 100 : Math.min(100, Math.floor((recordsRead / totalRecords) * 100));
  return { recordsRead, totalRecords, percent, restarted, bounded };
}

export class SourceProgress {
  /** Per source node and subtask index: records its current reader emitted. */
  private readonly counts = new Map<string, number>();
  private restarts = false;
  private readonly totals: SourceTotals;

  private constructor(sources: readonly StreamNode[]) {
    this.totals = totalsOf(sources);
  }

  /** Wraps every source of `jobGraph` in place (call before executing it, once). */
  static instrument(jobGraph: JobGraph): SourceProgress {
    const sources = sourceNodes(jobGraph);
    const progress = new SourceProgress(sources);
    for (const node of sources) {
      (node as { source?: Source<unknown, SourceSplit> }).source = progress.wrap(node.id, node.source!);
    }
    return progress;
  }

  snapshot(): ProgressSnapshot {
    let read = 0;
    for (const c of this.counts.values()) read += c;
    return progressSnapshot(read, this.totals, this.restarts);
  }

  private wrap(nodeId: number, source: Source<unknown, SourceSplit>): Source<unknown, SourceSplit> {
    const createReader = (ctx: SourceReaderContext): SourceReader<unknown, SourceSplit> => {
      const key = `${nodeId}#${ctx.indexOfSubtask}`;
      if (this.counts.has(key)) this.restarts = true;
      this.counts.set(key, 0);
      return this.countingReader(key, source.createReader(ctx));
    };
    return new Proxy(source, {
      get: (target, prop) => (prop === 'createReader' ? createReader : Reflect.get(target, prop, target)),
    });
  }

  private countingReader(key: string, reader: SourceReader<unknown, SourceSplit>): SourceReader<unknown, SourceSplit> {
    const outputs = new WeakMap<ReaderOutput<unknown>, ReaderOutput<unknown>>();
    const counting = (output: ReaderOutput<unknown>): ReaderOutput<unknown> => {
      let o = outputs.get(output);
      if (o === undefined) {
        const collect = (value: unknown, timestamp?: number) => {
          this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
          output.collect(value, timestamp);
        };
        o = new Proxy(output, { get: (t, p) => (p === 'collect' ? collect : bound(t, p)) });
        outputs.set(output, o);
      }
      return o;
    };
    const pollNext = (output: ReaderOutput<unknown>) => reader.pollNext(counting(output));
    return new Proxy(reader, { get: (t, p) => (p === 'pollNext' ? pollNext : bound(t, p)) });
  }
}

/** A property of `target`, methods bound to it (so private fields and `this` work through the proxy). */
function bound(target: object, prop: string | symbol): unknown {
  const v: unknown = Reflect.get(target, prop, target);
  return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
}
