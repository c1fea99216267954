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
 *
 * Which lifecycle moves are legal, and what each one does, is decided by the
 * pure `transition` of lib/job/JobLifecycle.ts; this actor feeds it events
 * (messages, timers, the restart strategy's decision, the end of cleanup) and
 * carries out the commands it returns. It keeps only what cannot be data:
 * actor refs, the restart timer, the result promise, savepoint replies and
 * the storage work of restore and CLAIM.
 */
import { spawn, stop, type Ref } from 'nact';
import { v7 as uuidv7 } from 'uuid';
import type { EnvironmentConfig } from '../lib/api/EnvironmentConfig';
import { operatorResults, type JobClient, type JobResult, type RestartRecord } from '../lib/api/JobClient';
import { rmdir } from 'node:fs/promises';
import * as path from 'node:path';
import { checkpointIdOf, METADATA_FILE } from '../lib/checkpoint/CheckpointLayout';
import { loadCheckpoint, operatorType, resolveSnapshotPath, type SnapshotPath } from '../lib/checkpoint/CheckpointLoader';
import { FileSystemCheckpointStorage, MemoryCheckpointStorage, type CheckpointStorage } from '../lib/checkpoint/CheckpointStorage';
import { MAX_CLAIMED, type ClaimedCheckpoint } from '../lib/checkpoint/CheckpointMetadata';
import type { RestoredState } from '../lib/checkpoint/SubtaskState';
import type { OperatorCoordinator } from '../lib/connectors/Sink';
import { isRetryable } from '../lib/cluster/FailureRecord';
import { subtaskIdentity } from '../lib/faults/Fault';
import { describe, JobCancelledError, JobExecutionError, RestoreError } from '../lib/errors';
import { createExecutionGraph, type ExecutionGraph, type SubtaskId } from '../lib/graph/ExecutionGraph';
import type { JobGraph } from '../lib/graph/JobGraph';
import { check, initialLifecycle, isCurrentAttempt, transition, type JobCommand, type JobEvent, type JobEnd, type JobLifecycleState, type JobOutcome } from '../lib/job/JobLifecycle';
import { isTerminal } from '../lib/job/JobStatus';
import type { JobDocuments } from '../lib/monitoring/JobDocuments';
import type { Logger } from '../lib/monitoring/Logger';
import { RestartBackoff, RestartStrategies } from '../lib/recovery/RestartStrategies';
import type { TimerHandle } from '../lib/time/Clock';
import { attemptOfActorName, subtaskKey, tell, type JobMasterMsg, type SubtaskMsg, type TRef } from './protocol';
import { JobCheckpoints, type SavepointRequest } from './JobCheckpoints';
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
  /**
   * The id its checkpoints and savepoints are named by (default `jobId`): a
   * cluster job's runs all name theirs by the cluster job's id.
   */
  readonly snapshotJobId?: string;
  /** Told of each restart as it is decided (a cluster job adds up the restarts of its runs). */
  readonly onRestart?: (record: RestartRecord) => void;
  /**
   * Why the job is being ended from outside when that is not the end of the
   * job for its users (a cluster replaces a run to rescale it): its end is
   * logged as that, not as a cancellation or a stop. Undefined otherwise.
   */
  readonly replacedBecause?: () => string | undefined;
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

class JobMaster {
  readonly jobId: string;
  self!: TRef<JobMasterMsg>;
  readonly client: JobClient;
  /** The job's lifecycle (JobLifecycle): changed only by `apply`. */
  private lifecycle: JobLifecycleState;
  private readonly startedAt: number;
  private readonly graph: ExecutionGraph;
  private readonly checkpoints: JobCheckpoints;
  private readonly backoff: RestartBackoff;
  private subtasks = new Map<string, TRef<SubtaskMsg>>();
  private readonly coordinators = new Map<string, OperatorCoordinator>();
  /** Per attempt: the restored snapshot's directory, for subtasks on other processes. */
  private readonly restoreDirectories = new Map<number, string>();
  private readonly log: Logger;
  /** The snapshot the job started from (savepointPath), once loaded: the last resort of every restore. */
  private initial: { readonly snapshot: SnapshotPath; readonly checkpointId: number; readonly isSavepoint: boolean; readonly claimed: readonly ClaimedCheckpoint[] } | undefined;
  /** restoreMode CLAIM: the deletion of the initial snapshot, once started. */
  private released: Promise<void> | undefined;
  /** Replies of savepoint requests the lifecycle holds (by request id), until triggered or rejected. */
  private readonly replies = new Map<number, SavepointRequest['reply']>();
  private requestSeq = 0;
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
    this.lifecycle = initialLifecycle(this.graph.subtasks.length);
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
          return master.lifecycle.status === 'RUNNING';
        },
        subtask: (key) => this.subtasks.get(key),
        broadcast: (msg) => {
          for (const ref of this.subtasks.values()) tell(ref, msg);
        },
        failover: (error) => this.failed(this.lifecycle.attempt, error),
        stopping: (savepoint) => this.apply({ type: 'StopSavepointCompleted', location: savepoint }),
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
      options.snapshotJobId,
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

  /** The attempt deployed last (the lifecycle's). */
  private get attempt(): number {
    return this.lifecycle.attempt;
  }

  handle(msg: JobMasterMsg): void {
    switch (msg.type) {
      case 'StartJob':
        return this.apply({ type: 'JobSubmitted' });
      case 'RestoreLoaded':
        if (msg.restoredFrom !== undefined) this.restoreDirectories.set(msg.attempt, msg.restoredFrom);
        return this.apply({ type: 'RestoreLoaded', attempt: msg.attempt, restore: msg.state, notes: msg.notes, restoredFrom: msg.restored, initial: msg.initial });
      case 'RestoreFailed':
        return this.apply({ type: 'RestoreFailed', attempt: msg.attempt, error: msg.error, reason: msg.reason });
      case 'RestartJob':
        return this.apply({ type: 'RestartTimerFired', attempt: msg.attempt });
      case 'SubtaskFailed':
        return this.failed(attemptOfActorName(msg.subtask), msg.error);
      case 'SubtaskFinished':
        return this.apply({ type: 'SubtaskFinished', attempt: msg.attempt, subtask: subtaskKey(msg.subtask), metrics: msg.metrics });
      case 'SubtaskClosed':
        return this.apply({ type: 'SubtaskClosed', attempt: msg.attempt, subtask: subtaskKey(msg.subtask), metrics: msg.metrics });
      case 'TriggerSavepoint': {
        const requestId = ++this.requestSeq;
        this.replies.set(requestId, msg.reply);
        return this.apply({ type: 'SavepointRequested', requestId, directory: msg.directory, terminate: msg.terminate });
      }
      case 'CancelJob':
        return this.apply({ type: 'CancelRequested' });
    }
    // Checkpointing: messages of the running attempt only, and nothing while the job is not running.
    const running = this.lifecycle.status === 'RUNNING';
    switch (msg.type) {
      case 'AcknowledgeCheckpoint':
        if (this.isCurrent(msg.attempt)) this.checkpoints.acknowledged(msg.checkpointId, msg.ack);
        return;
      case 'DeclineCheckpoint':
        if (this.isCurrent(msg.attempt)) this.checkpoints.declined(msg.checkpointId, msg.subtaskKey, msg.reason, msg.cause);
        return;
      case 'CheckpointTick':
        if (running) this.checkpoints.onTick();
        return;
      case 'CheckpointPrepared':
        if (running) this.checkpoints.prepareDone(msg.checkpointId, msg.error);
        return;
      case 'CheckpointStored':
        if (running) this.checkpoints.stored(msg.checkpointId, msg.location);
        return;
      case 'CheckpointStoreFailed':
        if (running) this.checkpoints.storeFailed(msg.checkpointId, msg.error);
        return;
      case 'OperatorEventSent': {
        if (!this.isCurrent(msg.attempt)) return;
        const c = this.coordinators.get(msg.operatorUid);
        if (c === undefined) throw new Error(`operator event for '${msg.operatorUid}', which has no coordinator`);
        c.handleEvent(msg.subtaskIndex, msg.event);
        return;
      }
    }
  }

  /** Messages of subtasks count only from the running attempt (not from one being replaced). */
  private isCurrent(attempt: number | undefined): boolean {
    return isCurrentAttempt(this.lifecycle, attempt);
  }

  /** The job master's own handler threw: an engine bug; fail the job rather than hang. */
  crashed(error: unknown): void {
    this.apply({ type: 'MasterCrashed', error });
  }

  /**
   * A subtask of `attempt`, or checkpointing, failed the job. The restart
   * strategy is asked only for a failure the lifecycle counts (its backoff
   * remembers every failure it is told of).
   */
  private failed(attempt: number | undefined, error: unknown): void {
    if (check(this.lifecycle, { type: 'JobFailed', attempt }).kind !== 'accepted') return;
    const at = this.now;
    // A failure a restart cannot cure (a job graph that differs between processes, unreadable state, bad
    // configuration) ends the job at once, as Flink's SuppressRestartsException does.
    const decision = isRetryable(error) ? this.backoff.onFailure(at) : ({ restart: false, reason: 'the failure cannot be cured by a restart' } as const);
    this.apply({ type: 'JobFailed', attempt, error, cause: describe(error), at, decision });
  }

  /** One lifecycle move: the next state, then its commands in order. An illegal event is an engine bug and throws. */
  private apply(event: JobEvent): void {
    const { state, commands, verdict } = transition(this.lifecycle, event);
    if (verdict.kind === 'illegal') throw verdict.error;
    if (verdict.kind === 'ignored') this.log.debug({ event: event.type, status: this.lifecycle.status }, `ignored: ${verdict.reason}`);
    this.lifecycle = state;
    for (const command of commands) this.execute(command);
  }

  private execute(c: JobCommand): void {
    switch (c.type) {
      case 'PrepareJob':
        return this.start(c.attempt);
      case 'LoadRestore':
        return this.loadLatest(c.attempt);
      case 'AdoptInitialSnapshot':
        if (this.options.config.savepoint !== undefined) {
          this.initial = { snapshot: this.options.config.savepoint, ...c.initial };
          this.checkpoints.coordinator.advancePast(c.initial.checkpointId);
          this.checkpoints.claimed = this.claimedRuns(this.initial);
        }
        return;
      case 'Deploy':
        for (const note of c.notes) this.log.warn({ attempt: c.attempt }, `restore skipped ${note}`);
        if (c.restoredFrom !== undefined) this.log.info({ attempt: c.attempt, checkpointId: c.restore?.checkpointId }, `restoring from ${c.restoredFrom}`);
        return this.deploy(c.restore, this.restoreDirectories.get(c.attempt));
      case 'StartCheckpointing':
        return this.checkpoints.scheduleTick();
      case 'SubtaskFinished':
        return this.checkpoints.subtaskFinished(c.subtask);
      case 'StopSubtasks':
        return this.stopSubtasks();
      case 'ResetCheckpoints':
        return this.checkpoints.reset();
      case 'PublishRestart': {
        const { record } = c;
        this.log.warn(
          { attempt: record.attempt, restarts: c.restarts, delayMs: record.delayMs, strategy: this.backoff.strategy.kind, err: record.cause },
          'job failed; restarting',
        );
        this.options.onRestart?.(record);
        return this.publish((d) => d.recordRestart(this.jobId, record.cause));
      }
      case 'ScheduleRestart': {
        const { attempt } = c;
        this.restartTimer = this.options.config.clock.setTimer(c.delayMs, () => {
          this.restartTimer = undefined;
          tell(this.self, { type: 'RestartJob', attempt });
        });
        return;
      }
      case 'TriggerSavepoint': {
        const { requestId, directory, terminate } = c.request;
        const reply = this.takeReply(requestId);
        return this.checkpoints.triggerSavepoint(directory, { terminate, reply });
      }
      case 'RejectSavepoint':
        return this.takeReply(c.requestId)({ error: new Error(c.message) });
      case 'PublishStatus': {
        const { status } = c;
        return this.publish((d) => d.setStatus(this.jobId, status, this.now));
      }
      case 'Terminate':
        this.logEnd(c.outcome, c.restarts);
        return this.terminate(c.end);
      case 'SettleResult':
        return this.settleResult(c.outcome);
    }
  }

  private takeReply(requestId: number): SavepointRequest['reply'] {
    const reply = this.replies.get(requestId);
    if (reply === undefined) throw new Error(`no savepoint request ${requestId}`);
    this.replies.delete(requestId);
    return reply;
  }

  // ---- deployment ----------------------------------------------------------------------------

  private start(next: number): void {
    const { config } = this.options;
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

  /** Spawns and deploys every subtask of the current attempt (the lifecycle moved to it); `restoreDirectory`: where other processes find the restored snapshot. */
  private deploy(restore: RestoredState | undefined, restoreDirectory: string | undefined): void {
    const { config } = this.options;
    this.subtasks = new Map();
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
        ...(this.options.snapshotJobId === undefined ? {} : { snapshotJobId: this.options.snapshotJobId }),
        attempt: this.attempt,
        restore,
        ...(restoreDirectory === undefined ? {} : { restoredFrom: restoreDirectory }),
        storage: this.checkpoints.storage,
      });
      this.subtasks.set(subtaskKey(ev.id), ref);
    }
    for (const ref of this.subtasks.values()) tell(ref, { type: 'Deploy' });
  }

  private operatorsByUid(): Map<string, { maxParallelism: number; name: string; type: string }> {
    const m = new Map<string, { maxParallelism: number; name: string; type: string }>();
    for (const v of this.options.jobGraph.vertices) {
      for (const n of v.nodes) m.set(n.uid, { maxParallelism: n.maxParallelism, name: n.name, type: operatorType(n) });
    }
    return m;
  }

  // ---- failures ------------------------------------------------------------------------------

  /**
   * Loads the newest restorable state of the job's lineage: its own
   * completed checkpoints, newest first, else the snapshot it started from;
   * an unreadable one is skipped (and named) for the next.
   */
  private loadLatest(next: number): void {
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

  // ---- termination ---------------------------------------------------------------------------

  private stopSubtasks(): void {
    for (const ref of this.subtasks.values()) stop(ref);
    this.subtasks = new Map();
  }

  private logEnd(outcome: JobOutcome, restarts: number): void {
    const replaced = outcome.status === 'FAILED' ? undefined : this.options.replacedBecause?.();
    if (replaced !== undefined) {
      this.log.info({ restarts, savepoint: outcome.status === 'FINISHED' ? outcome.savepoint : undefined, why: replaced }, `run ended: replaced (${replaced})`);
      return;
    }
    switch (outcome.status) {
      case 'FINISHED': {
        const { savepoint } = outcome;
        this.log.info({ durationMs: this.now - this.startedAt, restarts, savepoint }, savepoint !== undefined ? 'job stopped with a savepoint' : 'job finished');
        return;
      }
      case 'FAILED':
        this.log.error({ restarts, reason: outcome.reason, err: describe(outcome.error) }, 'job failed');
        return;
      case 'CANCELED':
        this.log.info({}, 'job cancelled');
        return;
    }
  }

  /**
   * Stops every actor of the job at once; the result settles (CleanupDone)
   * once the checkpoint storage is tidied (retention, CLAIM) and nothing is
   * in flight.
   */
  private terminate(end: JobEnd): void {
    this.restartTimer?.cancel();
    this.stopSubtasks();
    stop(this.self);
    this.checkpoints
      .close(end)
      .then(() => (end === 'FINISHED' || end === 'STOPPED' ? this.releaseInitial() : this.released))
      .catch((e: unknown) => this.log.warn({ err: describe(e) }, 'checkpoint storage cleanup failed'))
      .then(() => {
        this.options.onTerminated?.();
        this.markTerminated();
        this.apply({ type: 'CleanupDone' });
      });
  }

  private settleResult(outcome: JobOutcome): void {
    const { jobName } = this.options.jobGraph;
    switch (outcome.status) {
      case 'FINISHED':
        return this.settle.resolve(this.buildResult());
      case 'FAILED':
        return this.settle.reject(new JobExecutionError(jobName, outcome.error, this.lifecycle.restarts, outcome.reason));
      case 'CANCELED':
        return this.settle.reject(new JobCancelledError(jobName));
    }
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

  /** Job documents are best-effort: a failing publication never affects the job. */
  private publish(write: (d: JobDocuments) => Promise<void>): void {
    write(this.options.documents).catch(() => {});
  }

  private buildResult(): JobResult {
    const { jobGraph, config } = this.options;
    const subtasks = Object.values(this.lifecycle.finished);
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
      checkpointCounts: this.checkpoints.counts,
      restarts: this.lifecycle.restarts,
      faults: config.faults?.timeline.slice() ?? [],
      finalCheckpoint: this.checkpoints.finalLocation,
      savepoint: this.lifecycle.stopWithSavepoint,
    };
  }

  private createClient(): JobClient {
    const savepoint = (directory: string, terminate: boolean) =>
      new Promise<string>((resolve, reject) => {
        if (isTerminal(this.lifecycle.status)) return reject(new Error(`cannot take a savepoint: the job is ${this.lifecycle.status}`));
        // A stopped actor drops messages: if the job ends first, the request fails instead of hanging.
        this.terminated.then(() => reject(new Error(`cannot take a savepoint: the job is ${this.lifecycle.status}`)));
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
      status: () => this.lifecycle.status,
      result: () => this.result,
      checkpoints: () => this.checkpoints.stats,
      checkpointCounts: () => this.checkpoints.counts,
      triggerSavepoint: (dir) => savepoint(dir, false),
      stopWithSavepoint: (dir) => savepoint(dir, true),
      cancel: async () => {
        if (!isTerminal(this.lifecycle.status)) tell(this.self, { type: 'CancelJob' });
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
