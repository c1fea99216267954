/**
 * The engine's live job documents (DESIGN §9): one 'jobs' document and one
 * 'checkpoints' document per job (both with id = jobId), kept as json0
 * documents in an embedded sharedb backend (its default in-memory MemoryDB
 * unless a backend is given) so that a dashboard can subscribe to them.
 *
 * Guarantees:
 * - All writes go through ONE server-side connection, and writes to one
 *   document are serialised (a queue per document): every op is built from
 *   the acknowledged state left by the previous one, and a method resolves
 *   only once its op is acknowledged by the backend. Reads queue behind the
 *   writes to the same document, so a caller reads its own writes.
 * - Every change is a single op, so a subscriber never sees a half-applied
 *   change: `counts` and `latestCompleted` move in the same op as `history`.
 * - `counts` are totals over the job's life (Flink's checkpoint counts), not
 *   over the retained history. `latestCompleted` is the completed checkpoint
 *   with the highest id and survives trimming.
 * - `history` is in trigger order (oldest first) and keeps the newest
 *   `historySize` records; a checkpoint still IN_PROGRESS is never dropped
 *   (finished ones go first), so its completion or failure is always counted.
 * - Ops and documents are plain JSON: absent fields are omitted, never
 *   `undefined`. Reads and listeners get copies, never sharedb's own data.
 * - Calls for an unknown job reject with a JobDocumentError (UNKNOWN_JOB)
 *   naming the job; reads resolve `undefined`. Bad arguments reject with
 *   INVALID_ARGUMENT naming the argument.
 */
import ShareDB from 'sharedb';
import type { Connection, Doc } from 'sharedb/lib/client';
import { ConfigurationError, WeirError } from '../errors';
import { isJobStatus, isTerminal, JOB_STATUSES, type JobStatus } from '../job/JobStatus';

export type { JobStatus } from '../job/JobStatus';

export interface CheckpointRecord {
  readonly id: number;
  readonly savepoint: boolean;
  readonly triggerTime: number;          // ms
  readonly state: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  readonly durationMs?: number;           // set when completed or failed
  readonly alignmentMs?: number;          // max alignment time over subtasks
  readonly sizeBytes?: number;
  readonly failureReason?: string;        // a reason code, e.g. 'CHECKPOINT_EXPIRED'
  readonly location?: string;             // metadata location when completed
}

export interface JobDocument { jobId: string; name: string; status: JobStatus; startTime: number; endTime?: number; restarts: number; lastFailure?: string; }
export interface CheckpointsDocument { jobId: string; history: CheckpointRecord[]; counts: { completed: number; failed: number; inProgress: number }; latestCompleted?: CheckpointRecord }

export interface JobDocumentsOptions {
  /** Checkpoint records kept in `history` (default 100). */
  readonly historySize?: number;
}

export type JobDocumentErrorCode =
  | 'UNKNOWN_JOB'
  | 'JOB_EXISTS'
  | 'UNKNOWN_CHECKPOINT'
  | 'DUPLICATE_CHECKPOINT'
  | 'CHECKPOINT_NOT_IN_PROGRESS'
  | 'INVALID_ARGUMENT'
  | 'CLOSED';

/** A job-document call could not be applied. `jobId` names the job when there is one. */
export class JobDocumentError extends WeirError {
  constructor(readonly code: JobDocumentErrorCode, message: string, readonly jobId?: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export const JOBS_COLLECTION = 'jobs';
export const CHECKPOINTS_COLLECTION = 'checkpoints';
export const DEFAULT_HISTORY_SIZE = 100;

const CHECKPOINT_STATES: ReadonlySet<string> = new Set<CheckpointRecord['state']>(['IN_PROGRESS', 'COMPLETED', 'FAILED']);

type Collection = typeof JOBS_COLLECTION | typeof CHECKPOINTS_COLLECTION;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** One json0 op component. */
type Component = { p: (string | number)[] } & Record<string, unknown>;

export class JobDocuments {
  readonly backend: ShareDB;
  private readonly ownsBackend: boolean;
  private readonly historySize: number;
  /** The one connection all writes (and reads) go through. */
  private readonly conn: Connection;
  /** Tail of each document's queue ("collection/id"); settled tails never reject. */
  private readonly queues = new Map<string, Promise<void>>();
  /** One connection per live subscribe() call. */
  private readonly listeners = new Set<Connection>();
  private closed = false;

  constructor(backend?: ShareDB, options: JobDocumentsOptions = {}) {
    const historySize = options.historySize ?? DEFAULT_HISTORY_SIZE;
    if (!Number.isSafeInteger(historySize) || historySize < 1) {
      throw new ConfigurationError('historySize', `must be a positive integer, got ${String(historySize)}`);
    }
    this.historySize = historySize;
    this.ownsBackend = backend === undefined;
    this.backend = backend ?? new ShareDB();
    this.conn = this.backend.connect();
  }

  /** Creates the 'jobs' doc (id = jobId) and the 'checkpoints' doc (id = jobId). */
  async createJob(jobId: string, name: string, startTime: number): Promise<void> {
    checkJobId(jobId);
    checkString(jobId, 'name', name);
    checkTime(jobId, 'startTime', startTime);
    const job: JobDocument = { jobId, name, status: 'CREATED', startTime, restarts: 0 };
    const checkpoints: CheckpointsDocument = { jobId, history: [], counts: { completed: 0, failed: 0, inProgress: 0 } };
    // Both are queued now, so calls made right after this one (even without
    // awaiting it) run after the creates. The checkpoints doc waits for the
    // jobs doc: if the job exists already, its checkpoints doc is left alone.
    const created = this.enqueue(JOBS_COLLECTION, jobId, () => this.create(JOBS_COLLECTION, jobId, job));
    const both = this.enqueue(CHECKPOINTS_COLLECTION, jobId, async () => {
      await created;
      await this.create(CHECKPOINTS_COLLECTION, jobId, checkpoints);
    });
    await Promise.all([created, both]);
  }

  /** Sets the status; `endTime` is set for FINISHED/FAILED/CANCELED and removed otherwise; `lastFailure` when given. */
  setStatus(jobId: string, status: JobStatus, at: number, failure?: string): Promise<void> {
    return this.write(JOBS_COLLECTION, jobId, () => {
      if (!isJobStatus(status)) invalid(jobId, 'status', `must be one of ${JOB_STATUSES.join(', ')}, got ${String(status)}`);
      checkTime(jobId, 'at', at);
      if (failure !== undefined) checkString(jobId, 'failure', failure);
    }, (job: JobDocument) => {
      const op: Component[] = [replace(['status'], job.status, status)];
      if (isTerminal(status)) op.push(replace(['endTime'], job.endTime, at));
      else if (job.endTime !== undefined) op.push({ p: ['endTime'], od: job.endTime });
      if (failure !== undefined) op.push(replace(['lastFailure'], job.lastFailure, failure));
      return op;
    });
  }

  /** restarts += 1 and lastFailure = failure, in one op. */
  recordRestart(jobId: string, failure: string): Promise<void> {
    return this.write(JOBS_COLLECTION, jobId, () => checkString(jobId, 'failure', failure), (job: JobDocument) => [
      { p: ['restarts'], na: 1 },
      replace(['lastFailure'], job.lastFailure, failure),
    ]);
  }

  /** Appends the record to `history` (trimming the oldest finished records) and counts it by its state. */
  checkpointTriggered(jobId: string, record: CheckpointRecord): Promise<void> {
    let clean: CheckpointRecord;
    return this.write(CHECKPOINTS_COLLECTION, jobId, () => { clean = plainRecord(jobId, record); }, (doc: CheckpointsDocument) => {
      if (doc.history.some(r => r.id === clean.id)) {
        throw new JobDocumentError('DUPLICATE_CHECKPOINT', `checkpoint ${clean.id} of job '${jobId}' was already triggered`, jobId);
      }
      const history = [...doc.history, clean];
      return [
        { p: ['history', doc.history.length], li: clean },
        ...trim(history, this.historySize),
        ...count(clean.state, 1),
        ...latest(doc, clean),
      ];
    });
  }

  /** Marks an IN_PROGRESS checkpoint COMPLETED with its figures; updates counts and latestCompleted. */
  checkpointCompleted(jobId: string, id: number, fields: { durationMs: number; alignmentMs: number; sizeBytes: number; location: string }): Promise<void> {
    return this.finish(jobId, id, 'COMPLETED', () => {
      checkObject(jobId, 'fields', fields);
      checkAmount(jobId, 'durationMs', fields.durationMs);
      checkAmount(jobId, 'alignmentMs', fields.alignmentMs);
      checkAmount(jobId, 'sizeBytes', fields.sizeBytes);
      checkString(jobId, 'location', fields.location);
      return { durationMs: fields.durationMs, alignmentMs: fields.alignmentMs, sizeBytes: fields.sizeBytes, location: fields.location };
    });
  }

  /** Marks an IN_PROGRESS checkpoint FAILED with its duration and reason code; updates counts. */
  checkpointFailed(jobId: string, id: number, fields: { durationMs: number; failureReason: string }): Promise<void> {
    return this.finish(jobId, id, 'FAILED', () => {
      checkObject(jobId, 'fields', fields);
      checkAmount(jobId, 'durationMs', fields.durationMs);
      checkString(jobId, 'failureReason', fields.failureReason);
      return { durationMs: fields.durationMs, failureReason: fields.failureReason };
    });
  }

  /** A copy of the job document, or undefined when there is no such job. */
  getJob(jobId: string): Promise<JobDocument | undefined> {
    return this.read<JobDocument>(JOBS_COLLECTION, jobId);
  }

  /** A copy of the checkpoints document, or undefined when there is no such job. */
  getCheckpoints(jobId: string): Promise<CheckpointsDocument | undefined> {
    return this.read<CheckpointsDocument>(CHECKPOINTS_COLLECTION, jobId);
  }

  /**
   * Calls `listener` with the document's data after every change (server-side
   * subscription on a connection of its own); returns an unsubscribe function.
   * The listener is also called once with the current data when the
   * subscription is established and the document exists, so a change made
   * while subscribing is never missed. It gets a copy of the data; if it
   * throws, the error is reported as a process warning.
   */
  subscribe(collection: 'jobs' | 'checkpoints', jobId: string, listener: (data: unknown) => void): () => void {
    if (this.closed) throw closedError();
    if (collection !== JOBS_COLLECTION && collection !== CHECKPOINTS_COLLECTION) {
      throw new JobDocumentError('INVALID_ARGUMENT', `unknown collection '${String(collection)}' (expected 'jobs' or 'checkpoints')`);
    }
    checkJobId(jobId);
    if (typeof listener !== 'function') invalid(jobId, 'listener', 'must be a function');
    const conn = this.backend.connect();
    this.listeners.add(conn);
    const doc = conn.get(collection, jobId);
    let active = true;
    const deliver = (): void => {
      if (!active) return;
      try {
        listener(doc.type === null ? undefined : copy(doc.data));
      } catch (err) {
        process.emitWarning(`JobDocuments: a listener of ${collection}/${jobId} threw: ${describe(err)}`);
      }
    };
    doc.on('op batch', deliver);
    doc.on('create', deliver);
    doc.on('del', deliver);
    doc.subscribe(err => {
      if (err) {
        if (active) process.emitWarning(`JobDocuments: subscribing to ${collection}/${jobId} failed: ${err.message}`);
        return;
      }
      if (doc.type !== null) deliver();
    });
    return () => {
      if (!active) return;
      active = false;
      this.listeners.delete(conn);
      conn.close();
    };
  }

  /**
   * Drops a job's documents: deletes them, releases them on the write
   * connection and frees their op log in the database, so an engine that
   * runs many jobs keeps memory for the recent ones only.
   */
  forget(jobId: string): Promise<void> {
    const drop = (collection: Collection) =>
      this.enqueue(collection, jobId, async () => {
        const doc = this.conn.get(collection, jobId);
        if (doc.type !== null) await callback(cb => doc.del({}, cb));
        await callback(cb => doc.destroy(cb));
        await this.deleteOps(collection, jobId, null);
      });
    return Promise.all([drop(JOBS_COLLECTION), drop(CHECKPOINTS_COLLECTION)]).then(() => undefined);
  }

  /**
   * Waits for queued writes, closes the write connection and every open
   * subscription, and closes the backend if this object created it. Later
   * calls reject with CLOSED.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.queues.values()]);
    for (const conn of this.listeners) conn.close();
    this.listeners.clear();
    this.conn.close();
    if (this.ownsBackend) await new Promise<void>((resolve, reject) => this.backend.close(err => (err ? reject(err) : resolve())));
  }

  // ---- internals ----

  private finish(jobId: string, id: number, state: 'COMPLETED' | 'FAILED', validate: () => Record<string, number | string>): Promise<void> {
    let fields: Record<string, number | string>;
    return this.write(CHECKPOINTS_COLLECTION, jobId, () => {
      if (!Number.isSafeInteger(id) || id < 0) invalid(jobId, 'id', `must be a non-negative integer, got ${String(id)}`);
      fields = validate();
    }, (doc: CheckpointsDocument) => {
      const index = doc.history.findIndex(r => r.id === id);
      if (index < 0) {
        throw new JobDocumentError('UNKNOWN_CHECKPOINT', `checkpoint ${id} of job '${jobId}' is not in its history (never triggered, or dropped from it)`, jobId);
      }
      const old = doc.history[index]!;
      if (old.state !== 'IN_PROGRESS') {
        throw new JobDocumentError('CHECKPOINT_NOT_IN_PROGRESS', `checkpoint ${id} of job '${jobId}' is already ${old.state}, cannot mark it ${state}`, jobId);
      }
      const updated: Mutable<CheckpointRecord> = { ...old, ...fields, state };
      const op: Component[] = [replace(['history', index, 'state'], old.state, state)];
      for (const [key, value] of Object.entries(fields)) {
        op.push(replace(['history', index, key], (old as unknown as Record<string, unknown>)[key], value));
      }
      const history = doc.history.map((r, i) => (i === index ? updated : r));
      op.push(...trim(history, this.historySize), ...count('IN_PROGRESS', -1), ...count(state, 1), ...latest(doc, updated));
      return op;
    });
  }

  /** Validates synchronously-known arguments, then builds and submits one op from the document's current data. */
  private write<T>(collection: Collection, jobId: string, validate: () => void, build: (data: T) => Component[]): Promise<void> {
    try {
      checkJobId(jobId);
      validate();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.enqueue(collection, jobId, async () => {
      const doc = await this.existing(collection, jobId);
      if (doc === undefined) {
        throw new JobDocumentError('UNKNOWN_JOB', `unknown job '${jobId}': it has no ${collection} document (call createJob first)`, jobId);
      }
      const op = build(doc.data as T);
      if (op.length > 0) await callback(cb => doc.submitOp(op, {}, cb));
      // Subscribers load snapshots and receive new ops live: old ops are only memory.
      if (op.length > 0 && typeof doc.version === 'number' && doc.version % COMPACT_EVERY === 0) {
        await this.deleteOps(collection, jobId, doc.version - 1);
      }
    });
  }

  /** Frees ops [0, to) (all when `to` is null) of a document where the database supports it. */
  private deleteOps(collection: Collection, jobId: string, to: number | null): Promise<void> {
    const db = (this.backend as unknown as { db?: { deleteOps?: Function } }).db;
    if (typeof db?.deleteOps !== 'function') return Promise.resolve();
    return callback(cb => db.deleteOps!(collection, jobId, 0, to, {}, cb));
  }

  private read<T>(collection: Collection, jobId: string): Promise<T | undefined> {
    try {
      checkJobId(jobId);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.enqueue(collection, jobId, async () => {
      const doc = await this.existing(collection, jobId);
      return doc === undefined ? undefined : copy(doc.data as T);
    });
  }

  private async create(collection: Collection, jobId: string, data: JobDocument | CheckpointsDocument): Promise<void> {
    const doc = await this.loaded(collection, jobId);
    if (doc.type !== null) throw jobExists(jobId, collection);
    try {
      await callback(cb => doc.create(data, 'json0', cb));
    } catch (err) {
      // Another writer on the same backend created it first.
      if (codeOf(err) === 'ERR_DOC_ALREADY_CREATED') throw jobExists(jobId, collection, err);
      throw err;
    }
  }

  /** The document, subscribed on the write connection (so it stays current), possibly not created. */
  private async loaded(collection: Collection, jobId: string): Promise<Doc> {
    const doc = this.conn.get(collection, jobId);
    if (!doc.subscribed) await callback(cb => doc.subscribe(cb));
    return doc;
  }

  /** The created document, or undefined (and nothing kept subscribed) when there is none. */
  private async existing(collection: Collection, jobId: string): Promise<Doc | undefined> {
    const doc = await this.loaded(collection, jobId);
    if (doc.type !== null) return doc;
    await callback(cb => doc.destroy(cb));
    return undefined;
  }

  /** Runs `task` after every earlier task on the same document has settled. */
  private enqueue<R>(collection: Collection, jobId: string, task: () => Promise<R>): Promise<R> {
    if (this.closed) return Promise.reject(closedError());
    const key = `${collection}/${jobId}`;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.then(() => undefined, () => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }
}

/** A document's op log is trimmed each time its version reaches a multiple of this. */
const COMPACT_EVERY = 64;

// ---- op building ----

/** Sets a key: `oi`, with `od` when the key had a value. */
function replace(p: (string | number)[], old: unknown, value: unknown): Component {
  return old === undefined ? { p, oi: value } : { p, od: old, oi: value };
}

function count(state: CheckpointRecord['state'], delta: number): Component[] {
  const key = state === 'IN_PROGRESS' ? 'inProgress' : state === 'COMPLETED' ? 'completed' : 'failed';
  return [{ p: ['counts', key], na: delta }];
}

/** Replaces latestCompleted when `record` is completed and at least as new. */
function latest(doc: CheckpointsDocument, record: CheckpointRecord): Component[] {
  if (record.state !== 'COMPLETED') return [];
  if (doc.latestCompleted !== undefined && doc.latestCompleted.id > record.id) return [];
  return [replace(['latestCompleted'], doc.latestCompleted, record)];
}

/**
 * Deletes the oldest finished records of `history` (the list after the
 * change) until it holds `size` or only in-progress records are older.
 * Deletes from the back so each index is still valid when applied.
 */
function trim(history: readonly CheckpointRecord[], size: number): Component[] {
  let excess = history.length - size;
  const drop: number[] = [];
  for (let i = 0; i < history.length && excess > 0; i++) {
    if (history[i]!.state !== 'IN_PROGRESS') {
      drop.push(i);
      excess--;
    }
  }
  return drop.reverse().map(i => ({ p: ['history', i], ld: history[i] }));
}

// ---- validation ----

function invalid(jobId: string | undefined, what: string, problem: string): never {
  const where = jobId === undefined ? '' : ` (job '${jobId}')`;
  throw new JobDocumentError('INVALID_ARGUMENT', `invalid ${what}${where}: ${problem}`, jobId);
}

function checkJobId(jobId: string): void {
  if (typeof jobId !== 'string' || jobId.length === 0) invalid(undefined, 'jobId', `must be a non-empty string, got ${JSON.stringify(jobId) ?? String(jobId)}`);
}

function checkString(jobId: string, what: string, value: unknown): void {
  if (typeof value !== 'string') invalid(jobId, what, `must be a string, got ${typeof value}`);
}

function checkTime(jobId: string, what: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(jobId, what, `must be a finite number of ms, got ${String(value)}`);
}

function checkAmount(jobId: string, what: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) invalid(jobId, what, `must be a finite number >= 0, got ${String(value)}`);
}

function checkObject(jobId: string, what: string, value: unknown): void {
  if (typeof value !== 'object' || value === null) invalid(jobId, what, 'must be an object');
}

/** A validated copy of the record with only its known, defined fields. */
function plainRecord(jobId: string, record: CheckpointRecord): CheckpointRecord {
  checkObject(jobId, 'checkpoint record', record);
  if (!Number.isSafeInteger(record.id) || record.id < 0) invalid(jobId, 'checkpoint id', `must be a non-negative integer, got ${String(record.id)}`);
  if (typeof record.savepoint !== 'boolean') invalid(jobId, `savepoint of checkpoint ${record.id}`, 'must be a boolean');
  checkTime(jobId, `triggerTime of checkpoint ${record.id}`, record.triggerTime);
  if (!CHECKPOINT_STATES.has(record.state)) {
    invalid(jobId, `state of checkpoint ${record.id}`, `must be IN_PROGRESS, COMPLETED or FAILED, got ${String(record.state)}`);
  }
  const out: Mutable<CheckpointRecord> = { id: record.id, savepoint: record.savepoint, triggerTime: record.triggerTime, state: record.state };
  for (const key of ['durationMs', 'alignmentMs', 'sizeBytes'] as const) {
    const value = record[key];
    if (value === undefined) continue;
    checkAmount(jobId, `${key} of checkpoint ${record.id}`, value);
    out[key] = value;
  }
  for (const key of ['failureReason', 'location'] as const) {
    const value = record[key];
    if (value === undefined) continue;
    checkString(jobId, `${key} of checkpoint ${record.id}`, value);
    out[key] = value;
  }
  return out;
}

// ---- small helpers ----

function callback(start: (cb: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => start(err => (err ? reject(err) : resolve())));
}

function copy<T>(data: T): T {
  return structuredClone(data);
}

function codeOf(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function jobExists(jobId: string, collection: Collection, cause?: unknown): JobDocumentError {
  return new JobDocumentError('JOB_EXISTS', `job '${jobId}' already exists (its ${collection} document was created before)`, jobId, { cause });
}

function closedError(): JobDocumentError {
  return new JobDocumentError('CLOSED', 'JobDocuments is closed');
}
