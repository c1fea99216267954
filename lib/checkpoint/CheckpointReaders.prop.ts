/**
 * Fuzz properties of everything that reads checkpoint and savepoint files
 * back: metadata, subtask state, keyed-state blocks, sink committables.
 * Files are untrusted input — random bytes, mutations of valid files, and
 * well-formed files with crafted fields (paths that climb out of the
 * directory, absolute paths, wrong types, huge or negative numbers) only
 * ever yield a typed error (CorruptStateError), or a value that passed every
 * check; nothing outside the checkpoint's directory is read or renamed.
 *
 * Replay: FC_SEED=<seed> npx jest lib/checkpoint/CheckpointReaders.prop.ts
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { FileSink, type FileCommittable } from '../connectors/FileSink';
import { CorruptStateError, WeirError } from '../errors';
import { encodeState } from '../state/codec';
import { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import { KeyGroupRange } from '../state/KeyGroup';
import { ValueStateDescriptor } from '../state/StateDescriptor';
import { ManualClock } from '../testing/ManualClock';
import { checkpointDirectory, stateFileName } from './CheckpointLayout';
import { loadCheckpoint, readKeyedState } from './CheckpointLoader';
import { decodeMetadata, writeMetadata, type CheckpointMetadata } from './CheckpointMetadata';
import { FileSystemCheckpointStorage, MemoryCheckpointStorage, type CheckpointStorage } from './CheckpointStorage';
import { decodeSubtaskState, encodeSubtaskState } from './SubtaskState';

const RUNS = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 300 : 150));
const JOB = '0190aaaa-bbbb-7ccc-8ddd-eeeeffff0001';

/** Runs `f`; a typed error is fine, anything else fails the property with the error. */
async function typedOnly<T>(f: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof CorruptStateError) return undefined;
    throw new Error(`an untyped error escaped: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
  }
}

/** A valid checkpoint: two subtask files with keyed and list state, and its metadata. */
async function validCheckpoint(storage: CheckpointStorage, id = 4) {
  const dir = checkpointDirectory(JOB, id);
  await storage.createDirectory(dir);
  const backend = new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
  const v = backend.getState(new ValueStateDescriptor<number>('count')) as { update(n: number): void };
  for (let k = 0; k < 20; k++) {
    backend.setCurrentKey(`k${k}`);
    v.update(k);
  }
  const keyed = await backend.snapshot().write();
  const handle = await storage.writeFile(dir, stateFileName('1#0'), encodeSubtaskState({ subtaskIndex: 0, operators: { count: { keyed, lists: { x: [1, 2] } } } }));
  const metadata: CheckpointMetadata = {
    version: 2,
    jobId: JOB,
    jobName: 'fuzz',
    checkpointId: id,
    timestamp: 1,
    isSavepoint: false,
    operators: [{ uid: 'count', parallelism: 1, maxParallelism: 128, type: 'operator:X' }],
    subtasks: [{ operatorUids: ['count'], subtaskIndex: 0, handle }],
  };
  const location = await writeMetadata(storage, dir, metadata);
  return { dir, location, metadata };
}

/** Field values an attacker or a damaged disk might put anywhere. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('../secret', '../../../etc/passwd', '/etc/passwd', '/dev/zero', 'a/b', '..', '.', '', '_metadata', '%2e%2e', 'ok.state'),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 2 ** 53, Number.MAX_SAFE_INTEGER, NaN, Infinity),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);

describe('checkpoint readers take only typed errors from untrusted bytes', () => {
  test('metadata: random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        await typedOnly(() => decodeMetadata(bytes, 'fuzz'));
      }),
      { numRuns: RUNS },
    );
  });

  test('metadata: mutations of a valid file (flips, cuts, insertions) on disk and in memory', async () => {
    const memory = new MemoryCheckpointStorage();
    const { location } = await validCheckpoint(memory);
    const original = memory.files.get(location)!;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert')), { minLength: 1, maxLength: 4 }),
        async (mutations) => {
          let b = Buffer.from(original);
          for (const [at, byte, how] of mutations) {
            const i = at % Math.max(1, b.length);
            if (how === 'flip') b[i] ^= byte || 1;
            else if (how === 'cut') b = b.subarray(0, i);
            else b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
          }
          memory.files.set(location, new Uint8Array(b));
          const loaded = await typedOnly(() => loadCheckpoint(memory, location));
          // A mutation can only pass if it left the file intact (the checksum covers the payload).
          if (loaded !== undefined) expect(Buffer.from(memory.files.get(location)!)).toEqual(Buffer.from(original));
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('metadata: well-formed files with crafted fields never reach outside their directory', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-fuzz-'));
    try {
      const outside = path.join(root, 'secret');
      fs.writeFileSync(outside, 'not yours');
      const storage = new FileSystemCheckpointStorage(path.join(root, 'checkpoints'));
      const { dir, location, metadata } = await validCheckpoint(storage);
      const readFile = storage.readFile.bind(storage);
      const reads: string[] = [];
      storage.readFile = (d, name, expected, max) => {
        reads.push(path.join(storage.root, d, name));
        return readFile(d, name, expected, max);
      };
      const field = fc.constantFrom('version', 'jobId', 'checkpointId', 'timestamp', 'isSavepoint', 'operators', 'subtasks', 'file', 'size', 'checksum', 'operatorUids', 'subtaskIndex', 'uid', 'type');
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(field, hostile), { minLength: 1, maxLength: 3 }), async (edits) => {
          const m = JSON.parse(JSON.stringify(metadata, (_k, v) => (v instanceof Uint8Array ? undefined : v))) as Record<string, any>;
          const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
          for (const [f, v] of edits) {
            const sub = Array.isArray(m.subtasks) && obj(m.subtasks[0]) ? m.subtasks[0] : undefined;
            const op = Array.isArray(m.operators) && obj(m.operators[0]) ? m.operators[0] : undefined;
            if (f === 'file' || f === 'size' || f === 'checksum') {
              if (obj(sub?.handle)) sub.handle[f] = v;
            } else if (f === 'operatorUids' || f === 'subtaskIndex') {
              if (sub) sub[f] = v;
            } else if (f === 'uid' || f === 'type') {
              if (op) op[f] = v;
            } else m[f] = v;
          }
          await storage.writeFile(dir, '_metadata', encodeState(m));
          reads.length = 0;
          await typedOnly(() => loadCheckpoint(storage, location));
          for (const r of reads) expect(path.dirname(r)).toBe(path.join(storage.root, dir));
          expect(fs.readFileSync(outside, 'utf8')).toBe('not yours');
        }),
        { numRuns: RUNS },
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('subtask state and keyed-state blocks: random or crafted contents', async () => {
    /** Mostly the valid shape, sometimes hostile: most cases get past the first check. */
    const mostly = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ arbitrary: valid, weight: 15 }, { arbitrary: hostile, weight: 1 });
    const key = fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: -50, max: 50 }), fc.boolean());
    const block = fc.oneof(
      { arbitrary: fc.uint8Array({ maxLength: 60 }).map((b) => b as unknown), weight: 1 },
      {
        arbitrary: fc
          .array(fc.tuple(fc.integer({ min: -1, max: 2 }), key, hostile), { maxLength: 5 })
          .chain((rows) => mostly(fc.constant({ s: rows.map((r) => r[0]), k: rows.map((r) => r[1]), v: rows.map((r) => r[2]) })))
          .map((c) => encodeState(c) as unknown),
        weight: 4,
      },
    );
    const range = fc.tuple(fc.integer({ min: -2, max: 130 }), fc.integer({ min: -2, max: 130 })).map(([a, b]) => ({ start: Math.min(a, b), end: Math.max(a, b) }));
    const keyed = fc.record({
      keyGroupRange: mostly(range),
      states: mostly(fc.array(fc.record({ name: fc.constantFrom('count', 'other'), kind: mostly(fc.constantFrom('value', 'list', 'map', 'reducing', 'aggregating')) }), { maxLength: 2 })),
      keyGroups: mostly(fc.array(fc.record({ keyGroup: mostly(fc.integer({ min: -2, max: 130 })), bytes: block }), { maxLength: 3 })),
    });
    const state = fc.oneof(
      { arbitrary: fc.uint8Array({ maxLength: 200 }), weight: 1 },
      {
        arbitrary: fc
          .record({
            subtaskIndex: mostly(fc.nat(4)),
            operators: mostly(fc.record({ count: mostly(fc.record({ keyed: mostly(keyed), lists: mostly(fc.dictionary(fc.string(), mostly(fc.array(hostile)))) })) })),
          })
          .map((x) => encodeState(x)),
        weight: 6,
      },
    );
    await fc.assert(
      fc.asyncProperty(state, async (bytes) => {
        const decoded = await typedOnly(() => decodeSubtaskState(bytes, 'fuzz'));
        if (decoded === undefined) return;
        const storage = new MemoryCheckpointStorage();
        const dir = checkpointDirectory(JOB, 1);
        await storage.createDirectory(dir);
        const handle = await storage.writeFile(dir, 'x.state', bytes);
        const location = await writeMetadata(storage, dir, {
          version: 2,
          jobId: JOB,
          jobName: 'fuzz',
          checkpointId: 1,
          timestamp: 0,
          isSavepoint: false,
          operators: [{ uid: 'count', parallelism: 1, maxParallelism: 128, type: 'operator:X' }],
          subtasks: [{ operatorUids: ['count'], subtaskIndex: 0, handle }],
        });
        const loaded = await typedOnly(() => loadCheckpoint(storage, location));
        if (loaded === undefined) return;
        await typedOnly(() => {
          readKeyedState(loaded.state, 'count', 'count');
          for (let i = 0; i < 3; i++) loaded.state.forSubtask('count', i, 3);
        });
      }),
      { numRuns: RUNS },
    );
  });

  test('FileSink committables: a crafted one renames nothing outside the sink directory', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-fuzz-sink-'));
    try {
      const sinkDir = path.join(root, 'out');
      const victim = path.join(root, 'victim.txt');
      fs.writeFileSync(victim, 'mine');
      const sink = new FileSink<string>(sinkDir);
      sink.createWriter({
        indexOfSubtask: 1,
        parallelism: 2,
        operatorUid: 'files',
        clock: new ManualClock(),
        sendToCoordinator: () => {},
        jobId: JOB,
        attemptNumber: 1,
        restoredCommittables: [],
      });
      const committer = sink.createCommitter();
      const name = fc.oneof(hostile, fc.constantFrom(victim, '../victim.txt', '.part-0-ab-1-0.inprogress', 'part-0-ab-1-0', path.join(sinkDir, '..', 'victim.txt')));
      await fc.assert(
        fc.asyncProperty(fc.record({ pending: name, final: name }), async (c) => {
          try {
            await committer.commit([c as FileCommittable]);
          } catch (e) {
            if (!(e instanceof WeirError) && !/is gone/.test((e as Error).message)) throw e;
          }
          expect(fs.readFileSync(victim, 'utf8')).toBe('mine');
          expect(fs.readdirSync(root).sort()).toEqual(['out', 'victim.txt']);
        }),
        { numRuns: RUNS },
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
