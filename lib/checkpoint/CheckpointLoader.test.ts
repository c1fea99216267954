/**
 * CheckpointLoader: loadCheckpoint reads a checkpoint written to
 * MemoryCheckpointStorage (two subtasks' states with keyed handles from real
 * HeapKeyedStateBackends, plus list state) back as its metadata and a
 * RestoredState; readKeyedState returns every key's value (composite keys as
 * arrays); corrupt or undecodable subtask files are CorruptStateErrors;
 * checkpointMetadata builds subtasks only from acks with handles; and
 * resolveSnapshotPath accepts a savepoint or retained checkpoint directory
 * or its _metadata file and throws RestoreError when there is none;
 * listRetainedCheckpoints finds what to resume from.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CorruptStateError, RestoreError } from '../errors';
import type { JobGraph } from '../graph/JobGraph';
import { encodeState } from '../state/codec';
import { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import { assignToKeyGroup, KeyGroupRange, normalizeKey, operatorIndexForKeyGroup, type Key } from '../state/KeyGroup';
import type { MapState, ValueState } from '../state/KeyedState';
import { MapStateDescriptor, ValueStateDescriptor } from '../state/StateDescriptor';
import type { PendingCheckpoint, SubtaskAck } from './CheckpointCoordinator';
import { checkpointDirectory, savepointDirectoryName, stateFileName } from './CheckpointLayout';
import { checkpointMetadata, listRetainedCheckpoints, loadCheckpoint, readKeyedState, resolveSnapshotPath } from './CheckpointLoader';
import { decodeMetadata, writeMetadata, type CheckpointMetadata } from './CheckpointMetadata';
import { FileSystemCheckpointStorage, MemoryCheckpointStorage, type CheckpointStorage, type StateHandleRef } from './CheckpointStorage';
import { encodeSubtaskState, type SubtaskState } from './SubtaskState';

const MAX = 128;
const PARALLELISM = 2;
const UID = 'counter';

/** Keys of every form: strings, numbers, booleans, bigints, composite arrays. */
const VALUES: readonly [Key, { n: number }][] = [
  ['alice', { n: 1 }],
  ['bob', { n: 2 }],
  [42, { n: 3 }],
  [-7.5, { n: 4 }],
  [true, { n: 5 }],
  [99n, { n: 6 }],
  [['eu', 7], { n: 7 }],
  [['us', 'west', 3], { n: 8 }],
  [['big', 12345678901234567890n], { n: 9 }],
  ...Array.from({ length: 20 }, (_, i): [Key, { n: number }] => [`user-${i}`, { n: 100 + i }]),
];

function owner(key: Key): number {
  return operatorIndexForKeyGroup(MAX, PARALLELISM, assignToKeyGroup(normalizeKey(key), MAX));
}

/** Two keyed backends (subtasks 0 and 1 of 2), each holding the keys of its key groups. */
async function keyedHandles() {
  const backends = [0, 1].map((i) => new HeapKeyedStateBackend(MAX, KeyGroupRange.forOperator(MAX, PARALLELISM, i)));
  for (const [key, value] of VALUES) {
    const b = backends[owner(key)];
    b.setCurrentKey(normalizeKey(key));
    (b.getState(new ValueStateDescriptor<{ n: number }>('count')) as ValueState<{ n: number }>).update(value);
    const tags = b.getState(new MapStateDescriptor<string, number>('tags')) as MapState<string, number>;
    tags.put('n', value.n);
    // the same state in two windows' namespaces (an operator's view), with the window key as id
    const windowed = b.getInternalState(new ValueStateDescriptor<{ n: number }>('count'));
    for (const start of [0, 10]) {
      windowed.setCurrentNamespace({ type: 'TimeWindow', start, end: start + 10 }, `tw:${start}:${start + 10}`);
      windowed.update({ n: value.n * 1000 + start });
    }
  }
  return Promise.all(backends.map((b) => b.snapshot().write()));
}

const JOB = '0190aaaa-bbbb-7ccc-8ddd-eeeeffff0001';

/** Writes a two-subtask checkpoint into `dir`; returns the metadata location and what was written. */
async function writeCheckpoint(storage: CheckpointStorage, checkpointId = 5, isSavepoint = false, dir = checkpointDirectory(JOB, checkpointId), jobName = 'loader-test', timestamp = 1_700_000_000_000) {
  const handles = await keyedHandles();
  const states: SubtaskState[] = [0, 1].map((i) => ({
    subtaskIndex: i,
    operators: {
      [UID]: { keyed: handles[i] },
      source: { lists: { splits: [`split-${i}a`, `split-${i}b`] } },
    },
  }));
  await storage.createDirectory(dir);
  const refs: StateHandleRef[] = [];
  for (const s of states) refs.push(await storage.writeFile(dir, stateFileName(`vertex-1#${s.subtaskIndex}`), encodeSubtaskState(s)));
  const metadata: CheckpointMetadata = {
    version: 2,
    jobId: JOB,
    jobName,
    checkpointId,
    timestamp,
    isSavepoint,
    operators: [
      { uid: 'source', parallelism: PARALLELISM, maxParallelism: MAX, type: 'source:GeneratorSource' },
      { uid: UID, parallelism: PARALLELISM, maxParallelism: MAX, type: 'operator:KeyedProcessOperator' },
    ],
    subtasks: refs.map((handle, i) => ({ operatorUids: ['source', UID], subtaskIndex: i, handle })),
  };
  const location = await writeMetadata(storage, dir, metadata);
  const files = refs.map((r) => storage.locationOf(dir, r.file));
  return { location, metadata, refs, handles, files, dir };
}

/** A string telling keys apart by type and value (arrays part by part). */
function keyId(k: Key): string {
  const one = (p: unknown) => `${typeof p}:${String(p)}`;
  return Array.isArray(k) ? `[${k.map(one).join('|')}]` : one(k);
}

function entriesOf(m: Map<Key, unknown>): [Key, unknown][] {
  return [...m.entries()];
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('loadCheckpoint', () => {
  test('returns the metadata and a RestoredState of every subtask', async () => {
    const storage = new MemoryCheckpointStorage();
    const { location, metadata, handles } = await writeCheckpoint(storage);
    const loaded = await loadCheckpoint(storage, location);
    expect(loaded.metadata).toEqual(metadata);
    expect(loaded.state.checkpointId).toBe(5);
    expect(loaded.state.operatorUids.sort()).toEqual(['counter', 'source']);
    expect(Object.fromEntries(loaded.state.maxParallelism)).toEqual({ source: MAX, counter: MAX });
    const restore = loaded.state.forSubtask(UID, 0, 1)!;
    expect(restore.keyed.map((h) => h.keyGroupRange)).toEqual([
      { start: 0, end: 63 },
      { start: 64, end: 127 },
    ]);
    expect(restore.keyed.map((h) => h.keyGroups.length)).toEqual(handles.map((h) => h.keyGroups.length));
    // both subtasks hold keys
    expect(handles.every((h) => h.keyGroups.length > 0)).toBe(true);
    // list state concatenated in subtask order
    expect(loaded.state.forSubtask('source', 0, 1)!.lists.splits).toEqual(['split-0a', 'split-0b', 'split-1a', 'split-1b']);
    // at the parallelism it was written with, each subtask gets its own lists back
    expect(loaded.state.forSubtask('source', 1, 2)!.lists.splits).toEqual(['split-1a', 'split-1b']);
    // at another one, they are dealt round-robin
    expect(loaded.state.forSubtask('source', 1, 3)!.lists.splits).toEqual(['split-0b']);
  });

  test('the restored keyed handles restore real backends at a new parallelism', async () => {
    const storage = new MemoryCheckpointStorage();
    const { location } = await writeCheckpoint(storage);
    const { state } = await loadCheckpoint(storage, location);
    const seen = new Map<string, unknown>();
    for (let i = 0; i < 3; i++) {
      const b = new HeapKeyedStateBackend(MAX, KeyGroupRange.forOperator(MAX, 3, i));
      b.restore(state.forSubtask(UID, i, 3)!.keyed);
      for (const [k, v] of b.entries('count')) {
        expect(seen.has(String(k))).toBe(false);
        seen.set(String(k), v);
      }
    }
    expect(seen.size).toBe(VALUES.length);
  });

  test('a checkpoint without subtask states loads as empty state', async () => {
    const storage = new MemoryCheckpointStorage();
    await storage.createDirectory(checkpointDirectory(JOB, 1));
    const location = await writeMetadata(storage, checkpointDirectory(JOB, 1), {
      version: 2,
      jobId: JOB,
      jobName: 'empty',
      checkpointId: 1,
      timestamp: 0,
      isSavepoint: false,
      operators: [{ uid: 'x', parallelism: 1, maxParallelism: 8, type: 'operator:X' }],
      subtasks: [],
    });
    const loaded = await loadCheckpoint(storage, location);
    expect(loaded.state.operatorUids).toEqual([]);
    expect(loaded.state.forSubtask('x', 0, 1)).toBeUndefined();
    expect(readKeyedState(loaded.state, 'x', 'count').size).toBe(0);
  });

  test('a corrupted subtask file is a CorruptStateError naming it', async () => {
    const storage = new MemoryCheckpointStorage();
    const { location, files } = await writeCheckpoint(storage);
    const bytes = storage.files.get(files[1])!;
    const altered = bytes.slice();
    altered[altered.length - 1] ^= 0xff;
    storage.files.set(files[1], altered);
    const e = await rejection(loadCheckpoint(storage, location));
    expect(e).toBeInstanceOf(CorruptStateError);
    expect((e as Error).message).toContain(files[1]);
    expect((e as Error).message).toContain('checksum mismatch');
  });

  test('a missing subtask file is a CorruptStateError naming it', async () => {
    const storage = new MemoryCheckpointStorage();
    const { location, files } = await writeCheckpoint(storage);
    storage.files.delete(files[0]);
    const e = await rejection(loadCheckpoint(storage, location));
    expect(e).toBeInstanceOf(CorruptStateError);
    expect((e as Error).message).toContain(files[0]);
    expect((e as Error).message).toContain('missing');
  });

  test('an intact file that is not a subtask state is a CorruptStateError naming it', async () => {
    const storage = new MemoryCheckpointStorage();
    const dir = checkpointDirectory(JOB, 3);
    await storage.createDirectory(dir);
    const ref = await storage.writeFile(dir, stateFileName('vertex-1#0'), encodeState({ hello: 'world' }));
    const location = await writeMetadata(storage, dir, {
      version: 2,
      jobId: JOB,
      jobName: 'j',
      checkpointId: 3,
      timestamp: 0,
      isSavepoint: false,
      operators: [{ uid: 'a', parallelism: 1, maxParallelism: 128, type: 'operator:X' }],
      subtasks: [{ operatorUids: ['a'], subtaskIndex: 0, handle: ref }],
    });
    const e = await rejection(loadCheckpoint(storage, location));
    expect(e).toBeInstanceOf(CorruptStateError);
    expect((e as Error).message).toContain(storage.locationOf(dir, ref.file));
  });

  test('corrupt metadata is a CorruptStateError', async () => {
    const storage = new MemoryCheckpointStorage();
    const { location } = await writeCheckpoint(storage);
    const bytes = storage.files.get(location)!.slice();
    bytes[bytes.length - 2] ^= 0x01;
    storage.files.set(location, bytes);
    await expect(loadCheckpoint(storage, location)).rejects.toBeInstanceOf(CorruptStateError);
  });
});

describe('readKeyedState', () => {
  test('returns every key\'s value, composite keys as arrays', async () => {
    const storage = new MemoryCheckpointStorage();
    const { location } = await writeCheckpoint(storage);
    const { state } = await loadCheckpoint(storage, location);
    const counts = readKeyedState(state, UID, 'count');
    expect(counts.size).toBe(VALUES.length);
    const got = entriesOf(counts);
    const byId = new Map(got.map(([k, v]) => [keyId(k), v]));
    expect(byId.size).toBe(VALUES.length);
    for (const [key, value] of VALUES) expect(byId.get(keyId(key))).toEqual(value);
    // composite keys are real arrays, not their normalised strings
    const composite = got.map(([k]) => k).filter((k) => Array.isArray(k));
    expect(composite).toHaveLength(3);
    expect(composite).toContainEqual(['big', 12345678901234567890n]);
    expect(got.map(([k]) => k)).toContain(99n);
  });

  test('returns the values of one namespace when given one, matched by value', async () => {
    const storage = new MemoryCheckpointStorage();
    const { location } = await writeCheckpoint(storage);
    const { state } = await loadCheckpoint(storage, location);
    const window = readKeyedState(state, UID, 'count', { end: 20, start: 10, type: 'TimeWindow' });
    expect(window.size).toBe(VALUES.length);
    const byId = new Map(entriesOf(window).map(([k, v]) => [keyId(k), v]));
    for (const [key, value] of VALUES) expect(byId.get(keyId(key))).toEqual({ n: value.n * 1000 + 10 });
    expect(readKeyedState(state, UID, 'count', { type: 'TimeWindow', start: 20, end: 30 }).size).toBe(0);
    expect(readKeyedState(state, UID, 'tags', { type: 'TimeWindow', start: 0, end: 10 }).size).toBe(0);
  });

  test('a damaged key group inside an intact file is a CorruptStateError when read', async () => {
    const storage = new MemoryCheckpointStorage();
    const handles = await keyedHandles();
    const damaged = { ...handles[0], keyGroups: [{ keyGroup: handles[0].keyGroups[0].keyGroup, bytes: Uint8Array.of(0xc1) }] };
    const dir = checkpointDirectory(JOB, 6);
    await storage.createDirectory(dir);
    const ref = await storage.writeFile(dir, stateFileName('k#0'), encodeSubtaskState({ subtaskIndex: 0, operators: { [UID]: { keyed: damaged } } }));
    const location = await writeMetadata(storage, dir, {
      version: 2,
      jobId: JOB,
      jobName: 'j',
      checkpointId: 6,
      timestamp: 0,
      isSavepoint: false,
      operators: [{ uid: UID, parallelism: 1, maxParallelism: MAX, type: 'operator:X' }],
      subtasks: [{ operatorUids: [UID], subtaskIndex: 0, handle: ref }],
    });
    const { state } = await loadCheckpoint(storage, location);
    expect(() => readKeyedState(state, UID, 'count')).toThrow(CorruptStateError);
  });

  test('map state comes back as Maps', async () => {
    const storage = new MemoryCheckpointStorage();
    const { location } = await writeCheckpoint(storage);
    const { state } = await loadCheckpoint(storage, location);
    const tags = readKeyedState(state, UID, 'tags');
    expect(tags.size).toBe(VALUES.length);
    expect(tags.get('alice')).toEqual(new Map([['n', 1]]));
    expect(tags.get(42)).toEqual(new Map([['n', 3]]));
  });

  test('an unknown operator or state gives an empty map', async () => {
    const storage = new MemoryCheckpointStorage();
    const { location } = await writeCheckpoint(storage);
    const { state } = await loadCheckpoint(storage, location);
    expect(readKeyedState(state, 'no-such-uid', 'count').size).toBe(0);
    expect(readKeyedState(state, UID, 'no-such-state').size).toBe(0);
    expect(readKeyedState(state, 'source', 'count').size).toBe(0);
  });
});

describe('checkpointMetadata', () => {
  const node = (uid: string, parallelism: number, maxParallelism: number) => ({
    uid,
    parallelism,
    maxParallelism,
    kind: uid === 'src' ? 'source' : 'operator',
    source: uid === 'src' ? new (class GeneratorSource {})() : undefined,
    operatorFactory: () => new (class StreamMap {})(),
  });
  const jobGraph = {
    jobName: 'wordcount',
    vertices: [
      { id: 0, name: 'src -> map', parallelism: 2, maxParallelism: 128, nodes: [node('src', 2, 128), node('map', 2, 128)], inputs: [], outputs: [] },
      { id: 2, name: 'sum', parallelism: 3, maxParallelism: 64, nodes: [node('sum', 3, 64)], inputs: [], outputs: [] },
    ],
    edges: [],
  } as unknown as JobGraph;

  const handle = (n: number): StateHandleRef => ({ file: `s${n}.state`, size: n, checksum: String(n).repeat(64).slice(0, 64) });
  const ackOf = (subtaskKey: string, operatorUids: string[], subtaskIndex: number, h: StateHandleRef | undefined): SubtaskAck => ({
    subtaskKey,
    operatorUids,
    subtaskIndex,
    handle: h,
    alignmentMs: 0,
    syncMs: 1,
    asyncMs: 2,
  });

  test('operators from every chain member; subtasks only from acks with handles', () => {
    const acks = new Map<string, SubtaskAck>([
      ['0#0', ackOf('0#0', ['src', 'map'], 0, handle(1))],
      ['0#1', ackOf('0#1', ['src', 'map'], 1, undefined)],
      ['2#0', ackOf('2#0', ['sum'], 0, handle(2))],
      ['2#2', ackOf('2#2', ['sum'], 2, handle(3))],
    ]);
    const p: PendingCheckpoint = {
      id: 9,
      timestamp: 123456,
      savepoint: true,
      terminate: false,
      notYetAcknowledged: new Set(),
      acks,
      completing: true,
    };
    const m = checkpointMetadata(jobGraph, JOB, p);
    expect(m).toEqual({
      version: 2,
      jobId: JOB,
      jobName: 'wordcount',
      checkpointId: 9,
      timestamp: 123456,
      isSavepoint: true,
      operators: [
        { uid: 'src', parallelism: 2, maxParallelism: 128, type: 'source:GeneratorSource' },
        { uid: 'map', parallelism: 2, maxParallelism: 128, type: 'operator:StreamMap' },
        { uid: 'sum', parallelism: 3, maxParallelism: 64, type: 'operator:StreamMap' },
      ],
      subtasks: [
        { operatorUids: ['src', 'map'], subtaskIndex: 0, handle: handle(1) },
        { operatorUids: ['sum'], subtaskIndex: 0, handle: handle(2) },
        { operatorUids: ['sum'], subtaskIndex: 2, handle: handle(3) },
      ],
    });
  });

  test('no handles at all: no subtasks, not a savepoint', () => {
    const p: PendingCheckpoint = {
      id: 1,
      timestamp: 5,
      savepoint: false,
      terminate: false,
      notYetAcknowledged: new Set(),
      acks: new Map([['0#0', ackOf('0#0', ['src', 'map'], 0, undefined)]]),
      completing: true,
    };
    const m = checkpointMetadata(jobGraph, JOB, p);
    expect(m.subtasks).toEqual([]);
    expect(m.isSavepoint).toBe(false);
    expect(m.operators).toHaveLength(3);
  });

  test('its metadata is accepted by the storage and loads back', async () => {
    const storage = new MemoryCheckpointStorage();
    const state: SubtaskState = { subtaskIndex: 0, operators: { sum: { lists: { x: [1, 2] } } } };
    const dir = checkpointDirectory(JOB, 4);
    await storage.createDirectory(dir);
    const ref = await storage.writeFile(dir, stateFileName('2#0'), encodeSubtaskState(state));
    const p: PendingCheckpoint = {
      id: 4,
      timestamp: 77,
      savepoint: false,
      terminate: false,
      notYetAcknowledged: new Set(),
      acks: new Map([['2#0', ackOf('2#0', ['sum'], 0, ref)]]),
      completing: true,
    };
    const location = await writeMetadata(storage, dir, checkpointMetadata(jobGraph, JOB, p));
    const loaded = await loadCheckpoint(storage, location);
    expect(loaded.metadata.checkpointId).toBe(4);
    expect(loaded.state.forSubtask('sum', 0, 1)!.lists.x).toEqual([1, 2]);
    expect(loaded.state.maxParallelism.get('sum')).toBe(64);
  });

  test('claimed runs: carried by checkpoints, never by savepoints; read back; a path instead of a directory name is refused', async () => {
    const claimed = [{ jobId: 'run-a', checkpointId: 3 }];
    const p = (savepoint: boolean): PendingCheckpoint => ({
      id: 4,
      timestamp: 77,
      savepoint,
      terminate: false,
      notYetAcknowledged: new Set(),
      acks: new Map(),
      completing: true,
    });
    expect(checkpointMetadata(jobGraph, JOB, p(true), claimed).claimed).toBeUndefined();
    expect(checkpointMetadata(jobGraph, JOB, p(false), []).claimed).toBeUndefined();
    const m = checkpointMetadata(jobGraph, JOB, p(false), claimed);
    expect(decodeMetadata(encodeState(m), 'x').claimed).toEqual(claimed);
    for (const bad of [{ jobId: '../elsewhere', checkpointId: 1 }, { jobId: 'run-a', checkpointId: -1 }, 'run-a']) {
      expect(() => decodeMetadata(encodeState({ ...m, claimed: [bad] }), 'x')).toThrow(/'claimed\[0\]/);
    }
  });
});

describe('resolveSnapshotPath and listRetainedCheckpoints', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'weir-loader-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const savepointDir = () => path.join(tmp, savepointDirectoryName(JOB, 12));

  async function writeSavepoint() {
    return writeCheckpoint(new FileSystemCheckpointStorage(tmp), 12, true, savepointDirectoryName(JOB, 12));
  }

  test('a savepoint directory: its _metadata, read by a storage confined to its parent', async () => {
    const { location, metadata } = await writeSavepoint();
    expect(location).toBe(path.join(savepointDir(), '_metadata'));
    const found = resolveSnapshotPath(savepointDir());
    expect(found.location).toBe(location);
    expect(found.storage.root).toBe(tmp);
    const loaded = await loadCheckpoint(found.storage, found.location);
    expect(loaded.metadata).toEqual(metadata);
    expect(readKeyedState(loaded.state, UID, 'count').size).toBe(VALUES.length);
  });

  test('the directory with a trailing separator, or the _metadata file itself', async () => {
    const { location, metadata } = await writeSavepoint();
    expect(resolveSnapshotPath(savepointDir() + path.sep).location).toBe(location);
    const found = resolveSnapshotPath(location);
    expect(found.location).toBe(location);
    expect((await loadCheckpoint(found.storage, found.location)).metadata).toEqual(metadata);
  });

  test('a savepoint stays restorable after its directory is moved (files are named relatively)', async () => {
    const { metadata } = await writeSavepoint();
    const moved = path.join(tmp, 'elsewhere', 'renamed-savepoint');
    fs.mkdirSync(path.dirname(moved));
    fs.renameSync(savepointDir(), moved);
    const found = resolveSnapshotPath(moved);
    const loaded = await loadCheckpoint(found.storage, found.location);
    expect(loaded.metadata).toEqual(metadata);
    expect(readKeyedState(loaded.state, UID, 'count').size).toBe(VALUES.length);
  });

  test('a retained checkpoint directory of a job run resolves the same way', async () => {
    const storage = new FileSystemCheckpointStorage(tmp);
    const { location } = await writeCheckpoint(storage, 7);
    const found = resolveSnapshotPath(path.join(tmp, JOB, 'chk-7'));
    expect(found.location).toBe(location);
    expect((await loadCheckpoint(found.storage, found.location)).metadata.checkpointId).toBe(7);
  });

  test('a path that does not exist, a foreign file, a directory without _metadata: RestoreError SAVEPOINT_NOT_FOUND naming it', () => {
    const expectNotFound = (p: string, detail: RegExp) => {
      let e: unknown;
      try {
        resolveSnapshotPath(p);
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(RestoreError);
      expect((e as RestoreError).code).toBe('SAVEPOINT_NOT_FOUND');
      expect((e as Error).message).toContain(p);
      expect((e as Error).message).toMatch(detail);
    };
    expectNotFound(path.join(tmp, 'savepoint-99'), /no such file/);
    const foreign = path.join(tmp, 'notes.txt');
    fs.writeFileSync(foreign, 'x');
    expectNotFound(foreign, /give its directory or its _metadata/);
    const partial = path.join(tmp, 'savepoint-3');
    fs.mkdirSync(partial);
    fs.writeFileSync(path.join(partial, 'x.state'), 'partial');
    expectNotFound(partial, /no _metadata file there/);
    fs.mkdirSync(path.join(tmp, JOB, 'chk-1'), { recursive: true });
    expectNotFound(path.join(tmp, JOB), /name one chk-<n> directory/);
  });

  test('a corrupted savepoint subtask file fails the load with CorruptStateError naming it', async () => {
    const { files } = await writeSavepoint();
    const bytes = fs.readFileSync(files[0]);
    bytes[bytes.length - 1] ^= 0x55;
    fs.writeFileSync(files[0], bytes);
    const found = resolveSnapshotPath(savepointDir());
    const e = await rejection(loadCheckpoint(found.storage, found.location));
    expect(e).toBeInstanceOf(CorruptStateError);
    expect((e as Error).message).toContain(files[0]);
  });

  test('listRetainedCheckpoints: completed checkpoints of every job, newest first, by job name; savepoints and broken ones skipped', async () => {
    const storage = new FileSystemCheckpointStorage(tmp);
    await writeCheckpoint(storage, 3, false, checkpointDirectory(JOB, 3), 'orders', 1000);
    await writeCheckpoint(storage, 4, false, checkpointDirectory(JOB, 4), 'orders', 2000);
    const other = '0190aaaa-bbbb-7ccc-8ddd-eeeeffff0002';
    await writeCheckpoint(storage, 9, false, checkpointDirectory(other, 9), 'payments', 1500);
    await writeCheckpoint(storage, 2, true, savepointDirectoryName(JOB, 2), 'orders', 3000);
    await storage.createDirectory(checkpointDirectory(JOB, 5)); // in progress: no metadata yet
    fs.writeFileSync(path.join(tmp, JOB, 'chk-6'), 'not a directory');
    const all = await listRetainedCheckpoints(tmp);
    expect(all.map((c) => [c.jobName, c.checkpointId])).toEqual([
      ['orders', 4],
      ['payments', 9],
      ['orders', 3],
    ]);
    expect(all[0].location).toBe(path.join(tmp, JOB, 'chk-4', '_metadata'));
    expect((await listRetainedCheckpoints(tmp, { jobName: 'payments' })).map((c) => c.location)).toEqual([path.join(tmp, other, 'chk-9', '_metadata')]);
    expect(await listRetainedCheckpoints(path.join(tmp, 'missing'))).toEqual([]);
  });
});
