/**
 * The queue of an async operator (Flink's StreamElementQueue): the inputs
 * whose asynchronous calls were started and whose results have not been
 * emitted yet, at most `capacity` of them.
 *
 *   ordered    results leave in input order: a completed entry waits until
 *              every entry before it has left (Flink's OrderedStreamElementQueue)
 *   unordered  results leave as soon as their call completes, in completion
 *              order (Flink's UnorderedStreamElementQueue, without watermarks)
 *
 * An entry leaves the queue exactly when `poll()` hands it out, so at any
 * moment every entry is either in the queue (`entries()`, in input order —
 * what a checkpoint stores) or was returned by `poll()`, never both. Pure
 * and synchronous: the operator decides when to poll.
 *
 *   const q = createStreamElementQueue<string, number>('ordered', 2);
 *   const a = q.add('a'), b = q.add('b');
 *   q.complete(b, 2); q.poll();      // [] — 'a' is still in flight
 *   q.complete(a, 1); q.poll();      // [a, b]
 */

export type AsyncOutputMode = 'ordered' | 'unordered';

/** One input in the queue; `result` is set once its call completed. */
export class QueueEntry<T, R> {
  completed = false;
  result: R | undefined = undefined;
  constructor(
    readonly element: T,
    /** The queue it was added to. */
    readonly owner: StreamElementQueue<T, R>,
  ) {}
}

export interface StreamElementQueue<T, R> {
  readonly capacity: number;
  /** Entries in the queue: calls in flight plus completed entries not yet polled. */
  readonly size: number;
  readonly isFull: boolean;
  /** Adds an entry at the tail. Throws a RangeError when the queue is full. */
  add(element: T): QueueEntry<T, R>;
  /**
   * The call of `entry` completed with `result`. Returns false (and changes
   * nothing) when the entry had completed before or is not in the queue.
   */
  complete(entry: QueueEntry<T, R>, result: R): boolean;
  /** Removes and returns the entries whose results may be emitted now, in emission order. */
  poll(): QueueEntry<T, R>[];
  /** The entries in the queue, in the order they were added. */
  entries(): QueueEntry<T, R>[];
}

export function createStreamElementQueue<T, R>(mode: AsyncOutputMode, capacity: number): StreamElementQueue<T, R> {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
  return mode === 'ordered' ? new OrderedStreamElementQueue<T, R>(capacity) : new UnorderedStreamElementQueue<T, R>(capacity);
}

class OrderedStreamElementQueue<T, R> implements StreamElementQueue<T, R> {
  /** Entries from index `head` on are in the queue (the prefix is compacted away lazily). */
  private items: QueueEntry<T, R>[] = [];
  private head = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.items.length - this.head;
  }

  get isFull(): boolean {
    return this.size >= this.capacity;
  }

  add(element: T): QueueEntry<T, R> {
    if (this.isFull) throw new RangeError(`async queue is full (capacity ${this.capacity})`);
    const e = new QueueEntry<T, R>(element, this);
    this.items.push(e);
    return e;
  }

  complete(entry: QueueEntry<T, R>, result: R): boolean {
    // An entry leaves only once completed: an uncompleted entry of this queue is in it.
    if (entry.completed || entry.owner !== this) return false;
    entry.completed = true;
    entry.result = result;
    return true;
  }

  poll(): QueueEntry<T, R>[] {
    const out: QueueEntry<T, R>[] = [];
    while (this.head < this.items.length && this.items[this.head].completed) out.push(this.items[this.head++]);
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  entries(): QueueEntry<T, R>[] {
    return this.items.slice(this.head);
  }
}

class UnorderedStreamElementQueue<T, R> implements StreamElementQueue<T, R> {
  /** Insertion-ordered (a Set iterates in insertion order). */
  private readonly inQueue = new Set<QueueEntry<T, R>>();
  private ready: QueueEntry<T, R>[] = [];

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.inQueue.size;
  }

  get isFull(): boolean {
    return this.size >= this.capacity;
  }

  add(element: T): QueueEntry<T, R> {
    if (this.isFull) throw new RangeError(`async queue is full (capacity ${this.capacity})`);
    const e = new QueueEntry<T, R>(element, this);
    this.inQueue.add(e);
    return e;
  }

  complete(entry: QueueEntry<T, R>, result: R): boolean {
    if (entry.completed || entry.owner !== this) return false;
    entry.completed = true;
    entry.result = result;
    this.ready.push(entry);
    return true;
  }

  poll(): QueueEntry<T, R>[] {
    const out = this.ready;
    this.ready = [];
    for (const e of out) this.inQueue.delete(e);
    return out;
  }

  entries(): QueueEntry<T, R>[] {
    return [...this.inQueue];
  }
}
