/**
 * One subtask's run loop, free of actors (Flink's StreamTask with its
 * mailbox loop). The actor shell feeds it buffers and credits and calls
 * `run()`; `run()` does a bounded amount of work and says what to wait for:
 *
 *   'more'      work remains: yield to the event loop and call run() again
 *   'idle'      nothing to do until a buffer or a credit arrives
 *   'waiting'   until the promise settles (a sink write, a source with no data)
 *   'finished'  input ended, operators closed, every buffer handed to consumers
 *
 * Input is taken only while every output channel has room (no backlog), so
 * a subtask never holds more input than its credits and never builds an
 * output backlog bigger than what one input buffer (or one source poll)
 * produces. Buffers received but not processed are at most the gate's
 * credits: the InputGate enforces it.
 */
import type { ExecutionVertex, InputChannelInfo, OutputChannelInfo } from '../graph/ExecutionGraph';
import { assignSplits } from '../connectors/Source';
import type { Clock } from '../time/Clock';
import type { ChannelBuffer } from '../transport/ChannelBuffer';
import { END_OF_PARTITION } from '../transport/ChannelBuffer';
import { InputGate } from '../transport/InputGate';
import { OutputChannel } from '../transport/OutputChannel';
import { OperatorChain, RecordWriterOutput, type OperatorMetrics } from './OperatorChain';
import { createChannelSelector } from './partitioners';

export interface TaskConfig {
  /** Records per frame. */
  readonly frameSize: number;
  /** Credits (frames in flight) per channel. */
  readonly channelCredits: number;
  /** Input buffers (or source polls) handled per run() before yielding. */
  readonly buffersPerRun: number;
}

/** The shell's side: how buffers, credits and events leave this subtask. */
export interface TaskEnvironment {
  readonly clock: Clock;
  readonly random: () => number;
  sendBuffer(channel: OutputChannelInfo, buffer: ChannelBuffer): void;
  sendCredit(channel: InputChannelInfo, credits: number): void;
  sendOperatorEvent(operatorUid: string, event: unknown): void;
  /** Called after each input buffer is processed (observability for tests). */
  onBufferProcessed?: (channel: number) => void;
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

type Phase = 'created' | 'running' | 'ending' | 'finished' | 'cancelled';

export class StreamTask {
  readonly chain: OperatorChain;
  private readonly gate: InputGate;
  private readonly outputs: OutputChannel[] = [];
  private deferred: Promise<unknown>[] = [];
  private phase: Phase = 'created';

  constructor(
    readonly descriptor: ExecutionVertex,
    private readonly config: TaskConfig,
    private readonly env: TaskEnvironment,
  ) {
    const { vertex, id } = descriptor;
    this.gate = new InputGate(descriptor.inputs.length, config.channelCredits);
    const writersByNode = new Map<number, RecordWriterOutput[]>();
    for (const partition of descriptor.outputs) {
      const channels = partition.channels.map(
        (info, i) =>
          new OutputChannel(partition.firstChannel + i, config.channelCredits, config.frameSize, (b) => env.sendBuffer(info, b)),
      );
      this.outputs.push(...channels);
      const node = vertex.nodes.find((n) => n.id === partition.sourceNodeId)!;
      const selector = createChannelSelector(partition.partitioner, channels.length, partition.consumerMaxParallelism, env.random);
      const writer = new RecordWriterOutput(partition.edgeId, channels, selector, {
        operator: node.name,
        uid: node.uid,
        subtaskIndex: id.index,
        parallelism: vertex.parallelism,
      });
      const list = writersByNode.get(node.id) ?? [];
      list.push(writer);
      writersByNode.set(node.id, list);
    }
    this.chain = new OperatorChain(vertex, id.index, writersByNode, {
      clock: env.clock,
      defer: (w) => this.deferred.push(w),
      sendOperatorEvent: (uid, e) => env.sendOperatorEvent(uid, e),
    });
  }

  get isSource(): boolean {
    return this.chain.source !== undefined;
  }

  get isFinished(): boolean {
    return this.phase === 'finished';
  }

  /** Opens the chain; a source subtask starts on its share of the source's splits. */
  open(): void {
    const { vertex, id } = this.descriptor;
    const source = vertex.nodes[0].source;
    const splits = source ? assignSplits(source.createSplits(vertex.parallelism), id.index, vertex.parallelism) : [];
    this.chain.open(splits, this.config.frameSize);
    this.phase = 'running';
    if (!this.isSource && this.gate.numberOfChannels === 0) this.endOfInput();
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
    if (this.phase === 'finished' || this.phase === 'cancelled') return FINISHED;
    if (this.phase === 'ending') return this.finishWhenDrained();
    let status: TaskStatus = IDLE;
    for (let budget = this.config.buffersPerRun; budget > 0; budget--) {
      if (!this.outputsAvailable()) {
        status = IDLE;
        break;
      }
      status = this.isSource ? this.pollSource() : this.processInput();
      if (this.deferred.length > 0) {
        const work = this.deferred;
        this.deferred = [];
        status = { kind: 'waiting', until: Promise.all(work) };
      }
      if (status.kind !== 'more') break;
    }
    this.returnCredits();
    if ((this.phase as Phase) === 'ending' && status.kind !== 'waiting') return this.finishWhenDrained();
    return status;
  }

  private pollSource(): TaskStatus {
    const source = this.chain.source!;
    switch (source.emitNext()) {
      case 'MORE_AVAILABLE':
        return MORE;
      case 'NOTHING_AVAILABLE':
        return { kind: 'waiting', until: source.isAvailable() };
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
        const head = this.chain.head;
        const { values, timestamps } = buffer;
        if (timestamps === undefined) for (let i = 0; i < values.length; i++) head.processElement(values[i], undefined);
        else for (let i = 0; i < values.length; i++) head.processElement(values[i], timestamps[i]);
        break;
      }
      case 'end-of-partition':
        if (this.gate.isFinished) this.endOfInput();
        break;
    }
    this.gate.processed(channel);
    this.env.onBufferProcessed?.(channel);
    return this.gate.hasReady ? MORE : IDLE;
  }

  /** All input consumed: end the operators, then end every output partition. */
  private endOfInput(): void {
    this.chain.endInput();
    this.chain.close();
    for (const ch of this.outputs) ch.addEvent(END_OF_PARTITION);
    this.phase = 'ending';
  }

  private finishWhenDrained(): TaskStatus {
    if (this.deferred.length > 0) {
      const work = this.deferred;
      this.deferred = [];
      return { kind: 'waiting', until: Promise.all(work) };
    }
    if (!this.outputsAvailable()) return IDLE;
    this.phase = 'finished';
    return FINISHED;
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

  /** Stops without finishing: closes the chain best-effort, keeps the first error to itself. */
  cancel(): void {
    if (this.phase === 'finished' || this.phase === 'cancelled') return;
    this.phase = 'cancelled';
    try {
      this.chain.close();
    } catch {
      // a failing close on cancellation must not mask the original failure
    }
    this.deferred = [];
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
