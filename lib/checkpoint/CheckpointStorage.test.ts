/**
 * CheckpointStorage, the same suite over the memory and the file-system
 * implementation: state and metadata round trips, subtask keys that need
 * escaping, listCompleted (newest first, only with metadata), discard,
 * corruption detection for every reason (missing, bad magic, truncated,
 * checksum mismatch, cannot decode) and for refs that do not match their
 * file, no temp files left behind, and prefixes sharing one directory.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigurationError, CorruptStateError } from '../errors';
import { encodeState } from '../state/codec';
import {
  FileSystemCheckpointStorage,
  MemoryCheckpointStorage,
  type CheckpointMetadata,
  type CheckpointStorage,
  type StateHandleRef,
} from './CheckpointStorage';

const MAGIC = Buffer.from('WEIRCKP1', 'ascii');
const HEADER = 40;

const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
const bytesOf = (...values: number[]): Uint8Array => Uint8Array.from(values);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A correctly framed blob, built independently of the implementation. */
const framed = (payload: Uint8Array): Uint8Array => new Uint8Array(Buffer.concat([MAGIC, sha256(payload), payload]));

/** What a test needs to reach behind a storage: the raw stored blobs. */
interface Fixture {
  make(prefix?: string): CheckpointStorage;
  raw(location: string): Uint8Array;
  put(location: string, bytes: Uint8Array): void;
  remove(location: string): void;
  /** Every stored name (file path relative to the directory, or map key). */
  names(): string[];
  /** Location of `file` inside checkpoint directory `dirName` (e.g. 'chk-5'). */
  locationIn(dirName: string, file: string): string;
  cleanup(): void;
}

function memoryFixture(): Fixture {
  const files = new Map<string, Uint8Array>();
  return {
    make: (prefix) => new MemoryCheckpointStorage(prefix === undefined ? { files } : { prefix, files }),
    raw: (location) => {
      const b = files.get(location);
      if (b === undefined) throw new Error(`test: no entry ${location}`);
      return b;
    },
    put: (location, bytes) => void files.set(location, bytes),
    remove: (location) => {
      if (!files.delete(location)) throw new Error(`test: no entry ${location}`);
    },
    names: () => [...files.keys()],
    locationIn: (dirName, file) => `memory://${dirName}/${file}`,
    cleanup: () => undefined,
  };
}

function fileSystemFixture(): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-ckpt-test-'));
  return {
    make: (prefix) => new FileSystemCheckpointStorage(dir, prefix === undefined ? undefined : { prefix }),
    raw: (location) => new Uint8Array(fs.readFileSync(location)),
    put: (location, bytes) => {
      fs.mkdirSync(path.dirname(location), { recursive: true });
      fs.writeFileSync(location, bytes);
    },
    remove: (location) => fs.unlinkSync(location),
    names: () => (fs.readdirSync(dir, { recursive: true }) as string[]).map((n) => n.split(path.sep).join('/')),
    locationIn: (dirName, file) => path.join(dir, dirName, file),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

function metadataFor(
  checkpointId: number,
  handles: readonly StateHandleRef[],
  extra: Partial<CheckpointMetadata> = {},
): CheckpointMetadata {
  return {
    version: 1,
    jobName: 'word count',
    checkpointId,
    timestamp: 1_700_000_000_000 + checkpointId,
    isSavepoint: false,
    operators: [
      { uid: 'source', parallelism: 1, maxParallelism: 128 },
      { uid: 'counter', parallelism: handles.length || 1, maxParallelism: 128 },
    ],
    subtasks: handles.map((handle, i) => ({ operatorUids: ['counter'], subtaskIndex: i, handle })),
    ...extra,
  };
}

async function expectCorrupt(p: Promise<unknown>, reason: string, location: string): Promise<CorruptStateError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CorruptStateError);
  const c = err as CorruptStateError;
  expect(c.code).toBe('CORRUPT_STATE');
  expect(c.message).toContain(reason);
  expect(c.message).toContain(location);
  return c;
}

describe.each([
  ['MemoryCheckpointStorage', memoryFixture],
  ['FileSystemCheckpointStorage', fileSystemFixture],
])('%s', (_name, createFixture) => {
  let fx: Fixture;
  let storage: CheckpointStorage;

  beforeEach(() => {
    fx = createFixture();
    storage = fx.make();
  });
  afterEach(() => fx.cleanup());

  /** Writes states and metadata for checkpoint `id`; returns the metadata location and handles. */
  async function complete(s: CheckpointStorage, id: number): Promise<{ location: string; handles: StateHandleRef[] }> {
    const handles = [
      await s.writeSubtaskState(id, 'counter#0', text(`state ${id}/0`)),
      await s.writeSubtaskState(id, 'counter#1', text(`state ${id}/1`)),
    ];
    return { location: await s.writeMetadata(metadataFor(id, handles)), handles };
  }

  describe('round trips', () => {
    test('subtask state: handle carries size and hex sha256; read returns the same bytes', async () => {
      const payload = new Uint8Array(100_000).map((_, i) => (i * 31 + 7) & 0xff);
      const ref = await storage.writeSubtaskState(3, 'map#0', payload);
      expect(ref.size).toBe(100_000);
      expect(ref.checksum).toBe(sha256(payload).toString('hex'));
      expect(ref.location).toBe(fx.locationIn('chk-3', 'map%230.state'));
      const back = await storage.readSubtaskState(ref);
      expect(back).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(back).equals(Buffer.from(payload))).toBe(true);
    });

    test('empty payload', async () => {
      const ref = await storage.writeSubtaskState(1, 'empty', new Uint8Array(0));
      expect(ref.size).toBe(0);
      expect(ref.checksum).toBe(sha256(new Uint8Array(0)).toString('hex'));
      expect((await storage.readSubtaskState(ref)).byteLength).toBe(0);
    });

    test('stored blobs are framed: magic, sha256 of the payload, payload', async () => {
      const payload = bytesOf(1, 2, 3, 250);
      const ref = await storage.writeSubtaskState(2, 'k', payload);
      const raw = fx.raw(ref.location);
      expect(Buffer.from(raw).equals(Buffer.from(framed(payload)))).toBe(true);
      const meta = metadataFor(2, [ref]);
      const loc = await storage.writeMetadata(meta);
      expect(Buffer.from(fx.raw(loc)).equals(Buffer.from(framed(encodeState(meta))))).toBe(true);
    });

    test('writes and reads are isolated from later mutation of the buffers', async () => {
      const payload = bytesOf(10, 20, 30);
      const ref = await storage.writeSubtaskState(1, 'k', payload);
      payload[0] = 99;
      const first = await storage.readSubtaskState(ref);
      expect([...first]).toEqual([10, 20, 30]);
      first[1] = 99;
      expect([...(await storage.readSubtaskState(ref))]).toEqual([10, 20, 30]);
    });

    test('metadata round trips and is located at <prefix>-<id>/_metadata', async () => {
      const handles = [
        await storage.writeSubtaskState(7, 'counter#0', text('a')),
        await storage.writeSubtaskState(7, 'counter#1', text('bb')),
      ];
      const meta = metadataFor(7, handles, { isSavepoint: true, jobName: 'jöb "x"' });
      const location = await storage.writeMetadata(meta);
      expect(location).toBe(fx.locationIn('chk-7', '_metadata'));
      const back = await storage.readMetadata(location);
      expect(back).toEqual(meta);
      expect(await storage.readSubtaskState(back.subtasks[1]!.handle)).toEqual(text('bb'));
    });

    test('subtask keys needing escaping get distinct, flat, reversible-looking names', async () => {
      const keys = ['a#0', 'A#0', 'a%230', 'a/b', '../escape', '..', '.', '', 'ü#ß', 'a b\\c:d*?'];
      keys.push('x'.repeat(300), `${'x'.repeat(299)}y`);
      const refs = await Promise.all(keys.map((k, i) => storage.writeSubtaskState(4, k, text(`payload ${i}`))));
      expect(new Set(refs.map((r) => r.location)).size).toBe(keys.length);
      // Case-insensitively distinct too, so keys differing in case do not clash on macOS/Windows.
      expect(new Set(refs.map((r) => r.location.toLowerCase())).size).toBe(keys.length);
      for (const [i, ref] of refs.entries()) {
        expect(await storage.readSubtaskState(ref)).toEqual(text(`payload ${i}`));
        const dirLocation = fx.locationIn('chk-4', 'x').slice(0, -1);
        expect(ref.location.startsWith(dirLocation)).toBe(true);
        const file = ref.location.slice(dirLocation.length);
        expect(file).toMatch(/^[A-Za-z0-9._%~-]*\.state$/);
        expect(file.length).toBeLessThanOrEqual(255);
      }
      // Nothing outside the checkpoint directory, no subdirectories.
      expect(fx.names().filter((n) => !/^(memory:\/\/)?chk-4(\/[^/]+)?$/.test(n))).toEqual([]);
    });

    test('rewriting the same subtask key replaces the state', async () => {
      await storage.writeSubtaskState(1, 'k', text('old'));
      const ref = await storage.writeSubtaskState(1, 'k', text('new!'));
      expect(await storage.readSubtaskState(ref)).toEqual(text('new!'));
    });

    test('rejects invalid checkpoint ids and prefixes', async () => {
      await expect(storage.writeSubtaskState(-1, 'k', text('x'))).rejects.toThrow(RangeError);
      await expect(storage.writeSubtaskState(1.5, 'k', text('x'))).rejects.toThrow(RangeError);
      await expect(storage.writeMetadata(metadataFor(Number.NaN, []))).rejects.toThrow(RangeError);
      for (const bad of ['', '../up', 'a/b', '-x', 'chk#']) expect(() => fx.make(bad)).toThrow(ConfigurationError);
      expect(fx.names()).toEqual([]);
    });
  });

  describe('listCompleted', () => {
    test('empty storage lists nothing', async () => {
      expect(await storage.listCompleted()).toEqual([]);
    });

    test('newest id first (numerically), only checkpoints with metadata', async () => {
      const done = new Map<number, string>();
      for (const id of [1, 2, 3, 10, 20]) {
        const a = await storage.writeSubtaskState(id, 'op#0', text(String(id)));
        if (id !== 2 && id !== 20) done.set(id, await storage.writeMetadata(metadataFor(id, [a])));
      }
      expect(await storage.listCompleted()).toEqual([done.get(10), done.get(3), done.get(1)]);
    });

    test('a leftover temp metadata file or foreign entries do not make a checkpoint complete', async () => {
      await storage.writeSubtaskState(5, 'op#0', text('x'));
      fx.put(fx.locationIn('chk-5', '_metadata.tmp-0123abcd'), framed(text('partial')));
      fx.put(fx.locationIn('chk-x', '_metadata'), framed(text('foreign')));
      fx.put(fx.locationIn('chk-06', '_metadata'), framed(text('foreign')));
      fx.put(fx.locationIn('other-7', '_metadata'), framed(text('foreign')));
      expect(await storage.listCompleted()).toEqual([]);
      const loc = await storage.writeMetadata(metadataFor(5, []));
      expect(await storage.listCompleted()).toEqual([loc]);
    });

    test('a checkpoint whose metadata was deleted is no longer listed', async () => {
      const a = await complete(storage, 1);
      const b = await complete(storage, 2);
      fx.remove(b.location);
      expect(await storage.listCompleted()).toEqual([a.location]);
    });
  });

  describe('discard', () => {
    test('removes state and metadata of one checkpoint only', async () => {
      const a = await complete(storage, 1);
      const b = await complete(storage, 2);
      await storage.discard(2);
      expect(await storage.listCompleted()).toEqual([a.location]);
      expect(fx.names().some((n) => n.includes('chk-2'))).toBe(false);
      await expectCorrupt(storage.readMetadata(b.location), 'missing', b.location);
      await expectCorrupt(storage.readSubtaskState(b.handles[0]!), 'missing', b.handles[0]!.location);
      expect(await storage.readMetadata(a.location)).toEqual(metadataFor(1, a.handles));
      expect(await storage.readSubtaskState(a.handles[1]!)).toEqual(text('state 1/1'));
    });

    test('no error when already gone, never written, or incomplete', async () => {
      await complete(storage, 1);
      await storage.discard(1);
      await expect(storage.discard(1)).resolves.toBeUndefined();
      await expect(storage.discard(42)).resolves.toBeUndefined();
      await storage.writeSubtaskState(3, 'op#0', text('x'));
      await storage.discard(3);
      expect(fx.names().filter((n) => n.includes('chk-'))).toEqual([]);
    });
  });

  describe('corruption detection', () => {
    test('flipped payload byte in a state file → checksum mismatch', async () => {
      const ref = await storage.writeSubtaskState(1, 'op#0', text('hello state'));
      const raw = new Uint8Array(fx.raw(ref.location));
      raw[HEADER + 3] ^= 0x01;
      fx.put(ref.location, raw);
      await expectCorrupt(storage.readSubtaskState(ref), 'checksum mismatch', ref.location);
    });

    test('flipped byte of the stored digest → checksum mismatch', async () => {
      const ref = await storage.writeSubtaskState(1, 'op#0', text('hello state'));
      const raw = new Uint8Array(fx.raw(ref.location));
      raw[8] ^= 0x80;
      fx.put(ref.location, raw);
      await expectCorrupt(storage.readSubtaskState(ref), 'checksum mismatch', ref.location);
    });

    test('flipped payload byte in metadata → checksum mismatch', async () => {
      const { location } = await complete(storage, 1);
      const raw = new Uint8Array(fx.raw(location));
      raw[raw.length - 1] ^= 0xff;
      fx.put(location, raw);
      await expectCorrupt(storage.readMetadata(location), 'checksum mismatch', location);
    });

    test('truncated state file → truncated (payload shorter than the handle, or header cut)', async () => {
      const ref = await storage.writeSubtaskState(1, 'op#0', text('0123456789'));
      const raw = fx.raw(ref.location);
      fx.put(ref.location, raw.slice(0, raw.length - 1));
      await expectCorrupt(storage.readSubtaskState(ref), 'truncated', ref.location);
      fx.put(ref.location, raw.slice(0, 20));
      await expectCorrupt(storage.readSubtaskState(ref), 'truncated', ref.location);
      fx.put(ref.location, new Uint8Array(0));
      await expectCorrupt(storage.readSubtaskState(ref), 'truncated', ref.location);
    });

    test('truncated metadata → truncated (inside the header) or checksum mismatch (inside the payload)', async () => {
      const { location } = await complete(storage, 1);
      const raw = fx.raw(location);
      fx.put(location, raw.slice(0, 30));
      await expectCorrupt(storage.readMetadata(location), 'truncated', location);
      fx.put(location, raw.slice(0, 5));
      await expectCorrupt(storage.readMetadata(location), 'truncated', location);
      fx.put(location, raw.slice(0, raw.length - 10));
      await expectCorrupt(storage.readMetadata(location), 'checksum mismatch', location);
    });

    test('bad magic → not a Weir checkpoint file', async () => {
      const ref = await storage.writeSubtaskState(1, 'op#0', text('abc'));
      const { location } = await complete(storage, 2);
      for (const loc of [ref.location, location]) {
        const raw = new Uint8Array(fx.raw(loc));
        raw[0] = 'X'.charCodeAt(0);
        fx.put(loc, raw);
      }
      await expectCorrupt(storage.readSubtaskState(ref), 'not a Weir checkpoint file', ref.location);
      await expectCorrupt(storage.readMetadata(location), 'not a Weir checkpoint file', location);
      fx.put(location, text('{"json": true}'));
      await expectCorrupt(storage.readMetadata(location), 'not a Weir checkpoint file', location);
      fx.put(location, text('WX'));
      await expectCorrupt(storage.readMetadata(location), 'not a Weir checkpoint file', location);
    });

    test('deleted files → missing', async () => {
      const { location, handles } = await complete(storage, 1);
      fx.remove(handles[0]!.location);
      await expectCorrupt(storage.readSubtaskState(handles[0]!), 'missing', handles[0]!.location);
      expect(await storage.readSubtaskState(handles[1]!)).toEqual(text('state 1/1'));
      fx.remove(location);
      await expectCorrupt(storage.readMetadata(location), 'missing', location);
      const never = fx.locationIn('chk-99', '_metadata');
      await expectCorrupt(storage.readMetadata(never), 'missing', never);
    });

    test('well-framed metadata that is not valid msgpack or not metadata → cannot decode', async () => {
      const { location } = await complete(storage, 1);
      fx.put(location, framed(bytesOf(0xc1)));
      await expectCorrupt(storage.readMetadata(location), 'cannot decode', location);
      fx.put(location, framed(encodeState({ ...metadataFor(1, []), version: 2 })));
      await expectCorrupt(storage.readMetadata(location), 'cannot decode', location);
      fx.put(location, framed(encodeState({ ...metadataFor(1, []), subtasks: [{ operatorUids: ['x'], subtaskIndex: 0 }] })));
      await expectCorrupt(storage.readMetadata(location), 'cannot decode', location);
      fx.put(location, framed(encodeState([1, 2, 3])));
      await expectCorrupt(storage.readMetadata(location), 'cannot decode', location);
      // The same framing with a valid payload reads fine: the rejections above were about content.
      fx.put(location, framed(encodeState(metadataFor(1, []))));
      expect(await storage.readMetadata(location)).toEqual(metadataFor(1, []));
    });

    test('a ref whose checksum or size differs from the file → CorruptStateError', async () => {
      const ref = await storage.writeSubtaskState(1, 'op#0', text('payload one'));
      const other = await storage.writeSubtaskState(1, 'op#1', text('payload two'));
      const flipped = (ref.checksum[0] === '0' ? '1' : '0') + ref.checksum.slice(1);
      await expectCorrupt(storage.readSubtaskState({ ...ref, checksum: flipped }), 'checksum mismatch', ref.location);
      // Same size, intact file, but not the one the handle describes.
      await expectCorrupt(storage.readSubtaskState({ ...ref, location: other.location }), 'checksum mismatch', other.location);
      await expectCorrupt(storage.readSubtaskState({ ...ref, size: ref.size - 1 }), 'size mismatch', ref.location);
      await expectCorrupt(storage.readSubtaskState({ ...ref, size: ref.size + 1 }), 'truncated', ref.location);
      expect(await storage.readSubtaskState(ref)).toEqual(text('payload one'));
    });
  });

  test('atomic writes leave no temp files behind', async () => {
    for (let id = 1; id <= 3; id++) {
      await Promise.all([0, 1, 2, 3].map((i) => storage.writeSubtaskState(id, `op#${i}`, text(`${id}/${i}`))));
      await storage.writeSubtaskState(id, 'op#0', text('rewritten'));
      await complete(storage, id);
      await storage.writeMetadata(metadataFor(id, [])); // overwrite
    }
    const names = fx.names();
    expect(names.filter((n) => n.includes('.tmp'))).toEqual([]);
    expect(names.filter((n) => n.endsWith('_metadata'))).toHaveLength(3);
    expect(names.filter((n) => n.endsWith('.state'))).toHaveLength(18); // 3 checkpoints × (op#0..3 + counter#0..1)
  });

  test('storages with different prefixes in one place do not see each other', async () => {
    const savepoints = fx.make('savepoint');
    const chk = await complete(storage, 1);
    const sp1 = await savepoints.writeSubtaskState(1, 'counter#0', text('savepoint state'));
    const spLoc = await savepoints.writeMetadata(metadataFor(1, [sp1], { isSavepoint: true }));
    expect(spLoc).toBe(fx.locationIn('savepoint-1', '_metadata'));
    await complete(storage, 2);
    const chk2 = (await storage.listCompleted())[0];

    expect(await storage.listCompleted()).toEqual([chk2, chk.location]);
    expect(await savepoints.listCompleted()).toEqual([spLoc]);

    await savepoints.discard(1);
    expect(await savepoints.listCompleted()).toEqual([]);
    expect(await storage.listCompleted()).toEqual([chk2, chk.location]);
    expect(await storage.readSubtaskState(chk.handles[0]!)).toEqual(text('state 1/0'));

    // A prefix that extends another ('chk' vs 'chk-1') does not collide either.
    const tricky = fx.make('chk-1');
    const t = await tricky.writeSubtaskState(5, 'counter#0', text('tricky'));
    await tricky.writeMetadata(metadataFor(5, [t]));
    expect(await storage.listCompleted()).toEqual([chk2, chk.location]);
    expect(await tricky.listCompleted()).toEqual([fx.locationIn('chk-1-5', '_metadata')]);
    await storage.discard(1);
    expect(await tricky.readSubtaskState(t)).toEqual(text('tricky'));
  });
});

describe('FileSystemCheckpointStorage specifics', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-ckpt-fs-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('creates the directory on first write; a missing directory lists nothing', async () => {
    const nested = path.join(dir, 'a', 'b');
    const s = new FileSystemCheckpointStorage(nested);
    expect(await s.listCompleted()).toEqual([]);
    const ref = await s.writeSubtaskState(1, 'op#0', text('x'));
    expect(fs.statSync(path.join(nested, 'chk-1')).isDirectory()).toBe(true);
    expect(ref.location).toBe(path.join(nested, 'chk-1', 'op%230.state'));
    expect(path.isAbsolute(ref.location)).toBe(true);
  });

  test('a relative directory yields absolute locations', async () => {
    const rel = path.relative(process.cwd(), dir);
    const s = new FileSystemCheckpointStorage(rel);
    expect(s.directory).toBe(rel);
    const loc = await s.writeMetadata(metadataFor(1, []));
    expect(loc).toBe(path.join(dir, 'chk-1', '_metadata'));
  });

  test('a failed write throws the I/O error and leaves no temp file', async () => {
    const s = new FileSystemCheckpointStorage(dir);
    // '_metadata' is a non-empty directory: the final rename must fail.
    fs.mkdirSync(path.join(dir, 'chk-1', '_metadata', 'x'), { recursive: true });
    const err = await s.writeMetadata(metadataFor(1, [])).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Node's fs errors come from another realm than jest's Error: check the tag, not instanceof.
    expect(Object.prototype.toString.call(err)).toBe('[object Error]');
    expect(err).not.toBeInstanceOf(CorruptStateError);
    expect(typeof (err as NodeJS.ErrnoException).code).toBe('string');
    expect(fs.readdirSync(path.join(dir, 'chk-1')).sort()).toEqual(['_metadata']);
    expect(await s.listCompleted()).toEqual([]);
  });

  test('an unreadable location (a directory) is a CorruptStateError naming it', async () => {
    const s = new FileSystemCheckpointStorage(dir);
    fs.mkdirSync(path.join(dir, 'chk-1', '_metadata'), { recursive: true });
    const loc = path.join(dir, 'chk-1', '_metadata');
    await expectCorrupt(s.readMetadata(loc), 'cannot read', loc);
  });
});
