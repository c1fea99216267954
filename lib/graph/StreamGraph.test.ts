/**
 * StreamGraph generation and validation: default partitioning (forward at
 * equal parallelism, rebalance otherwise), keyBy → hash edges, union → several
 * in-edges, uid defaults, and every GraphValidationError code (checked by
 * `code` and by the operator the error names), plus ConfigurationErrors of
 * StreamExecutionEnvironment.create().
 */
import { StreamExecutionEnvironment } from '../api/StreamExecutionEnvironment';
import { ConfigurationError, GraphValidationError, type GraphErrorCode } from '../errors';
import {
  generateStreamGraph,
  topologicalOrder,
  validateStreamGraph,
  type StreamEdge,
  type StreamGraph,
  type StreamNode,
} from './StreamGraph';

/** Runs fn, expects a GraphValidationError with the code (and naming the operator when given). */
function expectGraphError(fn: () => unknown, code: GraphErrorCode, operator?: string): GraphValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(GraphValidationError);
  const err = caught as GraphValidationError;
  expect(err.code).toBe(code);
  if (operator !== undefined) {
    expect(err.operator).toBe(operator);
    expect(err.message).toContain(`'${operator}'`);
  }
  return err;
}

function expectConfigError(fn: () => unknown, option: string): ConfigurationError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ConfigurationError);
  const err = caught as ConfigurationError;
  expect(err.code).toBe('INVALID_CONFIGURATION');
  expect(err.option).toBe(option);
  expect(err.message).toContain(option);
  return err;
}

function node(g: StreamGraph, name: string): StreamNode {
  const found = g.nodes.filter((n) => n.name === name);
  expect(found).toHaveLength(1);
  return found[0];
}

function edgeBetween(g: StreamGraph, from: string, to: string): StreamEdge {
  const a = node(g, from);
  const b = node(g, to);
  const edges = a.outEdges.filter((e) => e.targetId === b.id);
  expect(edges).toHaveLength(1);
  expect(b.inEdges).toContain(edges[0]);
  return edges[0];
}

const noop = () => {};

describe('StreamGraph generation', () => {
  test('equal parallelism gets a forward edge, a change of parallelism a rebalance edge', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    env
      .fromCollection([1, 2, 3]) // non-parallel: parallelism 1
      .map((x) => x + 1)
      .name('m1') // parallelism 2 (default)
      .filter((x) => x > 1)
      .name('f1') // 2
      .map((x) => x)
      .name('m2')
      .setParallelism(3)
      .sinkTo(noop, 'out')
      .setParallelism(3);
    const g = env.getStreamGraph();
    expect(g.nodes.map((n) => n.name)).toEqual(['Source: Collection Source', 'm1', 'f1', 'm2', 'Sink: out']);
    expect(g.nodes.map((n) => n.parallelism)).toEqual([1, 2, 2, 3, 3]);
    const e1 = edgeBetween(g, 'Source: Collection Source', 'm1');
    expect(e1.partitioner.kind).toBe('rebalance');
    expect(e1.explicit).toBe(false);
    expect(edgeBetween(g, 'm1', 'f1').partitioner.kind).toBe('forward');
    expect(edgeBetween(g, 'f1', 'm2').partitioner.kind).toBe('rebalance');
    expect(edgeBetween(g, 'm2', 'Sink: out').partitioner.kind).toBe('forward');
    expect(g.nodes.map((n) => n.kind)).toEqual(['source', 'operator', 'operator', 'operator', 'sink']);
  });

  test('keyBy becomes a hash edge carrying the key selector, and the keyed operator gets the selector', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const selector = (x: { k: string }) => x.k;
    env
      .fromCollection([{ k: 'a' }])
      .keyBy(selector)
      .reduce((a) => a)
      .print();
    const g = env.getStreamGraph();
    const e = edgeBetween(g, 'Source: Collection Source', 'Keyed Reduce');
    expect(e.partitioner.kind).toBe('hash');
    expect(e.explicit).toBe(true);
    expect(e.partitioner.kind === 'hash' && e.partitioner.keySelector).toBe(selector);
    expect(node(g, 'Keyed Reduce').stateKeySelector).toBe(selector);
    // the partition transformation is virtual: no node for it
    expect(g.nodes.map((n) => n.name)).toEqual(['Source: Collection Source', 'Keyed Reduce', 'Sink: Print to Std. Out']);
    // a keyBy on a field name builds a selector reading that field
    const env2 = StreamExecutionEnvironment.create();
    env2.fromCollection([{ k: 'a', v: 1 }]).keyBy('k').sum('v').sinkTo(noop);
    const e2 = env2.getStreamGraph().nodes[1].inEdges[0];
    expect(e2.partitioner.kind).toBe('hash');
    expect(e2.partitioner.kind === 'hash' && e2.partitioner.keySelector({ k: 'zz', v: 2 })).toBe('zz');
  });

  test('explicit rebalance/shuffle/broadcast/forward are kept and marked explicit', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    const src = env.fromCollection([1]);
    src.rebalance().map((x) => x).name('r').sinkTo(noop, 'a');
    src.shuffle().map((x) => x).name('s').sinkTo(noop, 'b');
    src.broadcast().map((x) => x).name('b').sinkTo(noop, 'c');
    src.forward().map((x) => x).name('f').sinkTo(noop, 'd');
    const g = env.getStreamGraph();
    for (const [name, kind] of [
      ['r', 'rebalance'],
      ['s', 'shuffle'],
      ['b', 'broadcast'],
      ['f', 'forward'],
    ] as const) {
      const e = edgeBetween(g, 'Source: Collection Source', name);
      expect(e.partitioner.kind).toBe(kind);
      expect(e.explicit).toBe(true);
    }
    // one source feeding four operators
    expect(node(g, 'Source: Collection Source').outEdges).toHaveLength(4);
  });

  test('union gives the downstream operator one in-edge per input, each with its own partitioning', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const a = env.fromCollection([1], 'a'); // parallelism 1
    const b = env.fromGenerator(10, (i) => i, {}, 'b'); // parallelism 2
    const c = env.fromGenerator(10, (i) => i, {}, 'c').setParallelism(2);
    a.union(b, c.shuffle()).map((x) => x).name('u').sinkTo(noop);
    const g = env.getStreamGraph();
    const u = node(g, 'u');
    expect(u.inEdges).toHaveLength(3);
    expect(u.inEdges.map((e) => g.nodes.find((n) => n.id === e.sourceId)!.name)).toEqual(['Source: a', 'Source: b', 'Source: c']);
    expect(u.inEdges.map((e) => e.partitioner.kind)).toEqual(['rebalance', 'forward', 'shuffle']);
    expect(u.inEdges.map((e) => e.explicit)).toEqual([false, false, true]);
    // sources come first in topological order
    expect(g.nodes.slice(0, 3).every((n) => n.kind === 'source')).toBe(true);
  });

  test('union of two branches of one chain: two edges from distinct nodes', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    const src = env.fromCollection([1]);
    const x = src.map((v) => v).name('x');
    const y = src.map((v) => v).name('y');
    x.union(y).sinkTo(noop, 'both');
    const g = env.getStreamGraph();
    const sink = node(g, 'Sink: both');
    expect(sink.inEdges.map((e) => e.sourceId).sort()).toEqual([node(g, 'x').id, node(g, 'y').id].sort());
  });

  test('a transformation used twice (fan-out) becomes one node with two out-edges', () => {
    const env = StreamExecutionEnvironment.create();
    const m = env.fromCollection([1]).map((x) => x).name('m');
    m.sinkTo(noop, 's1');
    m.sinkTo(noop, 's2');
    const g = env.getStreamGraph();
    expect(g.nodes.filter((n) => n.name === 'm')).toHaveLength(1);
    expect(node(g, 'm').outEdges.map((e) => g.nodes.find((n) => n.id === e.targetId)!.name)).toEqual(['Sink: s1', 'Sink: s2']);
  });

  test('uids default to name (whitespace → _) and id, unique per node; explicit uids are kept', () => {
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection([1]) // id 1
      .map((x) => x) // id 2
      .uid('my-map')
      .filter(() => true) // id 3
      .name('keep  all')
      .sinkTo(noop, 'Out put') // id 4
      .uid('the-sink');
    const g = env.getStreamGraph();
    expect(g.nodes.map((n) => n.uid)).toEqual(['Source:_Collection_Source_1', 'my-map', 'keep_all_3', 'the-sink']);
    expect(new Set(g.nodes.map((n) => n.uid)).size).toBe(g.nodes.length);
    // default uids are stable: generating the graph again yields the same
    expect(env.getStreamGraph().nodes.map((n) => n.uid)).toEqual(g.nodes.map((n) => n.uid));
  });

  test('maxParallelism defaults to the environment’s and can be set per operator', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2, maxParallelism: 64 });
    env
      .fromGenerator(5, (i) => i)
      .map((x) => x)
      .setMaxParallelism(16)
      .sinkTo(noop);
    const g = env.getStreamGraph();
    expect(g.nodes.map((n) => n.maxParallelism)).toEqual([64, 16, 64]);
  });

  test('getStreamGraph does not consume the sinks and carries the job name', () => {
    const env = StreamExecutionEnvironment.create();
    env.fromCollection([1]).print();
    expect(env.getStreamGraph('job A').jobName).toBe('job A');
    expect(env.getStreamGraph().nodes).toHaveLength(2);
  });
});

describe('StreamGraph validation errors', () => {
  test('NO_SINKS: an environment without sinks', () => {
    const env = StreamExecutionEnvironment.create();
    env.fromCollection([1]).map((x) => x);
    const err = expectGraphError(() => env.getStreamGraph(), 'NO_SINKS');
    expect(err.message).toMatch(/sinkTo\(\)/);
    expectGraphError(() => env.getJobGraph(), 'NO_SINKS');
    expectGraphError(() => generateStreamGraph('j', [], { parallelism: 1, maxParallelism: 128 }), 'NO_SINKS');
  });

  test('NO_SINKS: a hand-built graph whose nodes include no sink', () => {
    const s = handNode(1, 'Source: s', 'source');
    const m = handNode(2, 'm', 'operator');
    connect(s, m);
    expectGraphError(() => validateStreamGraph({ jobName: 'j', nodes: [s, m] }), 'NO_SINKS');
  });

  test('UID_COLLISION: two operators with the same uid()', () => {
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection([1])
      .map((x) => x)
      .name('first')
      .uid('dup')
      .map((x) => x)
      .name('second')
      .uid('dup')
      .sinkTo(noop);
    const err = expectGraphError(() => env.getStreamGraph(), 'UID_COLLISION', 'second');
    expect(err.message).toContain("'dup'");
    expect(err.message).toContain("'first'");
  });

  test('UID_COLLISION: an explicit uid equal to another node’s default uid', () => {
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection([1]) // default uid Source:_Collection_Source_1
      .map((x) => x)
      .name('copycat')
      .uid('Source:_Collection_Source_1')
      .sinkTo(noop);
    expectGraphError(() => env.getStreamGraph(), 'UID_COLLISION', 'copycat');
  });

  test('PARALLELISM_ABOVE_MAX: setParallelism(200) with maxParallelism 128', () => {
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection([1])
      .map((x) => x)
      .name('wide')
      .setParallelism(200)
      .sinkTo(noop);
    const err = expectGraphError(() => env.getStreamGraph(), 'PARALLELISM_ABOVE_MAX', 'wide');
    expect(err.message).toContain('200');
    expect(err.message).toContain('128');
  });

  test('PARALLELISM_ABOVE_MAX: setMaxParallelism below the (default) parallelism', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 4 });
    env
      .fromGenerator(10, (i) => i)
      .map((x) => x)
      .name('narrow')
      .setMaxParallelism(2)
      .sinkTo(noop);
    expectGraphError(() => env.getStreamGraph(), 'PARALLELISM_ABOVE_MAX', 'narrow');
  });

  test('PARALLELISM_ABOVE_MAX: environment maxParallelism applies to a sink’s explicit parallelism', () => {
    const env = StreamExecutionEnvironment.create({ maxParallelism: 8 });
    env.fromCollection([1]).sinkTo(noop, 'big').setParallelism(9);
    expectGraphError(() => env.getStreamGraph(), 'PARALLELISM_ABOVE_MAX', 'Sink: big');
  });

  test.each([0, 1.5, -1, NaN])('INVALID_PARALLELISM: setParallelism(%p) throws at once, naming the operator', (p) => {
    const env = StreamExecutionEnvironment.create();
    const m = env.fromCollection([1]).map((x) => x).name('bad-p');
    expectGraphError(() => m.setParallelism(p), 'INVALID_PARALLELISM', 'bad-p');
    expectGraphError(() => m.setMaxParallelism(p), 'INVALID_PARALLELISM', 'bad-p');
    const sink = m.sinkTo(noop, 'snk');
    expectGraphError(() => sink.setParallelism(p), 'INVALID_PARALLELISM', 'Sink: snk');
    // the failed call left the operator's parallelism unset
    expect(env.getStreamGraph().nodes.find((n) => n.name === 'bad-p')!.parallelism).toBe(1);
  });

  test('INVALID_PARALLELISM: a hand-built node with parallelism 0 is rejected by validateStreamGraph', () => {
    const s = handNode(1, 'Source: s', 'source');
    const k = handNode(2, 'Sink: k', 'sink', { parallelism: 0 });
    connect(s, k, 'rebalance');
    expectGraphError(() => validateStreamGraph({ jobName: 'j', nodes: [s, k] }), 'INVALID_PARALLELISM', 'Sink: k');
  });

  test('NON_PARALLEL_SOURCE: fromCollection(...).setParallelism(2)', () => {
    const env = StreamExecutionEnvironment.create();
    env.fromCollection([1, 2]).setParallelism(2).sinkTo(noop);
    const err = expectGraphError(() => env.getStreamGraph(), 'NON_PARALLEL_SOURCE', 'Source: Collection Source');
    expect(err.message).toContain('2');
  });

  test('a non-parallel source defaults to parallelism 1 whatever the environment’s parallelism', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 4 });
    env.fromCollection([1, 2]).sinkTo(noop);
    const g = env.getStreamGraph();
    expect(g.nodes.map((n) => n.parallelism)).toEqual([1, 4]);
    expect(g.nodes[1].inEdges[0].partitioner.kind).toBe('rebalance');
  });

  test('FORWARD_PARALLELISM_MISMATCH: forward() into an operator of another parallelism', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    env
      .fromCollection([1]) // parallelism 1
      .forward()
      .map((x) => x)
      .name('fwd-target') // parallelism 3
      .sinkTo(noop);
    const err = expectGraphError(() => env.getStreamGraph(), 'FORWARD_PARALLELISM_MISMATCH', 'fwd-target');
    expect(err.message).toContain('Source: Collection Source');
  });

  test('forward() at equal parallelism is accepted', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    env.fromGenerator(9, (i) => i).forward().map((x) => x).sinkTo(noop);
    expect(env.getStreamGraph().nodes[1].inEdges[0].partitioner.kind).toBe('forward');
  });

  test('MISSING_KEY_SELECTOR: keyBy(undefined) names the operator it was called on', () => {
    const env = StreamExecutionEnvironment.create();
    const m = env.fromCollection([{ a: 1 }]).map((x) => x).name('before-key');
    expectGraphError(() => m.keyBy(undefined as any), 'MISSING_KEY_SELECTOR', 'before-key');
    expectGraphError(() => m.keyBy(null as any), 'MISSING_KEY_SELECTOR', 'before-key');
    expectGraphError(() => m.keyBy({} as any), 'MISSING_KEY_SELECTOR', 'before-key');
  });

  test('MISSING_KEY_SELECTOR: a hand-built keyed node fed by a non-hash edge', () => {
    const s = handNode(1, 'Source: s', 'source');
    const r = handNode(2, 'keyed', 'operator', { stateKeySelector: (x: unknown) => String(x) });
    const k = handNode(3, 'Sink: k', 'sink');
    connect(s, r, 'forward');
    connect(r, k, 'forward');
    expectGraphError(() => validateStreamGraph({ jobName: 'j', nodes: [s, r, k] }), 'MISSING_KEY_SELECTOR', 'keyed');
  });

  test('UNKNOWN_NODE: an edge to a node that is not in the graph', () => {
    const a = handNode(1, 'A', 'source');
    const b = handNode(2, 'B', 'sink');
    connect(a, b);
    expectGraphError(() => validateStreamGraph({ jobName: 'j', nodes: [b] }), 'UNKNOWN_NODE', 'B');
  });

  test('CYCLE: two hand-built nodes pointing at each other', () => {
    const a = handNode(1, 'A', 'operator');
    const b = handNode(2, 'B', 'sink');
    connect(a, b);
    connect(b, a);
    const graph: StreamGraph = { jobName: 'cyclic', nodes: [a, b] };
    const e1 = expectGraphError(() => topologicalOrder(graph.nodes), 'CYCLE');
    expect(['A', 'B']).toContain(e1.operator);
    expect(e1.message).toContain(`'${e1.operator}'`);
    const e2 = expectGraphError(() => validateStreamGraph(graph), 'CYCLE');
    expect(['A', 'B']).toContain(e2.operator);
  });

  test('CYCLE: a cycle reachable from a source is reported, naming a node on the cycle', () => {
    const s = handNode(1, 'Source: s', 'source');
    const a = handNode(2, 'A', 'operator');
    const b = handNode(3, 'B', 'operator');
    const k = handNode(4, 'Sink: k', 'sink');
    connect(s, a);
    connect(a, b);
    connect(b, a);
    connect(b, k);
    const err = expectGraphError(() => validateStreamGraph({ jobName: 'j', nodes: [s, a, b, k] }), 'CYCLE');
    expect(['A', 'B', 'Sink: k']).toContain(err.operator);
  });

  test('CYCLE: a transformation that is its own input', () => {
    const env = StreamExecutionEnvironment.create();
    const m = env.fromCollection([1]).map((x) => x).name('loop');
    (m.transformation as { input: unknown }).input = m.transformation;
    m.sinkTo(noop);
    expectGraphError(() => env.getStreamGraph(), 'CYCLE', 'loop');
  });

  test('topologicalOrder sorts a hand-built acyclic graph given in any order', () => {
    const s = handNode(1, 'Source: s', 'source');
    const a = handNode(2, 'A', 'operator');
    const b = handNode(3, 'B', 'operator');
    const k = handNode(4, 'Sink: k', 'sink');
    connect(s, a);
    connect(s, b);
    connect(a, k);
    connect(b, k);
    const order = topologicalOrder([k, b, a, s]).map((n) => n.name);
    expect(order[0]).toBe('Source: s');
    expect(order[3]).toBe('Sink: k');
    expect(new Set(order.slice(1, 3))).toEqual(new Set(['A', 'B']));
  });
});

describe('StreamExecutionEnvironment.create configuration errors', () => {
  test('parallelism 0', () => {
    expectConfigError(() => StreamExecutionEnvironment.create({ parallelism: 0 }), 'parallelism');
  });
  test('parallelism 300 (above the default maxParallelism 128)', () => {
    const err = expectConfigError(() => StreamExecutionEnvironment.create({ parallelism: 300 }), 'parallelism');
    expect(err.message).toContain('300');
  });
  test('frameSize -1', () => {
    expectConfigError(() => StreamExecutionEnvironment.create({ frameSize: -1 }), 'frameSize');
  });
  test('other bad options name themselves', () => {
    expectConfigError(() => StreamExecutionEnvironment.create({ parallelism: 1.5 }), 'parallelism');
    expectConfigError(() => StreamExecutionEnvironment.create({ maxParallelism: 0 }), 'maxParallelism');
    expectConfigError(() => StreamExecutionEnvironment.create({ maxParallelism: (1 << 15) + 1 }), 'maxParallelism');
    expectConfigError(() => StreamExecutionEnvironment.create({ channelCredits: 0 }), 'channelCredits');
    expectConfigError(() => StreamExecutionEnvironment.create({ bufferTimeoutMs: -5 }), 'bufferTimeoutMs');
    expectConfigError(() => StreamExecutionEnvironment.create({ buffersPerRun: 0 }), 'buffersPerRun');
    expectConfigError(() => StreamExecutionEnvironment.create({ frameSize: 'big' as any }), 'frameSize');
    expectConfigError(() => StreamExecutionEnvironment.create({ random: 3 as any }), 'random');
    expectConfigError(() => StreamExecutionEnvironment.create({ clock: {} as any }), 'clock');
  });
  test('parallelism up to maxParallelism is accepted, with defaults', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 128 });
    expect(env.parallelism).toBe(128);
    expect(env.config.maxParallelism).toBe(128);
    expect(StreamExecutionEnvironment.create({ parallelism: 300, maxParallelism: 512 }).parallelism).toBe(300);
    const d = StreamExecutionEnvironment.create().config;
    expect([d.parallelism, d.maxParallelism, d.frameSize, d.channelCredits, d.bufferTimeoutMs]).toEqual([1, 128, 512, 8, 100]);
  });
});

// ---- hand-built graphs ----

function handNode(
  id: number,
  name: string,
  kind: StreamNode['kind'],
  extra: Partial<Pick<StreamNode, 'parallelism' | 'maxParallelism' | 'stateKeySelector'>> = {},
): StreamNode {
  return {
    id,
    name,
    uid: `uid-${id}`,
    kind,
    parallelism: extra.parallelism ?? 1,
    maxParallelism: extra.maxParallelism ?? 128,
    chaining: 'always',
    stateKeySelector: extra.stateKeySelector,
    source: kind === 'source' ? { boundedness: 'BOUNDED', createSplits: () => [], createReader: () => undefined as never } : undefined,
    inEdges: [],
    outEdges: [],
  };
}

function connect(from: StreamNode, to: StreamNode, kind: 'forward' | 'rebalance' = 'forward'): void {
  const e: StreamEdge = { sourceId: from.id, targetId: to.id, partitioner: { kind }, explicit: false };
  from.outEdges.push(e);
  to.inEdges.push(e);
}
