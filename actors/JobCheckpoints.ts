/**
 * The checkpointing side of a job master: triggers checkpoints on a timer
 * and savepoints on request, feeds acknowledgements, declines and finished
 * subtasks to the pure CheckpointCoordinator, writes the metadata of
 * complete checkpoints, then tells every subtask (notify-complete, or close
 * after the final one), retains the newest checkpoints and keeps the
 * history. It reaches subtasks and the job's lifecycle only through a
 * narrow host interface, and runs inside the job master's actor (its
 * asynchronous writes report back as job-master messages).
 */
import type { EnvironmentConfig } from '../lib/api/EnvironmentConfig';
import type { CheckpointStats } from '../lib/api/JobClient';
import { checkpointMetadata } from '../lib/checkpoint/CheckpointLoader';
import { CheckpointCoordinator, type PendingCheckpoint, type SubtaskAck } from '../lib/checkpoint/CheckpointCoordinator';
import { CheckpointHistory } from '../lib/checkpoint/CheckpointHistory';
import { FileSystemCheckpointStorage, type CheckpointStorage } from '../lib/checkpoint/CheckpointStorage';
import { describe } from '../lib/errors';
import type { JobGraph } from '../lib/graph/JobGraph';
import type { JobDocuments } from '../lib/monitoring/JobDocuments';
import type { TimerHandle } from '../lib/time/Clock';
import { tell, type JobMasterMsg, type SubtaskMsg, type TRef } from './protocol';

export interface CompletedCheckpoint {
  readonly id: number;
  readonly location: string;
}

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
  /** A stop-with-savepoint completed: end the job. */
  stopped(savepoint: string): void;
  /** Best-effort write to the live documents. */
  publish(write: (d: JobDocuments) => Promise<void>): void;
}

type AbortReason = 'CHECKPOINT_EXPIRED' | 'CHECKPOINT_DECLINED' | 'CHECKPOINT_SUBSUMED' | 'STORAGE_FAILURE';

export class JobCheckpoints {
  readonly coordinator: CheckpointCoordinator;
  private readonly history: CheckpointHistory;
  private readonly completedList: CompletedCheckpoint[] = [];
  private readonly savepoints = new Map<number, SavepointRequest>();
  /** Savepoint directory per checkpoint in flight (undefined: the job's storage). */
  private readonly targets = new Map<number, string | undefined>();
  /** Acks of checkpoints whose metadata is being written. */
  private readonly pendingAcks = new Map<number, SubtaskAck[]>();
  /** Id of the checkpoint made of every subtask's final state, once all finished. */
  private finalId: number | undefined;
  private tick: TimerHandle | undefined;
  /** Location of the final checkpoint, once written. */
  finalLocation: string | undefined;

  constructor(
    private readonly host: CheckpointHost,
    private readonly jobId: string,
    private readonly jobGraph: JobGraph,
    private readonly config: EnvironmentConfig,
    readonly storage: CheckpointStorage | undefined,
    subtasks: readonly string[],
    sources: readonly string[],
  ) {
    this.coordinator = new CheckpointCoordinator(
      config.checkpoint ?? { intervalMs: Infinity, mode: 'exactly-once', timeoutMs: 600_000, minPauseMs: 0, maxConcurrent: 1, tolerableFailures: 0, retained: 1 },
      subtasks,
      sources,
    );
    this.history = new CheckpointHistory({
      triggered: (s) => host.publish((d) => d.checkpointTriggered(jobId, s)),
      completed: (s) =>
        host.publish((d) =>
          d.checkpointCompleted(jobId, s.id, { durationMs: s.durationMs ?? 0, alignmentMs: s.alignmentMs ?? 0, sizeBytes: s.sizeBytes ?? 0, location: s.location ?? '' }),
        ),
      failed: (s) => host.publish((d) => d.checkpointFailed(jobId, s.id, { durationMs: s.durationMs ?? 0, failureReason: s.failureReason ?? 'UNKNOWN' })),
    });
  }

  private get now(): number {
    return this.config.clock.now();
  }

  get stats(): CheckpointStats[] {
    return this.history.all();
  }

  /** Completed checkpoints kept, newest last. */
  get completed(): readonly CompletedCheckpoint[] {
    return this.completedList;
  }

  scheduleTick(): void {
    const cp = this.config.checkpoint;
    if (cp === undefined || this.tick !== undefined) return;
    this.tick = this.config.clock.setTimer(cp.intervalMs, () => {
      this.tick = undefined;
      tell(this.host.self, { type: 'CheckpointTick' });
    });
  }

  onTick(): void {
    for (const p of this.coordinator.expired(this.now)) {
      this.abort(p.id, 'CHECKPOINT_EXPIRED', `not complete after ${this.coordinator.config.timeoutMs} ms`);
    }
    if (!this.host.running) return;
    const decision = this.coordinator.trigger(this.now);
    if (decision.ok) this.start(decision.checkpoint, undefined);
    this.scheduleTick();
  }

  triggerSavepoint(directory: string, request: SavepointRequest): void {
    const decision = this.coordinator.trigger(this.now, { savepoint: true, terminate: request.terminate });
    if (!decision.ok) return request.reply({ error: new Error(`cannot take a savepoint: ${decision.reason}`) });
    this.savepoints.set(decision.checkpoint.id, request);
    this.start(decision.checkpoint, directory);
  }

  acknowledged(checkpointId: number, ack: SubtaskAck): void {
    this.completeIfDone(this.coordinator.acknowledge(checkpointId, ack));
  }

  /** A subtask finished; once all have, their final states form the job's last checkpoint. */
  subtaskFinished(ack: SubtaskAck): void {
    for (const p of this.coordinator.subtaskFinished(ack)) this.completeIfDone(p);
    if (!this.coordinator.allFinished || this.finalId !== undefined) return;
    const final = this.coordinator.finalCheckpoint(this.now);
    this.finalId = final.id;
    this.history.triggered(final.id, false, final.timestamp);
    this.completeIfDone(final);
  }

  /** The metadata of a checkpoint is stored: it is complete. */
  stored(id: number, location: string | undefined): void {
    const acks = this.pendingAcks.get(id);
    if (acks === undefined) return; // aborted meanwhile (a failover)
    this.pendingAcks.delete(id);
    this.coordinator.completed(id, this.now);
    this.targets.delete(id);
    const completed = this.history.completed(id, this.now, {
      alignmentMs: Math.max(0, ...acks.map((a) => a.alignmentMs)),
      sizeBytes: acks.reduce((n, a) => n + (a.handle?.size ?? 0), 0),
      location,
    });
    if (location !== undefined && !completed.savepoint) this.retain({ id, location });
    if (id === this.finalId) {
      this.finalLocation = location;
      return this.host.broadcast({ type: 'CloseTask' });
    }
    this.host.broadcast({ type: 'NotifyCheckpointComplete', checkpointId: id });
    const request = this.savepoints.get(id);
    this.savepoints.delete(id);
    if (request) {
      request.reply({ location: location! });
      if (request.terminate) this.host.stopped(location!);
    }
  }

  storeFailed(id: number, error: unknown): void {
    this.abort(id, 'STORAGE_FAILURE', describe(error));
  }

  declined(id: number, subtaskKey: string, reason: string, subsumed: boolean): void {
    this.abort(id, subsumed ? 'CHECKPOINT_SUBSUMED' : 'CHECKPOINT_DECLINED', `${subtaskKey}: ${reason}`);
  }

  /** Failover: every checkpoint in flight is dropped; finished subtasks will run again. */
  reset(): void {
    for (const id of this.coordinator.reset()) {
      this.savepoints.get(id)?.reply({ error: new Error(`checkpoint ${id} was aborted: the job is failing over`) });
      this.savepoints.delete(id);
      if (this.targets.get(id) === undefined) this.storage?.discard(id).catch(() => {});
    }
    this.history.failInProgress(this.now, 'JOB_FAILOVER');
    this.pendingAcks.clear();
    this.targets.clear();
    this.finalId = undefined;
  }

  /** The job ended: no more checkpoints; open savepoint requests fail. */
  close(status: string): void {
    this.tick?.cancel();
    for (const r of this.savepoints.values()) r.reply({ error: new Error(`the job ended (${status})`) });
    this.savepoints.clear();
    this.history.failInProgress(this.now, `JOB_${status}`);
  }

  private start(p: PendingCheckpoint, target: string | undefined): void {
    const barrier = { kind: 'barrier' as const, checkpointId: p.id, timestamp: p.timestamp, savepoint: p.savepoint, terminate: p.terminate, target };
    this.targets.set(p.id, target);
    this.history.triggered(p.id, p.savepoint, p.timestamp);
    for (const key of this.coordinator.runningSources()) {
      const ref = this.host.subtask(key);
      if (ref) tell(ref, { type: 'TriggerCheckpoint', barrier });
    }
    this.completeIfDone(p.notYetAcknowledged.size === 0 ? p : undefined);
  }

  /** All acks are in: write the metadata (asynchronously; the result comes back as a message). */
  private completeIfDone(p: PendingCheckpoint | undefined): void {
    if (p === undefined) return;
    this.pendingAcks.set(p.id, [...p.acks.values()]);
    const target = this.targets.get(p.id);
    const storage = target !== undefined ? new FileSystemCheckpointStorage(target, { prefix: 'savepoint' }) : this.storage;
    const self = this.host.self;
    if (storage === undefined) return tell(self, { type: 'CheckpointStored', checkpointId: p.id, location: undefined });
    storage.writeMetadata(checkpointMetadata(this.jobGraph, p)).then(
      (location) => tell(self, { type: 'CheckpointStored', checkpointId: p.id, location }),
      (error: unknown) => tell(self, { type: 'CheckpointStoreFailed', checkpointId: p.id, error }),
    );
  }

  /** Keeps the newest `retained` completed checkpoints, discarding older ones from storage. */
  private retain(c: CompletedCheckpoint): void {
    this.completedList.push(c);
    while (this.completedList.length > this.coordinator.config.retained) {
      const old = this.completedList.shift()!;
      this.storage?.discard(old.id).catch(() => {});
    }
  }

  private abort(id: number, reason: AbortReason, detail: string): void {
    const outcome = this.coordinator.fail(id, reason, detail);
    if (outcome === undefined) return;
    this.pendingAcks.delete(id);
    if (this.targets.get(id) === undefined) this.storage?.discard(id).catch(() => {}); // its partial files
    this.targets.delete(id);
    this.history.failed(id, this.now, reason);
    this.host.broadcast({ type: 'AbortCheckpoint', checkpointId: id });
    const request = this.savepoints.get(id);
    this.savepoints.delete(id);
    request?.reply({ error: outcome.failure });
    if (outcome.failJob) this.host.failover(outcome.failure);
  }
}
