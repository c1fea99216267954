/**
 * A binary min-heap whose elements carry their own position, so an element
 * can be removed in O(log n) without a search (Flink's HeapPriorityQueue of
 * HeapPriorityQueueElement). Used for timer queues, where timers are deleted
 * as often as they fire.
 *
 * `add`, `poll` and `remove` are O(log n), `peek` O(1). An element is in at
 * most one heap at a time; its `heapIndex` is -1 while it is in none. The
 * order is the given `before` relation, which must be a strict total order
 * for the output to be deterministic.
 *
 * Why not an npm package: the common small ones (tinyqueue, flatqueue,
 * heap-js) either cannot remove an arbitrary element or find it by an O(n)
 * search, and this is 100 lines with no dependency to review.
 */

export interface HeapElement {
  /** Position in the heap's array; -1 when not in a heap. Owned by the heap. */
  heapIndex: number;
}

export const NOT_CONTAINED = -1;

export class TimerHeap<T extends HeapElement> {
  private readonly items: T[] = [];

  /** @param before true when `a` must leave the heap before `b` */
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  /** The first element, left in the heap. */
  peek(): T | undefined {
    return this.items[0];
  }

  add(element: T): void {
    if (element.heapIndex !== NOT_CONTAINED) throw new Error('element is already in a heap');
    element.heapIndex = this.items.length;
    this.items.push(element);
    this.siftUp(element.heapIndex);
  }

  /** Removes and returns the first element. */
  poll(): T | undefined {
    const first = this.items[0];
    if (first !== undefined) this.removeAt(0);
    return first;
  }

  /** Removes `element` if this heap holds it; true when it did. */
  remove(element: T): boolean {
    const i = element.heapIndex;
    if (i === NOT_CONTAINED || this.items[i] !== element) return false;
    this.removeAt(i);
    return true;
  }

  /** The elements in no particular order (a live view: do not change the heap while iterating). */
  values(): IterableIterator<T> {
    return this.items.values();
  }

  private removeAt(i: number): void {
    const removed = this.items[i];
    const last = this.items.pop()!;
    removed.heapIndex = NOT_CONTAINED;
    if (i === this.items.length) return; // it was the last
    this.items[i] = last;
    last.heapIndex = i;
    if (i > 0 && this.before(last, this.items[(i - 1) >> 1])) this.siftUp(i);
    else this.siftDown(i);
  }

  private siftUp(i: number): void {
    const items = this.items;
    const e = items[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(e, items[p])) break;
      items[i] = items[p];
      items[i].heapIndex = i;
      i = p;
    }
    items[i] = e;
    e.heapIndex = i;
  }

  private siftDown(i: number): void {
    const items = this.items;
    const n = items.length;
    const e = items[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.before(items[r], items[l]) ? r : l;
      if (!this.before(items[c], e)) break;
      items[i] = items[c];
      items[i].heapIndex = i;
      i = c;
    }
    items[i] = e;
    e.heapIndex = i;
  }
}
