/**
 * ExecutionGraph expansion: subtasks per vertex, channel counts (p×q for
 * all-to-all edges, p for forward edges), channel numbering consistent on both
 * ends (every producer output channel is the consumer input channel that points
 * back to it with the same producerChannel, and vice versa), and firstChannel
 * offsets when a producer has several output edges; the channel transport's
 * addresses agree on both ends and name each channel once.
 */
import fc from 'fast-check';
import { StreamExecutionEnvironment } from '../api/StreamExecutionEnvironment';
import { inputChannelAddresses, outputChannelAddresses } from '../transport/ChannelTransport';
import { createExecutionGraph, type ExecutionGraph, type ExecutionVertex, type SubtaskId } from './ExecutionGraph';

const noop = () => {};

function find(eg: ExecutionGraph, id: SubtaskId): ExecutionVertex {
  const found = eg.subtasks.filter((s) => s.id.vertexId === id.vertexId && s.id.index === id.index);
  expect(found).toHaveLength(1);
  return found[0];
}

function subtasksOf(eg: ExecutionGraph, vertexId: number): ExecutionVertex[] {
  return eg.subtasks.filter((s) => s.id.vertexId === vertexId);
}

/** The two ends of every channel agree, and numbering is dense on both sides. */
function expectConsistentChannels(eg: ExecutionGraph): void {
  let channelsFromProducers = 0;
  for (const st of eg.subtasks) {
    // producer side: partitions are contiguous ranges 0..m-1 in output-edge order
    let expectedFirst = 0;
    expect(st.outputs.map((o) => o.edgeId)).toEqual(st.vertex.outputs.map((e) => e.id));
    for (const part of st.outputs) {
      expect(part.firstChannel).toBe(expectedFirst);
      expectedFirst += part.channels.length;
      const edge = eg.jobGraph.edges[part.edgeId];
      expect(part.sourceNodeId).toBe(edge.sourceNodeId);
      expect(part.partitioner).toBe(edge.partitioner);
      part.channels.forEach((ch, k) => {
        channelsFromProducers++;
        expect(ch.consumer.vertexId).toBe(edge.targetVertexId);
        const consumer = find(eg, ch.consumer);
        expect(part.consumerMaxParallelism).toBe(consumer.vertex.maxParallelism);
        const input = consumer.inputs[ch.consumerChannel];
        expect(input).toBeDefined();
        expect(input.edgeId).toBe(part.edgeId);
        expect(input.producer).toEqual(st.id);
        expect(input.producerChannel).toBe(part.firstChannel + k);
      });
    }
    // consumer side: every input channel points at a producer output channel that points back
    st.inputs.forEach((input, c) => {
      const producer = find(eg, input.producer);
      const part = producer.outputs.find(
        (o) => input.producerChannel >= o.firstChannel && input.producerChannel < o.firstChannel + o.channels.length,
      );
      expect(part).toBeDefined();
      expect(part!.edgeId).toBe(input.edgeId);
      const out = part!.channels[input.producerChannel - part!.firstChannel];
      expect(out.consumer).toEqual(st.id);
      expect(out.consumerChannel).toBe(c);
    });
  }
  const inputChannels = eg.subtasks.reduce((n, s) => n + s.inputs.length, 0);
  expect(inputChannels).toBe(channelsFromProducers);
  // The transport's addresses: both ends derive the same address for a channel, and names are unique.
  const names = new Set<string>();
  for (const st of eg.subtasks) {
    outputChannelAddresses(st).forEach((a, k) => {
      expect(a.producerChannel).toBe(k);
      expect(inputChannelAddresses(find(eg, a.consumer))[a.consumerChannel]).toEqual(a);
      names.add(JSON.stringify(a.name));
    });
  }
  expect(names.size).toBe(channelsFromProducers);
}

describe('ExecutionGraph', () => {
  test('one subtask per parallel instance, named "name (i/p)"', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    env.fromGenerator(10, (i) => i).keyBy((x) => x).reduce((a, b) => a + b).setParallelism(2).sinkTo(noop).setParallelism(2);
    const jg = env.getJobGraph();
    const eg = createExecutionGraph(jg);
    expect(eg.jobGraph).toBe(jg);
    expect(eg.subtasks.map((s) => [s.id.vertexId, s.id.index])).toEqual([
      [jg.vertices[0].id, 0],
      [jg.vertices[0].id, 1],
      [jg.vertices[0].id, 2],
      [jg.vertices[1].id, 0],
      [jg.vertices[1].id, 1],
    ]);
    expect(eg.subtasks.every((s) => s.vertex === jg.vertices.find((v) => v.id === s.id.vertexId))).toBe(true);
  });

  test('all-to-all edge (hash) p=3 → q=2 has 6 channels', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    env.fromGenerator(10, (i) => i).keyBy((x) => x).reduce((a, b) => a + b).setParallelism(2).sinkTo(noop).setParallelism(2);
    const jg = env.getJobGraph();
    const eg = createExecutionGraph(jg);
    const producers = subtasksOf(eg, jg.vertices[0].id);
    const consumers = subtasksOf(eg, jg.vertices[1].id);
    for (const p of producers) {
      expect(p.outputs).toHaveLength(1);
      expect(p.outputs[0].channels.map((c) => c.consumer.index)).toEqual([0, 1]);
      expect(p.inputs).toEqual([]);
    }
    for (const c of consumers) {
      expect(c.inputs).toHaveLength(3);
      expect(c.inputs.map((i) => i.producer.index)).toEqual([0, 1, 2]);
      expect(c.outputs).toEqual([]);
    }
    expect(producers.reduce((n, p) => n + p.outputs[0].channels.length, 0)).toBe(6);
    expectConsistentChannels(eg);
  });

  test.each(['rebalance', 'shuffle', 'broadcast'] as const)('%s edge p=2 → q=4 has 8 channels', (kind) => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env.fromGenerator(10, (i) => i)[kind]().map((x) => x).setParallelism(4).sinkTo(noop).setParallelism(4);
    const jg = env.getJobGraph();
    expect(jg.vertices).toHaveLength(2);
    const eg = createExecutionGraph(jg);
    const channels = eg.subtasks.flatMap((s) => s.outputs.flatMap((o) => o.channels));
    expect(channels).toHaveLength(8);
    for (const c of subtasksOf(eg, jg.vertices[1].id)) expect(c.inputs).toHaveLength(2);
    expectConsistentChannels(eg);
  });

  test('forward edge at parallelism p has p channels, subtask i → subtask i', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 4 });
    env.fromGenerator(10, (i) => i).map((x) => x).disableChaining().sinkTo(noop);
    const jg = env.getJobGraph();
    expect(jg.vertices).toHaveLength(3);
    expect(jg.edges.map((e) => e.partitioner.kind)).toEqual(['forward', 'forward']);
    const eg = createExecutionGraph(jg);
    for (const st of eg.subtasks) {
      for (const part of st.outputs) {
        expect(part.channels).toHaveLength(1);
        expect(part.channels[0].consumer.index).toBe(st.id.index);
        expect(part.channels[0].consumerChannel).toBe(0);
        expect(part.firstChannel).toBe(0);
      }
    }
    const channels = eg.subtasks.flatMap((s) => s.outputs.flatMap((o) => o.channels));
    expect(channels).toHaveLength(8); // two forward edges × 4
    expectConsistentChannels(eg);
  });

  test('firstChannel offsets across several output edges of one producer', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const src = env.fromGenerator(100, (i) => i).name('gen');
    src.keyBy((x) => x % 5).reduce((a, b) => a + b).setParallelism(3).sinkTo(noop, 'k'); // hash: 3 channels
    src.rebalance().sinkTo(noop, 'r').setParallelism(4); // rebalance: 4 channels
    src.map((x) => x).disableChaining().sinkTo(noop, 'f'); // forward: 1 channel
    src.broadcast().sinkTo(noop, 'b').setParallelism(1); // broadcast: 1 channel
    const jg = env.getJobGraph();
    const eg = createExecutionGraph(jg);
    const source = jg.vertices[0];
    expect(source.name).toBe('gen');
    for (const st of subtasksOf(eg, source.id)) {
      expect(st.outputs.map((o) => o.partitioner.kind)).toEqual(['hash', 'rebalance', 'forward', 'broadcast']);
      expect(st.outputs.map((o) => o.firstChannel)).toEqual([0, 3, 7, 8]);
      expect(st.outputs.map((o) => o.channels.length)).toEqual([3, 4, 1, 1]);
      expect(st.outputs[2].channels[0].consumer.index).toBe(st.id.index);
      expect(st.outputs[0].consumerMaxParallelism).toBe(128);
    }
    // the rebalance consumers have one input channel per producer, numbered in producer order
    const r = jg.vertices.find((v) => v.name === 'Sink: r')!;
    for (const c of subtasksOf(eg, r.id)) {
      expect(c.inputs.map((i) => [i.producer.index, i.producerChannel])).toEqual([
        [0, 3 + c.id.index],
        [1, 3 + c.id.index],
      ]);
    }
    expectConsistentChannels(eg);
  });

  test('consumer input channels follow edge order, then producer order (union of two sources)', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const a = env.fromGenerator(10, (i) => i, {}, 'a').setParallelism(3);
    const b = env.fromCollection([1], 'b');
    a.union(b).map((x) => x).setParallelism(2).sinkTo(noop);
    const jg = env.getJobGraph();
    const eg = createExecutionGraph(jg);
    const target = jg.vertices.find((v) => v.inputs.length === 2)!;
    const [ea, eb] = target.inputs;
    for (const c of subtasksOf(eg, target.id)) {
      expect(c.inputs.map((i) => [i.edgeId, i.producer.vertexId, i.producer.index])).toEqual([
        [ea.id, ea.sourceVertexId, 0],
        [ea.id, ea.sourceVertexId, 1],
        [ea.id, ea.sourceVertexId, 2],
        [eb.id, eb.sourceVertexId, 0],
      ]);
    }
    expectConsistentChannels(eg);
  });

  test('property: channel ends agree and counts match for random parallelisms and partitioners', () => {
    const kinds = ['forward', 'rebalance', 'shuffle', 'broadcast', 'hash'] as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(...kinds),
        fc.constantFrom(...kinds),
        fc.boolean(),
        (p1, p2, p3, k1, k2, fanOut) => {
          const env = StreamExecutionEnvironment.create({ parallelism: p1 });
          const src = env.fromGenerator(10, (i) => i);
          const part = (s: typeof src, k: (typeof kinds)[number]) =>
            k === 'hash' ? s.keyBy((x) => x).map((x) => x) : s[k]().map((x) => x);
          const q2 = k1 === 'forward' ? p1 : p2;
          const m = part(src, k1).setParallelism(q2);
          const q3 = k2 === 'forward' ? q2 : p3;
          part(m, k2).setParallelism(q3).sinkTo(noop);
          if (fanOut) m.rebalance().sinkTo(noop, 'side').setParallelism(p3);
          const jg = env.getJobGraph();
          const eg = createExecutionGraph(jg);
          expectConsistentChannels(eg);
          // expected channel count per job edge
          let expected = 0;
          for (const e of jg.edges) {
            const from = jg.vertices.find((v) => v.id === e.sourceVertexId)!;
            const to = jg.vertices.find((v) => v.id === e.targetVertexId)!;
            expected += e.partitioner.kind === 'forward' ? from.parallelism : from.parallelism * to.parallelism;
          }
          expect(eg.subtasks.reduce((n, s) => n + s.inputs.length, 0)).toBe(expected);
          expect(eg.subtasks).toHaveLength(jg.vertices.reduce((n, v) => n + v.parallelism, 0));
        },
      ),
    );
  });
});
