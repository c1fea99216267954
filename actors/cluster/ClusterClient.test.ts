/**
 * ClusterClient against a stand-in coordinator (a PeerConnection server
 * that answers as each test tells it): replies are paired by requestId even
 * out of order, RequestFailed becomes a RequestFailedError, and a request
 * that gets no answer or loses its connection settles with a typed error.
 * Something else than a coordinator on the port (an HTTP server, a silent
 * service) is named as a peer that does not speak the cluster protocol.
 */
import { ClusterClientError, RequestFailedError } from '../../lib/errors';
import type { WireMessage } from '../../lib/cluster/WireMessages';
import * as net from 'node:net';
import { ClusterClient, printable } from './ClusterClient';
import { listen, type PeerConnection, type PeerServer } from './PeerConnection';

const secret = 'a cluster secret of enough length';
const quiet = { error() {}, warn() {}, info() {}, debug() {}, child: () => quiet };

let server: PeerServer;
let answer: (m: WireMessage, conn: PeerConnection) => void;

beforeEach(async () => {
  server = await listen({
    secret,
    role: 'coordinator',
    peerId: 'coordinator',
    acceptRoles: ['client'],
    logger: quiet,
    onConnection: (conn) => conn.onMessage((m) => answer(m, conn)),
  });
});
afterEach(() => server.close());

const connect = (s = secret) => ClusterClient.connect({ coordinator: { host: server.host, port: server.port }, secret: s, logger: quiet });

test('replies are paired with their requests by id, in whatever order they come', async () => {
  const held: { m: WireMessage; conn: PeerConnection }[] = [];
  answer = (m, conn) => {
    held.push({ m, conn });
    if (held.length < 2) return;
    for (const { m: r, conn: c } of held.reverse()) {
      const requestId = (r as { requestId: number }).requestId;
      if (r.type === 'ListNodes') c.send({ type: 'NodesListed', requestId, nodes: [] });
      if (r.type === 'ListJobs') c.send({ type: 'JobsListed', requestId, jobs: [] });
    }
  };
  const client = await connect();
  const [nodes, jobs] = await Promise.all([client.request({ type: 'ListNodes' }), client.request({ type: 'ListJobs' })]);
  expect(nodes.type).toBe('NodesListed');
  expect(jobs.type).toBe('JobsListed');
  client.close();
});

test('RequestFailed rejects with the remote code; silence with TIMEOUT; a closed connection with CONNECTION_LOST', async () => {
  answer = (m, conn) => {
    if (m.type === 'CancelJob') conn.send({ type: 'RequestFailed', requestId: m.requestId, code: 'INVALID_CONFIGURATION', message: 'no job x' });
    if (m.type === 'ListJobs') conn.close();
  };
  const client = await connect();
  await expect(client.request({ type: 'CancelJob', jobId: 'x' })).rejects.toEqual(expect.objectContaining({ code: 'INVALID_CONFIGURATION', message: 'no job x' }));
  await expect(client.request({ type: 'CancelJob', jobId: 'x' })).rejects.toBeInstanceOf(RequestFailedError);
  await expect(client.request({ type: 'ListNodes' }, 50)).rejects.toEqual(expect.objectContaining({ code: 'TIMEOUT' }));
  await expect(client.request({ type: 'ListJobs' })).rejects.toEqual(expect.objectContaining({ code: 'CONNECTION_LOST' }));
  await expect(client.request({ type: 'ListJobs' })).rejects.toEqual(expect.objectContaining({ code: 'CONNECTION_LOST' }));
});

test('a wrong secret is REFUSED, no listener UNREACHABLE', async () => {
  await expect(connect('another secret of enough length')).rejects.toEqual(expect.objectContaining({ code: 'REFUSED' }));
  const port = server.port;
  await server.close();
  const e = await ClusterClient.connect({ coordinator: { host: '127.0.0.1', port }, secret, logger: quiet }).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ClusterClientError);
  expect(e).toHaveProperty('code', 'UNREACHABLE');
});

/** A TCP server that is no coordinator: `onData` answers what our Hello gets (nothing, by default). */
async function stranger(onData: (socket: net.Socket) => void = () => {}): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const s = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', () => onData(socket));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    port: (s.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => (sockets.forEach((x) => x.destroy()), s.close(() => r()))),
  };
}

test('an HTTP server on the port: UNREACHABLE, naming a peer that does not speak the cluster protocol and what it sent', async () => {
  const http = await stranger((socket) => socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'));
  try {
    const e = await ClusterClient.connect({ coordinator: { host: '127.0.0.1', port: http.port }, secret, logger: quiet }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ClusterClientError);
    expect(e).toHaveProperty('code', 'UNREACHABLE');
    expect((e as Error).message).toBe(
      `coordinator 127.0.0.1:${http.port}: the peer there does not speak the Weir cluster protocol (it sent "HTTP/1.1 400 Bad Request…"): is this the coordinator's host:port?`,
    );
  } finally {
    await http.close();
  }
});

test('a peer that accepts and stays silent: the handshake timeout says so, not "no connection"', async () => {
  const silent = await stranger();
  try {
    const e = await ClusterClient.connect({ coordinator: { host: '127.0.0.1', port: silent.port }, secret, logger: quiet, connectTimeoutMs: 300 }).catch((x: unknown) => x);
    expect(e).toHaveProperty('code', 'UNREACHABLE');
    expect((e as Error).message).toContain('accepted the connection but did not answer the cluster handshake within 300 ms: it does not speak the Weir cluster protocol');
  } finally {
    await silent.close();
  }
});

test('printable: the first line, quoted, other bytes escaped', () => {
  expect(printable(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'))).toBe('"HTTP/1.1 400 Bad Request…"');
  expect(printable(Buffer.from([0x00, 0x41, 0x22]))).toBe('"\\x00A\\x22"');
  expect(printable(Buffer.from('SSH-2.0-OpenSSH'))).toBe('"SSH-2.0-OpenSSH"');
});
