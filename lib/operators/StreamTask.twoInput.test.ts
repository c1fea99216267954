/**
 * A StreamTask headed by a two-input operator, driven by hand: records of a
 * channel reach processElement1 or processElement2 by the input its edge
 * feeds; each input's channels have their own valve and the operator's
 * watermark is the minimum of the two; an input whose channels all ended
 * hears endInput at once and stops holding event time back; barrier
 * alignment blocks channels of both inputs until the barrier came on all.
 */
import { SingleOutputStreamOperator } from '../api/DataStream';
import { StreamExecutionEnvironment } from '../api/StreamExecutionEnvironment';
import { createExecutionGraph, type ExecutionVertex } from '../graph/ExecutionGraph';
import type { JobGraph } from '../graph/JobGraph';
import { ManualClock } from '../testing/ManualClock';
import { END_OF_PARTITION, type CheckpointBarrier, type RecordFrame } from '../transport/ChannelBuffer';
import { AbstractTwoInputStreamOperator } from './AbstractTwoInputStreamOperator';
import type { InputId } from './StreamOperator';
import { StreamTask, type TaskSnapshot } from './StreamTask';

class Recorder extends AbstractTwoInputStreamOperator<unknown, unknown, string> {
  constructor(private readonly log: string[]) {
    super();
  }
  processElement1(v: unknown, _t: number | undefined): void {
    this.recordsIn++;
    this.log.push(`1:${String(v)}`);
  }
  processElement2(v: unknown, _t: number | undefined): void {
    this.recordsIn++;
    this.log.push(`2:${String(v)}`);
  }
  override processWatermark(watermark: number): void {
    this.log.push(`WM ${watermark}`);
    super.processWatermark(watermark);
  }
  override endInput(inputId: InputId): void {
    this.log.push(`end ${inputId}`);
  }
}

/** Input 1: a source at parallelism 2 (two channels, rebalanced); input 2: one at parallelism 1 (one channel). */
function job(log: string[]): JobGraph {
  const env = StreamExecutionEnvironment.create({ parallelism: 1 });
  const a = env.fromGenerator(4, (i) => i).setParallelism(2);
  const b = env.fromCollection(['x']);
  const t = env.addTransformation({
    kind: 'two-input',
    input1: a.transformation,
    input2: b.transformation,
    operatorFactory: () => new Recorder(log),
    stateKeySelector1: undefined,
    stateKeySelector2: undefined,
    name: 'Co',
    uid: 'co',
    parallelism: 1,
    maxParallelism: undefined,
    chaining: 'always',
  });
  new SingleOutputStreamOperator<string>(env, t).sinkTo(() => {});
  return env.getJobGraph();
}

interface Rig {
  task: StreamTask;
  /** The task's channels of input 1 and of input 2. */
  in1: number[];
  in2: number[];
  snapshots: TaskSnapshot[];
  log: string[];
  /** Runs until the task has nothing more to do. */
  drain(): void;
}

function rig(): Rig {
  const log: string[] = [];
  const jg = job(log);
  const eg = createExecutionGraph(jg);
  const ev: ExecutionVertex = eg.subtasks.find((s) => s.vertex.nodes[0].name === 'Co')!;
  const snapshots: TaskSnapshot[] = [];
  const task = new StreamTask(
    ev,
    { frameSize: 10, channelCredits: 100, buffersPerRun: 100, checkpointingMode: 'exactly-once', jobId: 'j', attemptNumber: 1 },
    {
      clock: new ManualClock(),
      random: () => 0,
      sendBuffer: () => {},
      sendCredit: () => {},
      sendOperatorEvent: () => {},
      snapshotTaken: (s) => void snapshots.push(s),
      checkpointSubsumed: () => {},
      requestRun: () => {},
    },
  );
  task.open();
  const in1 = ev.inputs.flatMap((info, c) => (jg.edges[info.edgeId].typeNumber === 1 ? [c] : []));
  const in2 = ev.inputs.flatMap((info, c) => (jg.edges[info.edgeId].typeNumber === 2 ? [c] : []));
  const drain = () => {
    for (let i = 0; i < 100; i++) if (task.run().kind !== 'more') return;
  };
  return { task, in1, in2, snapshots, log, drain };
}

const records = (...values: unknown[]): RecordFrame => ({ kind: 'records', values, timestamps: undefined });
const wm = (timestamp: number) => ({ kind: 'watermark', timestamp }) as const;
const barrier = (checkpointId: number): CheckpointBarrier => ({ kind: 'barrier', checkpointId, timestamp: 0, savepoint: false, terminate: false });

describe('StreamTask with a two-input head', () => {
  test('input 1 has two channels, input 2 one', () => {
    const r = rig();
    expect(r.in1).toHaveLength(2);
    expect(r.in2).toHaveLength(1);
  });

  test('records go to processElement1 or processElement2 by the channel they came on', () => {
    const r = rig();
    r.task.receive(r.in1[0], records('a', 'b'));
    r.task.receive(r.in2[0], records('x'));
    r.task.receive(r.in1[1], records('c'));
    r.drain();
    expect(r.log.sort()).toEqual(['1:a', '1:b', '1:c', '2:x']);
  });

  test("each input's valve combines its own channels; the operator takes the minimum of the two", () => {
    const r = rig();
    r.task.receive(r.in1[0], wm(10));
    r.task.receive(r.in2[0], wm(3));
    r.drain();
    expect(r.log).toEqual([]); // input 1's second channel has no watermark yet
    r.task.receive(r.in1[1], wm(20));
    r.drain();
    expect(r.log).toEqual(['WM 3']); // input 1 at 10, input 2 at 3
    r.task.receive(r.in2[0], wm(15));
    r.drain();
    expect(r.log).toEqual(['WM 3', 'WM 10']);
  });

  test('an input whose channels all ended hears endInput at once and counts as +Infinity', () => {
    const r = rig();
    r.task.receive(r.in1[0], wm(10));
    r.task.receive(r.in1[1], wm(12));
    r.task.receive(r.in2[0], wm(5));
    r.task.receive(r.in2[0], END_OF_PARTITION);
    r.drain();
    expect(r.log).toEqual(['WM 5', 'WM 10', 'end 2']);
    r.task.receive(r.in1[0], wm(30));
    r.task.receive(r.in1[1], wm(40));
    r.drain();
    expect(r.log.slice(3)).toEqual(['WM 12', 'WM 30']);
    r.task.receive(r.in1[0], END_OF_PARTITION);
    r.task.receive(r.in1[1], END_OF_PARTITION);
    r.drain();
    expect(r.log.slice(5)).toEqual(['WM 40', 'WM Infinity', 'end 1']); // channel 0 ended first: channel 1 (40) alone
    expect(r.task.isFinished).toBe(true);
  });

  test('exactly-once alignment holds the channels of both inputs until the barrier came on all of them', () => {
    const r = rig();
    r.task.receive(r.in1[0], barrier(1));
    r.task.receive(r.in1[0], records('after-1a'));
    r.task.receive(r.in2[0], records('before-2'));
    r.task.receive(r.in2[0], barrier(1));
    r.task.receive(r.in2[0], records('after-2'));
    r.drain();
    expect(r.log).toEqual(['2:before-2']);
    expect(r.snapshots).toHaveLength(0);
    r.task.receive(r.in1[1], records('before-1b'));
    r.task.receive(r.in1[1], barrier(1));
    r.drain();
    expect(r.snapshots.map((s) => s.checkpointId)).toEqual([1]);
    // what came before every barrier was processed before the snapshot; the rest after it
    expect(r.log.slice(0, 2).sort()).toEqual(['1:before-1b', '2:before-2']);
    expect(r.log.slice(2).sort()).toEqual(['1:after-1a', '2:after-2']);
    expect(r.task.metrics().operators[0].recordsIn).toBe(4);
  });
});
