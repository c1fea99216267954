/**
 * Coordinator-held checkpoint storage, both ends in one process: a node's
 * CoordinatorStorage talks to a StateFileService through the wire codec
 * (every message validated, and checked to fit a small frame limit), so
 * files many chunks long — and larger than a frame — are written and read
 * back; the service assembles chunks into a temporary file and publishes
 * it only once complete and verified; a broken, abandoned or misdirected
 * transfer publishes nothing and leaves no temporary file; requests stay
 * within the job's directories.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileSystemCheckpointStorage } from '../../lib/checkpoint/CheckpointStorage';
import { MAX_STATE_CHUNK_BYTES } from '../../lib/checkpoint/StateFileTransfer';
import type { StateFileChunk, StateFileRead, StateFileReply, StateFileWrite } from '../../lib/cluster/WireMessages';
import { CheckpointStorageError, CorruptStateError } from '../../lib/errors';
import { encodeFrame } from '../../lib/transport/FrameCodec';
import { decodeMessage, encodeMessage } from '../../lib/transport/WireCodec';
import { CoordinatorStorage, StateFileService, type StateFileRequest, type StorageRequester } from './CoordinatorStorage';

/** A frame limit far below the files written here: every message must fit it. */
const FRAME_LIMIT = 16 * 1024;
const CHUNK = 4 * 1024;

let dir: string;
let root: string;
let service: StateFileService;
let sent: StateFileRequest[];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-coordinator-storage-'));
  root = path.join(dir, 'checkpoints');
  fs.mkdirSync(path.join(root, 'job', 'chk-1'), { recursive: true });
  service = new StateFileService();
  sent = [];
});

afterEach(async () => {
  await service.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Through the codec both ways, as over a connection with FRAME_LIMIT; requests are numbered and kept in `sent`. */
function requester(allowed: readonly string[] = [root]): StorageRequester {
  let requestId = 0;
  return async (request) => {
    sent.push(request);
    const onWire = (m: object) => decodeMessage(encodeFrame(encodeMessage(m as never), FRAME_LIMIT).subarray(4));
    const msg = onWire({ ...request, requestId: ++requestId }) as StateFileWrite | StateFileChunk | StateFileRead;
    return onWire(await service.serve(msg, allowed)) as StateFileReply;
  };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Every file below `root` (relative paths). */
function filesBelow(at = root): string[] {
  return fs.readdirSync(at, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(at, f)).isFile());
}

/** The opening of a write of `payload` into job/chk-1, its first `first` bytes along. */
function opening(payload: Uint8Array, first: number, o: { checksum?: string; size?: number; root?: string; name?: string; dir?: string } = {}): StateFileWrite {
  return {
    type: 'StateFileWrite',
    requestId: 1,
    jobId: 'job',
    root: o.root ?? root,
    dir: o.dir ?? 'job/chk-1',
    name: o.name ?? 'state-1',
    size: o.size ?? payload.byteLength,
    checksum: o.checksum ?? sha256(payload),
    payload: payload.subarray(0, first),
  };
}

const chunk = (transferId: number, payload: Uint8Array, offset: number, length = CHUNK): StateFileChunk => ({
  type: 'StateFileChunk',
  requestId: 2,
  transferId,
  offset,
  payload: payload.subarray(offset, offset + length),
});

describe('CoordinatorStorage to StateFileService', () => {
  test('a state file many chunks long, larger than a frame, is written in chunks and read back in ranges', async () => {
    const storage = new CoordinatorStorage(root, 'job', requester(), CHUNK);
    const payload = randomBytes(10 * CHUNK + 123);
    expect(payload.byteLength).toBeGreaterThan(FRAME_LIMIT);
    const handle = await storage.writeFile('job/chk-1', 'state-1', payload);
    expect(handle).toEqual({ file: 'state-1', size: payload.byteLength, checksum: sha256(payload) });
    expect(sent.map((r) => r.type)).toEqual(['StateFileWrite', ...Array(10).fill('StateFileChunk')]);
    expect(filesBelow()).toEqual([path.join('job', 'chk-1', 'state-1')]);
    expect(service.openTransfers).toBe(0);
    // Published in the storage's format: the file system storage reads it as its own.
    expect(Buffer.from(await new FileSystemCheckpointStorage(root).readFile('job/chk-1', 'state-1', handle)).equals(payload)).toBe(true);

    sent = [];
    expect(Buffer.from(await storage.readFile('job/chk-1', 'state-1', handle)).equals(payload)).toBe(true);
    expect(sent.map((r) => (r.type === 'StateFileRead' ? [r.offset, r.length] : r.type))).toEqual(
      Array.from({ length: 11 }, (_, i) => [i * CHUNK, i === 10 ? 123 : CHUNK]),
    );
    // Without a handle (metadata), within maxBytes.
    expect(Buffer.from(await storage.readFile('job/chk-1', 'state-1', undefined, payload.byteLength)).equals(payload)).toBe(true);
    await expect(storage.readFile('job/chk-1', 'state-1', undefined, payload.byteLength - 1)).rejects.toThrow(/too large/);
  });

  test('a small or empty file is one request each way', async () => {
    const storage = new CoordinatorStorage(root, 'job', requester(), CHUNK);
    for (const payload of [randomBytes(CHUNK), new Uint8Array(0)]) {
      sent = [];
      const handle = await storage.writeFile('job/chk-1', `s${payload.byteLength}`, payload);
      expect(Buffer.from(await storage.readFile('job/chk-1', `s${payload.byteLength}`, handle)).equals(Buffer.from(payload))).toBe(true);
      expect(sent.map((r) => r.type)).toEqual(['StateFileWrite', 'StateFileRead']);
    }
  });

  test('a read checks the handle and notices a file altered on disk', async () => {
    const storage = new CoordinatorStorage(root, 'job', requester(), CHUNK);
    const payload = randomBytes(3 * CHUNK);
    const handle = await storage.writeFile('job/chk-1', 'state-1', payload);
    await expect(storage.readFile('job/chk-1', 'state-1', { ...handle, size: handle.size + 1 })).rejects.toThrow(CorruptStateError);
    await expect(storage.readFile('job/chk-1', 'state-1', { ...handle, checksum: sha256(randomBytes(1)) })).rejects.toThrow(/checksum mismatch/);
    const file = path.join(root, 'job', 'chk-1', 'state-1');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1] ^= 1;
    fs.writeFileSync(file, bytes);
    await expect(storage.readFile('job/chk-1', 'state-1', handle)).rejects.toThrow(/checksum mismatch/);
    await expect(storage.readFile('job/chk-1', 'missing', handle)).rejects.toThrow(/missing/);
  });

  test('a write into a directory that is gone (a discarded checkpoint) fails, leaving nothing', async () => {
    const storage = new CoordinatorStorage(root, 'job', requester(), CHUNK);
    await expect(storage.writeFile('job/chk-2', 'state-1', randomBytes(3 * CHUNK))).rejects.toThrow(CheckpointStorageError);
    expect(filesBelow()).toEqual([]);
  });
});

describe('StateFileService: chunk assembly', () => {
  test('nothing is published before the last chunk: the bytes so far sit in a temporary file next to it', async () => {
    const payload = randomBytes(3 * CHUNK);
    const open = await service.serve(opening(payload, CHUNK), [root]);
    expect(open).toMatchObject({ error: undefined, handle: undefined, transferId: expect.any(Number) });
    await service.serve(chunk(open.transferId!, payload, CHUNK), [root]);
    expect(filesBelow()).toEqual([expect.stringMatching(/state-1\.tmp-[0-9a-f]+$/)]);
    const last = await service.serve(chunk(open.transferId!, payload, 2 * CHUNK), [root]);
    expect(last).toMatchObject({ error: undefined, transferId: undefined, handle: { file: 'state-1', size: payload.byteLength, checksum: sha256(payload) } });
    expect(filesBelow()).toEqual([path.join('job', 'chk-1', 'state-1')]);
  });

  test('bytes that do not hash to the declared checksum: CHECKSUM_MISMATCH, nothing published, the temporary file removed', async () => {
    const payload = randomBytes(2 * CHUNK);
    const open = await service.serve(opening(payload, CHUNK, { checksum: sha256(randomBytes(8)) }), [root]);
    const last = await service.serve(chunk(open.transferId!, payload, CHUNK), [root]);
    expect(last.error).toMatch(/^CHECKSUM_MISMATCH/);
    expect(last.handle).toBeUndefined();
    expect(filesBelow()).toEqual([]);
    expect(service.openTransfers).toBe(0);
  });

  test('a chunk for a transfer that was never opened: UNKNOWN_TRANSFER, nothing written', async () => {
    const reply = await service.serve(chunk(42, randomBytes(CHUNK), 0), [root]);
    expect(reply.error).toMatch(/^UNKNOWN_TRANSFER/);
    expect(filesBelow()).toEqual([]);
  });

  test('an out-of-order chunk: OUT_OF_ORDER, the transfer discarded (its next chunk is UNKNOWN_TRANSFER), nothing published', async () => {
    const payload = randomBytes(3 * CHUNK);
    const open = await service.serve(opening(payload, CHUNK), [root]);
    expect((await service.serve(chunk(open.transferId!, payload, 2 * CHUNK), [root])).error).toMatch(/^OUT_OF_ORDER/);
    expect((await service.serve(chunk(open.transferId!, payload, CHUNK), [root])).error).toMatch(/^UNKNOWN_TRANSFER/);
    expect(filesBelow()).toEqual([]);
  });

  test('a chunk past the declared size: PAST_DECLARED_SIZE, nothing published; so is an opening whose first bytes exceed it', async () => {
    const payload = randomBytes(2 * CHUNK);
    const open = await service.serve(opening(payload, CHUNK), [root]);
    const past = await service.serve({ ...chunk(open.transferId!, payload, CHUNK), payload: randomBytes(CHUNK + 1) }, [root]);
    expect(past.error).toMatch(/^PAST_DECLARED_SIZE/);
    expect((await service.serve(chunk(open.transferId!, payload, CHUNK), [root])).error).toMatch(/^UNKNOWN_TRANSFER/);
    expect((await service.serve(opening(payload, 2 * CHUNK, { size: CHUNK }), [root])).error).toMatch(/^PAST_DECLARED_SIZE/);
    expect(filesBelow()).toEqual([]);
    expect(service.openTransfers).toBe(0);
  });

  test('an impossible declaration is refused before anything is written', async () => {
    expect((await service.serve(opening(randomBytes(8), 8, { checksum: 'not a sha256' }), [root])).error).toMatch(/^BAD_DECLARATION/);
    expect(filesBelow()).toEqual([]);
  });

  test('a connection holds at most maxOpenTransfers open transfers', async () => {
    const limited = new StateFileService({ maxOpenTransfers: 2 });
    const payload = randomBytes(2 * CHUNK);
    for (const name of ['a', 'b']) expect((await limited.serve(opening(payload, CHUNK, { name }), [root])).transferId).toBeDefined();
    expect((await limited.serve(opening(payload, CHUNK, { name: 'c' }), [root])).error).toMatch(/^TOO_MANY_TRANSFERS/);
    await limited.close();
    expect(filesBelow()).toEqual([]);
  });
});

describe('StateFileService: an abandoned transfer', () => {
  test('when the connection closes, open transfers are discarded: temporary files removed, nothing published, later chunks refused', async () => {
    const payload = randomBytes(3 * CHUNK);
    const open = await service.serve(opening(payload, CHUNK), [root]);
    await service.serve(chunk(open.transferId!, payload, CHUNK), [root]);
    expect(filesBelow()).toHaveLength(1);
    await service.close();
    expect(filesBelow()).toEqual([]);
    expect((await service.serve(chunk(open.transferId!, payload, 2 * CHUNK), [root])).error).toMatch(/^UNKNOWN_TRANSFER/);
    expect((await service.serve(opening(payload, CHUNK), [root])).error).toMatch(/^UNKNOWN_TRANSFER/);
    expect(filesBelow()).toEqual([]);
  });

  test('a transfer whose checkpoint directory is discarded meanwhile publishes nothing (the directory took the temporary file along)', async () => {
    const payload = randomBytes(2 * CHUNK);
    const open = await service.serve(opening(payload, CHUNK), [root]);
    await new FileSystemCheckpointStorage(root).removeDirectory('job/chk-1');
    const last = await service.serve(chunk(open.transferId!, payload, CHUNK), [root]);
    expect(last.error).toMatch(/does not exist \(discarded\?\)/);
    expect(filesBelow(path.join(root, 'job'))).toEqual([]);
    expect(service.openTransfers).toBe(0);
  });
});

describe('StateFileService: confinement to the job\'s directories', () => {
  test('an opening or a read outside the allowed directories is refused; nothing is written or read there', async () => {
    const outside = path.join(dir, 'elsewhere');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret'), 'not yours');
    const payload = randomBytes(2 * CHUNK);
    for (const r of [outside, dir, path.join(root, '..', 'elsewhere'), '/etc']) {
      expect((await service.serve(opening(payload, CHUNK, { root: r }), [root])).error).toMatch(/not a checkpoint or savepoint directory/);
      const read = await service.serve({ type: 'StateFileRead', requestId: 3, jobId: 'job', root: r, dir: '', name: 'secret', expected: undefined, maxBytes: undefined, offset: 0, length: CHUNK }, [root]);
      expect(read.error).toMatch(/not a checkpoint or savepoint directory/);
      expect(read.payload).toBeUndefined();
    }
    expect(fs.readdirSync(outside)).toEqual(['secret']);
    expect(service.openTransfers).toBe(0);
  });

  test('directory and file names cannot climb out of an allowed root', async () => {
    const payload = randomBytes(2 * CHUNK);
    for (const o of [{ dir: '../..' }, { dir: 'job/../../x' }, { name: '../state' }, { name: '..' }]) {
      const reply = await service.serve(opening(payload, CHUNK, o), [root]);
      expect(reply.error).toMatch(/not a plain name/);
      const read = await service.serve({ type: 'StateFileRead', requestId: 3, jobId: 'job', root, dir: o.dir ?? '', name: o.name ?? 'x', expected: undefined, maxBytes: undefined, offset: 0, length: 8 }, [root]);
      expect(read.error).toMatch(/not a plain name/);
    }
    expect(filesBelow(dir)).toEqual([]);
  });

  test('a node\'s requests with a root outside the job\'s fail as storage errors', async () => {
    const storage = new CoordinatorStorage(path.join(dir, 'other'), 'job', requester([root]), CHUNK);
    await expect(storage.writeFile('job/chk-1', 'state-1', randomBytes(2 * CHUNK))).rejects.toThrow(/not a checkpoint or savepoint directory/);
    await expect(storage.readFile('job/chk-1', 'state-1')).rejects.toThrow(/not a checkpoint or savepoint directory/);
  });

  test('a read past the end of the payload is refused; a reply holds what is left, and never more than MAX_STATE_CHUNK_BYTES', async () => {
    await new FileSystemCheckpointStorage(root).writeFile('job/chk-1', 'state-1', Buffer.alloc(MAX_STATE_CHUNK_BYTES + 100));
    const read = (offset: number, length: number) =>
      service.serve({ type: 'StateFileRead', requestId: 3, jobId: 'job', root, dir: 'job/chk-1', name: 'state-1', expected: undefined, maxBytes: 1 << 30, offset, length }, [root]);
    expect((await read(MAX_STATE_CHUNK_BYTES + 101, 8)).error).toMatch(/^PAST_DECLARED_SIZE/);
    expect((await read(MAX_STATE_CHUNK_BYTES + 100, 8)).payload).toHaveLength(0);
    expect((await read(MAX_STATE_CHUNK_BYTES + 90, 1 << 30)).payload).toHaveLength(10);
    expect((await read(0, 1 << 30)).payload).toHaveLength(MAX_STATE_CHUNK_BYTES);
  });
});
