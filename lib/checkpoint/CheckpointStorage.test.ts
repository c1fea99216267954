/**
 * CheckpointStorage, the same suite over the memory and the file-system
 * implementation: round trips, framing, directories that must be created
 * before files are written into them (a discarded checkpoint stays
 * discarded), listing and removal, corruption detection for every reason
 * (missing, bad magic, truncated, checksum mismatch, size mismatch, too
 * large), and names confined to the storage (no separators, no `..`,
 * locations outside the root refused). File-system only: atomic writes leave
 * no temp files, and only regular files are read — a symbolic link (to a
 * real file or to /dev/zero), a pipe or an oversized file is refused before
 * a byte of it is read; I/O failures are typed and say why.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
// The module object itself (not an import copy), so spies reach the storage's calls.
const fsp: typeof import('node:fs/promises') = require('node:fs/promises');
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckpointStorageError, CorruptStateError } from '../errors';
import { checkName, FileSystemCheckpointStorage, MemoryCheckpointStorage, type CheckpointStorage } from './CheckpointStorage';

const MAGIC = Buffer.from('WEIRCKP1', 'ascii');
const HEADER = 40;

const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
/** A correctly framed blob, built independently of the implementation. */
const framed = (payload: Uint8Array): Uint8Array => new Uint8Array(Buffer.concat([MAGIC, sha256(payload), payload]));

interface Fixture {
  readonly storage: CheckpointStorage;
  raw(dir: string, name: string): Uint8Array;
  put(dir: string, name: string, bytes: Uint8Array): void;
  remove(dir: string, name: string): void;
  cleanup(): void;
}

function memoryFixture(): Fixture {
  const storage = new MemoryCheckpointStorage();
  return {
    storage,
    raw: (dir, name) => storage.files.get(storage.locationOf(dir, name))!,
    put: (dir, name, bytes) => void storage.files.set(storage.locationOf(dir, name), bytes),
    remove: (dir, name) => void storage.files.delete(storage.locationOf(dir, name)),
    cleanup: () => {},
  };
}

function fileFixture(): Fixture {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-storage-'));
  const storage = new FileSystemCheckpointStorage(root);
  return {
    storage,
    raw: (dir, name) => new Uint8Array(fs.readFileSync(storage.locationOf(dir, name))),
    put: (dir, name, bytes) => fs.writeFileSync(storage.locationOf(dir, name), bytes),
    remove: (dir, name) => fs.rmSync(storage.locationOf(dir, name)),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

const DIR = 'job-1/chk-3';

describe.each([
  ['memory', memoryFixture],
  ['file system', fileFixture],
])('%s storage', (_kind, make) => {
  let fx: Fixture;
  let s: CheckpointStorage;
  beforeEach(async () => {
    fx = make();
    s = fx.storage;
    await s.createDirectory(DIR);
  });
  afterEach(() => fx.cleanup());

  test('a file round trips; its handle carries a plain name, the size and the hex sha256', async () => {
    const payload = text('hello state');
    const h = await s.writeFile(DIR, 'a.state', payload);
    expect(h).toEqual({ file: 'a.state', size: payload.byteLength, checksum: sha256(payload).toString('hex') });
    expect(await s.readFile(DIR, 'a.state', h)).toEqual(payload);
    expect(await s.readFile(DIR, 'a.state')).toEqual(payload);
  });

  test('files are framed: magic, sha256 of the payload, payload; an empty payload works', async () => {
    await s.writeFile(DIR, 'x', text('abc'));
    expect(fx.raw(DIR, 'x')).toEqual(framed(text('abc')));
    const h = await s.writeFile(DIR, 'empty', new Uint8Array());
    expect(await s.readFile(DIR, 'empty', h)).toEqual(new Uint8Array());
  });

  test('a later write replaces the file; reads are not affected by mutating buffers', async () => {
    const buf = text('one');
    await s.writeFile(DIR, 'f', buf);
    buf[0] = 0;
    expect(await s.readFile(DIR, 'f')).toEqual(text('one'));
    await s.writeFile(DIR, 'f', text('two'));
    const got = await s.readFile(DIR, 'f');
    expect(got).toEqual(text('two'));
  });

  test('files go only into created directories: a removed (discarded) one stays removed', async () => {
    const e = await rejection(s.writeFile('job-1/chk-4', 'a.state', text('x')));
    expect(e).toBeInstanceOf(CheckpointStorageError);
    expect(e.message).toMatch(/directory does not exist/);
    await s.writeFile(DIR, 'a.state', text('x'));
    await s.removeDirectory(DIR);
    expect(await rejection(s.writeFile(DIR, 'b.state', text('late')))).toBeInstanceOf(CheckpointStorageError);
    expect(await s.list(DIR)).toEqual([]);
    expect(await s.list('job-1')).toEqual([]);
  });

  test('list and removeDirectory see one directory; removing twice is fine', async () => {
    await s.createDirectory('job-1/chk-5');
    await s.writeFile(DIR, 'a.state', text('a'));
    await s.writeFile('job-1/chk-5', 'b.state', text('b'));
    expect((await s.list('job-1')).sort()).toEqual(['chk-3', 'chk-5']);
    expect(await s.list('')).toEqual(['job-1']);
    expect(await s.list(DIR)).toEqual(['a.state']);
    expect(await s.list('nope')).toEqual([]);
    await s.removeDirectory(DIR);
    await s.removeDirectory(DIR);
    expect(await s.list('job-1')).toEqual(['chk-5']);
    expect(await s.readFile('job-1/chk-5', 'b.state')).toEqual(text('b'));
  });

  test('locationOf and parseLocation are inverse; locations outside the root are refused', async () => {
    const loc = s.locationOf(DIR, '_metadata');
    expect(s.parseLocation(loc)).toEqual({ dir: DIR, name: '_metadata' });
    const outside = s instanceof MemoryCheckpointStorage ? 'file:///etc/passwd' : path.join(s.root, '..', 'elsewhere', '_metadata');
    expect(() => s.parseLocation(outside)).toThrow(CorruptStateError);
    expect(() => s.parseLocation(s.locationOf('', '_metadata').replace('_metadata', '../x/_metadata'))).toThrow(CorruptStateError);
  });

  test.each(['../x', 'a/b', '', '.', '..', '.hidden', 'a\\b', 'a\u0000b', 'x'.repeat(300)])('the name %j is refused, never followed', async (name) => {
    expect(() => checkName(name)).toThrow(CorruptStateError);
    await expect(s.readFile(DIR, name)).rejects.toBeInstanceOf(CorruptStateError);
    await expect(s.writeFile(DIR, name, text('x'))).rejects.toBeInstanceOf(CorruptStateError);
    if (!name.includes('/')) await expect(s.createDirectory(`x/${name}`)).rejects.toBeInstanceOf(CorruptStateError);
  });

  describe('corruption is detected and names the file', () => {
    const expectCorrupt = async (p: Promise<unknown>, reason: RegExp) => {
      const e = await rejection(p);
      expect(e).toBeInstanceOf(CorruptStateError);
      expect(e.message).toMatch(reason);
      expect(e.message).toContain('a.state');
    };

    test('missing', async () => {
      await expectCorrupt(s.readFile(DIR, 'a.state'), /missing/);
    });

    test('a flipped payload byte or digest byte: checksum mismatch', async () => {
      await s.writeFile(DIR, 'a.state', text('payload'));
      const b = fx.raw(DIR, 'a.state').slice();
      b[b.length - 1] ^= 1;
      fx.put(DIR, 'a.state', b);
      await expectCorrupt(s.readFile(DIR, 'a.state'), /checksum mismatch/);
      const c = framed(text('payload')).slice();
      c[MAGIC.length] ^= 1;
      fx.put(DIR, 'a.state', c);
      await expectCorrupt(s.readFile(DIR, 'a.state'), /checksum mismatch/);
    });

    test('bad magic, empty, or cut inside the header', async () => {
      fx.put(DIR, 'a.state', Buffer.concat([Buffer.from('NOTWEIR!'), Buffer.alloc(40)]));
      await expectCorrupt(s.readFile(DIR, 'a.state'), /not a Weir checkpoint file/);
      fx.put(DIR, 'a.state', new Uint8Array());
      await expectCorrupt(s.readFile(DIR, 'a.state'), /empty/);
      fx.put(DIR, 'a.state', framed(text('x')).subarray(0, 20));
      await expectCorrupt(s.readFile(DIR, 'a.state'), /truncated/);
    });

    test('a file that does not match its handle: size checked first, then the checksum', async () => {
      const h = await s.writeFile(DIR, 'a.state', text('four'));
      await expectCorrupt(s.readFile(DIR, 'a.state', { ...h, size: 5 }), /truncated/);
      await expectCorrupt(s.readFile(DIR, 'a.state', { ...h, size: 3 }), /size mismatch/);
      await expectCorrupt(s.readFile(DIR, 'a.state', { ...h, checksum: '0'.repeat(64) }), /checksum mismatch/);
    });

    test('without a handle, more than maxBytes is refused', async () => {
      await s.writeFile(DIR, 'a.state', new Uint8Array(100));
      await expectCorrupt(s.readFile(DIR, 'a.state', undefined, 99), /too large/);
      expect((await s.readFile(DIR, 'a.state', undefined, 100)).byteLength).toBe(100);
    });
  });
});

describe('file system only', () => {
  let root: string;
  let s: FileSystemCheckpointStorage;
  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-storage-fs-'));
    s = new FileSystemCheckpointStorage(root);
    await s.createDirectory(DIR);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a relative directory gives absolute locations; atomic writes leave no temp files', async () => {
    const rel = new FileSystemCheckpointStorage(path.relative(process.cwd(), root));
    expect(path.isAbsolute(rel.locationOf(DIR, 'x'))).toBe(true);
    for (let i = 0; i < 5; i++) await s.writeFile(DIR, `f${i}`, text(`v${i}`));
    expect(fs.readdirSync(path.join(root, DIR)).sort()).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
  });

  test('a symbolic link is never followed, whether to a real file or to /dev/zero', async () => {
    const real = await s.writeFile(DIR, 'real.state', text('secret'));
    fs.symlinkSync(path.join(root, DIR, 'real.state'), path.join(root, DIR, 'link.state'));
    fs.symlinkSync('/dev/zero', path.join(root, DIR, 'zero.state'));
    for (const name of ['link.state', 'zero.state']) {
      const e = await rejection(s.readFile(DIR, name, real));
      expect(e).toBeInstanceOf(CorruptStateError);
      expect(e.message).toMatch(/not a regular file/);
    }
  });

  test('a named pipe is refused at once instead of blocking the read', async () => {
    const fifo = path.join(root, DIR, 'pipe.state');
    execFileSync('mkfifo', [fifo]);
    const e = await rejection(s.readFile(DIR, 'pipe.state'));
    expect(e).toBeInstanceOf(CorruptStateError);
    expect(e.message).toMatch(/not a regular file/);
  });

  test('an oversized file is refused by its size before it is read (reading it would take 8 GB)', async () => {
    const file = path.join(root, DIR, 'huge.state');
    fs.writeFileSync(file, framed(text('x')));
    fs.truncateSync(file, 8 * 1024 ** 3); // sparse: reading it would take 8 GB
    const e = await rejection(s.readFile(DIR, 'huge.state', { size: 1, checksum: sha256(text('x')).toString('hex') }));
    expect(e.message).toMatch(/size mismatch/);
    const f = await rejection(s.readFile(DIR, 'huge.state'));
    expect(f.message).toMatch(/too large/);
  });

  test('a directory where a file is expected is named as such', async () => {
    fs.mkdirSync(path.join(root, DIR, 'd.state'));
    const e = await rejection(s.readFile(DIR, 'd.state'));
    expect(e.message).toMatch(/not a regular file \(a directory\)/);
  });

  test('a storage that cannot be written says so, typed, with the cause', async () => {
    const blocked = new FileSystemCheckpointStorage(path.join(root, DIR, 'file-not-dir'));
    fs.writeFileSync(path.join(root, DIR, 'file-not-dir'), 'x');
    const e = await rejection(blocked.createDirectory('job-2'));
    expect(e).toBeInstanceOf(CheckpointStorageError);
    expect(e.message).toMatch(/cannot create checkpoint directory .*file-not-dir\/job-2.*ENOTDIR/);
    jest.spyOn(fsp, 'mkdir').mockRejectedValueOnce(Object.assign(new Error('read-only file system'), { code: 'EROFS' }));
    const ro = await rejection(s.createDirectory('job-3'));
    expect(ro).toBeInstanceOf(CheckpointStorageError);
    expect(ro.message).toMatch(/not writable.*EROFS/);
    expect((ro as CheckpointStorageError).code).toBe('STORAGE_FAILURE');
  });

  test('a full disk while writing: typed STORAGE_FAILURE, and no temp file stays', async () => {
    jest.spyOn(fsp, 'rename').mockRejectedValueOnce(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    const e = await rejection(s.writeFile(DIR, 'a.state', text('x')));
    expect(e).toBeInstanceOf(CheckpointStorageError);
    expect(e.message).toMatch(/no space left.*ENOSPC/);
    expect(fs.readdirSync(path.join(root, DIR))).toEqual([]);
  });

  test('the root itself is never removed', async () => {
    await expect(s.removeDirectory('')).rejects.toBeInstanceOf(CheckpointStorageError);
    expect(fs.existsSync(root)).toBe(true);
  });
});
