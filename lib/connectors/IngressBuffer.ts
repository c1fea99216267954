/**
 * The bounded, acknowledged queue behind an actor source. Producers offer
 * batches; a batch is accepted (and its acknowledgement sent) only when it
 * fits, otherwise it is parked — unacknowledged — until the job has taken
 * enough records. A producer that waits for its acknowledgements therefore
 * waits whenever the job is behind. Whatever producers do, the records held
 * (queued plus parked) never exceed `bound`:
 *
 *   max(capacity, maxBatchSize) + maxParked × maxBatchSize
 *
 * A batch beyond that — larger than `maxBatchSize`, or offered while
 * `maxParked` batches wait, or after the end — is refused at once with an
 * IngressOverflowError naming the refusal, never stored and never silently
 * dropped.
 */
import { IngressOverflowError } from '../errors';

export interface IngressOptions {
  /** Records queued for the job at most (1024). */
  readonly capacity?: number;
  /** Batches that may wait for room before further batches are refused (64). */
  readonly maxParked?: number;
  /** Records in one batch at most (default: `capacity`); a larger batch is refused. */
  readonly maxBatchSize?: number;
}

interface Parked<T> {
  readonly records: readonly T[];
  readonly accepted: () => void;
}

export class IngressBuffer<T> {
  readonly capacity: number;
  readonly maxParked: number;
  readonly maxBatchSize: number;
  /** Records held (queued plus parked) at most, whatever producers do. */
  readonly bound: number;
  private queue: T[] = [];
  private head = 0;
  private readonly parked: Parked<T>[] = [];
  private parkedRecords = 0;
  private ended = false;
  private waiter: (() => void) | undefined;
  /** Records accepted so far. */
  accepted = 0;
  /** Records taken by the job so far. */
  taken = 0;
  /** Most records ever queued at once (never above capacity, but for one oversized batch). */
  peakSize = 0;
  /** Most records ever held at once, queued plus parked (never above `bound`). */
  peakHeld = 0;
  /** Batches that had to wait for room. */
  parkedTotal = 0;
  /** Batches refused. */
  refusedTotal = 0;

  constructor(options: IngressOptions = {}) {
    this.capacity = options.capacity ?? 1024;
    this.maxParked = options.maxParked ?? 64;
    this.maxBatchSize = options.maxBatchSize ?? this.capacity;
    if (!(Number.isInteger(this.capacity) && this.capacity > 0)) throw new RangeError('ingress capacity must be a positive integer');
    if (!(Number.isInteger(this.maxParked) && this.maxParked >= 0)) throw new RangeError('ingress maxParked must be a non-negative integer');
    if (!(Number.isInteger(this.maxBatchSize) && this.maxBatchSize > 0)) throw new RangeError('ingress maxBatchSize must be a positive integer');
    this.bound = Math.max(this.capacity, this.maxBatchSize) + this.maxParked * this.maxBatchSize;
  }

  get size(): number {
    return this.queue.length - this.head;
  }

  get parkedBatches(): number {
    return this.parked.length;
  }

  /** Records held: queued for the job plus parked in waiting batches. */
  get held(): number {
    return this.size + this.parkedRecords;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * Offers a batch. `accepted` runs when the batch is in the queue (now or
   * later). Throws IngressOverflowError (refusal 'ENDED', 'TOO_LARGE' or
   * 'FULL') when the batch can neither fit nor park; a refused batch is not kept.
   */
  offer(records: readonly T[], accepted: () => void): void {
    if (this.ended) throw this.refuse('ENDED', 'the actor source has ended; no more records are accepted');
    if (records.length > this.maxBatchSize) {
      throw this.refuse('TOO_LARGE', `a batch of ${records.length} records is larger than the actor source's maxBatchSize ${this.maxBatchSize}`);
    }
    if (this.parked.length === 0 && this.fits(records.length)) {
      this.enqueue(records);
      accepted();
      return;
    }
    if (this.parked.length >= this.maxParked) {
      throw this.refuse(
        'FULL',
        `actor source is full (${this.size} records queued, ${this.parked.length} batches waiting): ` +
          `wait for each acknowledgement before pushing more`,
      );
    }
    this.parked.push({ records, accepted });
    this.parkedRecords += records.length;
    this.parkedTotal++;
    this.notePeak();
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
      this.parkedRecords -= p.records.length;
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
    this.notePeak();
    this.wake();
  }

  private notePeak(): void {
    if (this.held > this.peakHeld) this.peakHeld = this.held;
  }

  private refuse(refusal: IngressOverflowError['refusal'], message: string): IngressOverflowError {
    this.refusedTotal++;
    return new IngressOverflowError(message, refusal);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
