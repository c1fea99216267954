/**
 * StreamTask driven directly, without actors: a fake TaskEnvironment records
 * the buffers and credits each subtask sends, and the test delivers them by
 * hand. Checks back-pressure (no input taken while an output channel has a
 * backlog: run() returns idle and queued input stays), credits returned in
 * batches, end-of-partition propagation to 'finished', bounded input queues
 * over a whole job under random delivery orders, and that a throwing user
 * function surfaces as a UserFunctionError naming operator, subtask and the
 * 1-based record position.
 */
import { StreamExecutionEnvironment } from '../api/StreamExecutionEnvironment';
import { UserFunctionError } from '../errors';
import { createExecutionGraph, type ExecutionGraph, type SubtaskId } from '../graph/ExecutionGraph';
import type { JobGraph } from '../graph/JobGraph';
import { ManualClock } from '../testing/ManualClock';
import { seededRandom } from '../testing/random';
import { END_OF_PARTITION, type ChannelBuffer, type RecordFrame } from '../transport/ChannelBuffer';
import { ChannelProtocolError } from '../transport/InputGate';
import { AbstractStreamOperator } from './StreamOperator';
import { StreamTask, type TaskConfig, type TaskStatus } from './StreamTask';

const key = (id: SubtaskId) => `${id.vertexId}#${id.index}`;

interface Wire {
  readonly from: SubtaskId;
  readonly to: SubtaskId;
  readonly channel: number;
  readonly buffer: ChannelBuffer;
}
interface CreditMsg {
  readonly from: SubtaskId;
  readonly to: SubtaskId;
  readonly channel: number;
  readonly credits: number;
}

/** All subtasks of a job graph, wired through recorded, hand-delivered messages. */
class Cluster {
  readonly eg: ExecutionGraph;
  readonly config: TaskConfig;
  readonly tasks = new Map<string, StreamTask>();
  /** Every buffer ever sent, in order. */
  readonly sent: Wire[] = [];
  /** Every credit message ever sent, in order. */
  readonly creditsSent: CreditMsg[] = [];
  /** Undelivered buffers per consumer channel ("v#i/c"), FIFO. */
  readonly pendingBuffers = new Map<string, Wire[]>();
  /** Undelivered credits per producer channel, FIFO. */
  readonly pendingCredits = new Map<string, CreditMsg[]>();
  /** Buffers sent to a consumer and not yet processed by it. */
  readonly held = new Map<string, number>();
  readonly operatorEvents: { uid: string; event: unknown }[] = [];
  readonly clock = new ManualClock();

  constructor(
    readonly jobGraph: JobGraph,
    config: Pick<TaskConfig, 'frameSize' | 'channelCredits' | 'buffersPerRun'> & Partial<TaskConfig>,
    seed = 1,
  ) {
    this.config = { checkpointingMode: 'exactly-once', jobId: 'test-job', attemptNumber: 1, ...config };
    this.eg = createExecutionGraph(jobGraph);
    const random = seededRandom(seed);
    for (const ev of this.eg.subtasks) {
      const self = ev.id;
      const task = new StreamTask(ev, this.config, {
        clock: this.clock,
        random,
        sendBuffer: (info, buffer) => {
          const w: Wire = { from: self, to: info.consumer, channel: info.consumerChannel, buffer };
          this.sent.push(w);
          push(this.pendingBuffers, `${key(info.consumer)}/${info.consumerChannel}`, w);
          this.held.set(key(info.consumer), (this.held.get(key(info.consumer)) ?? 0) + 1);
        },
        snapshotTaken: () => {
          throw new Error('no checkpoints in these tests');
        },
        requestRun: () => {},
        checkpointSubsumed: () => {
          throw new Error('no checkpoints in these tests');
        },
        sendCredit: (info, credits) => {
          const m: CreditMsg = { from: self, to: info.producer, channel: info.producerChannel, credits };
          this.creditsSent.push(m);
          push(this.pendingCredits, `${key(info.producer)}/${info.producerChannel}`, m);
        },
        sendOperatorEvent: (uid, event) => this.operatorEvents.push({ uid, event }),
        onBufferProcessed: () => this.held.set(key(self), this.held.get(key(self))! - 1),
      });
      this.tasks.set(key(self), task);
    }
  }

  vertexId(name: string): number {
    const v = this.jobGraph.vertices.filter((x) => x.name === name);
    expect(v).toHaveLength(1);
    return v[0].id;
  }

  task(vertexName: string, index: number): StreamTask {
    return this.tasks.get(`${this.vertexId(vertexName)}#${index}`)!;
  }

  openAll(): void {
    for (const t of this.tasks.values()) t.open();
  }

  /** Delivers the oldest pending buffer of one consumer channel. */
  deliverBuffer(channelKey: string): void {
    const q = this.pendingBuffers.get(channelKey)!;
    const w = q.shift()!;
    if (q.length === 0) this.pendingBuffers.delete(channelKey);
    this.tasks.get(key(w.to))!.receive(w.channel, w.buffer);
  }

  deliverCredit(channelKey: string): void {
    const q = this.pendingCredits.get(channelKey)!;
    const m = q.shift()!;
    if (q.length === 0) this.pendingCredits.delete(channelKey);
    this.tasks.get(key(m.to))!.addCredit(m.channel, m.credits);
  }

  /** Buffers sent to or queued at each consumer never exceed the credits it grants. */
  checkBounded(): void {
    for (const ev of this.eg.subtasks) {
      expect(this.held.get(key(ev.id)) ?? 0).toBeLessThanOrEqual(ev.inputs.length * this.config.channelCredits);
    }
  }

  /** Runs everything to the end in a random (seeded) order of deliveries and runs. */
  async runToEnd(seed: number, maxSteps = 200_000): Promise<void> {
    const random = seededRandom(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const runnable = new Set(this.tasks.keys());
    for (let step = 0; step < maxSteps; step++) {
      const choices: (() => Promise<void> | void)[] = [];
      for (const k of this.pendingBuffers.keys()) choices.push(() => this.deliverBuffer(k));
      for (const k of this.pendingCredits.keys()) choices.push(() => this.deliverCredit(k));
      for (const k of runnable) {
        const t = this.tasks.get(k)!;
        choices.push(async () => {
          const s = t.run();
          // Mailbox actions may be what the wait needs: run() stays callable meanwhile.
          if (s.kind === 'waiting') await Promise.race([s.until, new Promise((r) => setImmediate(r))]);
          if (s.kind === 'finished') runnable.delete(k);
        });
      }
      if (choices.length === 0) return;
      await pick(choices)();
      this.checkBounded();
    }
    throw new Error(`not finished after ${maxSteps} steps`);
  }
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const q = m.get(k);
  if (q) q.push(v);
  else m.set(k, [v]);
}

function frame(...values: unknown[]): RecordFrame {
  return { kind: 'records', values, timestamps: undefined };
}

function values(ws: Wire[]): unknown[] {
  return ws.flatMap((w) =>
    w.buffer.kind === 'records' ? w.buffer.values : w.buffer.kind === 'watermark' ? [`WM:${w.buffer.timestamp}`] : w.buffer.kind === 'end-of-partition' ? ['EOP'] : [w.buffer.kind],
  );
}

function expectStatus(s: TaskStatus, kind: TaskStatus['kind']): void {
  expect(s.kind).toBe(kind);
}

const WORDS = ['a', 'b', 'a', 'c', 'b', 'a', 'd', 'a', 'c', 'e', 'b', 'a'];

/** fromCollection → map (p=2, rebalance) → keyBy → reduce → sinkTo (chained, p=2). */
function wordCountJob(sink: (v: { w: string; n: number }) => void, opts: { frameSize?: number; mapFn?: (w: string) => { w: string; n: number } } = {}) {
  const env = StreamExecutionEnvironment.create({ parallelism: 2, frameSize: opts.frameSize ?? 2 });
  env
    .fromCollection(WORDS)
    .map(opts.mapFn ?? ((w: string) => ({ w, n: 1 })))
    .keyBy((x) => x.w)
    .reduce((a, b) => ({ w: a.w, n: a.n + b.n }))
    .sinkTo(sink);
  return env.getJobGraph();
}

describe('StreamTask over an execution graph', () => {
  test('the job graph has the expected three vertices', () => {
    const jg = wordCountJob(() => {});
    expect(jg.vertices.map((v) => [v.name, v.parallelism])).toEqual([
      ['Source: Collection Source', 1],
      ['Map', 2],
      ['Keyed Reduce -> Sink: Sink', 2],
    ]);
  });

  test.each([
    [1, 1, 1, 1],
    [2, 2, 2, 2],
    [3, 3, 1, 8],
    [4, 1, 3, 1],
    [5, 2, 1, 3],
    [6, 5, 4, 2],
  ])('a whole job runs to finished under a random delivery order (seed %i, frameSize %i, credits %i, buffersPerRun %i)', async (seed, frameSize, channelCredits, buffersPerRun) => {
    const out: { w: string; n: number }[] = [];
    const cluster = new Cluster(wordCountJob((v) => void out.push(v), { frameSize }), { frameSize, channelCredits, buffersPerRun }, seed);
    cluster.openAll();
    await cluster.runToEnd(seed * 7919);
    for (const t of cluster.tasks.values()) {
      expect(t.isFinished).toBe(true);
      expectStatus(t.run(), 'finished');
    }
    // every word counted; per word, the running counts arrive in order 1..n
    const counts = new Map<string, number[]>();
    for (const { w, n } of out) push(counts, w, n);
    const expected = new Map<string, number>();
    for (const w of WORDS) expected.set(w, (expected.get(w) ?? 0) + 1);
    expect(new Set(counts.keys())).toEqual(new Set(expected.keys()));
    for (const [w, n] of expected) expect(counts.get(w)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    // exactly one end-of-partition on every channel, and it is the last buffer of its channel
    for (const ev of cluster.eg.subtasks) {
      for (let c = 0; c < ev.inputs.length; c++) {
        const onChannel = cluster.sent.filter((w) => key(w.to) === key(ev.id) && w.channel === c);
        expect(onChannel.filter((w) => w.buffer.kind === 'end-of-partition')).toHaveLength(1);
        expect(onChannel[onChannel.length - 1].buffer.kind).toBe('end-of-partition');
        expect(onChannel.every((w) => key(w.from) === key(ev.inputs[c].producer))).toBe(true);
      }
      const m = cluster.tasks.get(key(ev.id))!.metrics();
      expect(m.maxQueuedBuffers).toBeLessThanOrEqual(m.inputCredits);
      expect(m.inputCredits).toBe(ev.inputs.length * channelCredits);
    }
    // nothing left anywhere
    expect(cluster.pendingBuffers.size).toBe(0);
    expect([...cluster.held.values()].every((h) => h === 0)).toBe(true);
    // record counts add up
    const metrics = [...cluster.tasks.values()].flatMap((t) => t.metrics().operators);
    const byName = (n: string) => metrics.filter((o) => o.name === n);
    expect(byName('Source: Collection Source').reduce((s, o) => s + o.recordsOut, 0)).toBe(WORDS.length);
    expect(byName('Map').reduce((s, o) => s + o.recordsIn, 0)).toBe(WORDS.length);
    expect(byName('Sink: Sink').reduce((s, o) => s + o.recordsIn, 0)).toBe(WORDS.length);
    expect(out).toHaveLength(WORDS.length);
  });

  test('the source stops polling while an output channel has a backlog, and resumes on credit', () => {
    const cluster = new Cluster(wordCountJob(() => {}), { frameSize: 2, channelCredits: 1, buffersPerRun: 100 });
    const src = cluster.task('Source: Collection Source', 0);
    expect(src.isSource).toBe(true);
    src.open();
    const polledRecords = () => src.metrics().operators[0].recordsOut;
    const [ch0, ch1] = [0, 1].map((i) => src.descriptor.outputs[0].firstChannel + i);
    // rebalance alternates records over 2 channels with 1 credit each: after 8 records both
    // channels have sent one frame and hold one in their backlog; the source stops polling
    expectStatus(src.run(), 'idle');
    expect(polledRecords()).toBe(8);
    expect(cluster.sent).toHaveLength(2);
    expect(new Set(cluster.sent.map((w) => w.to.index))).toEqual(new Set([0, 1]));
    expectStatus(src.run(), 'idle');
    expect(polledRecords()).toBe(8);
    // credit on one channel ships its backlog; the other channel still holds the source back
    src.addCredit(ch0, 1);
    expect(cluster.sent).toHaveLength(3);
    expectStatus(src.run(), 'idle');
    expect(polledRecords()).toBe(8);
    src.addCredit(ch1, 1);
    expect(cluster.sent).toHaveLength(4);
    // now the rest is polled; input ends, but end-of-partition waits for credit
    expectStatus(src.run(), 'idle');
    expect(polledRecords()).toBe(12);
    expect(src.isFinished).toBe(false);
    src.addCredit(ch0, 5);
    src.addCredit(ch1, 5);
    expectStatus(src.run(), 'finished');
    // 12 records over 2 channels in frames of 2, then the end-of-input watermark and end-of-partition on each
    expect(cluster.sent).toHaveLength(10);
    expect(values(cluster.sent).filter((v) => v !== 'EOP' && v !== 'WM:Infinity').sort()).toEqual([...WORDS].sort());
    for (const i of [0, 1]) {
      const mine = cluster.sent.filter((w) => w.to.index === i);
      expect(mine.map((w) => w.buffer.kind)).toEqual(['records', 'records', 'records', 'watermark', 'end-of-partition']);
    }
    expect(() => src.addCredit(99, 1)).toThrow();
  });

  describe('a map subtask', () => {
    function mapSetup(config: Partial<TaskConfig> = {}, mapFn?: (w: string) => { w: string; n: number }) {
      const cluster = new Cluster(wordCountJob(() => {}, { mapFn }), { frameSize: 1, channelCredits: 4, buffersPerRun: 8, ...config });
      const map = cluster.task('Map', 0);
      map.open();
      expect(map.isSource).toBe(false);
      expect(map.descriptor.inputs).toHaveLength(1);
      return { cluster, map };
    }
    const recordsIn = (t: StreamTask) => t.metrics().operators[0].recordsIn;

    test('stops taking input when an output channel has no credit: run() is idle and input stays queued', () => {
      const { cluster, map } = mapSetup();
      // every record has the key 'k': all output goes to one channel
      for (let i = 0; i < 4; i++) map.receive(0, frame('k'));
      expectStatus(map.run(), 'idle');
      expect(recordsIn(map)).toBe(4);
      expect(cluster.sent).toHaveLength(4); // the output channel's 4 credits used up
      const outChannel = cluster.sent[0].to;
      expect(cluster.sent.every((w) => key(w.to) === key(outChannel))).toBe(true);
      // the 4 processed input buffers earned their credits back, in one batch
      expect(cluster.creditsSent).toEqual([{ from: map.descriptor.id, to: map.descriptor.inputs[0].producer, channel: map.descriptor.inputs[0].producerChannel, credits: 4 }]);

      for (let i = 5; i <= 8; i++) map.receive(0, frame('k'));
      expectStatus(map.run(), 'idle');
      // one record taken (its frame waits in the backlog), three stay queued
      expect(recordsIn(map)).toBe(5);
      expect(cluster.sent).toHaveLength(4);
      expect(cluster.creditsSent).toHaveLength(1); // 1 due < threshold 2
      expectStatus(map.run(), 'idle');
      expect(recordsIn(map)).toBe(5);
      expect(map.metrics().maxQueuedBuffers).toBe(4);

      const producerChannel = map.descriptor.outputs[0].firstChannel + map.descriptor.outputs[0].channels.findIndex((c) => key(c.consumer) === key(outChannel));
      map.addCredit(producerChannel, 1); // ships the backlog
      expect(cluster.sent).toHaveLength(5);
      expectStatus(map.run(), 'idle');
      expect(recordsIn(map)).toBe(6);
      expect(cluster.creditsSent.map((c) => c.credits)).toEqual([4, 2]);
      map.addCredit(producerChannel, 10);
      expectStatus(map.run(), 'idle');
      expect(recordsIn(map)).toBe(8);
      expect(cluster.sent).toHaveLength(8);
      expect(cluster.creditsSent.map((c) => c.credits)).toEqual([4, 2, 2]);
    });

    test('returns "more" when its budget of buffers per run is used up', () => {
      const { cluster, map } = mapSetup({ buffersPerRun: 2 });
      for (let i = 0; i < 4; i++) map.receive(0, frame('k'));
      expectStatus(map.run(), 'more');
      expect(recordsIn(map)).toBe(2);
      expect(cluster.creditsSent.map((c) => c.credits)).toEqual([2]); // threshold ceil(4/2) = 2
      expectStatus(map.run(), 'idle');
      expect(recordsIn(map)).toBe(4);
      expect(cluster.creditsSent.map((c) => c.credits)).toEqual([2, 2]);
      expectStatus(map.run(), 'idle');
    });

    test('an upstream that sends beyond its credits is a ChannelProtocolError', () => {
      const { map } = mapSetup();
      for (let i = 0; i < 4; i++) map.receive(0, frame('k'));
      expect(() => map.receive(0, frame('k'))).toThrow(ChannelProtocolError);
      expect(() => map.receive(1, frame('k'))).toThrow(ChannelProtocolError); // no such input channel
    });

    test('end of partition: partial frames flushed, then end-of-partition on every output channel, then finished', () => {
      const { cluster, map } = mapSetup({ frameSize: 10 });
      map.receive(0, frame('x', 'y'));
      expectStatus(map.run(), 'idle');
      expect(cluster.sent).toHaveLength(0); // frames not full
      map.receive(0, END_OF_PARTITION);
      expectStatus(map.run(), 'finished');
      expect(map.isFinished).toBe(true);
      for (const ch of map.descriptor.outputs[0].channels) {
        const got = cluster.sent.filter((w) => key(w.to) === key(ch.consumer));
        expect(got[got.length - 1].buffer).toBe(END_OF_PARTITION);
        expect(got.every((w) => w.channel === ch.consumerChannel)).toBe(true);
      }
      expect(values(cluster.sent).filter((v) => v !== 'EOP' && v !== 'WM:Infinity')).toHaveLength(2);
      // the last input channel ended: the watermark at +Infinity, then end-of-partition, on every output channel
      expect(values(cluster.sent).filter((v) => v === 'WM:Infinity')).toHaveLength(2);
      expect(values(cluster.sent).filter((v) => v === 'EOP')).toHaveLength(2);
      // no credit is returned for the finished channel (due 2 < threshold before, then finished)
      expect(cluster.creditsSent).toEqual([]);
      expectStatus(map.run(), 'finished');
      expect(() => map.receive(0, frame('late'))).toThrow(ChannelProtocolError);
    });

    test('end of partition waits for output credit before finishing', () => {
      const { cluster, map } = mapSetup({ channelCredits: 2 });
      map.receive(0, frame('k'));
      map.receive(0, frame('k'));
      expectStatus(map.run(), 'idle'); // two frames sent: the 'k' channel has no credit left
      expect(cluster.sent).toHaveLength(2);
      const kChannel = cluster.sent[0].to;
      map.receive(0, END_OF_PARTITION);
      expectStatus(map.run(), 'idle'); // ending, but the final watermark and the EOP wait for credit on one channel
      expect(map.isFinished).toBe(false);
      expect(cluster.sent.filter((w) => w.buffer.kind === 'end-of-partition')).toHaveLength(1);
      expectStatus(map.run(), 'idle');
      const idx = map.descriptor.outputs[0].channels.findIndex((c) => key(c.consumer) === key(kChannel));
      map.addCredit(map.descriptor.outputs[0].firstChannel + idx, 1);
      expect(cluster.sent.filter((w) => w.buffer.kind === 'end-of-partition')).toHaveLength(1); // the watermark took it
      map.addCredit(map.descriptor.outputs[0].firstChannel + idx, 1);
      expect(cluster.sent.filter((w) => w.buffer.kind === 'end-of-partition')).toHaveLength(2);
      expectStatus(map.run(), 'finished');
    });

    test('flushOutputs() ships partly filled frames (buffer timeout)', () => {
      const { cluster, map } = mapSetup({ frameSize: 10 });
      map.receive(0, frame('p', 'q', 'r'));
      map.run();
      expect(cluster.sent).toHaveLength(0);
      map.flushOutputs();
      expect(values(cluster.sent).sort((a: any, b: any) => a.w.localeCompare(b.w))).toEqual([
        { w: 'p', n: 1 },
        { w: 'q', n: 1 },
        { w: 'r', n: 1 },
      ]);
      expect(map.metrics().buffersSent).toBe(cluster.sent.length);
    });

    test('a throwing map function surfaces as UserFunctionError naming operator, subtask and 1-based record position', () => {
      const boom = new Error('cannot parse');
      const cluster = new Cluster(
        (() => {
          const env = StreamExecutionEnvironment.create({ parallelism: 2 });
          env
            .fromCollection(['a'])
            .map((w: string) => {
              if (w === 'bad') throw boom;
              return w.toUpperCase();
            })
            .name('parse')
            .uid('parse-uid')
            .rebalance()
            .sinkTo(() => {});
          return env.getJobGraph();
        })(),
        { frameSize: 8, channelCredits: 4, buffersPerRun: 8 },
      );
      const map = cluster.task('parse', 1);
      map.open();
      map.receive(0, frame('a', 'b'));
      map.receive(0, frame('c', 'bad', 'd'));
      let err: unknown;
      try {
        map.run();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserFunctionError);
      const u = err as UserFunctionError;
      expect(u.code).toBe('USER_FUNCTION_FAILED');
      expect(u.location).toEqual({ operator: 'parse', uid: 'parse-uid', subtaskIndex: 1, parallelism: 2 });
      expect(u.position).toBe(4);
      expect(u.phase).toBe('process');
      expect(u.record).toBe('bad');
      expect(u.cause).toBe(boom);
      expect(u.message).toContain("operator 'parse'");
      expect(u.message).toContain('subtask 2/2');
      expect(u.message).toContain('record #4');
      expect(u.message).toContain('cannot parse');
    });
  });

  test('a failure in a chained operator names that operator, not the chain head', () => {
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection([1, 2, 3, 4])
      .map((x: number) => x * 10)
      .name('first')
      .map((x: number) => {
        if (x === 30) throw new TypeError('thirty');
        return x;
      })
      .name('second')
      .sinkTo(() => {});
    const cluster = new Cluster(env.getJobGraph(), { frameSize: 8, channelCredits: 2, buffersPerRun: 8 });
    expect(cluster.jobGraph.vertices).toHaveLength(1);
    const [task] = cluster.tasks.values();
    task.open();
    let err: unknown;
    try {
      for (let i = 0; i < 10; i++) task.run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserFunctionError);
    const u = err as UserFunctionError;
    expect(u.location.operator).toBe('second');
    expect(u.location.subtaskIndex).toBe(0);
    expect(u.position).toBe(3);
    expect(u.record).toBe(30);
    expect(u.message).toContain('subtask 1/1');
    expect(u.message).toContain('record #3');
    expect(u.cause).toBeInstanceOf(TypeError);
  });

  test('a keyed sink subtask finishes only after end-of-partition on every input channel', () => {
    const out: unknown[] = [];
    const cluster = new Cluster(wordCountJob((v) => void out.push(v)), { frameSize: 4, channelCredits: 2, buffersPerRun: 8 });
    const task = cluster.task('Keyed Reduce -> Sink: Sink', 0);
    task.open();
    // 'x' is in key group 55, which subtask 0 of 2 owns (0..63)
    expect(task.descriptor.inputs).toHaveLength(2);
    task.receive(0, frame({ w: 'x', n: 1 }, { w: 'x', n: 1 }));
    task.receive(1, frame({ w: 'x', n: 1 }));
    task.receive(0, END_OF_PARTITION);
    expectStatus(task.run(), 'idle');
    expect(out).toEqual([
      { w: 'x', n: 1 },
      { w: 'x', n: 2 },
      { w: 'x', n: 3 },
    ]);
    expect(task.isFinished).toBe(false);
    // threshold ceil(2/2) = 1: channel 1 returns its one credit; channel 0 is finished, so it gets none
    expect(cluster.creditsSent.map((c) => [c.channel, c.credits, key(c.to)])).toEqual([[task.descriptor.inputs[1].producerChannel, 1, key(task.descriptor.inputs[1].producer)]]);
    task.receive(1, END_OF_PARTITION);
    expectStatus(task.run(), 'finished');
    expect(cluster.sent).toEqual([]); // a sink has no output channels
  });

  test('a sink whose write returns a promise makes the task wait for it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const written: number[] = [];
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection([1, 2, 3])
      .rebalance()
      .sinkTo((v: number) => {
        written.push(v);
        return v === 1 ? gate : undefined;
      });
    const cluster = new Cluster(env.getJobGraph(), { frameSize: 8, channelCredits: 2, buffersPerRun: 8 });
    const sink = cluster.task('Sink: Sink', 0);
    sink.open();
    sink.receive(0, frame(1, 2));
    sink.receive(0, frame(3));
    const s = sink.run();
    expect(s.kind).toBe('waiting');
    // the first frame was processed in full; the second stays queued until the write settles
    expect(written).toEqual([1, 2]);
    let settled = false;
    void (s as { until: Promise<unknown> }).until.then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    release();
    await (s as { until: Promise<unknown> }).until;
    expectStatus(sink.run(), 'idle');
    expect(written).toEqual([1, 2, 3]);
  });

  test('mailbox actions run in order on the task; a member ends only after the one before it drained its async work', async () => {
    /** Emits x * 10 for each x, later, through the mailbox; endInput waits for what is in flight. */
    class EchoLater extends AbstractStreamOperator<number, number> {
      private inFlight = 0;
      private drained: (() => void) | undefined;
      processElement(v: number): void {
        this.recordsIn++;
        this.inFlight++;
        void Promise.resolve().then(() =>
          this.ctx.mailbox.execute(() => {
            this.inFlight--;
            this.next.processElement(v * 10, undefined);
            if (this.inFlight === 0) this.drained?.();
          }),
        );
      }
      override endInput(): void {
        if (this.inFlight > 0) this.ctx.defer(new Promise<void>((r) => (this.drained = r)));
      }
    }
    const seen: (number | string)[] = [];
    const env = StreamExecutionEnvironment.create();
    env
      .fromCollection([1, 2, 3, 4, 5])
      .transform<number>('Echo Later', () => new EchoLater())
      .map((x: number) => x + 1)
      .sinkTo({ createWriter: () => ({ write: (v: number) => void seen.push(v), flush: () => void seen.push('end of input') }) });
    const cluster = new Cluster(env.getJobGraph(), { frameSize: 2, channelCredits: 2, buffersPerRun: 2 });
    cluster.openAll();
    await cluster.runToEnd(3);
    expect(seen).toEqual([11, 21, 31, 41, 51, 'end of input']);
  });
});
