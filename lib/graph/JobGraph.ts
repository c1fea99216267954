/**
 * The job graph (Flink's JobGraph): stream nodes fused into operator chains.
 * A node joins its input's chain when it has exactly one input, the edge is
 * forward, the parallelism is equal and neither side disabled chaining —
 * Flink's rule. Inside a chain records move by function call; between
 * vertices they move in frames over channels.
 *
 * A two-input operator always heads its chain (it has two inputs, which no
 * chain can fuse): it may chain to what follows it, never to its inputs.
 * The job edges into it keep the logical input they feed (`typeNumber`).
 *
 * A chain may fan out (one operator feeding several chained ones) and any
 * member may also feed other vertices over the network. Side-output edges
 * chain by the same rule and keep their tag, in the chain and on job edges.
 */
import type { PartitionerSpec } from '../operators/partitioners';
import type { InputId } from '../operators/StreamOperator';
import type { StreamEdge, StreamGraph, StreamNode } from './StreamGraph';

export interface JobVertex {
  /** The id of the chain's head node. */
  readonly id: number;
  /** Chain members' names joined by " -> ", as Flink shows them. */
  readonly name: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** Members in topological order; the head first. */
  readonly nodes: readonly StreamNode[];
  readonly inputs: JobEdge[];
  readonly outputs: JobEdge[];
}

export interface JobEdge {
  /** Index in JobGraph.edges. */
  readonly id: number;
  readonly sourceVertexId: number;
  /** The chain member that produces into this edge. */
  readonly sourceNodeId: number;
  readonly targetVertexId: number;
  readonly partitioner: PartitionerSpec;
  /** The side output this edge carries; absent for the main output. */
  readonly outputTag?: string;
  /** Into a two-input head: the logical input (1 or 2) this edge feeds; absent otherwise. */
  readonly typeNumber?: InputId;
}

export interface JobGraph {
  readonly jobName: string;
  /** Vertices in topological order. */
  readonly vertices: readonly JobVertex[];
  readonly edges: readonly JobEdge[];
}

export function isChainable(edge: StreamEdge, up: StreamNode, down: StreamNode): boolean {
  return (
    down.inEdges.length === 1 &&
    !down.twoInput &&
    edge.partitioner.kind === 'forward' &&
    up.parallelism === down.parallelism &&
    up.chaining !== 'never' &&
    down.chaining === 'always'
  );
}

export function createJobGraph(graph: StreamGraph): JobGraph {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const headOf = new Map<number, number>(); // node id → head node id
  const members = new Map<number, StreamNode[]>();
  for (const n of graph.nodes) {
    const e = n.inEdges[0];
    const chainedTo = n.inEdges.length === 1 && isChainable(e, byId.get(e.sourceId)!, n) ? headOf.get(e.sourceId)! : undefined;
    const head = chainedTo ?? n.id;
    headOf.set(n.id, head);
    if (!members.has(head)) members.set(head, []);
    members.get(head)!.push(n);
  }
  const vertices = new Map<number, JobVertex>();
  for (const [head, nodes] of members) {
    const h = nodes[0];
    vertices.set(head, {
      id: head,
      name: nodes.map((n) => n.name).join(' -> '),
      parallelism: h.parallelism,
      maxParallelism: h.maxParallelism,
      nodes,
      inputs: [],
      outputs: [],
    });
  }
  const edges: JobEdge[] = [];
  for (const n of graph.nodes) {
    for (const e of n.outEdges) {
      const from = headOf.get(e.sourceId)!;
      const to = headOf.get(e.targetId)!;
      if (from === to) continue; // chained
      const edge: JobEdge = {
        id: edges.length,
        sourceVertexId: from,
        sourceNodeId: e.sourceId,
        targetVertexId: to,
        partitioner: e.partitioner,
        ...(e.outputTag === undefined ? {} : { outputTag: e.outputTag }),
        ...(e.typeNumber === undefined ? {} : { typeNumber: e.typeNumber }),
      };
      edges.push(edge);
      vertices.get(from)!.outputs.push(edge);
      vertices.get(to)!.inputs.push(edge);
    }
  }
  return { jobName: graph.jobName, vertices: graph.nodes.filter((n) => headOf.get(n.id) === n.id).map((n) => vertices.get(n.id)!), edges };
}

/** The chained (intra-vertex) out-edges of a node, main and side outputs. */
export function chainedEdges(vertex: JobVertex, node: StreamNode): StreamEdge[] {
  const inChain = new Set(vertex.nodes.map((n) => n.id));
  return node.outEdges.filter((e) => inChain.has(e.targetId));
}

/** The chained (intra-vertex) successors of a node. */
export function chainedSuccessors(vertex: JobVertex, node: StreamNode): StreamNode[] {
  return chainedEdges(vertex, node).map((e) => vertex.nodes.find((n) => n.id === e.targetId)!);
}
