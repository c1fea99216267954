/**
 * Two-input operators in the graphs: the StreamGraph tags each edge into a
 * two-input node with the input it feeds (unions and partitioning
 * included); the JobGraph never chains a two-input operator to its inputs
 * but chains what follows it; validation names what is wrong.
 */
import { DataStream, SingleOutputStreamOperator } from '../api/DataStream';
import { StreamExecutionEnvironment } from '../api/StreamExecutionEnvironment';
import type { KeySelector } from '../api/functions';
import { GraphValidationError } from '../errors';
import { MapStateDescriptor } from '../state/StateDescriptor';
import { AbstractTwoInputStreamOperator } from '../operators/AbstractTwoInputStreamOperator';
import { createExecutionGraph } from './ExecutionGraph';

class Pass extends AbstractTwoInputStreamOperator<unknown, unknown, unknown> {
  processElement1(v: unknown, t: number | undefined): void {
    this.next.processElement(v, t);
  }
  processElement2(v: unknown, t: number | undefined): void {
    this.next.processElement(v, t);
  }
}

function twoInput(
  a: DataStream<any>,
  b: DataStream<any>,
  opts: { parallelism?: number; key1?: KeySelector<any>; key2?: KeySelector<any> } = {},
): SingleOutputStreamOperator<unknown> {
  const t = a.env.addTransformation({
    kind: 'two-input',
    input1: a.transformation,
    input2: b.transformation,
    operatorFactory: () => new Pass(),
    stateKeySelector1: opts.key1,
    stateKeySelector2: opts.key2,
    name: 'Co',
    uid: undefined,
    parallelism: opts.parallelism,
    maxParallelism: undefined,
    chaining: 'always',
  });
  return new SingleOutputStreamOperator(a.env, t);
}

describe('two-input operators in the StreamGraph', () => {
  test('each in-edge says which input it feeds, through unions and partitioning', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const a = env.fromCollection([1]).name('A');
    const b = env.fromCollection([2]).name('B');
    const c = env.fromCollection([3]).name('C');
    twoInput(a.union(b), c.rebalance()).sinkTo(() => {});
    const g = env.getStreamGraph();
    const co = g.nodes.find((n) => n.name === 'Co')!;
    expect(co.twoInput).toBe(true);
    expect(co.kind).toBe('operator');
    const byName = (id: number) => g.nodes.find((n) => n.id === id)!.name;
    expect(co.inEdges.map((e) => [byName(e.sourceId), e.typeNumber, e.partitioner.kind])).toEqual([
      ['A', 1, 'rebalance'],
      ['B', 1, 'rebalance'],
      ['C', 2, 'rebalance'],
    ]);
    // one-input edges carry no input number
    expect(g.nodes.flatMap((n) => n.inEdges).filter((e) => e.targetId !== co.id).every((e) => e.typeNumber === undefined)).toBe(true);
  });

  test('a stream connected to itself gives two edges, one per input', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    const a = env.fromCollection([1]);
    twoInput(a, a).sinkTo(() => {});
    const co = env.getStreamGraph().nodes.find((n) => n.name === 'Co')!;
    expect(co.inEdges.map((e) => e.typeNumber)).toEqual([1, 2]);
    const jg = env.getJobGraph();
    const v = jg.vertices.find((x) => x.nodes[0].name === 'Co')!;
    expect(v.inputs.map((e) => e.typeNumber)).toEqual([1, 2]);
    const st = createExecutionGraph(jg).subtasks.find((s) => s.vertex === v)!;
    expect(st.inputs.map((i) => jg.edges[i.edgeId].typeNumber)).toEqual([1, 2]);
  });

  test('a keyed two-input operator needs keyBy on both inputs', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const a = env.fromCollection([1]);
    const b = env.fromCollection([2]);
    const k = (x: unknown) => String(x);
    twoInput(a.keyBy(k) as unknown as DataStream<unknown>, b, { key1: k, key2: k });
    // keyed with input 2 not hash-partitioned
    const env2 = StreamExecutionEnvironment.create({ parallelism: 2 });
    const a2 = env2.fromCollection([1]);
    const b2 = env2.fromCollection([2]);
    twoInput(new DataStream(env2, a2.keyBy(k).transformation), b2, { key1: k, key2: k }).sinkTo(() => {});
    expect(() => env2.getStreamGraph()).toThrow(GraphValidationError);
    expect(() => env2.getStreamGraph()).toThrow(/must be fed by keyBy/);
  });

  test('a key selector on one input only is refused', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const k = (x: unknown) => String(x);
    const a = env.fromCollection([1]).keyBy(k);
    const b = env.fromCollection([2]).keyBy(k);
    twoInput(new DataStream(env, a.transformation), new DataStream(env, b.transformation), { key1: k }).sinkTo(() => {});
    expect(() => env.getStreamGraph()).toThrow(/needs a key selector for each input/);
  });
});

describe('a keyed stream connected with a broadcast stream', () => {
  const k = (x: unknown) => String(x);

  test('keyed on input 1 only is accepted when input 2 is broadcast: hash into input 1, broadcast into input 2', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    const events = env.fromCollection([1]).name('Events');
    const rules = env.fromCollection(['r']).name('Rules').setParallelism(1);
    events
      .keyBy(k)
      .connect(rules.broadcast(new MapStateDescriptor<string, string>('rules')))
      .process({ processElement() {}, processBroadcastElement() {} })
      .sinkTo(() => {});
    const co = env.getStreamGraph().nodes.find((n) => n.twoInput)!;
    expect(co.stateKeySelector).toBeDefined();
    expect(co.stateKeySelector2).toBeUndefined();
    expect(co.inEdges.map((e) => [e.typeNumber, e.partitioner.kind])).toEqual([
      [1, 'hash'],
      [2, 'broadcast'],
    ]);
    const v = env.getJobGraph().vertices.find((x) => x.nodes[0] === co || x.nodes[0].twoInput)!;
    expect(v.parallelism).toBe(3);
  });

  test('keyed on input 1 only with any other partitioning into input 2 is still refused', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const a = env.fromCollection([1]).keyBy(k);
    const b = env.fromCollection([2]).rebalance();
    twoInput(new DataStream(env, a.transformation), b, { key1: k }).sinkTo(() => {});
    expect(() => env.getStreamGraph()).toThrow(/needs a key selector for each input/);
  });
});

describe('two-input operators in the JobGraph', () => {
  test('never chained to their inputs, even forward at equal parallelism; what follows chains to them', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    const a = env.fromCollection([1]).name('A').map((x) => x).name('MapA');
    const b = env.fromCollection([2]).name('B');
    twoInput(a, b).map((x) => x).name('After').sinkTo(() => {}, 'Out');
    const jg = env.getJobGraph();
    expect(jg.vertices.map((v) => v.name)).toEqual(['A -> MapA', 'B', 'Co -> After -> Sink: Out']);
    const co = jg.vertices.find((v) => v.nodes[0].name === 'Co')!;
    expect(co.inputs.map((e) => [e.typeNumber, e.partitioner.kind]).sort()).toEqual([
      [1, 'forward'],
      [2, 'forward'],
    ]);
  });

  test('inputs of different parallelism are rebalanced into the operator', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    const a = env.fromCollection([1]).setParallelism(1);
    const b = env.fromCollection([2]).map((x) => x).setParallelism(2);
    twoInput(a, b).sinkTo(() => {});
    const jg = env.getJobGraph();
    const co = jg.vertices.find((v) => v.nodes[0].name === 'Co')!;
    expect(co.parallelism).toBe(3);
    expect(co.inputs.map((e) => e.partitioner.kind)).toEqual(['rebalance', 'rebalance']);
    const subtasks = createExecutionGraph(jg).subtasks.filter((s) => s.vertex === co);
    for (const s of subtasks) expect(s.inputs.map((i) => jg.edges[i.edgeId].typeNumber)).toEqual([1, 2, 2]);
  });
});
