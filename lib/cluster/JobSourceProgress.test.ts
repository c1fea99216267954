/**
 * The coordinator's sum of the nodes' source samples: per job, the current
 * attempt's counts against the sources' exact total, and after a restart
 * (or a rescale) counts from the restored position with no percentage — as
 * an embedded run's SourceProgress reports them.
 */
import { StreamExecutionEnvironment } from '../api/StreamExecutionEnvironment';
import type { JobGraph } from '../graph/JobGraph';
import { JobSourceProgress } from './JobSourceProgress';
import type { SubtaskMetricsData } from './WireMessages';

/** A generator of `n` records and a collection of 3, each at parallelism 2, into one sink. */
function graph(n: number | 'unbounded' = 1000): JobGraph {
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  env
    .fromGenerator(n, (i) => i)
    .union(env.fromCollection([1, 2, 3]))
    .sinkTo(() => {});
  return env.getJobGraph('progress');
}

const at = (vertexId: number, index: number, recordsRead: number) => ({ subtask: { vertexId, index }, recordsRead });

describe('JobSourceProgress', () => {
  const g = graph();
  const [gen, coll] = g.vertices.filter((v) => v.nodes[0].kind === 'source').map((v) => v.id);

  test('sums the latest sample of every source subtask against the total of every source', () => {
    const p = new JobSourceProgress(g);
    expect(p.snapshot()).toEqual({ recordsRead: 0, totalRecords: 1003, percent: 0, restarted: false, bounded: true });
    p.sampled(1, [at(gen, 0, 100), at(coll, 0, 1)]);
    p.sampled(1, [at(gen, 1, 200)]);
    expect(p.snapshot()).toEqual({ recordsRead: 301, totalRecords: 1003, percent: 30, restarted: false, bounded: true });
    p.sampled(1, [at(gen, 0, 500), at(coll, 0, 2)]);
    expect(p.snapshot().recordsRead).toBe(702);
  });

  test('a finished subtask\'s metrics give its final count; a late sample cannot lower it', () => {
    const p = new JobSourceProgress(g);
    const source = g.vertices.find((v) => v.id === gen)!.nodes[0];
    const metrics: SubtaskMetricsData = {
      vertexId: gen,
      subtaskIndex: 0,
      operators: [{ nodeId: source.id, uid: source.uid, name: source.name, recordsIn: 0, recordsOut: 500 }],
      maxQueuedBuffers: 0,
      inputCredits: 0,
      buffersSent: 3,
    };
    p.sampled(1, [at(gen, 0, 450)]);
    p.finished(1, metrics);
    p.sampled(1, [at(gen, 0, 450)]);
    expect(p.snapshot().recordsRead).toBe(500);
    // A chain without a source (the sink) carries no count.
    p.finished(1, { ...metrics, vertexId: 99, operators: [{ ...metrics.operators[0], nodeId: 12345 }] });
    expect(p.snapshot().recordsRead).toBe(500);
  });

  test('a newer attempt drops the older one\'s counts and gives no percentage; reports of older attempts are ignored', () => {
    const p = new JobSourceProgress(g);
    p.sampled(1, [at(gen, 0, 400), at(gen, 1, 400)]);
    // Until the new attempt reports, the latest reports stand (embedded: until the readers are recreated).
    expect(p.snapshot()).toMatchObject({ recordsRead: 800, percent: 79, restarted: false });
    p.sampled(2, [at(gen, 0, 10)]);
    expect(p.snapshot()).toEqual({ recordsRead: 10, totalRecords: 1003, percent: undefined, restarted: true, bounded: true });
    p.sampled(1, [at(gen, 1, 450)]);
    expect(p.snapshot().recordsRead).toBe(10);
  });

  test('an attempt after the first is a restart even if the first never reported', () => {
    const p = new JobSourceProgress(g);
    p.sampled(3, [at(gen, 0, 5)]);
    expect(p.snapshot()).toMatchObject({ recordsRead: 5, percent: undefined, restarted: true });
  });

  test('a new run (a rescale) starts counting over, as a restart', () => {
    const p = new JobSourceProgress(g);
    p.sampled(1, [at(gen, 0, 400)]);
    p.nextRun(graph());
    expect(p.snapshot()).toEqual({ recordsRead: 0, totalRecords: 1003, percent: undefined, restarted: true, bounded: true });
    p.sampled(1, [at(gen, 0, 20)]);
    expect(p.snapshot()).toMatchObject({ recordsRead: 20, restarted: true });
  });

  test('an unbounded source: a count, no total, not bounded', () => {
    const p = new JobSourceProgress(graph('unbounded'));
    p.sampled(1, [at(gen, 0, 7)]);
    expect(p.snapshot()).toEqual({ recordsRead: 7, totalRecords: undefined, percent: undefined, restarted: false, bounded: false });
  });
});
