/**
 * Real sockets on 127.0.0.1: a server accepts cluster connections while
 * misbehaving peers come and go — a wrong secret, no answer to the
 * challenge, garbage bytes, an oversized frame, unknown messages — each is
 * closed with its typed error logged, and a well-behaved peer connecting
 * afterwards is served as before.
 */
import * as net from 'node:net';
import { AuthenticationError } from '../../lib/errors';
import { PROTOCOL_VERSION, type WireMessage } from '../../lib/cluster/WireMessages';
import type { Logger } from '../../lib/monitoring/Logger';
import { encodeFrame } from '../../lib/transport/FrameCodec';
import { decodeMessage, encodeMessage } from '../../lib/transport/WireCodec';
import { Packr } from 'msgpackr';
import { connect, HANDSHAKE_MAX_FRAME_BYTES, listen, PeerConnection, type ListenOptions, type PeerServer } from './PeerConnection';

const SECRET = 'a cluster secret for the tests';
const MAX_FRAME = 1024 * 1024;

interface LogEntry {
  level: string;
  obj: Record<string, unknown>;
  msg?: string;
}

function captureLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      entries.push({ level, obj: obj as Record<string, unknown>, msg });
    };
  const logger: Logger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: () => logger };
  return { logger, entries };
}

let server: PeerServer;
let log: LogEntry[];
let serverSide: PeerConnection[];
const open: PeerConnection[] = [];

async function startServer(overrides: Partial<ListenOptions> = {}): Promise<void> {
  const { logger, entries } = captureLogger();
  log = entries;
  serverSide = [];
  server = await listen({
    secret: SECRET,
    role: 'coordinator',
    peerId: 'coord',
    acceptRoles: ['node', 'client'],
    logger,
    maxFrameBytes: MAX_FRAME,
    handshakeTimeoutMs: 200,
    onConnection: (c) => {
      serverSide.push(c);
      // Echo: a Heartbeat comes back with seq + 1.
      c.onMessage((m) => {
        if (m.type === 'Heartbeat') c.send({ ...m, from: 'coord', seq: m.seq + 1 });
      });
    },
    ...overrides,
  });
}

afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await server.close();
});

async function goodClient(peerId = 'node-1'): Promise<PeerConnection> {
  const c = await connect({ port: server.port, secret: SECRET, role: 'node', peerId, acceptRoles: ['coordinator'], logger: captureLogger().logger, handshakeTimeoutMs: 1000 });
  open.push(c);
  return c;
}

/** A good client exchanges a Heartbeat with the server: it is still serving. */
async function expectServing(): Promise<void> {
  const c = await goodClient(`node-${Math.random().toString(36).slice(2, 6)}`);
  const reply = new Promise<WireMessage>((resolve) => c.onMessage(resolve));
  c.send({ type: 'Heartbeat', from: 'n', seq: 41, sentAt: 1 });
  expect(await reply).toEqual({ type: 'Heartbeat', from: 'coord', seq: 42, sentAt: 1 });
}

/** A raw socket: writes what it is given; resolves with every byte it received once the server closed it. */
function rawClient(...writes: Buffer[]): Promise<Buffer> {
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    const s = net.connect({ host: '127.0.0.1', port: server.port }, () => {
      for (const w of writes) s.write(w);
    });
    s.on('data', (d) => received.push(d));
    s.on('error', () => {});
    s.on('close', () => resolve(Buffer.concat(received)));
  });
}

function warned(code: string): LogEntry | undefined {
  return log.find((e) => e.level === 'warn' && e.obj.code === code);
}

/** The messages in a byte stream of frames. */
function messagesIn(bytes: Buffer): WireMessage[] {
  const out: WireMessage[] = [];
  let pos = 0;
  while (pos + 4 <= bytes.length) {
    const n = bytes.readUInt32BE(pos);
    out.push(decodeMessage(bytes.subarray(pos + 4, pos + 4 + n)));
    pos += 4 + n;
  }
  return out;
}

/** A peer that authenticates properly, then writes to its socket directly. */
async function rogue(peerId: string): Promise<{ socket: net.Socket; connection: PeerConnection }> {
  const socket = net.connect({ host: '127.0.0.1', port: server.port });
  await new Promise((r) => socket.once('connect', r));
  const connection = PeerConnection.open(socket, { secret: SECRET, role: 'node', peerId, acceptRoles: ['coordinator'], logger: captureLogger().logger });
  await connection.authenticated;
  // The server has authenticated it too once it answers a Heartbeat.
  const echoed = new Promise((r) => connection.onMessage(r));
  connection.send({ type: 'Heartbeat', from: peerId, seq: 0, sentAt: 0 });
  await echoed;
  return { socket, connection };
}

const hello = (): Buffer =>
  encodeFrame(encodeMessage({ type: 'Hello', protocolVersion: PROTOCOL_VERSION, role: 'node', peerId: 'mute', nonce: new Uint8Array(32).fill(7) }));

describe('PeerConnection', () => {
  beforeEach(() => startServer());

  test('binds to 127.0.0.1 by default; both sides authenticate and exchange messages in order', async () => {
    expect(server.host).toBe('127.0.0.1');
    const c = await goodClient('node-7');
    expect(c.peer).toEqual({ role: 'coordinator', peerId: 'coord' });
    const got: WireMessage[] = [];
    const all = new Promise<void>((resolve) =>
      c.onMessage((m) => {
        got.push(m);
        if (got.length === 3) resolve();
      }),
    );
    for (let i = 0; i < 3; i++) expect(c.send({ type: 'Heartbeat', from: 'node-7', seq: i * 10, sentAt: i })).toBe(true);
    await all;
    expect(got.map((m) => (m.type === 'Heartbeat' ? m.seq : -1))).toEqual([1, 11, 21]);
    expect(serverSide[0].peer).toEqual({ role: 'node', peerId: 'node-7' });
  });

  test('a wrong secret is refused and logged; the client learns why', async () => {
    const attempt = connect({ port: server.port, secret: 'not the cluster secret!', role: 'node', peerId: 'intruder', acceptRoles: ['coordinator'], logger: captureLogger().logger });
    await expect(attempt).rejects.toBeInstanceOf(AuthenticationError);
    await expect(attempt).rejects.toMatchObject({ code: 'REFUSED_BY_PEER', message: expect.stringMatching(/BAD_PROOF/) });
    expect(warned('BAD_PROOF')?.msg).toMatch(/node 'intruder' could not prove the cluster secret/);
    await expectServing();
  });

  test('no secret: a peer that never answers the challenge is closed at the handshake timeout', async () => {
    const bytes = await rawClient(hello());
    expect(messagesIn(bytes).map((m) => m.type)).toEqual(['Challenge']);
    expect(warned('HANDSHAKE_TIMEOUT')?.msg).toMatch(/no handshake within 200 ms/);
    // And one that says nothing at all.
    await rawClient();
    expect(log.filter((e) => e.obj.code === 'HANDSHAKE_TIMEOUT')).toHaveLength(2);
    await expectServing();
  });

  test('garbage bytes (an HTTP request) close the connection: the header is read as an oversized length', async () => {
    await rawClient(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(warned('FRAME_TOO_LARGE')?.msg).toMatch(/1195725856 bytes, over the limit of 4096 bytes/);
    await expectServing();
  });

  test('a well-framed payload that is not a message is UNDECODABLE', async () => {
    await rawClient(encodeFrame(Buffer.from([0x92, 0x01])));
    expect(warned('UNDECODABLE')).toBeDefined();
    await expectServing();
  });

  test('an oversized frame from an authenticated peer is refused from its header, before its payload is sent', async () => {
    const { socket, connection } = await rogue('bloater');
    const closed = new Promise((r) => connection.onClose(r));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME + 1);
    socket.write(header);
    await closed;
    const entry = warned('FRAME_TOO_LARGE');
    expect(entry?.msg).toMatch(/1048577 bytes, over the limit of 1048576 bytes/);
    expect(entry?.obj.peer).toMatch(/^node 'bloater' 127\.0\.0\.1:\d+$/);
    await expectServing();
  });

  test('before the handshake only small frames are accepted; after it, frames up to the limit', async () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(HANDSHAKE_MAX_FRAME_BYTES + 1);
    await rawClient(header);
    expect(warned('FRAME_TOO_LARGE')?.msg).toMatch(new RegExp(`over the limit of ${HANDSHAKE_MAX_FRAME_BYTES} bytes`));
    const c = await goodClient('big-sender');
    const got = new Promise<WireMessage>((resolve) => serverSide.at(-1)!.onMessage(resolve));
    const values = [Buffer.alloc(MAX_FRAME / 2, 3)];
    c.send({ type: 'DeliverBuffer', jobId: 'j', attempt: 0, channel: { sourceVertex: 0, sourceIndex: 0, targetVertex: 1, targetIndex: 0, edge: 0 }, buffer: { kind: 'records', values, timestamps: undefined } });
    expect(await got).toMatchObject({ type: 'DeliverBuffer', buffer: { values } });
  });

  test('an unknown message type before the handshake, and after it, closes that connection', async () => {
    const exec = encodeFrame(new Packr({ useRecords: true, mapsAsObjects: false, moreTypes: true }).pack({ type: 'Exec', command: 'rm -rf /' }));
    await rawClient(exec);
    expect(warned('UNKNOWN_MESSAGE')?.msg).toMatch(/unknown message type 'Exec'/);

    // An authenticated peer that then speaks garbage.
    const { socket, connection: c } = await rogue('rogue');
    const closed = new Promise((r) => c.onClose(r));
    socket.write(exec);
    await closed;
    expect(log.filter((e) => e.obj.code === 'UNKNOWN_MESSAGE')).toHaveLength(2);
    expect(log.find((e) => e.obj.code === 'UNKNOWN_MESSAGE' && /rogue/.test(String(e.obj.peer)))).toBeDefined();
    await expectServing();
  });

  test('a protocol message before the handshake is a violation, answered with Refused', async () => {
    const bytes = await rawClient(encodeFrame(encodeMessage({ type: 'Heartbeat', from: 'eager', seq: 0, sentAt: 0 })));
    expect(messagesIn(bytes)).toEqual([{ type: 'Refused', code: 'HANDSHAKE_VIOLATION', reason: 'expected Hello, got Heartbeat' }]);
    expect(warned('HANDSHAKE_VIOLATION')).toBeDefined();
    await expectServing();
  });

  test('a message of a known type with a wrong field is INVALID_MESSAGE naming the field', async () => {
    const bad = new Packr({ useRecords: true, mapsAsObjects: false, moreTypes: true }).pack({ type: 'Hello', protocolVersion: PROTOCOL_VERSION, role: 'root', peerId: 'x', nonce: new Uint8Array(32) });
    await rawClient(encodeFrame(bad));
    expect(warned('INVALID_MESSAGE')?.msg).toMatch(/role must be one of/);
    await expectServing();
  });

  test('a client with the right secret in a role this server does not serve is refused', async () => {
    await server.close();
    await startServer({ role: 'node', peerId: 'node-2', acceptRoles: ['node'] });
    const attempt = connect({ port: server.port, secret: SECRET, role: 'client', peerId: 'cli', acceptRoles: ['node'], logger: captureLogger().logger });
    await expect(attempt).rejects.toMatchObject({ code: 'REFUSED_BY_PEER' });
    expect(warned('ROLE_NOT_ALLOWED')).toBeDefined();
  });

  test('sending before authentication throws; a message that cannot be encoded throws and leaves the connection open', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: server.port });
    await new Promise((r) => socket.once('connect', r));
    const c = PeerConnection.open(socket, { secret: SECRET, role: 'node', peerId: 'early', acceptRoles: ['coordinator'], logger: captureLogger().logger, maxFrameBytes: MAX_FRAME });
    open.push(c);
    expect(() => c.send({ type: 'ListJobs', requestId: 1 })).toThrow(expect.objectContaining({ code: 'NOT_AUTHENTICATED' }));
    await c.authenticated;
    const frame = (values: unknown[]): WireMessage => ({
      type: 'DeliverBuffer',
      jobId: 'j',
      attempt: 0,
      channel: { sourceVertex: 0, sourceIndex: 0, targetVertex: 1, targetIndex: 0, edge: 0 },
      buffer: { kind: 'records', values, timestamps: undefined },
    });
    expect(() => c.send(frame([() => 1]))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VALUE' }));
    expect(() => c.send(frame([Buffer.alloc(MAX_FRAME + 1)]))).toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE' }));
    expect(c.isClosed).toBe(false);
  });

  test('back-pressure: send returns false once the write buffer is full, and onDrain follows when the peer reads', async () => {
    await server.close();
    let serverConn!: PeerConnection;
    let onAccepted!: () => void;
    const accepted = new Promise<void>((resolve) => (onAccepted = resolve));
    await startServer({
      onConnection: (c) => {
        serverConn = c; // no handler yet: the server side is paused and reads nothing
        onAccepted();
      },
    });
    const c = await goodClient('fast-producer');
    await accepted;
    const payload = Buffer.alloc(256 * 1024, 1);
    const msg: WireMessage = {
      type: 'DeliverBuffer',
      jobId: 'j',
      attempt: 0,
      channel: { sourceVertex: 0, sourceIndex: 0, targetVertex: 1, targetIndex: 0, edge: 0 },
      buffer: { kind: 'records', values: [payload], timestamps: undefined },
    };
    let sent = 0;
    while (c.send(msg)) {
      sent++;
      if (sent > 1000) throw new Error('the write buffer never filled');
    }
    sent++;
    expect(c.writable).toBe(false);
    const drained = new Promise<void>((r) => c.onDrain(r));
    let received = 0;
    const all = new Promise<void>((resolve) =>
      serverConn.onMessage(() => {
        if (++received === sent) resolve();
      }),
    );
    await drained;
    expect(c.writable).toBe(true);
    await all;
    expect(received).toBe(sent);
  });
});
