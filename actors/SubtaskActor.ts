/**
 * The actor shell of one subtask: a nact actor that owns a StreamTask, feeds
 * it the buffers and credits it receives, and turns the task's run status
 * into messages to itself (continue later, resume when a wait ends) and to
 * its job master (finished). A throw from the task — user code, a protocol
 * violation — crashes the actor; its supervision policy escalates the
 * failure to the job master, which decides what happens to the job.
 */
import { spawn } from 'nact';
import type { EnvironmentConfig } from '../lib/api/EnvironmentConfig';
import type { ExecutionVertex, OutputChannelInfo, SubtaskId } from '../lib/graph/ExecutionGraph';
import { StreamTask, type TaskEnvironment } from '../lib/operators/StreamTask';
import type { TimerHandle } from '../lib/time/Clock';
import type { ChannelBuffer } from '../lib/transport/ChannelBuffer';
import { subtaskActorName, tell, type JobMasterMsg, type SubtaskMsg, type TRef } from './protocol';

export interface SubtaskDeps {
  readonly descriptor: ExecutionVertex;
  readonly config: EnvironmentConfig;
  readonly jobMaster: TRef<JobMasterMsg>;
}

export function spawnSubtask(parent: TRef<JobMasterMsg>, deps: SubtaskDeps): TRef<SubtaskMsg> {
  const shell = new SubtaskShell(deps);
  const ref = spawn(
    parent,
    (state: undefined, msg: SubtaskMsg) => {
      shell.handle(msg);
      return state;
    },
    subtaskActorName(deps.descriptor),
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
  private waiting = false;
  private continuePending = false;
  private flushTimer: TimerHandle | undefined;
  private done = false;

  constructor(private readonly deps: SubtaskDeps) {}

  handle(msg: SubtaskMsg): void {
    switch (msg.type) {
      case 'Deploy':
        this.deploy(msg.resolve);
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
        this.waiting = false;
        if (msg.error !== undefined) throw msg.error;
        break;
    }
    this.drive();
  }

  private deploy(resolve: (id: SubtaskId) => TRef<SubtaskMsg>): void {
    const { descriptor, config } = this.deps;
    const probe = config.channelProbe;
    const consumerRefs = new Map<OutputChannelInfo, TRef<SubtaskMsg>>();
    const self = descriptor.id;
    const env: TaskEnvironment = {
      clock: config.clock,
      random: config.random,
      sendBuffer: (channel: OutputChannelInfo, buffer: ChannelBuffer) => {
        let ref = consumerRefs.get(channel);
        if (ref === undefined) consumerRefs.set(channel, (ref = resolve(channel.consumer)));
        probe?.bufferSent(channel.consumer, channel.consumerChannel);
        tell(ref, { type: 'DeliverBuffer', channel: channel.consumerChannel, buffer });
      },
      sendCredit: (channel, credits) =>
        tell(resolve(channel.producer), { type: 'GrantCredit', channel: channel.producerChannel, credits }),
      sendOperatorEvent: (operatorUid, event) =>
        tell(this.deps.jobMaster, { type: 'OperatorEventSent', operatorUid, subtaskIndex: self.index, event }),
      onBufferProcessed: probe ? (channel) => probe.bufferProcessed(self, channel) : undefined,
    };
    this.task = new StreamTask(
      descriptor,
      { frameSize: config.frameSize, channelCredits: config.channelCredits, buffersPerRun: config.buffersPerRun },
      env,
    );
    this.task.open();
    this.armFlushTimer();
  }

  private drive(): void {
    const task = this.task;
    if (task === undefined || this.waiting || this.done) return;
    const status = task.run();
    if (this.deps.config.bufferTimeoutMs === 0) task.flushOutputs();
    switch (status.kind) {
      case 'more':
        if (!this.continuePending) {
          this.continuePending = true;
          tell(this.self, { type: 'Continue' });
        }
        break;
      case 'waiting':
        this.waiting = true;
        status.until.then(
          () => tell(this.self, { type: 'WaitEnded' }),
          (error: unknown) => tell(this.self, { type: 'WaitEnded', error: error ?? new Error('wait rejected') }),
        );
        break;
      case 'finished':
        this.done = true;
        this.dispose();
        tell(this.deps.jobMaster, { type: 'SubtaskFinished', subtask: this.deps.descriptor.id, metrics: task.metrics() });
        break;
      case 'idle':
        break;
    }
  }

  private armFlushTimer(): void {
    const timeout = this.deps.config.bufferTimeoutMs;
    if (timeout > 0 && this.flushTimer === undefined && !this.done) {
      this.flushTimer = this.deps.config.clock.setTimer(timeout, () => tell(this.self, { type: 'FlushOutputs' }));
    }
  }

  private requireTask(): StreamTask {
    if (this.task === undefined) throw new Error(`subtask ${subtaskActorName(this.deps.descriptor)} got input before Deploy`);
    return this.task;
  }

  /** Releases timers and closes the task if it did not finish. Idempotent. */
  dispose(): void {
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    if (!this.done) {
      this.done = true;
      this.task?.cancel();
    }
  }
}
