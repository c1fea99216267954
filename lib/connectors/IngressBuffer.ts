/**
 * The bounded, acknowledged queue behind an actor source. Producers offer
 * batches; a batch is accepted (and its acknowledgement sent) only when it
 * fits, otherwise it is parked — unacknowledged — until the job has taken
 * enough records. A producer that waits for its acknowledgements therefore
 * waits whenever the job is behind, and memory stays bounded by `capacity`
 * records plus `maxParked` parked batches; a batch beyond that is refused
 * at once, never silently dropped.
 */
import { IngressOverflowError } from '../errors';

export interface IngressOptions {
  /** Records held for the job at most (1024). */
  readonly capacity?: number;
  /** Batches that may wait for room before further batches are refused (64). */
  readonly maxParked?: number;
}

interface Parked<T> {
  readonly records: readonly T[];
  readonly accepted: () => void;
}

export class IngressBuffer<T> {
  readonly capacity: number;
  readonly maxParked: number;
  private queue: T[] = [];
  private head = 0;
  private readonly parked: Parked<T>[] = [];
  private ended = false;
  private waiter: (() => void) | undefined;
  /** Records accepted so far. */
  accepted = 0;
  /** Records taken by the job so far. */
  taken = 0;
  /** Most records ever queued at once (never above capacity, but for one oversized batch). */
  peakSize = 0;
  /** Batches that had to wait for room. */
  parkedTotal = 0;

  constructor(options: IngressOptions = {}) {
    this.capacity = options.capacity ?? 1024;
    this.maxParked = options.maxParked ?? 64;
    if (!(Number.isInteger(this.capacity) && this.capacity > 0)) throw new RangeError('ingress capacity must be a positive integer');
    if (!(Number.isInteger(this.maxParked) && this.maxParked >= 0)) throw new RangeError('ingress maxParked must be a non-negative integer');
  }

  get size(): number {
    return this.queue.length - this.head;
  }

  get parkedBatches(): number {
    return this.parked.length;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * Offers a batch. `accepted` runs when the batch is in the queue (now or
   * later); throws IngressOverflowError when the batch can neither fit nor park.
   */
  offer(records: readonly T[], accepted: () => void): void {
    if (this.ended) throw new IngressOverflowError('the actor source has ended; no more records are accepted');
    if (this.parked.length === 0 && this.fits(records.length)) {
      this.enqueue(records);
      accepted();
      return;
    }
    if (this.parked.length >= this.maxParked) {
      throw new IngressOverflowError(
        `actor source is full (${this.size} records queued, ${this.parked.length} batches waiting): ` +
          `wait for each acknowledgement before pushing more`,
      );
    }
    this.parked.push({ records, accepted });
    this.parkedTotal++;
  }

  /** No more records will come; the job's input ends once the queue drains. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  /** Takes up to `max` records for the job and admits parked batches that now fit. */
  take(max: number): T[] {
    const n = Math.max(0, Math.min(max, this.size));
    const out = this.queue.slice(this.head, this.head + n);
    this.head += n;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    this.taken += n;
    while (this.parked.length > 0 && this.fits(this.parked[0].records.length)) {
      const p = this.parked.shift()!;
      this.enqueue(p.records);
      p.accepted();
    }
    return out;
  }

  /** Resolves when records are queued or the input ended. */
  available(): Promise<void> {
    if (this.size > 0 || this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.waiter;
      this.waiter = () => {
        previous?.();
        resolve();
      };
    });
  }

  private fits(n: number): boolean {
    // A batch larger than the capacity is admitted into an empty queue, so it cannot wait forever.
    return this.size + n <= this.capacity || this.size === 0;
  }

  private enqueue(records: readonly T[]): void {
    if (records.length === 0) return;
    for (const r of records) this.queue.push(r);
    this.accepted += records.length;
    if (this.size > this.peakSize) this.peakSize = this.size;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
