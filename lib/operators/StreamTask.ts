/**
 * One subtask's run loop, free of actors (Flink's StreamTask with its
 * mailbox loop). The actor shell feeds it buffers, credits and checkpoint
 * commands and calls `run()`; `run()` does a bounded amount of work and
 * says what to wait for:
 *
 *   'more'      work remains: yield to the event loop and call run() again
 *   'idle'      nothing to do until a buffer or a credit arrives
 *   'waiting'   until the promise settles (a sink write, a source with no data)
 *   'finished'  input ended, the final snapshot taken, every buffer handed on
 *
 * Input is taken only while every output channel has room (no backlog), so
 * a subtask never holds more input than its credits and never builds an
 * output backlog bigger than what one input buffer (or one source poll)
 * produces. Buffers received but not processed are at most the gate's
 * credits: the InputGate enforces it.
 *
 * Operators may submit actions to the task's mailbox (results of
 * asynchronous calls): they run inside run(), before further input, in
 * submission order (Flink's mailbox model).
 *
 * Checkpoints: a source snapshots when triggered; other subtasks when the
 * BarrierHandler says the barrier is aligned. The snapshot is taken
 * synchronously, then the barrier goes to every output, and the shell
 * persists the snapshot asynchronously while records keep flowing.
 *
 * Inputs: a task has one logical input made of all its channels, or, when
 * a two-input operator heads the chain, two: each channel belongs to the
 * input its job edge feeds (`typeNumber`). Records of a channel go to that
 * input (processElement1 or processElement2); each logical input has its own
 * WatermarkValve over its own channels, and the operator combines the two
 * (AbstractTwoInputStreamOperator). Barrier alignment spans every channel
 * of both inputs, so an exactly-once snapshot is consistent across them.
 * When every channel of one input has ended while the other still runs, the
 * head hears endInput(thatInput) at once; its valve has emitted +Infinity,
 * so the ended input never holds event time back.
 *
 * End of input: the chain's members hear endInput head to tail, each only
 * after the previous one's deferred work and mailbox actions are done (an
 * async operator flushes its in-flight requests first); then the subtask
 * takes a final snapshot (sinks pre-commit their last transaction) and stays
 * open until a checkpoint made of the final states completes. A
 * stop-with-savepoint closes it instead once the savepoint is complete.
 */
import { BarrierHandler, type BarrierAction, type CheckpointingMode } from '../checkpoint/BarrierHandler';
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import { FINAL_CHECKPOINT_ID } from '../connectors/TwoPhaseCommitSink';
import type { ExecutionVertex, InputChannelInfo, OutputChannelInfo } from '../graph/ExecutionGraph';
import type { Clock, TimerHandle } from '../time/Clock';
import { WatermarkValve, type ValveOutput } from '../time/WatermarkValve';
import { END_OF_PARTITION, type ChannelBuffer, type CheckpointBarrier } from '../transport/ChannelBuffer';
import { InputGate } from '../transport/InputGate';
import { OutputChannel } from '../transport/OutputChannel';
import { OperatorChain, RecordWriterOutput, type ChainSnapshot, type OperatorMetrics } from './OperatorChain';
import { createChannelSelector } from './partitioners';

export interface TaskConfig {
  /** Records per frame. */
  readonly frameSize: number;
  /** Credits (frames in flight) per channel. */
  readonly channelCredits: number;
  /** Input buffers (or source polls) handled per run() before yielding. */
  readonly buffersPerRun: number;
  readonly checkpointingMode: CheckpointingMode;
  readonly jobId: string;
  /** 1 for the first run, +1 per restart. */
  readonly attemptNumber: number;
}

/** The shell's side: how buffers, credits, events and snapshots leave this subtask. */
export interface TaskEnvironment {
  readonly clock: Clock;
  readonly random: () => number;
  sendBuffer(channel: OutputChannelInfo, buffer: ChannelBuffer): void;
  sendCredit(channel: InputChannelInfo, credits: number): void;
  sendOperatorEvent(operatorUid: string, event: unknown): void;
  /** A snapshot was taken (and its barrier forwarded): persist it and acknowledge. */
  snapshotTaken(snapshot: TaskSnapshot): void;
  /** A newer barrier overtook a pending alignment: this subtask will never snapshot `checkpointId`. */
  checkpointSubsumed(checkpointId: number): void;
  /** Mailbox actions arrived while the task may be idle: call run() soon. */
  requestRun(): void;
  /** Called after each input buffer is processed (observability for tests). */
  onBufferProcessed?: (channel: number) => void;
  /** Injected faults for this subtask (tests). */
  readonly faults?: TaskFaults;
}

/** The fault-injection points of a subtask; each throws when a fault is due. */
export interface TaskFaults {
  recordFaults(uid: string): readonly { record: number; fire: () => Error }[];
  atSnapshot(checkpointId: number): void;
  atNotify(checkpointId: number): void;
  atRestore(): void;
}

export interface TaskSnapshot extends ChainSnapshot {
  readonly alignmentMs: number;
  readonly syncMs: number;
  /** A savepoint's directory; undefined for checkpoints. */
  readonly target: string | undefined;
}

export type TaskStatus =
  | { readonly kind: 'more' }
  | { readonly kind: 'idle' }
  | { readonly kind: 'waiting'; readonly until: Promise<unknown> }
  | { readonly kind: 'finished' };

const MORE: TaskStatus = { kind: 'more' };
const IDLE: TaskStatus = { kind: 'idle' };
const FINISHED: TaskStatus = { kind: 'finished' };

export interface SubtaskMetrics {
  readonly vertexId: number;
  readonly subtaskIndex: number;
  readonly operators: readonly OperatorMetrics[];
  /** Most input buffers ever queued (received, not processed). */
  readonly maxQueuedBuffers: number;
  /** Credits granted over all input channels: the bound on maxQueuedBuffers. */
  readonly inputCredits: number;
  readonly buffersSent: number;
}

type Phase = 'created' | 'running' | 'suspended' | 'ending-input' | 'ending' | 'finished' | 'closed' | 'cancelled';

export class StreamTask {
  readonly chain: OperatorChain;
  private readonly gate: InputGate;
  private readonly barriers: BarrierHandler;
  private readonly outputs: OutputChannel[] = [];
  private deferred: Promise<unknown>[] = [];
  private mail: (() => void)[] = [];
  /** Per logical input: combines its channels' watermarks and status (non-source tasks). */
  private readonly valves: WatermarkValve[];
  /** Per input channel: the logical input (0 or 1) it belongs to, and its index among that input's channels. */
  private readonly inputOfChannel: Uint8Array;
  private readonly channelInInput: Int32Array;
  /** Per logical input: channels whose end of partition was not processed yet. */
  private readonly openChannels: number[];
  /** Processing-time timers not fired yet: cancelled when the task ends. */
  private readonly timers = new Set<TimerHandle>();
  /**
   * After a stop-with-savepoint barrier passed this task, nothing may happen
   * that the savepoint does not hold (a periodic watermark firing timers
   * downstream, a processing-time timer emitting): timer callbacks wait
   * here, and run only if that savepoint is aborted.
   */
  private stoppingAt: number | undefined;
  private heldTimerCallbacks: (() => void)[] = [];
  /** What the task waits for (deferred work, a source's next data); mailbox actions still run meanwhile. */
  private waitingFor: Promise<unknown> | undefined;
  /** The wait failed (a rejected write): the next run() throws it. */
  private waitFailure: { readonly error: unknown } | undefined;
  /** The stop-with-savepoint barrier a source stopped at. */
  private suspendedBy: number | undefined;
  /** During 'ending-input': the next chain member to hear endInput. */
  private endingMember = 0;
  private phase: Phase = 'created';
  /** The snapshot taken at the end of input, handed to the shell when the task finishes. */
  finalSnapshot: TaskSnapshot | undefined;

  constructor(
    readonly descriptor: ExecutionVertex,
    private readonly config: TaskConfig,
    private readonly env: TaskEnvironment,
    restore?: (uid: string) => OperatorRestoreState | undefined,
  ) {
    const { vertex, id } = descriptor;
    this.gate = new InputGate(descriptor.inputs.length, config.channelCredits);
    this.barriers = new BarrierHandler(descriptor.inputs.length, config.checkpointingMode, () => env.clock.now());
    const inputIndexOfEdge = new Map(vertex.inputs.map((e) => [e.id, e.typeNumber === 2 ? 1 : 0]));
    const logicalInputs = vertex.nodes[0]?.twoInput ? 2 : 1;
    this.inputOfChannel = new Uint8Array(descriptor.inputs.length);
    this.channelInInput = new Int32Array(descriptor.inputs.length);
    this.openChannels = new Array<number>(logicalInputs).fill(0);
    descriptor.inputs.forEach((info, c) => {
      const input = logicalInputs === 2 ? inputIndexOfEdge.get(info.edgeId)! : 0;
      this.inputOfChannel[c] = input;
      this.channelInInput[c] = this.openChannels[input]++;
    });
    this.valves = this.openChannels.map((n) => new WatermarkValve(Math.max(1, n)));
    const writersByNode = new Map<number, RecordWriterOutput[]>();
    for (const partition of descriptor.outputs) {
      const channels = partition.channels.map(
        (info, i) =>
          new OutputChannel(partition.firstChannel + i, config.channelCredits, config.frameSize, (b) => env.sendBuffer(info, b)),
      );
      this.outputs.push(...channels);
      const node = vertex.nodes.find((n) => n.id === partition.sourceNodeId)!;
      const selector = createChannelSelector(partition.partitioner, channels.length, partition.consumerMaxParallelism, env.random);
      const location = { operator: node.name, uid: node.uid, subtaskIndex: id.index, parallelism: vertex.parallelism };
      const writer = new RecordWriterOutput(partition.edgeId, channels, selector, location, !node.objectReuse);
      const list = writersByNode.get(node.id) ?? [];
      list.push(writer);
      writersByNode.set(node.id, list);
    }
    this.chain = new OperatorChain(vertex, id.index, writersByNode, {
      clock: env.clock,
      jobId: config.jobId,
      attemptNumber: config.attemptNumber,
      defer: (w) => this.deferred.push(w),
      mailbox: {
        execute: (action) => {
          if (this.phase === 'cancelled' || this.phase === 'closed') return;
          this.mail.push(action);
          if (this.mail.length === 1) env.requestRun();
        },
      },
      processingTimeService: {
        now: () => env.clock.now(),
        registerTimer: (time, callback) => this.registerProcessingTimer(time, callback),
      },
      sendOperatorEvent: (uid, e) => env.sendOperatorEvent(uid, e),
      restoreState: restore ?? (() => undefined),
      recordFaults: env.faults ? (uid) => env.faults!.recordFaults(uid) : undefined,
    });
    this.restoring = restore !== undefined;
  }

  private readonly restoring: boolean;

  get isSource(): boolean {
    return this.chain.source !== undefined;
  }

  get isFinished(): boolean {
    return this.phase === 'finished' || this.phase === 'closed';
  }

  /** Restores and opens the chain. */
  open(): void {
    if (this.restoring) this.env.faults?.atRestore();
    this.chain.open(this.config.frameSize);
    this.phase = 'running';
  }

  receive(channel: number, buffer: ChannelBuffer): void {
    this.gate.receive(channel, buffer);
  }

  addCredit(producerChannel: number, credits: number): void {
    const ch = this.outputs[producerChannel];
    if (ch === undefined) throw new Error(`credit for unknown output channel ${producerChannel}`);
    ch.addCredit(credits);
  }

  /** Buffer timeout: ships partly filled frames. */
  flushOutputs(): void {
    for (const ch of this.outputs) ch.flush();
  }

  run(): TaskStatus {
    if (this.phase === 'finished' || this.phase === 'closed' || this.phase === 'cancelled') return FINISHED;
    if (this.waitFailure !== undefined) throw this.waitFailure.error;
    this.runMail();
    if (this.waitingFor !== undefined) return { kind: 'waiting', until: this.waitingFor };
    if (this.phase === 'ending-input') return this.continueEndOfInput();
    if (this.phase === 'ending') return this.finishWhenDrained();
    if (this.phase === 'suspended') return this.takeDeferred() ?? IDLE;
    let status: TaskStatus = IDLE;
    for (let budget = this.config.buffersPerRun; budget > 0; budget--) {
      if (!this.outputsAvailable()) {
        status = IDLE;
        break;
      }
      status = this.isSource ? this.pollSource() : this.processInput();
      status = this.takeDeferred() ?? status;
      if (status.kind !== 'more' || (this.phase as Phase) !== 'running') break;
      this.runMail();
    }
    this.returnCredits();
    if (status.kind === 'waiting') return status;
    if ((this.phase as Phase) === 'ending-input') return this.continueEndOfInput();
    return this.mail.length > 0 ? MORE : status;
  }

  /**
   * Runs the mailbox actions submitted so far (not those they submit
   * themselves). run() does it first; the shell may call it alone.
   */
  runMail(): void {
    if (this.mail.length === 0) return;
    const actions = this.mail;
    this.mail = [];
    for (const action of actions) action();
  }

  /** A source subtask starts checkpoint n: snapshot, then the barrier into every output. */
  triggerCheckpoint(barrier: CheckpointBarrier): boolean {
    if (!this.isSource || this.phase !== 'running') return false;
    this.performCheckpoint(barrier, 0);
    if (barrier.terminate) {
      this.phase = 'suspended';
      this.suspendedBy = barrier.checkpointId;
    }
    return true;
  }

  /** The coordinator aborted a checkpoint: release an alignment waiting for it; a source stopped by it resumes. */
  abortCheckpoint(checkpointId: number): void {
    this.apply(this.barriers.abort(checkpointId));
    if (this.phase === 'suspended' && this.suspendedBy === checkpointId) this.phase = 'running';
    if (this.stoppingAt === checkpointId) {
      this.stoppingAt = undefined;
      const held = this.heldTimerCallbacks;
      this.heldTimerCallbacks = [];
      if (held.length > 0) {
        this.mail.push(...held);
        this.env.requestRun();
      }
    }
  }

  /** Checkpoint `checkpointId` completed; resolves when the operators' commits are done. */
  notifyCheckpointComplete(checkpointId: number): Promise<unknown> {
    this.env.faults?.atNotify(checkpointId);
    return Promise.all(this.chain.notifyCheckpointComplete(checkpointId));
  }

  /**
   * Commits checkpoint `checkpointId` and closes the operators: after the
   * final checkpoint completed, or after the savepoint of a
   * stop-with-savepoint (a subtask that had finished commits its final
   * transaction then too: its final state is in the savepoint).
   */
  async close(checkpointId = FINAL_CHECKPOINT_ID): Promise<void> {
    await this.notifyCheckpointComplete(this.isFinished ? FINAL_CHECKPOINT_ID : checkpointId);
    this.cancelTimers();
    this.chain.close();
    await Promise.all(this.takeDeferredWork());
    this.phase = 'closed';
  }

  private pollSource(): TaskStatus {
    const source = this.chain.source!;
    switch (source.emitNext()) {
      case 'MORE_AVAILABLE':
        return MORE;
      case 'NOTHING_AVAILABLE':
        return this.wait(source.isAvailable());
      case 'END_OF_INPUT':
        this.endOfInput();
        return IDLE;
    }
  }

  private processInput(): TaskStatus {
    const next = this.gate.poll();
    if (next === undefined) return IDLE;
    const { channel, buffer } = next;
    switch (buffer.kind) {
      case 'records': {
        const head = this.chain.inputs[this.inputOfChannel[channel]];
        const { values, timestamps } = buffer;
        if (timestamps === undefined) for (let i = 0; i < values.length; i++) head.processElement(values[i], undefined);
        else for (let i = 0; i < values.length; i++) head.processElement(values[i], timestamps[i]);
        break;
      }
      case 'barrier':
        this.apply(this.barriers.onBarrier(channel, buffer));
        break;
      case 'watermark': {
        const input = this.inputOfChannel[channel];
        this.applyValve(input, this.valves[input].inputWatermark(this.channelInInput[channel], buffer.timestamp));
        break;
      }
      case 'watermark-status': {
        const input = this.inputOfChannel[channel];
        this.applyValve(input, this.valves[input].inputWatermarkStatus(this.channelInInput[channel], buffer.status));
        break;
      }
      case 'end-of-partition': {
        const input = this.inputOfChannel[channel];
        this.apply(this.barriers.onEndOfPartition(channel));
        this.applyValve(input, this.valves[input].channelFinished(this.channelInInput[channel]));
        if (this.gate.isFinished) this.endOfInput();
        else if (--this.openChannels[input] === 0 && this.chain.inputs.length === 2) this.chain.endHeadInput(input === 0 ? 1 : 2);
        break;
      }
    }
    this.gate.processed(channel);
    this.env.onBufferProcessed?.(channel);
    return this.gate.hasReady ? MORE : IDLE;
  }

  /** What the valve of logical input `input` emitted, into that input of the chain. */
  private applyValve(input: number, outputs: readonly ValveOutput[]): void {
    const head = this.chain.inputs[input];
    for (const o of outputs) {
      if (o.kind === 'watermark') head.processWatermark?.(o.timestamp);
      else head.processWatermarkStatus?.(o.status);
    }
  }

  /**
   * A processing-time timer whose callback runs in the mailbox; none fires
   * once the task ended. A stop-with-savepoint barrier holds the callback,
   * also one already queued in the mailbox when the barrier passed (it
   * would emit after the barrier: a source's periodic watermark firing
   * timers downstream that the savepoint still holds, so they fired twice).
   */
  private registerProcessingTimer(time: number, callback: (time: number) => void): TimerHandle {
    const handle: TimerHandle = {
      cancel: () => {
        this.timers.delete(handle);
        timer.cancel();
      },
    };
    const fire = (): void => {
      if (this.stoppingAt !== undefined) return void this.heldTimerCallbacks.push(fire);
      callback(time);
    };
    const timer = this.env.clock.setTimer(Math.max(0, time - this.env.clock.now()), () => {
      if (!this.timers.delete(handle)) return;
      if (this.phase === 'finished' || this.phase === 'closed' || this.phase === 'cancelled') return;
      if (this.stoppingAt !== undefined) return void this.heldTimerCallbacks.push(fire);
      this.mail.push(fire);
      if (this.mail.length === 1) this.env.requestRun();
    });
    this.timers.add(handle);
    return handle;
  }

  private cancelTimers(): void {
    for (const t of [...this.timers]) t.cancel();
  }

  private apply(actions: readonly BarrierAction[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'block':
          this.gate.setBlocked(a.channel, true);
          break;
        case 'unblock-all':
          for (let c = 0; c < this.gate.numberOfChannels; c++) this.gate.setBlocked(c, false);
          break;
        case 'snapshot':
          this.performCheckpoint(a.barrier, a.alignmentMs);
          break;
        case 'cancelled':
          if (a.reason === 'SUBSUMED') this.env.checkpointSubsumed(a.checkpointId);
          break;
      }
    }
  }

  private performCheckpoint(barrier: CheckpointBarrier, alignmentMs: number): void {
    const t0 = this.env.clock.now();
    this.env.faults?.atSnapshot(barrier.checkpointId);
    const snapshot = this.chain.snapshotState(barrier.checkpointId);
    if (barrier.terminate) this.stoppingAt = barrier.checkpointId;
    for (const ch of this.outputs) ch.addEvent(barrier);
    this.env.snapshotTaken({ ...snapshot, alignmentMs, syncMs: this.env.clock.now() - t0, target: barrier.savepoint ? barrier.target : undefined });
  }

  /** All input consumed: the chain's members end one by one (continueEndOfInput). */
  private endOfInput(): void {
    this.phase = 'ending-input';
    this.endingMember = 0;
  }

  /**
   * Tells the next member endInput once the previous one's deferred work and
   * mailbox actions are done; after the last, takes the final snapshot and
   * ends every output partition.
   */
  private continueEndOfInput(): TaskStatus {
    for (;;) {
      const waiting = this.takeDeferred();
      if (waiting) return waiting;
      if (this.mail.length > 0) {
        this.runMail();
        continue;
      }
      if (this.endingMember >= this.chain.members.length) break;
      this.chain.endInput(this.endingMember++);
    }
    const t0 = this.env.clock.now();
    const snapshot = this.chain.snapshotState(FINAL_CHECKPOINT_ID);
    this.finalSnapshot = { ...snapshot, alignmentMs: 0, syncMs: this.env.clock.now() - t0, target: undefined };
    for (const ch of this.outputs) ch.addEvent(END_OF_PARTITION);
    this.phase = 'ending';
    return this.finishWhenDrained();
  }

  private finishWhenDrained(): TaskStatus {
    const waiting = this.takeDeferred();
    if (waiting) return waiting;
    if (!this.outputsAvailable()) return IDLE;
    this.phase = 'finished';
    this.cancelTimers();
    return FINISHED;
  }

  private takeDeferred(): TaskStatus | undefined {
    if (this.deferred.length === 0) return undefined;
    return this.wait(Promise.all(this.takeDeferredWork()));
  }

  /** Until `until` settles, run() only runs mailbox actions and reports the same wait. */
  private wait(until: Promise<unknown>): TaskStatus {
    this.waitingFor = until;
    until.then(
      () => {
        if (this.waitingFor === until) this.waitingFor = undefined;
      },
      (error: unknown) => {
        if (this.waitingFor === until) this.waitFailure = { error };
      },
    );
    return { kind: 'waiting', until };
  }

  private takeDeferredWork(): Promise<unknown>[] {
    const work = this.deferred;
    this.deferred = [];
    return work;
  }

  private outputsAvailable(): boolean {
    for (const ch of this.outputs) if (!ch.isAvailable) return false;
    return true;
  }

  private returnCredits(): void {
    for (const { channel, credits } of this.gate.takeCredits()) {
      this.env.sendCredit(this.descriptor.inputs[channel], credits);
    }
  }

  /** Stops without finishing: closes the chain best-effort. */
  cancel(): void {
    if (this.phase === 'closed' || this.phase === 'cancelled') return;
    this.phase = 'cancelled';
    this.cancelTimers();
    this.finalSnapshot?.release();
    this.mail = [];
    try {
      this.chain.close();
    } catch {
      // a failing close on cancellation must not mask the original failure
    }
    // Nobody waits for these any more; a rejection must not escape as an unhandled one.
    for (const w of this.takeDeferredWork()) w.catch(() => {});
  }

  metrics(): SubtaskMetrics {
    return {
      vertexId: this.descriptor.id.vertexId,
      subtaskIndex: this.descriptor.id.index,
      operators: this.chain.metrics(),
      maxQueuedBuffers: this.gate.maxQueued,
      inputCredits: this.gate.totalCredits,
      buffersSent: this.outputs.reduce((n, c) => n + c.sent, 0),
    };
  }
}
