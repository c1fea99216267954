/**
 * Job graph fingerprints: the same module gives the same fingerprint in
 * separately loaded copies of the engine (as in two processes); a change of
 * uid, name, parallelism, max parallelism, chaining, edge, partitioner or
 * code changes it, and firstDifference names what changed.
 */
import * as path from 'node:path';
import { StreamExecutionEnvironment } from '../../index';
import { describeJobGraph, firstDifference, jobFingerprint, type CodeVersion, type JobGraphDescription } from './JobFingerprint';

const CODE: CodeVersion = { weirVersion: '0.1.0', moduleSha256: 'a'.repeat(64) };

interface Shape {
  parallelism?: number;
  sumUid?: string;
  sumName?: string;
  sumParallelism?: number;
  maxParallelism?: number;
  disableChaining?: boolean;
}

/** source → map → keyBy/sum → sink, varied by `shape`. */
function describe_(shape: Shape = {}, code: CodeVersion = CODE): JobGraphDescription {
  const env = StreamExecutionEnvironment.create({ parallelism: shape.parallelism ?? 2 });
  const mapped = env
    .fromGenerator(100, (i) => i)
    .uid('src')
    .map((x) => ({ k: x % 3, v: x }))
    .uid('map');
  if (shape.disableChaining) mapped.disableChaining();
  const sum = mapped
    .keyBy((r) => r.k)
    .sum('v')
    .uid(shape.sumUid ?? 'sum')
    .name(shape.sumName ?? 'Sum');
  if (shape.sumParallelism !== undefined) sum.setParallelism(shape.sumParallelism);
  if (shape.maxParallelism !== undefined) sum.setMaxParallelism(shape.maxParallelism);
  sum.sinkTo(() => {}).uid('sink');
  return describeJobGraph(env.getJobGraph('job'), code);
}

describe('jobFingerprint', () => {
  test('is a sha256 hex digest, equal for equal graphs built in one process', () => {
    const a = jobFingerprint(describe_());
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(jobFingerprint(describe_())).toBe(a);
    expect(firstDifference(describe_(), describe_())).toBeUndefined();
  });

  test('is equal for the same module loaded by two separate copies of the engine', async () => {
    const fixture = path.join(__dirname, '..', '..', 'cli', 'fixtures', 'sumJob.ts');
    const load = () =>
      new Promise<{ fingerprint: string; description: JobGraphDescription }>((resolve, reject) => {
        jest.isolateModules(() => {
          // A fresh registry: the engine, the loader and the job module are imported anew, as in another process.
          require('../../index');
          const { loadJobModule } = require('../cli/JobModule') as typeof import('../cli/JobModule');
          loadJobModule(fixture, { args: ['50'], parallelism: 2 }).then(resolve, reject);
        });
      });
    const first = await load();
    // Building other jobs in between must not shift anything (no process-wide counters in the graph).
    describe_({ parallelism: 3 });
    const second = await load();
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(firstDifference(first.description, second.description)).toBeUndefined();
  });

  test.each<[string, Shape, RegExp]>([
    ['a uid', { sumUid: 'total' }, /operator uid 'sum' \(Sum\) exists here, not there/],
    ['a name', { sumName: 'Total' }, /operator 'sum': name "Sum" here, "Total" there/],
    ['the default parallelism', { parallelism: 3 }, /operator 'src': parallelism 2 here, 3 there/],
    ['one operator\'s parallelism', { sumParallelism: 4 }, /operator 'sum': parallelism 2 here, 4 there/],
    ['a max parallelism', { maxParallelism: 64 }, /operator 'sum': maxParallelism 128 here, 64 there/],
    ['the chaining', { disableChaining: true }, /operator 'map': chaining "always" here, "never" there/],
  ])('changes with %s, and firstDifference names it', (_what, shape, expected) => {
    const base = describe_();
    const changed = describe_(shape);
    expect(jobFingerprint(changed)).not.toBe(jobFingerprint(base));
    expect(firstDifference(base, changed)).toMatch(expected);
  });

  test('changes with the code version: the weir version or the module bytes', () => {
    const base = describe_();
    const newer = describe_({}, { ...CODE, weirVersion: '0.2.0' });
    const edited = describe_({}, { ...CODE, moduleSha256: 'b'.repeat(64) });
    expect(jobFingerprint(newer)).not.toBe(jobFingerprint(base));
    expect(jobFingerprint(edited)).not.toBe(jobFingerprint(base));
    expect(firstDifference(base, newer)).toBe('weir version 0.1.0 here, 0.2.0 there');
    expect(firstDifference(base, edited)).toMatch(/^job module contents differ/);
  });

  test('changes with a partitioner, and firstDifference names the edge', () => {
    const build = (partition: 'shuffle' | 'rebalance') => {
      const env = StreamExecutionEnvironment.create({ parallelism: 2 });
      env.fromGenerator(10, (i) => i).uid('src')[partition]().sinkTo(() => {}).uid('sink');
      return describeJobGraph(env.getJobGraph('j'), CODE);
    };
    const a = build('shuffle');
    const b = build('rebalance');
    expect(jobFingerprint(a)).not.toBe(jobFingerprint(b));
    expect(firstDifference(a, b)).toBe("edge 'src' → 'sink' (shuffle) exists here, not there");
  });

  test('an added edge is named', () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    const src = env.fromCollection([1]).uid('src');
    src.sinkTo(() => {}).uid('a');
    const one = describeJobGraph(env.getJobGraph('j'), CODE);
    src.sinkTo(() => {}).uid('b');
    const two = describeJobGraph(env.getJobGraph('j'), CODE);
    expect(firstDifference(two, one)).toBe("operator uid 'b' (Sink: Sink) exists here, not there");
  });
});
