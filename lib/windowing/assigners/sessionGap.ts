/**
 * The gap of a session window, fixed or computed per element (Flink's
 * SessionWindowTimeGapExtractor): shared by the event- and processing-time
 * session assigners. A computed gap is checked on every element, since a
 * bad one would open a window that ends before it starts.
 */
import { isThenable, ThenableReturnedError, WindowAssignmentError } from '../../errors';

/** Computes the session gap (a whole number of ms above 0) for an element. Must be synchronous. */
export type SessionWindowTimeGapExtractor<T> = (element: T) => number;

export type SessionGap<T> = { readonly kind: 'static'; readonly gap: number } | { readonly kind: 'dynamic'; readonly extractor: SessionWindowTimeGapExtractor<T> };

/**
 * The element's gap. Throws WindowAssignmentError (INVALID_SESSION_GAP) when a
 * computed gap is not a whole number of ms above 0, ThenableReturnedError when the
 * extractor returned a Promise; an extractor's own throw passes through.
 */
export function sessionGapOf<T>(gap: SessionGap<T>, element: T, assigner: string): number {
  if (gap.kind === 'static') return gap.gap;
  const g: unknown = gap.extractor(element);
  if (isThenable(g)) throw new ThenableReturnedError('session gap extractor', g);
  if (typeof g !== 'number' || !Number.isSafeInteger(g) || g <= 0) {
    throw new WindowAssignmentError('INVALID_SESSION_GAP', assigner, element, `the session gap extractor returned ${String(g)}; a gap must be a whole number of ms above 0`);
  }
  return g;
}

export function describeGap<T>(gap: SessionGap<T>): string {
  return gap.kind === 'static' ? String(gap.gap) : 'dynamic';
}
