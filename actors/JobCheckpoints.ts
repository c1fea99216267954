/**
 * The checkpointing side of a job master: triggers checkpoints on a timer
 * and savepoints on request, feeds acknowledgements, declines and finished
 * subtasks to the pure CheckpointCoordinator, writes the metadata of
 * complete checkpoints, then tells every subtask (notify-complete, or close
 * after the final checkpoint or a stop-with-savepoint), retains the newest
 * checkpoints (CompletedCheckpointStore) and keeps the history. It reaches
 * subtasks and the job's lifecycle only through a narrow host interface and
 * runs inside the job master's actor (its asynchronous storage work reports
 * back as job-master messages).
 *
 * Storage: each checkpoint's directory (`<jobId>/chk-<n>`, by the id
 * snapshots are named by — a cluster job's for every run —, or a savepoint's
 * own directory) is created before its barriers go out, and every file of
 * the checkpoint is written into it — finished subtasks write their final
 * state into it too — so every checkpoint and savepoint is self-contained.
 * An aborted or subsumed checkpoint's directory is removed once its
 * in-flight metadata write settled; writes arriving later fail instead of
 * leaving orphans. `close()` applies the retention setting when the job
 * ends and resolves only when every storage operation has finished.
 *
 * Intermediate savepoints commit nothing (their transactions stay pending
 * until the next checkpoint), so restoring an older checkpoint after a
 * failure never duplicates output; a stop-with-savepoint commits them before
 * the job ends.
 */
import type { EnvironmentConfig } from '../lib/api/EnvironmentConfig';
import type { CheckpointCounts, CheckpointStats } from '../lib/api/JobClient';
import { CheckpointCoordinator, type PendingCheckpoint, type SubtaskAck } from '../lib/checkpoint/CheckpointCoordinator';
import { CheckpointHistory } from '../lib/checkpoint/CheckpointHistory';
import { jobDirectory, snapshotLocation } from '../lib/checkpoint/CheckpointLayout';
import { checkpointMetadata } from '../lib/checkpoint/CheckpointLoader';
import { writeMetadata, type ClaimedCheckpoint } from '../lib/checkpoint/CheckpointMetadata';
import type { CheckpointStorage } from '../lib/checkpoint/CheckpointStorage';
import { CompletedCheckpointStore, type CompletedCheckpoint } from '../lib/checkpoint/CompletedCheckpointStore';
import { describe } from '../lib/errors';
import type { JobGraph } from '../lib/graph/JobGraph';
import type { JobEnd } from '../lib/job/JobLifecycle';
import type { JobDocuments } from '../lib/monitoring/JobDocuments';
import type { Logger } from '../lib/monitoring/Logger';
import type { TimerHandle } from '../lib/time/Clock';
import { tell, type JobMasterMsg, type SubtaskMsg, type TRef } from './protocol';

export interface SavepointRequest {
  readonly terminate: boolean;
  readonly reply: (result: { location: string } | { error: unknown }) => void;
}

/** What the checkpoints need of the job master. */
export interface CheckpointHost {
  readonly self: TRef<JobMasterMsg>;
  readonly running: boolean;
  /** The running attempt's subtask actors, by subtask key. */
  subtask(key: string): TRef<SubtaskMsg> | undefined;
  broadcast(msg: SubtaskMsg): void;
  failover(error: unknown): void;
  /** The savepoint of a stop-with-savepoint completed: subtasks are closing; the job ends when all closed. */
  stopping(savepoint: string): void;
  /** A checkpoint of this job completed (the restored snapshot may now be released). */
  checkpointCompleted(): void;
  /** Best-effort write to the live documents. */
  publish(write: (d: JobDocuments) => Promise<void>): void;
}

type AbortReason = 'CHECKPOINT_EXPIRED' | 'CHECKPOINT_DECLINED' | 'CHECKPOINT_SUBSUMED' | 'STORAGE_FAILURE';

/** How the job ended, for retention (defined with the job's lifecycle). */
export type { JobEnd } from '../lib/job/JobLifecycle';

export class JobCheckpoints {
  readonly coordinator: CheckpointCoordinator;
  private readonly history: CheckpointHistory;
  private readonly store: CompletedCheckpointStore;
  private readonly savepoints = new Map<number, SavepointRequest>();
  /** restoreMode CLAIM: earlier runs' checkpoints still to delete, recorded in each checkpoint's metadata. */
  claimed: readonly ClaimedCheckpoint[] = [];
  /** Savepoint target directory per checkpoint in flight (undefined: the job's storage). */
  private readonly targets = new Map<number, string | undefined>();
  /** Checkpoints whose directory exists (barriers and final-state requests went out). */
  private readonly prepared = new Set<number>();
  /** Acks of checkpoints whose metadata is being written. */
  private readonly pendingAcks = new Map<number, SubtaskAck[]>();
  /** The last storage operation per checkpoint: a removal waits for a write in flight. */
  private readonly io = new Map<number, Promise<unknown>>();
  /** Every storage operation not settled yet. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Id of the checkpoint made of every subtask's final state, once all finished. */
  private finalId: number | undefined;
  /** A stop-with-savepoint was asked for: no more checkpoints. */
  private stopped = false;
  /** The stop-with-savepoint whose savepoint completed; subtasks are committing and closing. */
  private stopping: { readonly id: number; readonly location: string; readonly reply: SavepointRequest['reply'] } | undefined;
  /** The savepoint of a stop that failed while closing: a restore point (it committed output). */
  stopSavepoint: { readonly id: number; readonly location: string } | undefined;
  private tick: TimerHandle | undefined;
  /** Location of the final checkpoint, once written (undefined again if retention deleted it). */
  finalLocation: string | undefined;
  /** The id checkpoints and savepoints are named by. */
  private readonly names: string;

  constructor(
    private readonly host: CheckpointHost,
    private readonly jobId: string,
    private readonly jobGraph: JobGraph,
    private readonly config: EnvironmentConfig,
    readonly storage: CheckpointStorage | undefined,
    subtasks: readonly string[],
    sources: readonly string[],
    private readonly log: Logger,
    /** The id checkpoints and savepoints are named by (directories, metadata); default `jobId`. */
    snapshotJobId?: string,
  ) {
    this.names = snapshotJobId ?? jobId;
    const cp = config.checkpoint ?? {
      intervalMs: Infinity,
      mode: 'exactly-once' as const,
      timeoutMs: 600_000,
      minPauseMs: 0,
      maxConcurrent: 1,
      tolerableFailures: 0,
      retained: 1,
      retention: 'RETAIN_ON_CANCELLATION' as const,
    };
    this.coordinator = new CheckpointCoordinator(cp, subtasks, sources);
    this.store = new CompletedCheckpointStore(cp.retained);
    this.history = new CheckpointHistory(
      {
        triggered: (s) => host.publish((d) => d.checkpointTriggered(jobId, s)),
        completed: (s) =>
          host.publish((d) =>
            d.checkpointCompleted(jobId, s.id, { durationMs: s.durationMs ?? 0, alignmentMs: s.alignmentMs ?? 0, sizeBytes: s.sizeBytes ?? 0, location: s.location ?? '' }),
          ),
        failed: (s) => host.publish((d) => d.checkpointFailed(jobId, s.id, { durationMs: s.durationMs ?? 0, failureReason: s.failureReason ?? 'UNKNOWN' })),
      },
      cp.historySize,
    );
  }

  private get now(): number {
    return this.config.clock.now();
  }

  get stats(): CheckpointStats[] {
    return this.history.all();
  }

  get counts(): CheckpointCounts {
    return this.history.totals();
  }

  /** Completed checkpoints kept, newest first: what a restart restores. */
  get completed(): readonly CompletedCheckpoint[] {
    return this.store.all();
  }

  /** Creates the job's directory in its checkpoint storage (fails early on an unusable storage). */
  async prepareJob(): Promise<void> {
    await this.storage?.createDirectory(jobDirectory(this.names));
  }

  scheduleTick(): void {
    const cp = this.config.checkpoint;
    if (cp === undefined || this.tick !== undefined || this.stopped) return;
    this.tick = this.config.clock.setTimer(cp.intervalMs, () => {
      this.tick = undefined;
      tell(this.host.self, { type: 'CheckpointTick' });
    });
  }

  onTick(): void {
    for (const p of this.coordinator.expired(this.now)) {
      this.abort(p.id, 'CHECKPOINT_EXPIRED', `not complete after ${this.coordinator.config.timeoutMs} ms`);
    }
    if (!this.host.running || this.stopped) return;
    const decision = this.coordinator.trigger(this.now);
    if (decision.ok) this.start(decision.checkpoint, undefined);
    this.scheduleTick();
  }

  triggerSavepoint(directory: string, request: SavepointRequest): void {
    if (this.stopped) return request.reply({ error: new Error('cannot take a savepoint: the job is stopping') });
    const decision = this.coordinator.trigger(this.now, { savepoint: true, terminate: request.terminate });
    if (!decision.ok) return request.reply({ error: new Error(`cannot take a savepoint: ${decision.reason}`) });
    this.savepoints.set(decision.checkpoint.id, request);
    if (request.terminate) this.stopped = true;
    this.start(decision.checkpoint, directory);
  }

  /** The directory of checkpoint `id` exists (or could not be made). */
  prepareDone(id: number, error: unknown): void {
    if (!this.coordinator.isPending(id)) return;
    if (error !== undefined) return this.abort(id, 'STORAGE_FAILURE', describe(error));
    this.prepared.add(id);
    const p = this.coordinator.pendingCheckpoints.find((x) => x.id === id)!;
    const target = this.targets.get(id);
    if (id !== this.finalId) {
      const barrier = { kind: 'barrier' as const, checkpointId: id, timestamp: p.timestamp, savepoint: p.savepoint, terminate: p.terminate, target };
      for (const key of this.coordinator.runningSources()) {
        const ref = this.host.subtask(key);
        if (ref) tell(ref, { type: 'TriggerCheckpoint', barrier });
      }
    }
    for (const key of this.coordinator.finishedSubtasks()) {
      if (p.notYetAcknowledged.has(key)) this.askFinalState(key, id);
    }
  }

  acknowledged(checkpointId: number, ack: SubtaskAck): void {
    this.completeIfDone(this.coordinator.acknowledge(checkpointId, ack));
  }

  /** A subtask finished: it acknowledges pending checkpoints with its final state; once all finished, the final checkpoint starts. */
  subtaskFinished(subtaskKey: string): void {
    for (const p of this.coordinator.subtaskFinished(subtaskKey)) if (this.prepared.has(p.id)) this.askFinalState(subtaskKey, p.id);
    if (!this.coordinator.allFinished || this.finalId !== undefined || this.stopped) return;
    const final = this.coordinator.finalCheckpoint(this.now);
    this.finalId = final.id;
    this.start(final, undefined);
  }

  /** The metadata of a checkpoint is stored: it is complete. */
  stored(id: number, location: string | undefined): void {
    const acks = this.pendingAcks.get(id);
    if (acks === undefined) return; // aborted meanwhile (a failover, a subsumption)
    this.pendingAcks.delete(id);
    this.prepared.delete(id);
    const { current, subsumed } = this.coordinator.completed(id, this.now);
    const target = this.targets.get(id);
    this.targets.delete(id);
    if (!current) {
      // A newer checkpoint completed first: this one is subsumed (ids, not completion times, decide).
      this.history.failed(id, this.now, 'CHECKPOINT_SUBSUMED');
      this.removeCheckpoint(id, target);
      return;
    }
    for (const old of subsumed) this.abort(old, 'CHECKPOINT_SUBSUMED', `checkpoint ${id} completed first`);
    const stats = this.history.completed(id, this.now, {
      alignmentMs: Math.max(0, ...acks.map((a) => a.alignmentMs)),
      sizeBytes: acks.reduce((n, a) => n + (a.handle?.size ?? 0), 0),
      location,
    });
    const request = this.savepoints.get(id);
    this.savepoints.delete(id);
    if (stats.savepoint) {
      this.log.info({ checkpointId: id, location, durationMs: stats.durationMs, stop: request?.terminate ?? false }, 'savepoint completed');
      if (request?.terminate) {
        // The stop's answer waits until every subtask committed and closed (close('STOPPED')).
        this.stopping = { id, location: location!, reply: request.reply };
        this.host.broadcast({ type: 'CloseTask', checkpointId: id });
        this.host.stopping(location!);
      } else {
        request?.reply({ location: location! });
      }
      return;
    }
    this.log.debug({ checkpointId: id, location, durationMs: stats.durationMs, sizeBytes: stats.sizeBytes }, 'checkpoint completed');
    if (location !== undefined) {
      const loc = snapshotLocation(this.storage, this.names, id, undefined)!;
      for (const old of this.store.add({ id, location, dir: loc.dir })) this.removeCheckpoint(old.id, undefined);
      this.host.checkpointCompleted();
    }
    if (id === this.finalId) {
      this.finalLocation = location;
      return this.host.broadcast({ type: 'CloseTask', checkpointId: id });
    }
    this.host.broadcast({ type: 'NotifyCheckpointComplete', checkpointId: id });
  }

  storeFailed(id: number, error: unknown): void {
    this.abort(id, 'STORAGE_FAILURE', describe(error));
  }

  declined(id: number, subtaskKey: string, reason: string, cause: 'SUBSUMED' | 'STORAGE_FAILURE' | 'DECLINED'): void {
    const code = cause === 'SUBSUMED' ? 'CHECKPOINT_SUBSUMED' : cause === 'STORAGE_FAILURE' ? 'STORAGE_FAILURE' : 'CHECKPOINT_DECLINED';
    this.abort(id, code, `${subtaskKey}: ${reason}`);
  }

  /**
   * Failover: every checkpoint in flight is dropped; finished subtasks will
   * run again. A stop-with-savepoint whose commits had begun fails, and its
   * savepoint becomes the newest restore point (its output may be committed).
   */
  reset(): void {
    if (this.stopping !== undefined) {
      this.stopping.reply({ error: new Error(`stop-with-savepoint failed while the job was closing; it restarts from the savepoint ${this.stopping.location}`) });
      this.stopSavepoint = { id: this.stopping.id, location: this.stopping.location };
      this.stopping = undefined;
    }
    for (const id of this.coordinator.reset()) {
      this.savepoints.get(id)?.reply({ error: new Error(`checkpoint ${id} was aborted: the job is failing over`) });
      this.savepoints.delete(id);
      this.removeCheckpoint(id, this.targets.get(id));
    }
    this.history.failInProgress(this.now, 'JOB_FAILOVER');
    this.pendingAcks.clear();
    this.targets.clear();
    this.prepared.clear();
    this.finalId = undefined;
    this.stopped = false;
  }

  /**
   * The job ended: no more checkpoints; open savepoint requests fail;
   * checkpoints in flight are removed and the retained ones kept or deleted
   * per the retention setting. Resolves when every storage operation is done.
   */
  async close(end: JobEnd): Promise<void> {
    this.tick?.cancel();
    if (this.stopping !== undefined) {
      const { location, reply } = this.stopping;
      this.stopping = undefined;
      reply(end === 'STOPPED' ? { location } : { error: new Error(`the job ended (${end}) before the stop completed`) });
    }
    for (const r of this.savepoints.values()) r.reply({ error: new Error(`the job ended (${end})`) });
    this.savepoints.clear();
    this.history.failInProgress(this.now, `JOB_${end}`);
    for (const id of this.coordinator.reset()) this.removeCheckpoint(id, this.targets.get(id));
    this.pendingAcks.clear();
    const retention = this.coordinator.config.retention;
    const dropAll =
      retention === 'NO_EXTERNALIZED_CHECKPOINTS' || end === 'STOPPED' || (end === 'CANCELED' && retention === 'DELETE_ON_CANCELLATION');
    const dropped = dropAll ? this.store.takeAll() : end === 'FINISHED' ? this.store.takeAllButLatest() : [];
    for (const c of dropped) this.removeCheckpoint(c.id, undefined);
    if (dropAll) this.finalLocation = undefined;
    await this.settled();
    // The job's directory goes when nothing of it is kept.
    if (this.storage !== undefined && this.store.all().length === 0) {
      const dir = jobDirectory(this.names);
      await this.storage
        .list(dir)
        .then((names) => (names.length === 0 ? this.storage!.removeDirectory(dir) : undefined))
        .catch((e: unknown) => this.log.warn({ err: describe(e) }, 'could not remove the job\'s checkpoint directory'));
    }
  }

  /** Resolves once every storage operation started so far has settled. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private start(p: PendingCheckpoint, target: string | undefined): void {
    this.targets.set(p.id, target);
    this.history.triggered(p.id, p.savepoint, p.timestamp);
    const loc = snapshotLocation(this.storage, this.names, p.id, target);
    const self = this.host.self;
    if (loc === undefined) return tell(self, { type: 'CheckpointPrepared', checkpointId: p.id });
    this.track(
      p.id,
      loc.storage.createDirectory(loc.dir).then(
        () => tell(self, { type: 'CheckpointPrepared', checkpointId: p.id }),
        (error: unknown) => tell(self, { type: 'CheckpointPrepared', checkpointId: p.id, error }),
      ),
    );
  }

  private askFinalState(subtaskKey: string, checkpointId: number): void {
    const ref = this.host.subtask(subtaskKey);
    if (ref) tell(ref, { type: 'WriteFinalState', checkpointId, target: this.targets.get(checkpointId) });
  }

  /** All acks are in: write the metadata (asynchronously; the result comes back as a message). */
  private completeIfDone(p: PendingCheckpoint | undefined): void {
    if (p === undefined) return;
    this.pendingAcks.set(p.id, [...p.acks.values()]);
    const loc = snapshotLocation(this.storage, this.names, p.id, this.targets.get(p.id));
    const self = this.host.self;
    if (loc === undefined) return tell(self, { type: 'CheckpointStored', checkpointId: p.id, location: undefined });
    this.track(
      p.id,
      writeMetadata(loc.storage, loc.dir, checkpointMetadata(this.jobGraph, this.names, p, this.claimed)).then(
        (location) => tell(self, { type: 'CheckpointStored', checkpointId: p.id, location }),
        (error: unknown) => tell(self, { type: 'CheckpointStoreFailed', checkpointId: p.id, error }),
      ),
    );
  }

  /** Removes a checkpoint's directory once its last storage operation settled. */
  private removeCheckpoint(id: number, target: string | undefined): void {
    const loc = snapshotLocation(this.storage, this.names, id, target);
    if (loc === undefined) return;
    const before = this.io.get(id) ?? Promise.resolve();
    this.track(
      id,
      before
        .catch(() => undefined)
        .then(() => loc.storage.removeDirectory(loc.dir))
        .catch((e: unknown) => this.log.warn({ checkpointId: id, err: describe(e) }, 'could not remove a checkpoint directory')),
    );
  }

  private track(id: number, op: Promise<unknown>): void {
    this.io.set(id, op);
    this.inFlight.add(op);
    const done = () => {
      this.inFlight.delete(op);
      if (this.io.get(id) === op) this.io.delete(id);
    };
    op.then(done, done);
  }

  private abort(id: number, reason: AbortReason, detail: string): void {
    const outcome = this.coordinator.fail(id, reason, detail);
    if (outcome === undefined) return;
    this.pendingAcks.delete(id);
    this.prepared.delete(id);
    this.removeCheckpoint(id, this.targets.get(id));
    this.targets.delete(id);
    this.history.failed(id, this.now, reason);
    if (reason !== 'CHECKPOINT_SUBSUMED') this.log.warn({ checkpointId: id, reason, detail }, 'checkpoint failed');
    this.host.broadcast({ type: 'AbortCheckpoint', checkpointId: id });
    const request = this.savepoints.get(id);
    this.savepoints.delete(id);
    if (request?.terminate) this.stopped = false;
    request?.reply({ error: outcome.failure });
    if (outcome.failJob) this.host.failover(outcome.failure);
  }
}
