/**
 * Operator chaining in the JobGraph, Flink's rule: a node joins its input's
 * chain when it has one input, the edge is forward, parallelism is equal and
 * neither side disabled chaining. Checks vertex names, members, edges (and
 * which chain member produces into each edge), and the chaining hints
 * disableChaining() / startNewChain().
 */
import { StreamExecutionEnvironment } from '../api/StreamExecutionEnvironment';
import { chainedSuccessors, type JobGraph, type JobVertex } from './JobGraph';

const noop = () => {};

function names(g: JobGraph): string[] {
  return g.vertices.map((v) => v.name);
}

function vertex(g: JobGraph, name: string): JobVertex {
  const vs = g.vertices.filter((v) => v.name === name);
  expect(vs).toHaveLength(1);
  return vs[0];
}

function nodeId(g: JobGraph, nodeName: string): number {
  const ns = g.vertices.flatMap((v) => v.nodes).filter((n) => n.name === nodeName);
  expect(ns).toHaveLength(1);
  return ns[0].id;
}

/** Every edge is listed on its two vertices, ids are indexes, and vertices are in topological order. */
function expectConsistent(g: JobGraph): void {
  g.edges.forEach((e, i) => expect(e.id).toBe(i));
  const position = new Map(g.vertices.map((v, i) => [v.id, i]));
  for (const e of g.edges) {
    const from = g.vertices.find((v) => v.id === e.sourceVertexId)!;
    const to = g.vertices.find((v) => v.id === e.targetVertexId)!;
    expect(from.outputs).toContain(e);
    expect(to.inputs).toContain(e);
    expect(from.nodes.map((n) => n.id)).toContain(e.sourceNodeId);
    expect(position.get(from.id)!).toBeLessThan(position.get(to.id)!);
  }
  for (const v of g.vertices) {
    expect(v.id).toBe(v.nodes[0].id);
    expect(v.name).toBe(v.nodes.map((n) => n.name).join(' -> '));
    for (const n of v.nodes) expect(n.parallelism).toBe(v.parallelism);
  }
  const all = g.vertices.flatMap((v) => v.nodes.map((n) => n.id));
  expect(new Set(all).size).toBe(all.length);
}

describe('JobGraph chaining', () => {
  test('source → map → filter → sink at equal parallelism is one vertex', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    env
      .fromCollection([1, 2])
      .map((x) => x * 2)
      .filter((x) => x > 0)
      .sinkTo(noop);
    const g = env.getJobGraph('one chain');
    expect(g.jobName).toBe('one chain');
    expect(names(g)).toEqual(['Source: Collection Source -> Map -> Filter -> Sink: Sink']);
    expect(g.edges).toHaveLength(0);
    const v = g.vertices[0];
    expect(v.parallelism).toBe(1);
    expect(v.nodes.map((n) => n.kind)).toEqual(['source', 'operator', 'operator', 'sink']);
    expect(v.inputs).toEqual([]);
    expect(v.outputs).toEqual([]);
    expect(chainedSuccessors(v, v.nodes[0]).map((n) => n.name)).toEqual(['Map']);
    expect(chainedSuccessors(v, v.nodes[3])).toEqual([]);
    expectConsistent(g);
  });

  test('a parallel generator chain at parallelism 4 is also one vertex', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 4 });
    env.fromGenerator(100, (i) => i).map((x) => x).filter(() => true).print();
    const g = env.getJobGraph();
    expect(names(g)).toEqual(['Source: Generator Source -> Map -> Filter -> Sink: Print to Std. Out']);
    expect(g.vertices[0].parallelism).toBe(4);
  });

  test('keyBy breaks the chain with a hash edge; operators after the keyed one chain to it', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env
      .fromGenerator(10, (i) => ({ k: i % 3, v: i }))
      .map((x) => x)
      .keyBy((x) => x.k)
      .sum('v')
      .map((x) => x.v)
      .sinkTo(noop);
    const g = env.getJobGraph();
    expect(names(g)).toEqual(['Source: Generator Source -> Map', 'Keyed Sum -> Map -> Sink: Sink']);
    expect(g.edges).toHaveLength(1);
    const e = g.edges[0];
    expect(e.partitioner.kind).toBe('hash');
    expect(e.sourceVertexId).toBe(g.vertices[0].id);
    expect(e.targetVertexId).toBe(g.vertices[1].id);
    expect(e.sourceNodeId).toBe(g.vertices[0].nodes[1].id); // the map, not the source
    expectConsistent(g);
  });

  test('a change of parallelism breaks the chain (rebalance edge)', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env
      .fromGenerator(10, (i) => i)
      .map((x) => x)
      .setParallelism(3)
      .filter(() => true)
      .setParallelism(3)
      .sinkTo(noop)
      .setParallelism(1);
    const g = env.getJobGraph();
    expect(names(g)).toEqual(['Source: Generator Source', 'Map -> Filter', 'Sink: Sink']);
    expect(g.vertices.map((v) => v.parallelism)).toEqual([2, 3, 1]);
    expect(g.edges.map((e) => e.partitioner.kind)).toEqual(['rebalance', 'rebalance']);
    expectConsistent(g);
  });

  test.each(['rebalance', 'shuffle', 'broadcast'] as const)('%s() breaks the chain at equal parallelism', (kind) => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env.fromGenerator(10, (i) => i).map((x) => x)[kind]().map((x) => x).name('after').sinkTo(noop);
    const g = env.getJobGraph();
    expect(names(g)).toEqual(['Source: Generator Source -> Map', 'after -> Sink: Sink']);
    expect(g.edges.map((e) => e.partitioner.kind)).toEqual([kind]);
    expectConsistent(g);
  });

  test('an explicit forward() at equal parallelism still chains', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env.fromGenerator(10, (i) => i).forward().map((x) => x).sinkTo(noop);
    expect(names(env.getJobGraph())).toEqual(['Source: Generator Source -> Map -> Sink: Sink']);
  });

  test('the target of a union (2 inputs) is a chain head, even with forward edges of equal parallelism', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const a = env.fromGenerator(10, (i) => i, {}, 'a');
    const b = env.fromGenerator(10, (i) => i, {}, 'b');
    a.union(b).map((x) => x).name('u').filter(() => true).sinkTo(noop);
    const g = env.getJobGraph();
    expect(names(g)).toEqual(['Source: a', 'Source: b', 'u -> Filter -> Sink: Sink']);
    const u = vertex(g, 'u -> Filter -> Sink: Sink');
    expect(u.inputs).toHaveLength(2);
    expect(u.inputs.map((e) => e.partitioner.kind)).toEqual(['forward', 'forward']);
    expect(u.inputs.map((e) => e.sourceVertexId)).toEqual([g.vertices[0].id, g.vertices[1].id]);
    expectConsistent(g);
  });

  test('two branches of one chain unioned: both job edges leave the same vertex, each naming its own branch node', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    const src = env.fromCollection([1]);
    const x = src.map((v) => v).name('x');
    const y = src.map((v) => v).name('y');
    x.union(y).sinkTo(noop, 'both');
    const g = env.getJobGraph();
    expect(names(g)).toEqual(['Source: Collection Source -> x -> y', 'Sink: both']);
    expect(g.edges).toHaveLength(2);
    expect(g.edges.every((e) => e.sourceVertexId === g.vertices[0].id && e.targetVertexId === g.vertices[1].id)).toBe(true);
    expect(g.edges.map((e) => e.sourceNodeId).sort()).toEqual([nodeId(g, 'x'), nodeId(g, 'y')].sort());
    expectConsistent(g);
  });

  test('disableChaining(): the operator is chained to neither its input nor its output', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env
      .fromGenerator(10, (i) => i)
      .map((x) => x)
      .name('a')
      .map((x) => x)
      .name('alone')
      .disableChaining()
      .map((x) => x)
      .name('c')
      .sinkTo(noop);
    const g = env.getJobGraph();
    expect(names(g)).toEqual(['Source: Generator Source -> a', 'alone', 'c -> Sink: Sink']);
    expect(g.edges.map((e) => e.partitioner.kind)).toEqual(['forward', 'forward']);
    expectConsistent(g);
  });

  test('startNewChain(): a new chain begins at the operator and its successors join it', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env
      .fromGenerator(10, (i) => i)
      .map((x) => x)
      .name('a')
      .map((x) => x)
      .name('head')
      .startNewChain()
      .map((x) => x)
      .name('c')
      .sinkTo(noop);
    const g = env.getJobGraph();
    expect(names(g)).toEqual(['Source: Generator Source -> a', 'head -> c -> Sink: Sink']);
    expect(g.edges).toHaveLength(1);
    expect(g.edges[0].sourceNodeId).toBe(nodeId(g, 'a'));
    expectConsistent(g);
  });

  test('disableChaining() on a sink separates the sink only', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env.fromGenerator(10, (i) => i).map((x) => x).sinkTo(noop, 'lonely').disableChaining();
    expect(names(env.getJobGraph())).toEqual(['Source: Generator Source -> Map', 'Sink: lonely']);
  });

  test('fan-out: one map feeding two sinks stays one chain', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const m = env.fromGenerator(10, (i) => i).map((x) => x).name('m');
    m.sinkTo(noop, 's1');
    m.sinkTo(noop, 's2');
    const g = env.getJobGraph();
    expect(names(g)).toEqual(['Source: Generator Source -> m -> Sink: s1 -> Sink: s2']);
    expect(g.edges).toHaveLength(0);
    const v = g.vertices[0];
    expect(chainedSuccessors(v, v.nodes[1]).map((n) => n.name)).toEqual(['Sink: s1', 'Sink: s2']);
  });

  test('fan-out with one chained and one network output: the edge names the producing member', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const m = env.fromGenerator(10, (i) => i).map((x) => x).name('m');
    m.filter(() => true).name('f').sinkTo(noop, 'local');
    m.keyBy((x) => x % 2).reduce((a, b) => a + b).sinkTo(noop, 'keyed');
    m.sinkTo(noop, 'narrow').setParallelism(1);
    const g = env.getJobGraph();
    expect(names(g)).toEqual(['Source: Generator Source -> m -> f -> Sink: local', 'Keyed Reduce -> Sink: keyed', 'Sink: narrow']);
    const chain = g.vertices[0];
    expect(chain.outputs).toHaveLength(2);
    expect(chain.outputs.map((e) => e.sourceNodeId)).toEqual([nodeId(g, 'm'), nodeId(g, 'm')]);
    expect(chain.outputs.map((e) => e.partitioner.kind)).toEqual(['hash', 'rebalance']);
    expect(chain.outputs.map((e) => e.targetVertexId)).toEqual([g.vertices[1].id, g.vertices[2].id]);
    expectConsistent(g);
  });

  test('a vertex takes parallelism and maxParallelism from its head', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 3, maxParallelism: 32 });
    env
      .fromGenerator(10, (i) => i)
      .keyBy((x) => x)
      .reduce((a, b) => a + b)
      .setMaxParallelism(16)
      .sinkTo(noop);
    const g = env.getJobGraph();
    expect(g.vertices.map((v) => [v.parallelism, v.maxParallelism])).toEqual([
      [3, 32],
      [3, 16],
    ]);
  });

  test('mid-chain member feeding another vertex: edge source node is that member, not the head', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env
      .fromGenerator(10, (i) => i)
      .map((x) => x)
      .name('m1')
      .map((x) => x)
      .name('m2')
      .rebalance()
      .map((x) => x)
      .name('m3')
      .sinkTo(noop);
    const g = env.getJobGraph();
    expect(names(g)).toEqual(['Source: Generator Source -> m1 -> m2', 'm3 -> Sink: Sink']);
    expect(g.edges[0].sourceNodeId).toBe(nodeId(g, 'm2'));
    expect(g.edges[0].sourceVertexId).toBe(nodeId(g, 'Source: Generator Source'));
    expect(g.edges[0].targetVertexId).toBe(nodeId(g, 'm3'));
  });
});
