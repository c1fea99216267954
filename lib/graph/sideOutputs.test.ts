/**
 * Side outputs through graph generation: getSideOutput() dissolves into an
 * edge that carries its tag (StreamGraph), chains by the forward rule like
 * any edge and keeps its tag on job edges (JobGraph) and on the producer's
 * output partitions (ExecutionGraph); partitioning, union and a second
 * consumer of one tag all compose with it.
 */
import { OutputTag } from '../api/OutputTag';
import { StreamExecutionEnvironment } from '../api/StreamExecutionEnvironment';
import { GraphValidationError } from '../errors';
import { createExecutionGraph } from './ExecutionGraph';
import { chainedEdges } from './JobGraph';
import type { StreamGraph, StreamNode } from './StreamGraph';

const noop = () => {};
const odd = new OutputTag<number>('odd');

function node(g: StreamGraph, name: string): StreamNode {
  const found = g.nodes.filter((n) => n.name === name);
  expect(found).toHaveLength(1);
  return found[0];
}

function splitter(env: StreamExecutionEnvironment) {
  return env
    .fromGenerator(10, (i) => i)
    .process<number>({
      processElement(v, ctx, out) {
        if (v % 2 === 1) ctx.output(odd, v);
        else out.collect(v);
      },
    })
    .name('Split');
}

describe('side outputs in the StreamGraph', () => {
  test('getSideOutput becomes an edge from the operator carrying the tag; the main edge has none', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const split = splitter(env);
    split.sinkTo(noop, 'evens');
    split.getSideOutput(odd).sinkTo(noop, 'odds');
    const g = env.getStreamGraph();
    const s = node(g, 'Split');
    expect(s.outEdges.map((e) => [node(g, 'Sink: evens').id === e.targetId ? 'evens' : 'odds', e.outputTag, e.partitioner.kind])).toEqual([
      ['evens', undefined, 'forward'],
      ['odds', 'odd', 'forward'],
    ]);
    expect(g.nodes.some((n) => n.name.startsWith('Side Output'))).toBe(false);
  });

  test('a side output can be partitioned and unioned with the main output; the edges keep tag and partitioner', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const split = splitter(env);
    split.getSideOutput(odd).keyBy((v) => v).map((v) => v).name('KeyedMap').sinkTo(noop);
    split.union(split.getSideOutput(odd).rebalance()).map((v) => v).name('Both').sinkTo(noop);
    const g = env.getStreamGraph();
    const keyed = node(g, 'KeyedMap').inEdges;
    expect(keyed.map((e) => [e.outputTag, e.partitioner.kind, e.explicit])).toEqual([['odd', 'hash', true]]);
    const both = node(g, 'Both').inEdges;
    expect(both.map((e) => [e.outputTag, e.partitioner.kind])).toEqual([
      [undefined, 'forward'],
      ['odd', 'rebalance'],
    ]);
  });

  test('a source has side outputs too', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    const src = env.fromGenerator(3, (i) => i).name('Gen');
    src.getSideOutput(new OutputTag<string>('bad')).sinkTo(noop, 'bad');
    const g = env.getStreamGraph();
    expect(node(g, 'Gen').outEdges.map((e) => e.outputTag)).toEqual(['bad']);
  });

  test('getSideOutput() without an OutputTag and an empty tag id are refused', () => {
    const env = StreamExecutionEnvironment.create();
    const split = splitter(env);
    expect(() => split.getSideOutput({ id: 'odd' } as OutputTag<number>)).toThrow(GraphValidationError);
    expect(() => new OutputTag('')).toThrow(GraphValidationError);
  });
});

describe('side outputs in the JobGraph and ExecutionGraph', () => {
  test('a forward side-output edge of equal parallelism chains; the chained edge keeps its tag', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const split = splitter(env);
    split.sinkTo(noop, 'evens');
    split.getSideOutput(odd).map((v) => v * 10).name('Times10').sinkTo(noop, 'odds');
    const jg = env.getJobGraph();
    expect(jg.vertices.map((v) => v.name)).toEqual(['Source: Generator Source -> Split -> Sink: evens -> Times10 -> Sink: odds']);
    expect(jg.edges).toEqual([]);
    const v = jg.vertices[0];
    const splitNode = v.nodes.find((n) => n.name === 'Split')!;
    expect(chainedEdges(v, splitNode).map((e) => e.outputTag)).toEqual([undefined, 'odd']);
  });

  test('a side output across a network edge: the job edge and each producer partition carry the tag', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const split = splitter(env);
    split.sinkTo(noop, 'evens');
    split.getSideOutput(odd).rebalance().map((v) => v).name('AfterRebalance').setParallelism(3).sinkTo(noop, 'odds').setParallelism(3);
    const jg = env.getJobGraph();
    expect(jg.edges).toHaveLength(1);
    const [edge] = jg.edges;
    expect(edge.outputTag).toBe('odd');
    expect(edge.partitioner.kind).toBe('rebalance');
    expect(jg.vertices.find((v) => v.id === edge.sourceVertexId)!.nodes.find((n) => n.id === edge.sourceNodeId)!.name).toBe('Split');
    const eg = createExecutionGraph(jg);
    const producers = eg.subtasks.filter((s) => s.id.vertexId === edge.sourceVertexId);
    expect(producers).toHaveLength(2);
    for (const p of producers) {
      expect(p.outputs.map((o) => [o.outputTag, o.channels.length])).toEqual([['odd', 3]]);
    }
  });

  test('main and side output of one operator into one union do not chain (two inputs) and stay apart by tag', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    const split = splitter(env);
    split.union(split.getSideOutput(odd)).map((v) => v).name('Both').sinkTo(noop);
    const jg = env.getJobGraph();
    expect(jg.edges.map((e) => e.outputTag)).toEqual([undefined, 'odd']);
    expect(jg.vertices.map((v) => v.name)).toEqual(['Source: Generator Source -> Split', 'Both -> Sink: Sink']);
  });
});
