/**
 * Source progress for `weir run`: counts what the sources' readers emit,
 * gives a percentage only from exact totals and only before a restart, and
 * leaves the job's behaviour and the sources' identity unchanged.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileSource, RestartStrategies, StreamExecutionEnvironment } from '../../index';
import { getExecutor } from '../api/PipelineExecutor';
import { FaultInjector } from '../testing/FaultInjector';
import { SourceProgress } from './SourceProgress';

async function run(env: StreamExecutionEnvironment): Promise<SourceProgress> {
  const graph = env.getJobGraph('progress');
  const progress = SourceProgress.instrument(graph);
  await getExecutor(env.config).execute(graph, env.config).result();
  return progress;
}

describe('SourceProgress', () => {
  test('counts every record of collection and generator sources, against their exact totals', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const seen: number[] = [];
    env.fromCollection([1, 2, 3, 4, 5]).union(env.fromGenerator(10, (i) => 100 + i)).sinkTo((x: number) => void seen.push(x));
    const before = SourceProgress.instrument(env.getJobGraph('x')).snapshot();
    expect(before).toEqual({ recordsRead: 0, totalRecords: 15, percent: 0, restarted: false, bounded: true });
    const progress = await run(env);
    expect(progress.snapshot()).toEqual({ recordsRead: 15, totalRecords: 15, percent: 100, restarted: false, bounded: true });
    expect(seen.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, ...Array.from({ length: 10 }, (_, i) => 100 + i)]);
  });

  test('keeps the source itself visible: its class (for savepoint compatibility) and its properties', () => {
    const env = StreamExecutionEnvironment.create();
    env.fromGenerator(3, (i) => i).sinkTo(() => {});
    const graph = env.getJobGraph('x');
    SourceProgress.instrument(graph);
    const source = graph.vertices[0].nodes[0].source!;
    expect(source.constructor.name).toBe('GeneratorSource');
    expect(source.totalRecords).toBe(3);
    expect(source.boundedness).toBe('BOUNDED');
  });

  test('a source without a known total (files): a count, no percentage', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-progress-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.jsonl'), '{"n":1}\n{"n":2}\n{"n":3}\n');
      const env = StreamExecutionEnvironment.create();
      env.fromSource(FileSource.jsonLines<{ n: number }>(dir)).sinkTo(() => {});
      const progress = await run(env);
      expect(progress.snapshot()).toEqual({ recordsRead: 3, totalRecords: undefined, percent: undefined, restarted: false, bounded: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('after a restart: counting begins again from the restored position and no percentage is given', async () => {
    const faults = new FaultInjector([{ kind: 'fail-at-record', operator: 'm', subtask: 0, record: 50, attempt: 1 }]);
    const env = StreamExecutionEnvironment.create({ faults });
    env.enableCheckpointing(1_000_000);
    env.setRestartStrategy(RestartStrategies.fixedDelay(1, 1));
    env.fromGenerator(200, (i) => i).map((x) => x).uid('m').sinkTo(() => {});
    const s = (await run(env)).snapshot();
    expect(s.restarted).toBe(true);
    expect(s.percent).toBeUndefined();
    expect(s.totalRecords).toBe(200);
    expect(s.recordsRead).toBe(200); // no checkpoint before the fault: the restart read everything again
  });
});
