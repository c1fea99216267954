/**
 * The execution graph (Flink's ExecutionGraph): every vertex expanded into
 * its parallel subtasks, every job edge into channels. All-to-all edges
 * connect each producer subtask to each consumer subtask; forward edges
 * connect subtask i to subtask i.
 *
 * Channels are numbered on both ends: a consumer's input channels 0..n-1 (in
 * the order producers are enumerated: vertex, subtask, edge), and a
 * producer's output channels 0..m-1 over all its output edges. A frame names the consumer's channel; a credit
 * names the producer's.
 */
import { isAllToAll, type PartitionerSpec } from '../operators/partitioners';
import type { JobGraph, JobVertex } from './JobGraph';

export interface SubtaskId {
  readonly vertexId: number;
  readonly index: number;
}

export interface InputChannelInfo {
  readonly edgeId: number;
  readonly producer: SubtaskId;
  /** The producer-side number of this channel (credits are returned to it). */
  readonly producerChannel: number;
}

export interface OutputChannelInfo {
  readonly consumer: SubtaskId;
  /** The consumer-side number of this channel (frames are addressed to it). */
  readonly consumerChannel: number;
}

export interface OutputPartitionInfo {
  readonly edgeId: number;
  /** The chain member producing into this partition. */
  readonly sourceNodeId: number;
  readonly partitioner: PartitionerSpec;
  /** The side output this partition carries; absent for the main output. */
  readonly outputTag?: string;
  /** Max parallelism of the consumer (for key-group routing). */
  readonly consumerMaxParallelism: number;
  /** Producer channel number of channels[0]; the rest follow. */
  readonly firstChannel: number;
  readonly channels: readonly OutputChannelInfo[];
}

export interface ExecutionVertex {
  readonly vertex: JobVertex;
  readonly id: SubtaskId;
  readonly inputs: InputChannelInfo[];
  readonly outputs: OutputPartitionInfo[];
}

export interface ExecutionGraph {
  readonly jobGraph: JobGraph;
  readonly subtasks: readonly ExecutionVertex[];
}

export function createExecutionGraph(jobGraph: JobGraph): ExecutionGraph {
  const vertices = new Map(jobGraph.vertices.map((v) => [v.id, v]));
  const byKey = new Map<string, ExecutionVertex>();
  const key = (id: SubtaskId) => `${id.vertexId}#${id.index}`;
  const subtasks: ExecutionVertex[] = [];
  for (const vertex of jobGraph.vertices) {
    for (let index = 0; index < vertex.parallelism; index++) {
      const ev: ExecutionVertex = { vertex, id: { vertexId: vertex.id, index }, inputs: [], outputs: [] };
      byKey.set(key(ev.id), ev);
      subtasks.push(ev);
    }
  }
  // Producer side first, in output-edge order, so producer channel numbers are stable.
  for (const producerVertex of jobGraph.vertices) {
    for (let p = 0; p < producerVertex.parallelism; p++) {
      const producer = byKey.get(key({ vertexId: producerVertex.id, index: p }))!;
      let nextChannel = 0;
      for (const edge of producerVertex.outputs) {
        const consumerVertex = vertices.get(edge.targetVertexId)!;
        const targets = isAllToAll(edge.partitioner) ? range(consumerVertex.parallelism) : [p];
        const channels: OutputChannelInfo[] = [];
        const firstChannel = nextChannel;
        for (const c of targets) {
          const consumer = byKey.get(key({ vertexId: consumerVertex.id, index: c }))!;
          const consumerChannel = consumer.inputs.length;
          consumer.inputs.push({ edgeId: edge.id, producer: producer.id, producerChannel: nextChannel++ });
          channels.push({ consumer: consumer.id, consumerChannel });
        }
        producer.outputs.push({
          edgeId: edge.id,
          sourceNodeId: edge.sourceNodeId,
          partitioner: edge.partitioner,
          ...(edge.outputTag === undefined ? {} : { outputTag: edge.outputTag }),
          consumerMaxParallelism: consumerVertex.maxParallelism,
          firstChannel,
          channels,
        });
      }
    }
  }
  return { jobGraph, subtasks };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
