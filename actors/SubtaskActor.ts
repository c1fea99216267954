/**
 * The actor shell of one subtask: a nact actor that owns a StreamTask, feeds
 * it the buffers, credits and checkpoint commands it receives, persists the
 * snapshots the task takes (asynchronously, while records keep flowing) and
 * acknowledges them to the job master, and turns the task's run status into
 * messages to itself (continue later, resume when a wait ends).
 *
 * A throw from the task — user code, a protocol violation, an injected
 * fault — crashes the actor; its supervision policy escalates the failure to
 * the job master, which decides what happens to the job.
 */
import { spawn } from 'nact';
import type { EnvironmentConfig } from '../lib/api/EnvironmentConfig';
import { snapshotLocation, stateFileName } from '../lib/checkpoint/CheckpointLayout';
import type { CheckpointStorage, StateHandleRef } from '../lib/checkpoint/CheckpointStorage';
import { encodeSubtaskState, type RestoredState } from '../lib/checkpoint/SubtaskState';
import { FINAL_CHECKPOINT_ID } from '../lib/connectors/TwoPhaseCommitSink';
import { CheckpointStorageError, describe } from '../lib/errors';
import { subtaskIdentity, type FaultFired, type SubtaskFaultPlan, type SubtaskIdentity } from '../lib/faults/Fault';
import { FaultyChannelTransport } from '../lib/faults/FaultyChannelTransport';
import { SubtaskFaults } from '../lib/faults/SubtaskFaults';
import type { ExecutionVertex, InputChannelInfo, OutputChannelInfo } from '../lib/graph/ExecutionGraph';
import type { JobGraph } from '../lib/graph/JobGraph';
import { StreamTask, type TaskEnvironment, type TaskSnapshot } from '../lib/operators/StreamTask';
import { systemClock, type TimerHandle } from '../lib/time/Clock';
import type { ChannelBuffer } from '../lib/transport/ChannelBuffer';
import { inputChannelAddresses, outputChannelAddresses, type ChannelAddress, type ChannelTransport } from '../lib/transport/ChannelTransport';
import { subtaskActorName, subtaskKey, tell, type JobMasterMsg, type SubtaskMsg, type TRef } from './protocol';

export interface SubtaskDeps {
  readonly descriptor: ExecutionVertex;
  /** The job graph the descriptor belongs to (names the subtasks at the other end of channels). */
  readonly jobGraph: JobGraph;
  /** Carries this subtask's buffers and credits to the other ends of its channels. */
  readonly transport: ChannelTransport;
  /** This subtask's part of a fault experiment, and where it reports what fired. */
  readonly faults?: { readonly plan: SubtaskFaultPlan; readonly report: (fired: FaultFired) => void };
  readonly config: EnvironmentConfig;
  readonly jobMaster: TRef<JobMasterMsg>;
  readonly jobId: string;
  /** The id checkpoints and savepoints are named by (default jobId; a cluster job's runs use the cluster job's). */
  readonly snapshotJobId?: string;
  readonly attempt: number;
  readonly restore: RestoredState | undefined;
  /** The restored snapshot's directory, when other processes can open it (a node restores from there). */
  readonly restoredFrom?: string;
  /** Where checkpoints go; undefined when checkpointing is off. */
  readonly storage: CheckpointStorage | undefined;
  /** Where a savepoint's files go, given its directory (default: the file system of this process). */
  readonly savepointStorage?: (target: string) => CheckpointStorage;
  /**
   * Called once the task exists, when its chain starts with a source, with a
   * function that reads the records that source emitted so far (the chain's
   * own counter: reading it adds nothing to the data path). A node process
   * samples it for `weir run --coordinator`'s progress line.
   */
  readonly sourceCounter?: (read: () => number) => void;
}

/** How a job master starts one subtask of an attempt: an actor here (spawnSubtask), or one on a node process. */
export type SubtaskLauncher = (parent: TRef<JobMasterMsg>, deps: SubtaskDeps) => TRef<SubtaskMsg>;

export function spawnSubtask(parent: TRef<JobMasterMsg>, deps: SubtaskDeps): TRef<SubtaskMsg> {
  const shell = new SubtaskShell(deps);
  const ref = spawn(
    parent,
    async (state: undefined, msg: SubtaskMsg) => {
      await shell.handle(msg);
      return state;
    },
    subtaskActorName(deps.descriptor.id, deps.attempt),
    {
      onCrash: (_msg, _err, ctx) => {
        shell.dispose();
        return ctx.escalate;
      },
      afterStop: () => shell.dispose(),
    },
  ) as TRef<SubtaskMsg>;
  shell.self = ref;
  return ref;
}

class SubtaskShell {
  self!: TRef<SubtaskMsg>;
  private task: StreamTask | undefined;
  /** The wait the task reported last; WaitEnded comes once it settles. */
  private waitingOn: Promise<unknown> | undefined;
  private continuePending = false;
  private readonly timers = new Set<TimerHandle>();
  private flushTimer: TimerHandle | undefined;
  private done = false;
  /** Checkpoints this subtask snapshotted at their barrier. */
  private readonly snapshotted = new Set<number>();
  /** The encoded final state, once a checkpoint asked for it: written into every checkpoint that follows. */
  private finalState: Promise<Uint8Array> | undefined;
  /**
   * Checkpoints that hold this finished subtask's final state. When the first
   * of them completes, the final transaction is committed (as in Flink 1.15+,
   * a finished task's last output is committed by the next checkpoint), not
   * only when the whole job ends.
   */
  private readonly finalStateIn = new Set<number>();
  private finalCommitted = false;
  private readonly key: string;
  private readonly identity: SubtaskIdentity;

  constructor(private readonly deps: SubtaskDeps) {
    this.key = subtaskKey(deps.descriptor.id);
    this.identity = subtaskIdentity(deps.descriptor.vertex, deps.descriptor.id.index);
  }

  async handle(msg: SubtaskMsg): Promise<void> {
    switch (msg.type) {
      case 'Deploy':
        this.deploy();
        break;
      case 'DeliverBuffer':
        this.requireTask().receive(msg.channel, msg.buffer);
        break;
      case 'GrantCredit':
        this.requireTask().addCredit(msg.channel, msg.credits);
        break;
      case 'FlushOutputs':
        this.flushTimer = undefined;
        if (this.done) return;
        this.requireTask().flushOutputs();
        this.armFlushTimer();
        break;
      case 'Continue':
        this.continuePending = false;
        break;
      case 'WaitEnded':
        if (msg.error !== undefined) throw msg.error;
        break;
      case 'TriggerCheckpoint':
        this.requireTask().triggerCheckpoint(msg.barrier);
        break;
      case 'NotifyCheckpointComplete':
        await this.requireTask().notifyCheckpointComplete(msg.checkpointId);
        if (!this.finalCommitted && this.finalStateIn.has(msg.checkpointId)) {
          this.finalCommitted = true;
          await this.requireTask().notifyCheckpointComplete(FINAL_CHECKPOINT_ID);
        }
        break;
      case 'AbortCheckpoint':
        this.requireTask().abortCheckpoint(msg.checkpointId);
        break;
      case 'WriteFinalState':
        this.writeFinalState(msg.checkpointId, msg.target);
        return;
      case 'CloseTask':
        await this.requireTask().close(msg.checkpointId);
        const metrics = this.requireTask().metrics();
        this.dispose();
        tell(this.deps.jobMaster, { type: 'SubtaskClosed', attempt: this.deps.attempt, subtask: this.deps.descriptor.id, metrics });
        return;
      case 'Fail':
        throw msg.error;
    }
    this.drive();
  }

  private deploy(): void {
    const { descriptor, config, attempt, restore } = this.deps;
    const probe = config.channelProbe;
    const self = descriptor.id;
    const faults = this.deps.faults && new SubtaskFaults(this.deps.faults.plan, this.identity, () => config.clock.now(), this.deps.faults.report);
    const transport = faults ? this.faultyTransport(faults) : this.deps.transport;
    // The task names channels by its own channel objects; the transport by address (index = channel number).
    const outputs = outputChannelAddresses(descriptor);
    const inputs = inputChannelAddresses(descriptor);
    const outputAddress = new Map<OutputChannelInfo, ChannelAddress>();
    for (const p of descriptor.outputs) p.channels.forEach((c, i) => outputAddress.set(c, outputs[p.firstChannel + i]));
    const inputAddress = new Map<InputChannelInfo, ChannelAddress>(descriptor.inputs.map((c, i) => [c, inputs[i]]));
    const env: TaskEnvironment = {
      clock: config.clock,
      random: config.random,
      sendBuffer: (channel: OutputChannelInfo, buffer: ChannelBuffer) => {
        probe?.bufferSent(channel.consumer, channel.consumerChannel);
        transport.sendBuffer(outputAddress.get(channel)!, buffer);
      },
      sendCredit: (channel, credits) => transport.sendCredit(inputAddress.get(channel)!, credits),
      sendOperatorEvent: (operatorUid, event) =>
        tell(this.deps.jobMaster, { type: 'OperatorEventSent', attempt, operatorUid, subtaskIndex: self.index, event }),
      snapshotTaken: (snapshot) => this.persist(snapshot),
      checkpointSubsumed: (checkpointId) =>
        tell(this.deps.jobMaster, {
          type: 'DeclineCheckpoint',
          attempt,
          checkpointId,
          subtaskKey: this.key,
          reason: 'a newer checkpoint barrier arrived first',
          cause: 'SUBSUMED',
        }),
      requestRun: () => this.continueSoon(),
      onBufferProcessed: probe ? (channel) => probe.bufferProcessed(self, channel) : undefined,
      faults,
    };
    const parallelism = descriptor.vertex.parallelism;
    this.task = new StreamTask(
      descriptor,
      {
        frameSize: config.frameSize,
        channelCredits: config.channelCredits,
        buffersPerRun: config.buffersPerRun,
        checkpointingMode: config.checkpoint?.mode ?? 'exactly-once',
        jobId: this.deps.jobId,
        attemptNumber: attempt,
      },
      env,
      restore ? (uid) => restore.forSubtask(uid, self.index, parallelism) : undefined,
    );
    const source = this.task.chain.source;
    if (source !== undefined) this.deps.sourceCounter?.(() => source.recordsOut);
    for (const f of faults?.timeFaults() ?? []) {
      this.after(f.atMs, () => tell(this.self, { type: 'Fail', error: f.fire() }));
    }
    this.task.open();
    this.armFlushTimer();
  }

  /** The transport with this subtask's channel faults (delays, losses) in front of it. */
  private faultyTransport(faults: SubtaskFaults): ChannelTransport {
    const vertices = new Map(this.deps.jobGraph.vertices.map((v) => [v.id, v]));
    const identities = new Map<string, SubtaskIdentity>();
    const identify = (vertexId: number, index: number) => {
      const key = `${vertexId}#${index}`;
      let id = identities.get(key);
      if (id === undefined) identities.set(key, (id = subtaskIdentity(vertices.get(vertexId)!, index)));
      return id;
    };
    const clock = this.deps.config.clock;
    return new FaultyChannelTransport(
      this.deps.transport,
      (channel, what) => faults.onSend(what === 'data' ? identify(channel.consumer.vertexId, channel.consumer.index) : identify(channel.producer.vertexId, channel.producer.index), what),
      { now: () => clock.now(), after: (ms, fn) => this.after(ms, fn) },
    );
  }

  private drive(): void {
    const task = this.task;
    if (task === undefined || this.done) return;
    // While the task waits, run() only runs its mailbox actions and reports the same wait.
    const status = task.run();
    if (this.deps.config.bufferTimeoutMs === 0) task.flushOutputs();
    switch (status.kind) {
      case 'more':
        this.continueSoon();
        break;
      case 'waiting': {
        if (this.waitingOn === status.until) break;
        const until = (this.waitingOn = status.until);
        until.then(
          () => tell(this.self, { type: 'WaitEnded' }),
          (error: unknown) => tell(this.self, { type: 'WaitEnded', error: error ?? new Error('wait rejected') }),
        );
        break;
      }
      case 'finished':
        this.done = true;
        this.flushTimer?.cancel();
        this.flushTimer = undefined;
        this.finish(task);
        break;
      case 'idle':
        break;
    }
  }

  /** Asks for another run() after the messages already queued (once, however often asked). */
  private continueSoon(): void {
    if (this.continuePending) return;
    this.continuePending = true;
    tell(this.self, { type: 'Continue' });
  }

  /** Reports the subtask finished; it stays until CloseTask, its final state written into the checkpoints that follow. */
  private finish(task: StreamTask): void {
    const { attempt, jobMaster, descriptor } = this.deps;
    tell(jobMaster, { type: 'SubtaskFinished', attempt, subtask: descriptor.id, metrics: task.metrics() });
  }

  /** The asynchronous part of a checkpoint: serialise, store, acknowledge (or decline). */
  private persist(snapshot: TaskSnapshot): void {
    this.snapshotted.add(snapshot.checkpointId);
    const t0 = this.deps.config.clock.now();
    this.acknowledge(
      snapshot.checkpointId,
      snapshot.write().then((state) => this.store(snapshot.checkpointId, snapshot.target, encodeSubtaskState(state))),
      { alignmentMs: snapshot.alignmentMs, syncMs: snapshot.syncMs, t0 },
    );
  }

  /** A finished subtask's acknowledgement: its final state, written into checkpoint `checkpointId`. */
  private writeFinalState(checkpointId: number, target: string | undefined): void {
    // A snapshot this subtask took at the barrier of that checkpoint (just before it finished) already answers.
    if (this.snapshotted.has(checkpointId)) return;
    const snapshot = this.task?.finalSnapshot;
    if (snapshot === undefined) throw new Error(`subtask ${this.key} was asked for its final state before it finished`);
    this.finalStateIn.add(checkpointId);
    const t0 = this.deps.config.clock.now();
    const timing = { alignmentMs: 0, syncMs: 0, t0 };
    // Serialised once, on the first checkpoint that stores it (a job without storage never does).
    if (snapshotLocation(this.deps.storage, this.deps.snapshotJobId ?? this.deps.jobId, checkpointId, target, this.deps.savepointStorage) === undefined) return this.acknowledge(checkpointId, Promise.resolve(undefined), timing);
    this.finalState ??= snapshot.write().then(encodeSubtaskState);
    this.acknowledge(checkpointId, this.finalState.then((bytes) => this.store(checkpointId, target, bytes)), timing);
  }

  private store(checkpointId: number, target: string | undefined, bytes: Uint8Array): Promise<StateHandleRef | undefined> {
    const loc = snapshotLocation(this.deps.storage, this.deps.snapshotJobId ?? this.deps.jobId, checkpointId, target, this.deps.savepointStorage);
    return loc === undefined ? Promise.resolve(undefined) : loc.storage.writeFile(loc.dir, stateFileName(this.key), bytes);
  }

  private acknowledge(checkpointId: number, stored: Promise<StateHandleRef | undefined>, timing: { alignmentMs: number; syncMs: number; t0: number }): void {
    const { attempt, jobMaster } = this.deps;
    stored.then(
      (handle) =>
        tell(jobMaster, {
          type: 'AcknowledgeCheckpoint',
          attempt,
          checkpointId,
          ack: {
            subtaskKey: this.key,
            operatorUids: this.identity.uids,
            subtaskIndex: this.identity.index,
            handle,
            alignmentMs: timing.alignmentMs,
            syncMs: timing.syncMs,
            asyncMs: this.deps.config.clock.now() - timing.t0,
          },
        }),
      (error: unknown) =>
        tell(jobMaster, {
          type: 'DeclineCheckpoint',
          attempt,
          checkpointId,
          subtaskKey: this.key,
          reason: describe(error),
          cause: error instanceof CheckpointStorageError ? 'STORAGE_FAILURE' : 'DECLINED',
        }),
    );
  }

  private after(ms: number, fn: () => void): void {
    const h = this.deps.config.clock.setTimer(ms, () => {
      this.timers.delete(h);
      fn();
    });
    this.timers.add(h);
  }

  private armFlushTimer(): void {
    const timeout = this.deps.config.bufferTimeoutMs;
    if (timeout > 0 && this.flushTimer === undefined && !this.done) {
      // Wall-clock time, as Flink's output flusher: the job's clock (a ManualClock in tests) drives
      // processing time, not data transport, so records flow without anyone advancing it.
      this.flushTimer = systemClock.setTimer(timeout, () => tell(this.self, { type: 'FlushOutputs' }));
    }
  }

  private requireTask(): StreamTask {
    if (this.task === undefined) throw new Error(`subtask ${this.key} got a message before Deploy`);
    return this.task;
  }

  private cancelTimers(): void {
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }

  /** Releases timers and closes the task if it did not finish. Idempotent. */
  dispose(): void {
    this.cancelTimers();
    if (!this.done) {
      this.done = true;
      this.task?.cancel();
    }
  }
}
