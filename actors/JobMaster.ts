/**
 * The job master actor (Flink's JobMaster): deploys one subtask actor per
 * execution vertex as its children, hosts the sinks' operator coordinators
 * and the job's checkpointing (JobCheckpoints), recovers from failures and
 * ends the job.
 *
 * - Start: the job's checkpoint directory is created (an unusable storage
 *   fails the job at once); a savepoint or retained checkpoint given as
 *   `savepointPath` is loaded and checked against the job before anything
 *   is deployed (RestoreError).
 * - Failures reach it through supervision (a crashed subtask escalates). It
 *   stops every subtask (leaves first: nact's stop(parent) does not stop
 *   descendants), asks the restart strategy, and after the delay redeploys
 *   the whole job from the newest restorable state of the job's lineage:
 *   its own completed checkpoints, newest first (an unreadable one is
 *   skipped and named), else the snapshot it started from.
 * - The end: when every subtask finished, their final states form the last
 *   checkpoint; once written, subtasks commit and close, and the job is
 *   FINISHED. A stop-with-savepoint ends the same way after its savepoint.
 *   Cancel stops everything at once. The result settles only after the
 *   checkpoint storage is tidied (retention applied, nothing in flight).
 * - Every step is logged (pino): start, restore choices, restarts with their
 *   cause, checkpoint failures, the end.
 */
import { spawn, stop, type Ref } from 'nact';
import { v7 as uuidv7 } from 'uuid';
import type { EnvironmentConfig } from '../lib/api/EnvironmentConfig';
import { operatorResults, type JobClient, type JobResult, type JobStatus, type RestartRecord } from '../lib/api/JobClient';
import { rmdir } from 'node:fs/promises';
import * as path from 'node:path';
import { checkpointIdOf, METADATA_FILE } from '../lib/checkpoint/CheckpointLayout';
import { loadCheckpoint, operatorType, resolveSnapshotPath, type SnapshotPath } from '../lib/checkpoint/CheckpointLoader';
import { FileSystemCheckpointStorage, MemoryCheckpointStorage, type CheckpointStorage } from '../lib/checkpoint/CheckpointStorage';
import { MAX_CLAIMED, type ClaimedCheckpoint } from '../lib/checkpoint/CheckpointMetadata';
import type { RestoredState } from '../lib/checkpoint/SubtaskState';
import type { OperatorCoordinator } from '../lib/connectors/Sink';
import { subtaskIdentity } from '../lib/faults/Fault';
import { describe, JobCancelledError, JobExecutionError, RestoreError } from '../lib/errors';
import { createExecutionGraph, type ExecutionGraph, type SubtaskId } from '../lib/graph/ExecutionGraph';
import type { JobGraph } from '../lib/graph/JobGraph';
import type { JobDocuments } from '../lib/monitoring/JobDocuments';
import type { Logger } from '../lib/monitoring/Logger';
import type { SubtaskMetrics } from '../lib/operators/StreamTask';
import { RestartBackoff, RestartStrategies } from '../lib/recovery/RestartStrategies';
import type { TimerHandle } from '../lib/time/Clock';
import { attemptOfActorName, subtaskKey, tell, type JobMasterMsg, type SubtaskMsg, type TRef } from './protocol';
import { JobCheckpoints, type JobEnd } from './JobCheckpoints';
import { LocalChannelTransport } from './LocalChannelTransport';
import { spawnSubtask, type SubtaskLauncher } from './SubtaskActor';

export interface JobMasterOptions {
  readonly parent: Ref<any>;
  readonly jobGraph: JobGraph;
  readonly config: EnvironmentConfig;
  readonly documents: JobDocuments;
  /** Called once, after every actor of the job was stopped. */
  readonly onTerminated?: () => void;
  /** Starts each subtask: in this process by default; on node processes in a cluster. */
  readonly launcher?: SubtaskLauncher;
  /** The job's id (a fresh uuid v7 by default). */
  readonly jobId?: string;
}

/** Spawns a job master for the graph and starts it; the returned client follows the job. */
export function startJob(options: JobMasterOptions): JobClient {
  const master = new JobMaster(options);
  const ref = spawn(
    options.parent,
    (state: undefined, msg: JobMasterMsg) => {
      master.handle(msg);
      return state;
    },
    `job-${master.jobId}`,
    {
      onCrash: (_msg, err, ctx, child) => {
        if (child !== undefined) {
          tell(ctx.self as TRef<JobMasterMsg>, { type: 'SubtaskFailed', subtask: (child as { name: string }).name, error: err });
          return ctx.stopChild;
        }
        master.crashed(err);
        return ctx.resume;
      },
    },
  ) as TRef<JobMasterMsg>;
  master.self = ref;
  tell(ref, { type: 'StartJob' });
  return master.client;
}

const TERMINAL: readonly JobStatus[] = ['FINISHED', 'FAILED', 'CANCELED'];

class JobMaster {
  readonly jobId: string;
  self!: TRef<JobMasterMsg>;
  readonly client: JobClient;
  private status: JobStatus = 'CREATED';
  private attempt = 0;
  private readonly startedAt: number;
  private readonly graph: ExecutionGraph;
  private readonly checkpoints: JobCheckpoints;
  private readonly backoff: RestartBackoff;
  private subtasks = new Map<string, TRef<SubtaskMsg>>();
  private finished = new Map<string, SubtaskMetrics>();
  private closed = new Set<string>();
  private readonly coordinators = new Map<string, OperatorCoordinator>();
  private readonly restarts: RestartRecord[] = [];
  private stoppedWithSavepoint: string | undefined;
  private readonly log: Logger;
  /** The snapshot the job started from (savepointPath), once loaded: the last resort of every restore. */
  private initial: { readonly snapshot: SnapshotPath; readonly checkpointId: number; readonly isSavepoint: boolean; readonly claimed: readonly ClaimedCheckpoint[] } | undefined;
  /** restoreMode CLAIM: the deletion of the initial snapshot, once started. */
  private released: Promise<void> | undefined;
  /** Savepoints asked for before the job first ran. */
  private readonly earlySavepoints: Extract<JobMasterMsg, { type: 'TriggerSavepoint' }>[] = [];
  private restartTimer: TimerHandle | undefined;
  private readonly result: Promise<JobResult>;
  private settle!: { resolve: (r: JobResult) => void; reject: (e: unknown) => void };
  private readonly terminated: Promise<void>;
  private markTerminated!: () => void;

  constructor(private readonly options: JobMasterOptions) {
    this.jobId = options.jobId ?? uuidv7();
    const { config, jobGraph } = options;
    this.log = config.logger.child({ jobId: this.jobId, job: jobGraph.jobName });
    this.startedAt = config.clock.now();
    this.graph = createExecutionGraph(jobGraph);
    const storage = config.checkpoint ? (config.checkpointStorage ?? new MemoryCheckpointStorage()) : undefined;
    const keys = this.graph.subtasks.map((s) => subtaskKey(s.id));
    const sources = this.graph.subtasks.filter((s) => s.vertex.nodes[0].kind === 'source').map((s) => subtaskKey(s.id));
    const master = this; // the host's getters read the master's current state
    this.checkpoints = new JobCheckpoints(
      {
        get self() {
          return master.self;
        },
        get running() {
          return master.status === 'RUNNING';
        },
        subtask: (key) => this.subtasks.get(key),
        broadcast: (msg) => {
          for (const ref of this.subtasks.values()) tell(ref, msg);
        },
        failover: (error) => this.failover(error),
        stopping: (savepoint) => (this.stoppedWithSavepoint = savepoint),
        checkpointCompleted: () => this.releaseInitial(),
        publish: (write) => this.publish(write),
      },
      this.jobId,
      jobGraph,
      config,
      storage,
      keys,
      sources,
      this.log,
    );
    const strategy = config.restartStrategy ?? (config.checkpoint ? RestartStrategies.exponentialDelay() : RestartStrategies.noRestart());
    this.backoff = new RestartBackoff(strategy, config.random);
    config.faults?.useClock(() => config.clock.now());
    for (const v of jobGraph.vertices) {
      for (const n of v.nodes) {
        const c = n.sink?.createCoordinator?.();
        if (c) this.coordinators.set(n.uid, c);
      }
    }
    this.result = new Promise<JobResult>((resolve, reject) => (this.settle = { resolve, reject }));
    this.result.catch(() => {}); // callers observe it through client.result()
    this.terminated = new Promise((resolve) => (this.markTerminated = resolve));
    this.client = this.createClient();
    this.publish((d) => d.createJob(this.jobId, jobGraph.jobName, this.startedAt));
  }

  private get now(): number {
    return this.options.config.clock.now();
  }

  handle(msg: JobMasterMsg): void {
    if (TERMINAL.includes(this.status)) {
      if (msg.type === 'TriggerSavepoint') msg.reply({ error: new Error(`job is ${this.status}`) });
      return;
    }
    switch (msg.type) {
      case 'StartJob':
        return this.start();
      case 'RestoreLoaded':
        if (msg.attempt !== this.attempt + 1) return;
        if (msg.initial !== undefined && this.options.config.savepoint !== undefined) {
          this.initial = { snapshot: this.options.config.savepoint, ...msg.initial };
          this.checkpoints.coordinator.advancePast(msg.initial.checkpointId);
          this.checkpoints.claimed = this.claimedRuns(this.initial);
        }
        for (const note of msg.notes) this.log.warn({ attempt: msg.attempt }, `restore skipped ${note}`);
        if (msg.restored !== undefined) this.log.info({ attempt: msg.attempt, checkpointId: msg.state?.checkpointId }, `restoring from ${msg.restored}`);
        this.noteRestore(msg.state?.checkpointId, msg.notes);
        return this.deploy(msg.state, msg.restoredFrom);
      case 'RestoreFailed':
        return this.giveUp(msg.error, msg.reason);
      case 'RestartJob':
        if (msg.attempt === this.attempt + 1) this.loadLatest();
        return;
      case 'SubtaskFailed':
        if (this.isCurrent(attemptOfActorName(msg.subtask))) this.failover(msg.error);
        return;
      case 'SubtaskFinished':
        if (this.isCurrent(msg.attempt)) this.subtaskFinished(msg.subtask, msg.metrics);
        return;
      case 'SubtaskClosed':
        if (this.isCurrent(msg.attempt)) this.subtaskClosed(msg.subtask, msg.metrics);
        return;
      case 'AcknowledgeCheckpoint':
        if (this.isCurrent(msg.attempt)) this.checkpoints.acknowledged(msg.checkpointId, msg.ack);
        return;
      case 'DeclineCheckpoint':
        if (this.isCurrent(msg.attempt)) this.checkpoints.declined(msg.checkpointId, msg.subtaskKey, msg.reason, msg.cause);
        return;
      case 'CheckpointTick':
        if (this.status === 'RUNNING') this.checkpoints.onTick();
        return;
      case 'CheckpointPrepared':
        if (this.status === 'RUNNING') this.checkpoints.prepareDone(msg.checkpointId, msg.error);
        return;
      case 'CheckpointStored':
        if (this.status === 'RUNNING') this.checkpoints.stored(msg.checkpointId, msg.location);
        return;
      case 'CheckpointStoreFailed':
        if (this.status === 'RUNNING') this.checkpoints.storeFailed(msg.checkpointId, msg.error);
        return;
      case 'OperatorEventSent': {
        if (!this.isCurrent(msg.attempt)) return;
        const c = this.coordinators.get(msg.operatorUid);
        if (c === undefined) throw new Error(`operator event for '${msg.operatorUid}', which has no coordinator`);
        c.handleEvent(msg.subtaskIndex, msg.event);
        return;
      }
      case 'TriggerSavepoint':
        // Asked for right after submission: taken as soon as the job runs.
        if (this.status === 'CREATED') return void this.earlySavepoints.push(msg);
        if (this.status !== 'RUNNING') return msg.reply({ error: new Error(`cannot take a savepoint while the job is ${this.status}`) });
        return this.checkpoints.triggerSavepoint(msg.directory, { terminate: msg.terminate, reply: msg.reply });
      case 'CancelJob':
        this.setStatus('CANCELLING');
        this.log.info({}, 'job cancelled');
        return this.terminate('CANCELED', 'CANCELED', () => this.settle.reject(new JobCancelledError(this.options.jobGraph.jobName)));
    }
  }

  /** Messages of subtasks count only from the running attempt (not from one being replaced). */
  private isCurrent(attempt: number | undefined): boolean {
    return attempt === this.attempt && this.status === 'RUNNING';
  }

  /** The job master's own handler threw: an engine bug; fail the job rather than hang. */
  crashed(error: unknown): void {
    if (!TERMINAL.includes(this.status)) this.giveUp(error, 'the job master failed');
  }

  // ---- deployment ----------------------------------------------------------------------------

  private start(): void {
    const { config } = this.options;
    const next = this.attempt + 1;
    const snapshot = config.savepoint;
    this.log.info({ parallelism: config.parallelism, savepointPath: snapshot?.path, checkpointing: config.checkpoint !== undefined }, 'job submitted');
    const fail = (error: unknown, reason: string) => tell(this.self, { type: 'RestoreFailed', attempt: next, error, reason });
    const run = async () => {
      try {
        await this.checkpoints.prepareJob();
      } catch (e) {
        return fail(e, 'the checkpoint storage cannot be used');
      }
      if (snapshot === undefined) return tell(this.self, { type: 'RestoreLoaded', attempt: next, state: undefined, notes: [] });
      try {
        const loaded = await loadCheckpoint(snapshot.storage, snapshot.location).catch((e: unknown) => {
          throw new RestoreError('SAVEPOINT_UNREADABLE', snapshot.path, describe(e), e);
        });
        const { state, metadata } = loaded;
        state.validate(this.operatorsByUid(), config.allowNonRestoredState, snapshot.path);
        tell(this.self, {
          type: 'RestoreLoaded',
          attempt: next,
          state,
          notes: [],
          restored: `${metadata.isSavepoint ? 'savepoint' : 'checkpoint'} '${snapshot.path}' (checkpoint ${state.checkpointId})`,
          restoredFrom: snapshotDirectory(snapshot.storage, snapshot.location),
          initial: { checkpointId: state.checkpointId, isSavepoint: metadata.isSavepoint, claimed: metadata.claimed ?? [] },
        });
      } catch (e) {
        fail(e, 'the savepoint cannot be restored');
      }
    };
    void run();
  }

  private deploy(restore: RestoredState | undefined, restoredFrom: string | undefined): void {
    const { config } = this.options;
    this.attempt++;
    this.subtasks = new Map();
    this.finished = new Map();
    this.closed = new Set();
    // This attempt's refs: a late (delayed) send of a replaced attempt reaches its own, stopped actors.
    const refs = this.subtasks;
    const transport = new LocalChannelTransport((id: SubtaskId) => {
      const ref = refs.get(subtaskKey(id));
      if (ref === undefined) throw new Error(`no subtask ${subtaskKey(id)}`);
      return ref;
    });
    const faults = config.faults;
    for (const ev of this.graph.subtasks) {
      const ref = (this.options.launcher ?? spawnSubtask)(this.self, {
        descriptor: ev,
        jobGraph: this.options.jobGraph,
        transport,
        ...(faults && {
          faults: {
            plan: faults.planFor(subtaskIdentity(ev.vertex, ev.id.index), this.attempt),
            // Embedded: straight to the schedule, so the timeline is in firing order.
            report: (fired) => faults.recordFired(fired),
          },
        }),
        config,
        jobMaster: this.self,
        jobId: this.jobId,
        attempt: this.attempt,
        restore,
        ...(restoredFrom === undefined ? {} : { restoredFrom }),
        storage: this.checkpoints.storage,
      });
      this.subtasks.set(subtaskKey(ev.id), ref);
    }
    this.setStatus('RUNNING');
    for (const ref of this.subtasks.values()) tell(ref, { type: 'Deploy' });
    this.checkpoints.scheduleTick();
    for (const m of this.earlySavepoints.splice(0)) this.checkpoints.triggerSavepoint(m.directory, { terminate: m.terminate, reply: m.reply });
  }

  private operatorsByUid(): Map<string, { maxParallelism: number; name: string; type: string }> {
    const m = new Map<string, { maxParallelism: number; name: string; type: string }>();
    for (const v of this.options.jobGraph.vertices) {
      for (const n of v.nodes) m.set(n.uid, { maxParallelism: n.maxParallelism, name: n.name, type: operatorType(n) });
    }
    return m;
  }

  // ---- the end of a bounded job --------------------------------------------------------------

  private subtaskFinished(id: SubtaskId, metrics: SubtaskMetrics): void {
    this.finished.set(subtaskKey(id), metrics);
    this.checkpoints.subtaskFinished(subtaskKey(id));
  }

  private subtaskClosed(id: SubtaskId, metrics: SubtaskMetrics): void {
    this.closed.add(subtaskKey(id));
    this.finished.set(subtaskKey(id), metrics);
    if (this.closed.size < this.subtasks.size) return;
    const stopped = this.stoppedWithSavepoint !== undefined;
    this.log.info({ durationMs: this.now - this.startedAt, restarts: this.restarts.length, savepoint: this.stoppedWithSavepoint }, stopped ? 'job stopped with a savepoint' : 'job finished');
    this.terminate('FINISHED', stopped ? 'STOPPED' : 'FINISHED', () => this.settle.resolve(this.buildResult()));
  }

  // ---- failures ------------------------------------------------------------------------------

  private failover(error: unknown): void {
    if (this.status !== 'RUNNING') return;
    this.stopSubtasks();
    this.checkpoints.reset();
    this.stoppedWithSavepoint = undefined;
    const decision = this.backoff.onFailure(this.now);
    if (!decision.restart) return this.giveUp(error, decision.reason);
    const record: RestartRecord = { at: this.now, attempt: this.attempt, cause: describe(error), delayMs: decision.delayMs };
    this.restarts.push(record);
    this.log.warn(
      { attempt: this.attempt, restarts: this.restarts.length, delayMs: decision.delayMs, strategy: this.backoff.strategy.kind, err: describe(error) },
      'job failed; restarting',
    );
    this.publish((d) => d.recordRestart(this.jobId, record.cause));
    this.setStatus('RESTARTING');
    const next = this.attempt + 1;
    this.restartTimer = this.options.config.clock.setTimer(decision.delayMs, () => {
      this.restartTimer = undefined;
      tell(this.self, { type: 'RestartJob', attempt: next });
    });
  }

  /**
   * Loads the newest restorable state of the job's lineage: its own
   * completed checkpoints, newest first, else the snapshot it started from;
   * an unreadable one is skipped (and named) for the next.
   */
  private loadLatest(): void {
    const next = this.attempt + 1;
    const candidates: { id: number; label: string; storage: CheckpointStorage; location: string }[] = this.checkpoints.completed.map((c) => ({
      id: c.id,
      label: `checkpoint ${c.id}`,
      storage: this.checkpoints.storage!,
      location: c.location,
    }));
    const stop = this.checkpoints.stopSavepoint;
    if (stop !== undefined) {
      const sp = resolveSnapshotPath(stop.location);
      candidates.push({ id: stop.id, label: `the savepoint of the failed stop (${stop.location})`, storage: sp.storage, location: sp.location });
      candidates.sort((a, b) => b.id - a.id);
    }
    if (this.initial !== undefined && this.released === undefined) {
      const { snapshot, isSavepoint } = this.initial;
      candidates.push({ id: 0, label: `${isSavepoint ? 'savepoint' : 'checkpoint'} '${snapshot.path}' the job started from`, storage: snapshot.storage, location: snapshot.location });
    }
    const notes: string[] = [];
    const attemptLoad = async (): Promise<{ state: RestoredState; label: string; from: string | undefined } | undefined> => {
      if (candidates.length === 0) return undefined;
      let lastError: unknown;
      for (const c of candidates) {
        try {
          return { state: (await loadCheckpoint(c.storage, c.location)).state, label: c.label, from: snapshotDirectory(c.storage, c.location) };
        } catch (e) {
          lastError = e;
          notes.push(`${c.label} unusable: ${describe(e)}`);
        }
      }
      throw lastError;
    };
    attemptLoad().then(
      (r) => tell(this.self, { type: 'RestoreLoaded', attempt: next, state: r?.state, notes, restored: r?.label, restoredFrom: r?.from }),
      (error: unknown) => tell(this.self, { type: 'RestoreFailed', attempt: next, error, reason: 'no checkpoint could be restored' }),
    );
  }

  /** The restart record says which checkpoint the new attempt restored, and which were unusable. */
  private noteRestore(checkpointId: number | undefined, notes: readonly string[]): void {
    const last = this.restarts[this.restarts.length - 1];
    if (last === undefined || last.attempt !== this.attempt) return;
    this.restarts[this.restarts.length - 1] = {
      ...last,
      ...(checkpointId !== undefined ? { restoredCheckpoint: checkpointId } : {}),
      ...(notes.length > 0 ? { unusableCheckpoints: notes } : {}),
    };
  }

  private giveUp(error: unknown, reason: string): void {
    this.log.error({ restarts: this.restarts.length, reason, err: describe(error) }, 'job failed');
    this.terminate('FAILED', 'FAILED', () => this.settle.reject(new JobExecutionError(this.options.jobGraph.jobName, error, this.restarts, reason)));
  }

  // ---- termination ---------------------------------------------------------------------------

  private stopSubtasks(): void {
    for (const ref of this.subtasks.values()) stop(ref);
    this.subtasks = new Map();
  }

  /**
   * Stops every actor of the job at once; the result settles once the
   * checkpoint storage is tidied (retention, CLAIM) and nothing is in flight.
   */
  private terminate(status: JobStatus, end: JobEnd, settle: () => void): void {
    this.restartTimer?.cancel();
    for (const m of this.earlySavepoints.splice(0)) m.reply({ error: new Error(`cannot take a savepoint: the job is ${status}`) });
    this.stopSubtasks();
    stop(this.self);
    this.setStatus(status);
    this.checkpoints
      .close(end)
      .then(() => (end === 'FINISHED' || end === 'STOPPED' ? this.releaseInitial() : this.released))
      .catch((e: unknown) => this.log.warn({ err: describe(e) }, 'checkpoint storage cleanup failed'))
      .then(() => {
        this.options.onTerminated?.();
        this.markTerminated();
        settle();
      });
  }

  /**
   * restoreMode CLAIM, from a retained checkpoint in this job's own
   * checkpoint directory: the runs whose checkpoints this job deletes — the
   * claimed one's, and those that run had claimed and not finished deleting
   * (it may have been killed while deleting). Recorded in this job's
   * checkpoints until the deletion is done, so a run that claims one of them
   * finishes it.
   */
  private claimedRuns(initial: NonNullable<JobMaster['initial']>): ClaimedCheckpoint[] {
    const own = this.checkpoints.storage;
    if (this.options.config.restoreMode !== 'CLAIM' || initial.isSavepoint || !(own instanceof FileSystemCheckpointStorage)) return [];
    const runDir = initial.snapshot.storage.root;
    if (path.dirname(runDir) !== path.resolve(own.root)) return [];
    return [{ jobId: path.basename(runDir), checkpointId: initial.checkpointId }, ...initial.claimed].slice(0, MAX_CLAIMED);
  }

  /**
   * restoreMode CLAIM: the snapshot the job started from is deleted once the
   * job no longer needs it (a checkpoint of its own completed, or it ended).
   * A claimed retained checkpoint takes the older and the unfinished
   * checkpoints of its job run with it, and the run's directory when nothing
   * else is left there; so do the runs that run had claimed without
   * finishing their deletion.
   */
  private releaseInitial(): Promise<void> | undefined {
    if (this.options.config.restoreMode !== 'CLAIM' || this.initial === undefined || this.released) return this.released;
    const { snapshot, isSavepoint, checkpointId } = this.initial;
    const { storage } = snapshot;
    const { dir } = storage.parseLocation(snapshot.location);
    const runs = this.checkpoints.claimed;
    this.log.info({ path: snapshot.path }, 'deleting the claimed snapshot the job started from');
    const release = async () => {
      await storage.removeDirectory(dir);
      if (isSavepoint) return;
      await releaseRun(storage, checkpointId);
      for (const run of runs.slice(1)) {
        await releaseRun(new FileSystemCheckpointStorage(path.join(path.dirname(storage.root), run.jobId)), run.checkpointId);
      }
      this.checkpoints.claimed = [];
    };
    return (this.released = release().catch((e: unknown) => this.log.warn({ path: snapshot.path, err: describe(e) }, 'could not delete the claimed snapshot')));
  }

  private setStatus(status: JobStatus): void {
    this.status = status;
    this.publish((d) => d.setStatus(this.jobId, status, this.now));
  }

  /** Job documents are best-effort: a failing publication never affects the job. */
  private publish(write: (d: JobDocuments) => Promise<void>): void {
    write(this.options.documents).catch(() => {});
  }

  private buildResult(): JobResult {
    const { jobGraph, config } = this.options;
    const subtasks = [...this.finished.values()];
    const sinkResults: Record<string, unknown> = {};
    for (const [uid, c] of this.coordinators) if (c.result) sinkResults[uid] = c.result();
    return {
      jobId: this.jobId,
      jobName: jobGraph.jobName,
      status: 'FINISHED',
      durationMs: config.clock.now() - this.startedAt,
      operators: operatorResults(jobGraph, subtasks),
      subtasks,
      sinkResults,
      checkpoints: this.checkpoints.stats,
      restarts: this.restarts,
      faults: config.faults?.timeline.slice() ?? [],
      finalCheckpoint: this.checkpoints.finalLocation,
      savepoint: this.stoppedWithSavepoint,
    };
  }

  private createClient(): JobClient {
    const savepoint = (directory: string, terminate: boolean) =>
      new Promise<string>((resolve, reject) => {
        if (TERMINAL.includes(this.status)) return reject(new Error(`cannot take a savepoint: the job is ${this.status}`));
        // A stopped actor drops messages: if the job ends first, the request fails instead of hanging.
        this.terminated.then(() => reject(new Error(`cannot take a savepoint: the job is ${this.status}`)));
        tell(this.self, {
          type: 'TriggerSavepoint',
          directory,
          terminate,
          reply: (r) => ('location' in r ? resolve(r.location) : reject(r.error)),
        });
      });
    return {
      jobId: this.jobId,
      jobName: this.options.jobGraph.jobName,
      documents: this.options.documents,
      status: () => this.status,
      result: () => this.result,
      checkpoints: () => this.checkpoints.stats,
      triggerSavepoint: (dir) => savepoint(dir, false),
      stopWithSavepoint: (dir) => savepoint(dir, true),
      cancel: async () => {
        if (!TERMINAL.includes(this.status)) tell(this.self, { type: 'CancelJob' });
        await this.terminated;
      },
    };
  }
}

/**
 * Deletes the checkpoints of a claimed run up to `checkpointId`, the ones it
 * never completed (it died writing them), and its directory when nothing
 * else is left there. A run directory that is already gone is done.
 */
async function releaseRun(storage: CheckpointStorage, checkpointId: number): Promise<void> {
  for (const name of await storage.list('')) {
    const id = checkpointIdOf(name);
    if (id === undefined) continue;
    if (id <= checkpointId || !(await storage.list(name)).includes(METADATA_FILE)) await storage.removeDirectory(name);
  }
  if ((await storage.list('')).length === 0) {
    await rmdir(storage.root).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}

/** A snapshot's directory as a path other processes can open; undefined for storage that is not a file system. */
function snapshotDirectory(storage: CheckpointStorage, location: string): string | undefined {
  return storage instanceof FileSystemCheckpointStorage ? path.dirname(path.resolve(storage.root, location)) : undefined;
}
