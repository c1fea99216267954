/**
 * The operators of one subtask, fused into calls (Flink's OperatorChain).
 *
 * Every member's `next` is the Input of what follows it: a chained operator
 * directly (no wrapper on the per-record path), the record writer of a
 * network edge, or a fan-out over several. Records out of a member are the
 * records into its first target, so counting happens once, at the input.
 * Besides its main output, a member has one Input per side-output tag that
 * something consumes (chained or over the network); records emitted with
 * any other tag are dropped, as in Flink. Side outputs are not counted in
 * records out.
 * Lifecycle calls (open, endInput, close) are attributed to the member that
 * failed.
 *
 * A two-input operator can only head a chain: the chain then has two
 * Inputs (`inputs[0]` feeds processElement1, `inputs[1]` processElement2),
 * and the head hears endInput(1) and endInput(2) separately, each when that
 * input ends (`endHeadInput`), the rest of the chain only once both ended.
 */
import { isOutputTag, type OutputTag } from '../api/OutputTag';
import { asUserFunctionError, StateSerializationError, type OperatorLocation } from '../errors';
import type { OperatorRestoreState, OperatorSubtaskState, SubtaskState } from '../checkpoint/SubtaskState';
import { assignSplits, type ReaderOutput } from '../connectors/Source';
import { chainedEdges, type JobVertex } from '../graph/JobGraph';
import type { StreamNode } from '../graph/StreamGraph';
import { HeapKeyedStateBackend, type KeyedStateSnapshot } from '../state/HeapKeyedStateBackend';
import { KeyGroupRange } from '../state/KeyGroup';
import { copyValue } from '../state/copyValue';
import { OperatorStateStore } from '../state/OperatorStateStore';
import type { Clock } from '../time/Clock';
import type { WatermarkStatus } from '../time/Watermark';
import type { OutputChannel } from '../transport/OutputChannel';
import { BROADCAST, type ChannelSelector } from './partitioners';
import { SourceOperator } from './SourceOperator';
import type {
  CountingInput,
  Input,
  InputId,
  MailboxExecutor,
  OneInputStreamOperator,
  OperatorContext,
  ProcessingTimeService,
  StreamOperator,
  TwoInputStreamOperator,
} from './StreamOperator';
import { createRuntimeContext } from './StreamingRuntimeContext';

export interface OperatorMetrics {
  readonly nodeId: number;
  readonly uid: string;
  readonly name: string;
  readonly recordsIn: number;
  readonly recordsOut: number;
}

/** Routes a member's records into the channels of one network edge. */
export class RecordWriterOutput implements CountingInput<unknown> {
  recordsIn = 0;
  constructor(
    readonly edgeId: number,
    private readonly channels: readonly OutputChannel[],
    private readonly selector: ChannelSelector,
    private readonly location: OperatorLocation,
    /** Broadcast hands each channel its own copy (no object reuse): one consumer cannot change another's record. */
    private readonly copyBroadcast = true,
  ) {}

  processElement(value: unknown, timestamp: number | undefined): void {
    this.recordsIn++;
    let c: number;
    try {
      c = this.selector(value);
    } catch (e) {
      throw asUserFunctionError(e, this.location, 0, 'partition', value);
    }
    if (c !== BROADCAST) return this.channels[c].add(value, timestamp);
    const last = this.channels.length - 1;
    for (let i = 0; i < last; i++) this.channels[i].add(this.copyBroadcast ? copyValue(value) : value, timestamp);
    this.channels[last].add(value, timestamp);
  }

  /** Watermarks go to every channel, whatever the partitioner (Flink's RecordWriterOutput#emitWatermark). */
  processWatermark(watermark: number): void {
    const event = { kind: 'watermark', timestamp: watermark } as const;
    for (const ch of this.channels) ch.addEvent(event);
  }

  processWatermarkStatus(status: WatermarkStatus): void {
    const event = { kind: 'watermark-status', status } as const;
    for (const ch of this.channels) ch.addEvent(event);
  }
}

/** One member feeding several: each target but the last gets its own copy, unless objects are reused. */
class FanOut implements Input<unknown> {
  constructor(
    private readonly targets: readonly Input<unknown>[],
    private readonly copy: boolean,
  ) {}
  processElement(value: unknown, timestamp: number | undefined): void {
    const last = this.targets.length - 1;
    for (let i = 0; i < last; i++) this.targets[i].processElement(this.copy ? copyValue(value) : value, timestamp);
    this.targets[last].processElement(value, timestamp);
  }
  processWatermark(watermark: number): void {
    for (const t of this.targets) t.processWatermark?.(watermark);
  }
  processWatermarkStatus(status: WatermarkStatus): void {
    for (const t of this.targets) t.processWatermarkStatus?.(status);
  }
}

/** A watermark (or status) to a member's main output and every side output it feeds. */
function emitWatermarkTo(outputs: readonly Input<unknown>[], watermark: number): void {
  for (const o of outputs) o.processWatermark?.(watermark);
}

function emitWatermarkStatusTo(outputs: readonly Input<unknown>[], status: WatermarkStatus): void {
  for (const o of outputs) o.processWatermarkStatus?.(status);
}

/** What a source reader writes into: the chain's first Input, and the source's side outputs. */
class SourceOutput implements ReaderOutput<unknown> {
  constructor(
    private readonly next: Input<unknown>,
    private readonly sides: SideOutputs,
  ) {}
  collect(value: unknown, timestamp?: number): void {
    this.next.processElement(value, timestamp);
  }
  output<X>(tag: OutputTag<X>, value: X, timestamp?: number): void {
    emitToSide(this.sides, tag, value, timestamp);
  }
  emitWatermark(watermark: number): void {
    emitWatermarkTo([this.next, ...this.sides.values()], watermark);
  }
  emitWatermarkStatus(status: WatermarkStatus): void {
    emitWatermarkStatusTo([this.next, ...this.sides.values()], status);
  }
}

/** A member's side outputs by tag id: only the tags something consumes. */
type SideOutputs = ReadonlyMap<string, Input<unknown>>;

function emitToSide(sides: SideOutputs, tag: OutputTag<unknown>, value: unknown, timestamp: number | undefined): void {
  if (!isOutputTag(tag)) throw new TypeError(`output() needs an OutputTag as its first argument, got ${String(tag)}`);
  sides.get(tag.id)?.processElement(value, timestamp);
}

/**
 * Stands in front of an operator (or one input of a two-input operator) a
 * record fault targets; counts and throws at the record. The two inputs of
 * a two-input operator share one count (`seen`): the operator's n-th record.
 */
class FaultingInput implements CountingInput<unknown> {
  constructor(
    private readonly target: CountingInput<unknown>,
    private readonly faults: readonly { record: number; fire: () => Error }[],
    private readonly seen: { n: number } = { n: 0 },
  ) {}
  get recordsIn(): number {
    return this.target.recordsIn;
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    const n = ++this.seen.n;
    const f = this.faults.find((x) => x.record === n);
    if (f) throw f.fire();
    this.target.processElement(value, timestamp);
  }
  processWatermark(watermark: number): void {
    this.target.processWatermark?.(watermark);
  }
  processWatermarkStatus(status: WatermarkStatus): void {
    this.target.processWatermarkStatus?.(status);
  }
}

/** The two Inputs of a two-input operator: records, watermarks and statuses of input 1 and of input 2. */
function twoInputsOf(op: TwoInputStreamOperator<unknown, unknown, unknown>): [CountingInput<unknown>, CountingInput<unknown>] {
  return [
    {
      get recordsIn() {
        return op.recordsIn;
      },
      processElement: (value, timestamp) => op.processElement1(value, timestamp),
      processWatermark: (watermark) => op.processWatermark1(watermark),
      processWatermarkStatus: (status) => op.processWatermarkStatus1(status),
    },
    {
      get recordsIn() {
        return op.recordsIn;
      },
      processElement: (value, timestamp) => op.processElement2(value, timestamp),
      processWatermark: (watermark) => op.processWatermark2(watermark),
      processWatermarkStatus: (status) => op.processWatermarkStatus2(status),
    },
  ];
}

const NO_OUTPUT: Input<unknown> = {
  processElement() {
    throw new Error('a sink has no output');
  },
};

/** The main output of an operator whose main stream nothing consumes (only its side outputs). */
const DISCARD: Input<unknown> = { processElement() {} };

export interface ChainServices {
  readonly clock: Clock;
  readonly jobId: string;
  readonly attemptNumber: number;
  defer(work: Promise<unknown>): void;
  readonly mailbox: MailboxExecutor;
  readonly processingTimeService?: ProcessingTimeService;
  sendOperatorEvent(operatorUid: string, event: unknown): void;
  /** The state an operator restores from (undefined on a fresh start). */
  restoreState(uid: string): OperatorRestoreState | undefined;
  /** Injected record faults for an operator (tests): fail before its `record`-th record. */
  recordFaults?(uid: string): readonly { record: number; fire: () => Error }[];
}

/** The synchronous part of a subtask's checkpoint; `write()` is the asynchronous part. */
export interface ChainSnapshot {
  readonly checkpointId: number;
  /** Serialises keyed state and assembles the subtask state. Call once. */
  write(): Promise<SubtaskState>;
  /** Drops the snapshot unwritten (releases pinned state). */
  release(): void;
}

export const SPLITS_STATE = 'splits';

interface Member {
  readonly node: StreamNode;
  /** A OneInputStreamOperator, or (node.twoInput, the head only) a TwoInputStreamOperator. */
  readonly operator: StreamOperator<unknown>;
  readonly location: OperatorLocation;
  readonly keyedStateBackend: HeapKeyedStateBackend | undefined;
  readonly operatorState: OperatorStateStore;
  /** Main-output targets. */
  readonly targets: readonly CountingInput<unknown>[];
  readonly sideOutputs: SideOutputs;
}

export class OperatorChain {
  /** Present when the chain starts with a source. */
  readonly source: SourceOperator<unknown> | undefined;
  /** Where a non-source chain takes its input (a two-input chain: input 1). */
  readonly head: Input<unknown>;
  /** The chain's logical inputs: [head] for a one-input chain, input 1 and input 2 of a two-input head. */
  readonly inputs: readonly Input<unknown>[];
  /** Logical inputs of a two-input head that heard endInput. */
  private readonly endedInputs = new Set<InputId>();
  /** Chain members other than the source, in topological order. */
  readonly members: readonly Member[];
  private readonly sourceTargets: readonly CountingInput<unknown>[] = [];
  private readonly sourceSideOutputs: SideOutputs = new Map();

  constructor(
    readonly vertex: JobVertex,
    readonly subtaskIndex: number,
    writersByNode: ReadonlyMap<number, readonly RecordWriterOutput[]>,
    private readonly services: ChainServices,
  ) {
    const operators = new Map<number, StreamOperator<unknown>>();
    const inputs = new Map<number, CountingInput<unknown>>();
    let headInputs: readonly CountingInput<unknown>[] | undefined;
    for (const node of vertex.nodes) {
      if (node.kind === 'source') continue;
      if (node.twoInput) {
        if (node !== vertex.nodes[0]) throw new Error(`two-input operator '${node.name}' must head its chain`);
        const op = node.twoInputOperatorFactory!();
        operators.set(node.id, op);
        const faults = services.recordFaults?.(node.uid) ?? [];
        const seen = { n: 0 };
        headInputs = twoInputsOf(op).map((input) => (faults.length > 0 ? new FaultingInput(input, faults, seen) : input));
        continue;
      }
      const op = node.operatorFactory!();
      operators.set(node.id, op);
      const faults = services.recordFaults?.(node.uid) ?? [];
      inputs.set(node.id, faults.length > 0 ? new FaultingInput(op, faults) : op);
    }
    const tagOfEdge = new Map(vertex.outputs.map((e) => [e.id, e.outputTag]));
    const outputsOf = (node: StreamNode): { main: CountingInput<unknown>[]; sides: SideOutputs } => {
      const main: CountingInput<unknown>[] = [];
      const byTag = new Map<string, CountingInput<unknown>[]>();
      const add = (tag: string | undefined, target: CountingInput<unknown>) => {
        if (tag === undefined) main.push(target);
        else byTag.set(tag, [...(byTag.get(tag) ?? []), target]);
      };
      for (const e of chainedEdges(vertex, node)) add(e.outputTag, inputs.get(e.targetId)!);
      for (const w of writersByNode.get(node.id) ?? []) add(tagOfEdge.get(w.edgeId), w);
      return { main, sides: new Map([...byTag].map(([tag, targets]) => [tag, inputOf(targets, DISCARD, !node.objectReuse)])) };
    };
    const members: Member[] = [];
    for (const node of vertex.nodes) {
      const location: OperatorLocation = { operator: node.name, uid: node.uid, subtaskIndex, parallelism: node.parallelism };
      if (node.kind === 'source') {
        const { main, sides } = outputsOf(node);
        this.sourceTargets = main;
        this.sourceSideOutputs = sides;
        this.source = new SourceOperator(node.source!, location, () => received(this.sourceTargets));
        continue;
      }
      const keyedStateBackend =
        node.stateKeySelector === undefined
          ? undefined
          : new HeapKeyedStateBackend(node.maxParallelism, KeyGroupRange.forOperator(node.maxParallelism, node.parallelism, subtaskIndex));
      const restored = services.restoreState(node.uid);
      if (keyedStateBackend && restored && restored.keyed.length > 0) keyedStateBackend.restore(restored.keyed);
      const operatorState = new OperatorStateStore(restored?.lists);
      const { main, sides } = outputsOf(node);
      members.push({ node, operator: operators.get(node.id)!, location, keyedStateBackend, operatorState, targets: main, sideOutputs: sides });
    }
    this.members = members;
    this.inputs = headInputs ?? [members.length > 0 ? inputs.get(members[0].node.id)! : NO_OUTPUT];
    this.head = this.inputs[0];
  }

  /**
   * Restores and opens members tail first, so each is ready before its
   * predecessor can emit; a source starts on its restored splits, or on its
   * share of fresh ones.
   */
  open(batchSizeHint: number): void {
    for (const m of [...this.members].reverse()) {
      const main = inputOf(m.targets, m.node.kind === 'sink' ? NO_OUTPUT : DISCARD, !m.node.objectReuse);
      const outputs = [main, ...m.sideOutputs.values()];
      const ctx: OperatorContext = {
        location: m.location,
        jobId: this.services.jobId,
        attemptNumber: this.services.attemptNumber,
        maxParallelism: m.node.maxParallelism,
        clock: this.services.clock,
        keyedStateBackend: m.keyedStateBackend,
        runtimeContext: createRuntimeContext(m.location, m.node.maxParallelism, m.keyedStateBackend, m.operatorState, this.services.clock),
        objectReuse: m.node.objectReuse ?? false,
        defer: (w) => this.services.defer(w),
        mailbox: this.services.mailbox,
        sendOperatorEvent: (e) => this.services.sendOperatorEvent(m.location.uid, e),
        output: (tag, value, timestamp) => emitToSide(m.sideOutputs, tag, value, timestamp),
        emitWatermark: (watermark) => emitWatermarkTo(outputs, watermark),
        emitWatermarkStatus: (status) => emitWatermarkStatusTo(outputs, status),
        processingTimeService: this.services.processingTimeService,
      };
      this.lifecycle(m, 'restore', () => m.operator.initializeState?.(this.services.restoreState(m.node.uid)));
      this.lifecycle(m, 'open', () => m.operator.open(ctx, main));
    }
    if (this.source) {
      const node = this.vertex.nodes[0];
      const restored = this.services.restoreState(node.uid);
      const splits = restored
        ? restored.lists[SPLITS_STATE] ?? []
        : assignSplits(node.source!.createSplits(node.parallelism), this.subtaskIndex, node.parallelism);
      const watermarking = node.watermarks && { watermarks: node.watermarks, processingTime: this.services.processingTimeService };
      this.source.open(new SourceOutput(inputOf(this.sourceTargets, DISCARD, !node.objectReuse), this.sourceSideOutputs), splits as never, this.services.clock, batchSizeHint, watermarking);
    }
  }

  /** The synchronous part of a checkpoint: pins keyed state, collects operator state. */
  snapshotState(checkpointId: number): ChainSnapshot {
    const keyed = new Map<string, KeyedStateSnapshot>();
    const lists = new Map<string, Record<string, unknown[]>>();
    try {
      if (this.source) lists.set(this.vertex.nodes[0].uid, { [SPLITS_STATE]: this.source.snapshotState(checkpointId) });
      for (const m of this.members) {
        if (m.keyedStateBackend) keyed.set(m.node.uid, m.keyedStateBackend.snapshot());
        let l: Record<string, unknown[]> | undefined;
        this.lifecycle(m, 'snapshot', () => (l = m.operator.snapshotState?.(checkpointId)));
        const own = m.operatorState.snapshot();
        if (l || own) lists.set(m.node.uid, { ...own, ...l });
      }
    } catch (e) {
      for (const k of keyed.values()) k.release();
      throw e;
    }
    const subtaskIndex = this.subtaskIndex;
    const nodes = this.vertex.nodes;
    return {
      checkpointId,
      release: () => keyed.forEach((k) => k.release()),
      write: async () => {
        const operators: Record<string, OperatorSubtaskState> = {};
        for (const { uid, name } of nodes) {
          const k = keyed.get(uid);
          const l = lists.get(uid);
          if (k === undefined && l === undefined) continue;
          try {
            operators[uid] = { ...(k ? { keyed: await k.write() } : {}), ...(l ? { lists: l } : {}) };
          } catch (e) {
            keyed.forEach((x) => x.release());
            // A value that cannot be serialised refuses the snapshot where it is stored (see SubtaskState.refused).
            if (e instanceof StateSerializationError) return { subtaskIndex, operators, refused: e.withOperator({ name, uid }) };
            throw e;
          }
        }
        return { subtaskIndex, operators };
      },
    };
  }

  /** Checkpoint `checkpointId` completed: every member hears it; returns their pending work. */
  notifyCheckpointComplete(checkpointId: number): Promise<unknown>[] {
    const work: Promise<unknown>[] = [];
    this.source?.notifyCheckpointComplete(checkpointId);
    for (const m of this.members) {
      let r: unknown;
      this.lifecycle(m, 'notify', () => (r = m.operator.notifyCheckpointComplete?.(checkpointId)));
      if (r instanceof Promise) work.push(r.catch((e: unknown) => Promise.reject(asUserFunctionError(e, m.location, 0, 'notify'))));
    }
    return work;
  }

  /**
   * End of bounded input for member `index` (members are told head to tail;
   * the task waits for each one's deferred work and mailbox actions before
   * telling the next).
   */
  endInput(index: number): void {
    const m = this.members[index];
    if (!m.node.twoInput) return this.lifecycle(m, 'end-input', () => (m.operator as OneInputStreamOperator<unknown, unknown>).endInput());
    for (const id of [1, 2] as const) if (!this.endedInputs.has(id)) this.endHeadInput(id);
  }

  /**
   * Logical input `inputId` of a two-input head ended while the other goes
   * on: the head hears endInput(inputId) now (once).
   */
  endHeadInput(inputId: InputId): void {
    const m = this.members[0];
    if (!m?.node.twoInput) throw new Error('endHeadInput: the chain has no two-input head');
    if (this.endedInputs.has(inputId)) return;
    this.endedInputs.add(inputId);
    this.lifecycle(m, 'end-input', () => (m.operator as TwoInputStreamOperator<unknown, unknown, unknown>).endInput(inputId));
  }

  close(): void {
    const r = this.source?.close();
    if (r !== undefined) this.services.defer(Promise.resolve(r));
    for (const m of this.members) this.lifecycle(m, 'close', () => m.operator.close());
  }

  metrics(): OperatorMetrics[] {
    const out: OperatorMetrics[] = [];
    if (this.source) {
      const n = this.vertex.nodes[0];
      out.push({ nodeId: n.id, uid: n.uid, name: n.name, recordsIn: 0, recordsOut: this.source.recordsOut });
    }
    for (const m of this.members) {
      out.push({ nodeId: m.node.id, uid: m.node.uid, name: m.node.name, recordsIn: m.operator.recordsIn, recordsOut: received(m.targets) });
    }
    return out;
  }

  private lifecycle(m: Member, phase: 'open' | 'end-input' | 'close' | 'snapshot' | 'restore' | 'notify', fn: () => void): void {
    try {
      fn();
    } catch (e) {
      throw asUserFunctionError(e, m.location, 0, phase);
    }
  }
}

function inputOf(targets: readonly Input<unknown>[], none: Input<unknown>, copy: boolean): Input<unknown> {
  return targets.length === 0 ? none : targets.length === 1 ? targets[0] : new FanOut(targets, copy);
}

/** Records a member emitted: every target receives each one, so the first target's count. */
function received(targets: readonly CountingInput<unknown>[]): number {
  return targets.length > 0 ? targets[0].recordsIn : 0;
}
