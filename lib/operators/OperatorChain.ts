/**
 * The operators of one subtask, fused into calls (Flink's OperatorChain).
 *
 * Each chain member is wrapped so that it counts its records in and out and
 * turns a throw from user code into one UserFunctionError naming the
 * operator, the subtask and the record's position — the innermost operator
 * that failed, not the head of the chain. A member's output goes to its
 * chained successors and to the record writers of its network edges.
 */
import { asUserFunctionError, type OperatorLocation } from '../errors';
import type { JobVertex } from '../graph/JobGraph';
import type { StreamNode } from '../graph/StreamGraph';
import { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import { KeyGroupRange } from '../state/KeyGroup';
import type { Clock } from '../time/Clock';
import { BROADCAST, type ChannelSelector } from './partitioners';
import { SourceOperator } from './SourceOperator';
import type { OneInputStreamOperator, OperatorContext, Output } from './StreamOperator';
import { createRuntimeContext } from './StreamingRuntimeContext';
import type { OutputChannel } from '../transport/OutputChannel';

export interface OperatorMetrics {
  readonly nodeId: number;
  readonly uid: string;
  readonly name: string;
  readonly recordsIn: number;
  readonly recordsOut: number;
}

/** A chain member: the Output its predecessor writes into. */
export class ChainedOperator implements Output<unknown> {
  recordsIn = 0;
  recordsOut = 0;
  constructor(
    readonly node: StreamNode,
    readonly operator: OneInputStreamOperator<unknown, unknown>,
    readonly location: OperatorLocation,
    readonly keyedStateBackend: HeapKeyedStateBackend | undefined,
  ) {}

  collect(value: unknown, timestamp: number | undefined): void {
    this.recordsIn++;
    try {
      this.operator.processElement(value, timestamp);
    } catch (e) {
      throw asUserFunctionError(e, this.location, this.recordsIn, 'process', value);
    }
  }
}

/** Counts a member's output and passes it on. */
class CountingOutput implements Output<unknown> {
  constructor(private readonly owner: { recordsOut: number }, private readonly target: Output<unknown>) {}
  collect(value: unknown, timestamp: number | undefined): void {
    this.owner.recordsOut++;
    this.target.collect(value, timestamp);
  }
}

class FanOutOutput implements Output<unknown> {
  constructor(private readonly targets: readonly Output<unknown>[]) {}
  collect(value: unknown, timestamp: number | undefined): void {
    for (const t of this.targets) t.collect(value, timestamp);
  }
}

const NO_OUTPUT: Output<unknown> = {
  collect() {
    throw new Error('a sink has no output');
  },
};

/** Routes a member's records into the channels of one network edge. */
export class RecordWriterOutput implements Output<unknown> {
  constructor(
    readonly edgeId: number,
    private readonly channels: readonly OutputChannel[],
    private readonly selector: ChannelSelector,
    private readonly location: OperatorLocation,
  ) {}

  collect(value: unknown, timestamp: number | undefined): void {
    let c: number;
    try {
      c = this.selector(value);
    } catch (e) {
      throw asUserFunctionError(e, this.location, 0, 'partition', value);
    }
    if (c === BROADCAST) for (const ch of this.channels) ch.add(value, timestamp);
    else this.channels[c].add(value, timestamp);
  }
}

export interface ChainServices {
  readonly clock: Clock;
  defer(work: Promise<unknown>): void;
  sendOperatorEvent(operatorUid: string, event: unknown): void;
}

export class OperatorChain {
  /** Present when the chain starts with a source. */
  readonly source: SourceOperator<unknown> | undefined;
  /** Where a non-source chain takes its input. */
  readonly head: Output<unknown>;
  /** Chain members other than the source, in topological order. */
  readonly operators: ChainedOperator[] = [];

  constructor(
    readonly vertex: JobVertex,
    readonly subtaskIndex: number,
    writersByNode: ReadonlyMap<number, readonly RecordWriterOutput[]>,
    private readonly services: ChainServices,
  ) {
    const members = new Map<number, ChainedOperator>();
    const inChain = new Set(vertex.nodes.map((n) => n.id));
    const outputOf = (node: StreamNode, owner: { recordsOut: number }): Output<unknown> => {
      const targets: Output<unknown>[] = [
        ...node.outEdges.filter((e) => inChain.has(e.targetId)).map((e) => members.get(e.targetId)!),
        ...(writersByNode.get(node.id) ?? []),
      ];
      if (targets.length === 0) return NO_OUTPUT;
      return new CountingOutput(owner, targets.length === 1 ? targets[0] : new FanOutOutput(targets));
    };
    // Build tail first so every member's successors exist when it is wired.
    let source: SourceOperator<unknown> | undefined;
    const outputs = new Map<ChainedOperator, Output<unknown>>();
    for (const node of [...vertex.nodes].reverse()) {
      const location = this.locationOf(node);
      if (node.kind === 'source') {
        source = new SourceOperator(node.source!, location);
        this.sourceOutput = outputOf(node, source);
        continue;
      }
      const backend =
        node.stateKeySelector === undefined
          ? undefined
          : new HeapKeyedStateBackend(
              node.maxParallelism,
              KeyGroupRange.forOperator(node.maxParallelism, node.parallelism, subtaskIndex),
            );
      const member = new ChainedOperator(node, node.operatorFactory!(), location, backend);
      members.set(node.id, member);
      outputs.set(member, outputOf(node, member));
      this.operators.unshift(member);
    }
    this.source = source;
    this.head = this.operators[0] ?? NO_OUTPUT;
    this.memberOutputs = outputs;
  }

  private sourceOutput: Output<unknown> | undefined;
  private readonly memberOutputs: Map<ChainedOperator, Output<unknown>>;

  private locationOf(node: StreamNode): OperatorLocation {
    return { operator: node.name, uid: node.uid, subtaskIndex: this.subtaskIndex, parallelism: node.parallelism };
  }

  /** Opens members tail first, so each is ready before its predecessor can emit. */
  open(sourceSplits: readonly unknown[], batchSizeHint: number): void {
    for (const m of [...this.operators].reverse()) {
      const ctx: OperatorContext = {
        location: m.location,
        maxParallelism: m.node.maxParallelism,
        clock: this.services.clock,
        keyedStateBackend: m.keyedStateBackend,
        runtimeContext: createRuntimeContext(m.location, m.node.maxParallelism, m.keyedStateBackend),
        defer: (w) => this.services.defer(w),
        sendOperatorEvent: (e) => this.services.sendOperatorEvent(m.location.uid, e),
      };
      try {
        m.operator.open(ctx, this.memberOutputs.get(m)!);
      } catch (e) {
        throw asUserFunctionError(e, m.location, 0, 'open');
      }
    }
    this.source?.open(this.sourceOutput!, sourceSplits as never, this.services.clock, batchSizeHint);
  }

  /** End of bounded input, propagated head to tail. */
  endInput(): void {
    for (const m of this.operators) {
      try {
        m.operator.endInput();
      } catch (e) {
        throw asUserFunctionError(e, m.location, 0, 'end-input');
      }
    }
  }

  close(): void {
    const r = this.source?.close();
    if (r !== undefined) this.services.defer(Promise.resolve(r));
    for (const m of this.operators) {
      try {
        m.operator.close();
      } catch (e) {
        throw asUserFunctionError(e, m.location, 0, 'close');
      }
    }
  }

  metrics(): OperatorMetrics[] {
    const out: OperatorMetrics[] = [];
    if (this.source) {
      const n = this.vertex.nodes[0];
      out.push({ nodeId: n.id, uid: n.uid, name: n.name, recordsIn: 0, recordsOut: this.source.recordsOut });
    }
    for (const m of this.operators) {
      out.push({ nodeId: m.node.id, uid: m.node.uid, name: m.node.name, recordsIn: m.recordsIn, recordsOut: m.recordsOut });
    }
    return out;
  }
}
