/**
 * A plain reference model of event-time windows with Flink's semantics,
 * written from the rules, not from the engine's code: a list of windows per
 * key, brute-force window assignment, sessions merged by a linear scan.
 *
 * Rules (Flink's WindowOperator with the default EventTimeTrigger):
 * - A record goes into every window containing its timestamp, except
 *   windows already late: `maxTimestamp + lateness <= watermark`
 *   (maxTimestamp = end − 1). Sessions first merge the record's window
 *   [ts, ts + gap) with every session it overlaps or touches (a dynamic
 *   gap is the record's own).
 * - A window fires when the watermark reaches its maxTimestamp, with
 *   everything it holds; a record added to a window whose maxTimestamp the
 *   watermark has passed fires it again at once (a late firing).
 * - A window is dropped once `maxTimestamp + lateness <= watermark`.
 * - A record that went into no window is late data (the side output).
 * - The end of input is a watermark at +Infinity.
 *
 * Window results are strings `key|start|end|result`, so the engine's output
 * and the model's compare as sorted lists.
 */

export interface WindowEvent {
  readonly id: number;
  readonly key: number;
  /** Event time, ms. */
  readonly ts: number;
  readonly v: number;
  /** The watermark the source emits right after this record (ms), if any; only rising ones take effect. */
  readonly wm?: number;
}

export type WindowSpec =
  | { readonly kind: 'tumbling'; readonly size: number; readonly offset: number }
  | { readonly kind: 'sliding'; readonly size: number; readonly slide: number; readonly offset: number }
  | { readonly kind: 'session'; readonly gap: number }
  /** Session gap per record: 1 + (v mod `modulo`) ms. */
  | { readonly kind: 'dynamic-session'; readonly modulo: number };

/** What a fired window yields: its ids (process), the sum of v (reduce), or count:sum (aggregate). */
export type WindowFn = 'process' | 'reduce' | 'aggregate';

export interface WindowJob {
  readonly spec: WindowSpec;
  /** Allowed lateness, ms. */
  readonly lateness: number;
  readonly fn: WindowFn;
}

interface Bucket {
  start: number;
  end: number;
  events: WindowEvent[];
}

export function formatResult(fn: WindowFn, events: readonly WindowEvent[]): string {
  switch (fn) {
    case 'process':
      return events
        .map((e) => e.id)
        .sort((a, b) => a - b)
        .join(',');
    case 'reduce':
      return String(events.reduce((s, e) => s + e.v, 0));
    case 'aggregate':
      return `${events.length}:${events.reduce((s, e) => s + e.v, 0)}`;
  }
}

const mod = (a: number, b: number) => ((a % b) + b) % b;

/** [start, end) of every tumbling or sliding window containing `ts`, by trying every start. */
function windowsContaining(ts: number, size: number, slide: number, offset: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = ts - size + 1; start <= ts; start++) if (mod(start - offset, slide) === 0) out.push([start, start + size]);
  return out;
}

/** The fired windows (sorted) and the ids of late records (ascending) for `events` in order. */
export function referenceWindows(events: readonly WindowEvent[], job: WindowJob): { fired: string[]; late: number[] } {
  const fired: string[] = [];
  const late: number[] = [];
  const byKey = new Map<number, Bucket[]>();
  let wm = Number.NEGATIVE_INFINITY;
  const lateness = job.lateness;
  const fire = (key: number, b: Bucket) => fired.push(`${key}|${b.start}|${b.end}|${formatResult(job.fn, b.events)}`);
  const isLate = (end: number) => end - 1 + lateness <= wm;

  const advance = (to: number) => {
    for (const [key, buckets] of byKey) {
      for (const b of buckets) if (b.end - 1 > wm && b.end - 1 <= to) fire(key, b);
    }
    wm = to;
    for (const [key, buckets] of byKey) byKey.set(key, buckets.filter((b) => !isLate(b.end)));
  };

  for (const e of events) {
    const buckets = byKey.get(e.key) ?? [];
    byKey.set(e.key, buckets);
    let added = false;
    if (job.spec.kind === 'session' || job.spec.kind === 'dynamic-session') {
      const start = e.ts;
      const end = e.ts + (job.spec.kind === 'session' ? job.spec.gap : 1 + (e.v % job.spec.modulo));
      const touching = buckets.filter((b) => b.start <= end && b.end >= start);
      const merged: Bucket = {
        start: Math.min(start, ...touching.map((b) => b.start)),
        end: Math.max(end, ...touching.map((b) => b.end)),
        events: [...touching.flatMap((b) => b.events), e],
      };
      if (!isLate(merged.end)) {
        byKey.set(e.key, [...buckets.filter((b) => !touching.includes(b)), merged]);
        added = true;
        if (merged.end - 1 <= wm) fire(e.key, merged);
      }
    } else {
      const slide = job.spec.kind === 'sliding' ? job.spec.slide : job.spec.size;
      for (const [start, end] of windowsContaining(e.ts, job.spec.size, slide, job.spec.offset)) {
        if (isLate(end)) continue;
        let b = buckets.find((x) => x.start === start && x.end === end);
        if (b === undefined) buckets.push((b = { start, end, events: [] }));
        b.events.push(e);
        added = true;
        if (end - 1 <= wm) fire(e.key, b);
      }
    }
    if (!added) late.push(e.id);
    if (e.wm !== undefined && e.wm > wm) advance(e.wm);
  }
  advance(Number.POSITIVE_INFINITY);
  return { fired: fired.sort(), late: late.sort((a, b) => a - b) };
}
