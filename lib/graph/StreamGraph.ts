/**
 * The logical graph (Flink's StreamGraph): one node per source, operator and
 * sink, edges carrying their partitioner, for a side output its tag, and
 * into a two-input operator the logical input they feed (1 or 2).
 * Generated from the transformations a program recorded; partition, union
 * and side-output transformations dissolve into edges. `validateStreamGraph` rejects graphs that cannot run, with a
 * GraphValidationError naming the operator.
 *
 * Default partitioning follows Flink: forward between operators of equal
 * parallelism, rebalance otherwise; an explicit forward() across a change of
 * parallelism is an error.
 */
import { GraphValidationError } from '../errors';
import type { Source } from '../connectors/Source';
import type { Sink } from '../connectors/Sink';
import type { PartitionerSpec } from '../operators/partitioners';
import type { InputId, OperatorFactory, TwoInputOperatorFactory } from '../operators/StreamOperator';
import { UPPER_BOUND_MAX_PARALLELISM } from '../state/KeyGroup';
import type { KeySelector } from '../api/functions';
import type { ChainingStrategy, SourceWatermarks, Transformation } from '../api/Transformation';

export interface StreamNode {
  readonly id: number;
  readonly name: string;
  readonly uid: string;
  readonly kind: 'source' | 'operator' | 'sink';
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly chaining: ChainingStrategy;
  readonly source?: Source<any, any>;
  /** The source's WatermarkStrategy (timestamps and watermarks made in the source subtask). */
  readonly watermarks?: SourceWatermarks;
  readonly sink?: Sink<any>;
  /** One-input operators and sinks. */
  readonly operatorFactory?: OperatorFactory;
  /** A two-input operator's factory (then `twoInput` is set and `operatorFactory` is not). */
  readonly twoInputOperatorFactory?: TwoInputOperatorFactory;
  /** Set on keyed operators: the key their state is scoped to (a two-input operator's input 1). */
  readonly stateKeySelector?: KeySelector<any>;
  /**
   * A keyed two-input operator's key selector for input 2 (the same key
   * space as `stateKeySelector`); absent when input 2 is broadcast (keyed
   * broadcast state pattern: only input 1 is keyed).
   */
  readonly stateKeySelector2?: KeySelector<any>;
  /** A two-input operator: each in-edge says which input it feeds (`typeNumber`). */
  readonly twoInput?: boolean;
  /** Operators emit the objects they keep instead of copies (EnvironmentOptions.objectReuse). */
  readonly objectReuse?: boolean;
  readonly inEdges: StreamEdge[];
  readonly outEdges: StreamEdge[];
}

export interface StreamEdge {
  readonly sourceId: number;
  readonly targetId: number;
  readonly partitioner: PartitionerSpec;
  /** True when the program asked for this partitioning (forward() included). */
  readonly explicit: boolean;
  /** The id of the side output this edge carries; absent for the main output. */
  readonly outputTag?: string;
  /** Into a two-input operator: the logical input this edge feeds (Flink's typeNumber); absent otherwise. */
  readonly typeNumber?: InputId;
}

export interface StreamGraph {
  readonly jobName: string;
  /** Nodes in topological order (sources first). */
  readonly nodes: readonly StreamNode[];
}

export interface StreamGraphDefaults {
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly objectReuse?: boolean;
}

export function generateStreamGraph(
  jobName: string,
  sinks: readonly Transformation[],
  defaults: StreamGraphDefaults,
): StreamGraph {
  if (sinks.length === 0) {
    throw new GraphValidationError('NO_SINKS', 'no sinks defined: add sinkTo(), print() or executeAndCollect() to the job');
  }
  const nodes = new Map<number, StreamNode>();
  const visiting = new Set<number>();

  type Upstream = { nodeId: number; partitioner: PartitionerSpec | undefined; outputTag: string | undefined; typeNumber?: InputId };

  const resolve = (t: Transformation): Upstream[] => {
    if (visiting.has(t.id)) throw new GraphValidationError('CYCLE', 'the job graph has a cycle', label(t));
    switch (t.kind) {
      case 'partition': {
        visiting.add(t.id);
        const ups = resolve(t.input).map((u) => ({ ...u, partitioner: t.partitioner }));
        visiting.delete(t.id);
        return ups;
      }
      case 'side-output': {
        visiting.add(t.id);
        const ups = resolve(t.input).map((u) => {
          if (u.outputTag !== undefined || u.partitioner !== undefined) {
            throw new GraphValidationError('INVALID_ARGUMENT', `getSideOutput(${t.tag.id}) needs an operator or source, not a partitioned or side-output stream`, label(t));
          }
          return { ...u, outputTag: t.tag.id };
        });
        visiting.delete(t.id);
        return ups;
      }
      case 'union': {
        visiting.add(t.id);
        const ups = t.inputs.flatMap(resolve);
        visiting.delete(t.id);
        return ups;
      }
      default:
        return [{ nodeId: transform(t).id, partitioner: undefined, outputTag: undefined }];
    }
  };

  const transform = (t: Exclude<Transformation, { kind: 'partition' | 'union' | 'side-output' }>): StreamNode => {
    const existing = nodes.get(t.id);
    if (existing) return existing;
    visiting.add(t.id);
    const inputs =
      t.kind === 'source'
        ? []
        : t.kind === 'two-input'
          ? [...resolve(t.input1).map((u) => ({ ...u, typeNumber: 1 as const })), ...resolve(t.input2).map((u) => ({ ...u, typeNumber: 2 as const }))]
          : resolve(t.input);
    visiting.delete(t.id);
    const parallelism = t.parallelism ?? (t.kind === 'source' && t.source.maxParallelism === 1 ? 1 : defaults.parallelism);
    const node: StreamNode = {
      id: t.id,
      name: t.name,
      uid: t.uid ?? `${t.name.replace(/\s+/g, '_')}_${t.id}`,
      kind: t.kind === 'one-input' || t.kind === 'two-input' ? 'operator' : t.kind,
      parallelism,
      maxParallelism: t.maxParallelism ?? defaults.maxParallelism,
      chaining: t.chaining,
      source: t.kind === 'source' ? t.source : undefined,
      watermarks: t.kind === 'source' ? t.watermarks : undefined,
      sink: t.kind === 'sink' ? t.sink : undefined,
      operatorFactory: t.kind === 'source' || t.kind === 'two-input' ? undefined : t.operatorFactory,
      stateKeySelector: t.kind === 'one-input' ? t.stateKeySelector : t.kind === 'two-input' ? t.stateKeySelector1 : undefined,
      ...(t.kind === 'two-input' ? { twoInput: true, twoInputOperatorFactory: t.operatorFactory, stateKeySelector2: t.stateKeySelector2 } : {}),
      objectReuse: defaults.objectReuse ?? false,
      inEdges: [],
      outEdges: [],
    };
    for (const u of inputs) {
      const upstream = nodes.get(u.nodeId)!;
      const partitioner: PartitionerSpec =
        u.partitioner ?? (upstream.parallelism === parallelism ? { kind: 'forward' } : { kind: 'rebalance' });
      const edge: StreamEdge = {
        sourceId: u.nodeId,
        targetId: node.id,
        partitioner,
        explicit: u.partitioner !== undefined,
        ...(u.outputTag === undefined ? {} : { outputTag: u.outputTag }),
        ...(u.typeNumber === undefined ? {} : { typeNumber: u.typeNumber }),
      };
      upstream.outEdges.push(edge);
      node.inEdges.push(edge);
    }
    nodes.set(t.id, node);
    return node;
  };

  for (const s of sinks) {
    if (s.kind !== 'sink') throw new GraphValidationError('INVALID_ARGUMENT', `transformation ${label(s)} is not a sink`);
    transform(s);
  }
  const graph: StreamGraph = { jobName, nodes: topologicalOrder([...nodes.values()]) };
  validateStreamGraph(graph);
  return graph;
}

/** Kahn's algorithm; throws CYCLE when some nodes never become ready. */
export function topologicalOrder(nodes: readonly StreamNode[]): StreamNode[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const indegree = new Map(nodes.map((n) => [n.id, n.inEdges.length]));
  const ready = nodes.filter((n) => n.inEdges.length === 0).sort((a, b) => a.id - b.id);
  const out: StreamNode[] = [];
  while (ready.length > 0) {
    const n = ready.shift()!;
    out.push(n);
    for (const e of n.outEdges) {
      const d = indegree.get(e.targetId)! - 1;
      indegree.set(e.targetId, d);
      if (d === 0) ready.push(byId.get(e.targetId)!);
    }
  }
  if (out.length !== nodes.length) {
    const stuck = nodes.find((n) => !out.includes(n))!;
    throw new GraphValidationError('CYCLE', 'the job graph has a cycle', stuck.name);
  }
  return out;
}

export function validateStreamGraph(graph: StreamGraph): void {
  const uids = new Map<string, StreamNode>();
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  for (const n of graph.nodes) {
    for (const e of [...n.inEdges, ...n.outEdges]) {
      const missing = [e.sourceId, e.targetId].find((id) => !byId.has(id));
      if (missing !== undefined) throw new GraphValidationError('UNKNOWN_NODE', `edge to or from unknown node ${missing}`, n.name);
    }
  }
  topologicalOrder(graph.nodes);
  if (!graph.nodes.some((n) => n.kind === 'sink')) {
    throw new GraphValidationError('NO_SINKS', 'no sinks defined: add sinkTo(), print() or executeAndCollect() to the job');
  }
  for (const n of graph.nodes) {
    const other = uids.get(n.uid);
    if (other) {
      throw new GraphValidationError(
        'UID_COLLISION',
        `uid '${n.uid}' is used by both '${other.name}' and '${n.name}'; uids must be unique within a job`,
        n.name,
      );
    }
    uids.set(n.uid, n);
    if (!Number.isInteger(n.parallelism) || n.parallelism < 1) {
      throw new GraphValidationError('INVALID_PARALLELISM', `parallelism must be a positive integer, got ${n.parallelism}`, n.name);
    }
    if (!Number.isInteger(n.maxParallelism) || n.maxParallelism < 1 || n.maxParallelism > UPPER_BOUND_MAX_PARALLELISM) {
      throw new GraphValidationError(
        'INVALID_PARALLELISM',
        `maxParallelism must be an integer in 1..${UPPER_BOUND_MAX_PARALLELISM}, got ${n.maxParallelism}`,
        n.name,
      );
    }
    if (n.parallelism > n.maxParallelism) {
      throw new GraphValidationError(
        'PARALLELISM_ABOVE_MAX',
        `parallelism ${n.parallelism} is greater than maxParallelism ${n.maxParallelism}`,
        n.name,
      );
    }
    if (n.kind === 'source') {
      const limit = n.source?.maxParallelism;
      if (limit !== undefined && n.parallelism > limit) {
        throw new GraphValidationError(
          'NON_PARALLEL_SOURCE',
          `this source supports parallelism up to ${limit}, got ${n.parallelism}`,
          n.name,
        );
      }
      if (n.inEdges.length > 0) throw new GraphValidationError('INVALID_ARGUMENT', 'a source cannot have inputs', n.name);
    } else if (n.inEdges.length === 0) {
      throw new GraphValidationError('INVALID_ARGUMENT', 'an operator or sink needs at least one input', n.name);
    }
    if (n.twoInput) validateTwoInput(n);
    else if (n.inEdges.some((e) => e.typeNumber !== undefined)) {
      throw new GraphValidationError('INVALID_ARGUMENT', 'only a two-input operator has edges tagged with an input number', n.name);
    }
    for (const e of n.inEdges) {
      const up = byId.get(e.sourceId)!;
      if (e.partitioner.kind === 'forward' && up.parallelism !== n.parallelism) {
        throw new GraphValidationError(
          'FORWARD_PARALLELISM_MISMATCH',
          `forward partitioning from '${up.name}' (parallelism ${up.parallelism}) to '${n.name}' ` +
            `(parallelism ${n.parallelism}) would change parallelism; use rebalance() or keyBy()`,
          n.name,
        );
      }
      if (n.stateKeySelector !== undefined && e.partitioner.kind !== 'hash' && !isBroadcastInput(n, e)) {
        throw new GraphValidationError('MISSING_KEY_SELECTOR', 'a keyed operator must be fed by keyBy()', n.name);
      }
    }
  }
}

/** Both logical inputs are fed, every in-edge says which; keyed means keyed on both inputs. */
function validateTwoInput(n: StreamNode): void {
  for (const id of [1, 2] as const) {
    if (!n.inEdges.some((e) => e.typeNumber === id)) {
      throw new GraphValidationError('INVALID_ARGUMENT', `a two-input operator needs input ${id}`, n.name);
    }
  }
  const bad = n.inEdges.find((e) => e.typeNumber !== 1 && e.typeNumber !== 2);
  if (bad) throw new GraphValidationError('INVALID_ARGUMENT', `an edge into a two-input operator must say which input (1 or 2) it feeds, got ${String(bad.typeNumber)}`, n.name);
  const input2 = n.inEdges.filter((e) => e.typeNumber === 2);
  const keyedWithBroadcast = n.stateKeySelector !== undefined && n.stateKeySelector2 === undefined && input2.every((e) => isBroadcastInput(n, e));
  if ((n.stateKeySelector === undefined) !== (n.stateKeySelector2 === undefined) && !keyedWithBroadcast) {
    throw new GraphValidationError('MISSING_KEY_SELECTOR', 'a keyed two-input operator needs a key selector for each input', n.name);
  }
}

/**
 * Input 2 of a two-input operator keyed on input 1 only, fed by broadcast
 * partitioning: the broadcast state pattern (a keyed stream connected with
 * a BroadcastStream), whose broadcast side has no key.
 */
function isBroadcastInput(n: StreamNode, e: StreamEdge): boolean {
  return n.twoInput === true && e.typeNumber === 2 && n.stateKeySelector2 === undefined && e.partitioner.kind === 'broadcast';
}

function label(t: Transformation): string {
  return t.uid ?? t.name;
}
