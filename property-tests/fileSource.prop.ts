/**
 * Property: a FileSource job is exactly-once under crashes.
 *
 * fast-check generates files (random lines of multibyte text, as JSON lines
 * or CSV with quoted fields across lines, LF or CRLF), the chunk size the
 * files are read in, the source parallelism, the checkpoint interval and
 * up to three crashes — at a random record of the operator chained after
 * the source, during a snapshot or a notify-complete, in successive
 * attempts, each aimed at a subtask that reads some file. The job restarts from its latest checkpoint as often as
 * needed. The exactly-once collect sink then holds every line of every
 * file once, and each file's lines in file order.
 *
 * Replay a failure: FC_SEED=<seed> npx jest property-tests/fileSource.prop.ts
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { CollectSink, FileSource, MemoryCheckpointStorage, RestartStrategies, StreamExecutionEnvironment } from '../index';
import { ownerOf } from '../lib/connectors/FileSourceSplit';
import { FaultInjector, type Fault } from '../lib/testing/FaultInjector';

const RUNS = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 40 : 25));

interface Line {
  readonly f: number;
  readonly n: number;
  readonly text: string;
}

const text = fc.string({ unit: fc.constantFrom('a', 'z', ' ', ',', '"', '\n', 'é', '😀', 'ж', '\\'), maxLength: 12 });

const scenarioArb = fc
  .record({
    format: fc.constantFrom('json' as const, 'csv' as const),
    files: fc.array(fc.array(text, { maxLength: 300, size: 'max' }), { minLength: 1, maxLength: 3 }),
    crlf: fc.boolean(),
    chunkSize: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 64 }), weight: 3 }, { arbitrary: fc.integer({ min: 65, max: 4096 }), weight: 1 }),
    p: fc.integer({ min: 1, max: 3 }),
    intervalMs: fc.integer({ min: 1, max: 10 }),
  })
  .chain((sc) =>
    fc.record({
      sc: fc.constant(sc),
      crashes: fc.array(
        fc.record({
          kind: fc.constantFrom('fail-at-record' as const, 'fail-during-snapshot' as const, 'fail-during-notify' as const),
          /** Picks one of the subtasks that read some lines. */
          pick: fc.nat(),
          /** Where among that subtask's records (fail-at-record). */
          at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          checkpoint: fc.integer({ min: 1, max: 3 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  );

type Crash = (typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never)['crashes'][number];

/** The crashes as faults, aimed at subtasks that own files (ownership is by path hash, so known only once paths are). */
function faultsFor(crashes: readonly Crash[], files: readonly string[], lines: readonly number[], p: number): Fault[] {
  const owned = new Map<number, number>();
  files.forEach((f, i) => {
    if (lines[i] > 0) owned.set(ownerOf(f, p), (owned.get(ownerOf(f, p)) ?? 0) + lines[i]);
  });
  const owners = [...owned.keys()].sort();
  if (owners.length === 0) return [];
  return crashes.map((c, i) => {
    const subtask = owners[c.pick % owners.length];
    const attempt = i + 1;
    switch (c.kind) {
      case 'fail-at-record':
        return { kind: c.kind, operator: 'check', subtask, record: 1 + Math.floor(c.at * owned.get(subtask)!), attempt };
      default:
        return { kind: c.kind, operator: 'files', subtask, checkpoint: c.checkpoint, attempt };
    }
  });
}

function render(format: 'json' | 'csv', lines: readonly Line[], crlf: boolean): string {
  const eol = crlf ? '\r\n' : '\n';
  if (format === 'json') return lines.map((l) => JSON.stringify(l) + eol).join('');
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return `f,n,text${eol}` + lines.map((l) => `${l.f},${l.n},${q(l.text)}${eol}`).join('');
}

describe('FileSource exactly-once under crashes', () => {
  test('the collected output is every line of every file once, each file in order', async () => {
    let restoredCheckpoint = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ sc, crashes }) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-filesource-crash-'));
        try {
          const files = sc.files.map((texts, f) => texts.map((t, n) => ({ f, n, text: t })));
          const paths = files.map((lines, f) => {
            const p = path.join(dir, `part-${f}.${sc.format}`);
            fs.writeFileSync(p, render(sc.format, lines, sc.crlf));
            return p;
          });
          const faults = new FaultInjector(faultsFor(crashes, paths, files.map((l) => l.length), sc.p));
          const env = StreamExecutionEnvironment.create({ parallelism: sc.p, faults, bufferTimeoutMs: 1, frameSize: 32 });
          env.enableCheckpointing(sc.intervalMs, 'exactly-once', { tolerableFailedCheckpoints: 1000 });
          env.setCheckpointStorage(new MemoryCheckpointStorage());
          env.setRestartStrategy(RestartStrategies.fixedDelay(10, 0));
          const source =
            sc.format === 'json'
              ? FileSource.jsonLines<Line>(dir, { chunkSize: sc.chunkSize })
              : FileSource.csv<{ f: string; n: string; text: string }>(dir, { chunkSize: sc.chunkSize });
          env
            .fromSource(source as FileSource<Line | { f: string; n: string; text: string }>, 'files')
            .uid('files')
            .map((r): Line => ({ f: Number(r.f), n: Number(r.n), text: r.text }))
            .uid('check')
            .sinkTo(new CollectSink<Line>())
            .uid('collect')
            .setParallelism(1);
          const result = await env.execute('files under crashes');
          const out = result.sinkResults['collect'] as Line[];
          if (result.restarts.some((r) => r.restoredCheckpoint !== undefined)) restoredCheckpoint++;
          expect(out.length).toBe(files.reduce((n, f) => n + f.length, 0));
          files.forEach((lines, f) => expect(out.filter((l) => l.f === f)).toEqual(lines));
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: RUNS },
    );
    // About half the cases restart from a checkpoint (the others from scratch, or never crash); with enough cases, some must.
    if (RUNS >= 10) expect(restoredCheckpoint).toBeGreaterThan(0);
  });
});
