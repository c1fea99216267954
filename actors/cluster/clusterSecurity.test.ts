/**
 * The cluster's port against strangers, as real processes: while the keyed
 * window fixture job runs on a coordinator and two nodes, a node process
 * with the wrong secret tries to join, one without a secret is started,
 * raw sockets send the coordinator garbage bytes, a frame that does not
 * decode and an oversized length header, and a client that did prove the
 * secret sends a frame past the 64 MiB limit. Each is refused — the
 * connection closed, the refusal logged — and the cluster is unaffected:
 * `weir nodes` lists only the good nodes and the job finishes without a
 * restart, its output exact.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCommittedLines } from '../../lib/connectors/FileSink';
import { DEFAULT_MAX_FRAME_BYTES } from '../../lib/transport/FrameCodec';
import { expectedLines } from './fixtures/windowedCounts';
import { checkpointDirs, killAll, listNodes, SECRET, startCluster, startNode, until, weir, type Line } from './fixtures/processes';
import { PeerConnection } from './PeerConnection';

const FIXTURE = path.join(__dirname, 'fixtures', 'windowedCounts.ts');
const RECORDS = 20_000;

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-cluster-security-'));
});

afterEach(async () => {
  await killAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Opens a raw socket to the coordinator, writes `bytes`, and resolves with what came back once the coordinator closed it. */
function sendRaw(port: number, bytes: Buffer): Promise<{ received: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = 0;
    socket.on('data', (d) => (received += d.length));
    socket.on('error', () => {}); // a reset is a close too
    socket.on('close', () => resolve({ received }));
    socket.once('connect', () => socket.write(bytes));
    socket.setTimeout(30_000, () => reject(new Error('the coordinator kept a connection that sent garbage open')));
  });
}

/** Proves the secret as a client over a socket of our own, then writes a frame header past the limit: resolves once the coordinator closed it. */
function oversizedAfterHandshake(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    socket.once('connect', () => {
      const conn = PeerConnection.open(socket, { secret: SECRET, role: 'client', peerId: 'oversized-frame-test', acceptRoles: ['coordinator'] });
      conn.authenticated.then(() => {
        socket.on('close', () => resolve());
        socket.write(header(DEFAULT_MAX_FRAME_BYTES + 1));
      }, reject);
    });
  });
}

const header = (length: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(length);
  return b;
};

test('a node with the wrong secret never registers, and garbage or oversized frames are refused, while a job runs to an exact result', async () => {
  const cluster = await startCluster({ nodes: 2, slots: 2, coordinatorLogLevel: 'warn' });
  const checkpoints = path.join(dir, 'checkpoints');
  const out = path.join(dir, 'out');
  const run = weir('run', ['run', '--coordinator', cluster.address, '-p', '4', '--checkpoint-dir', checkpoints, '--checkpoint-interval', '100', '--json', FIXTURE, String(RECORDS), out, '4000']);
  await until(() => checkpointDirs(checkpoints).some((c) => c.complete) || !run.alive);
  expect(run.alive).toBe(true);

  // `weir node` with the wrong secret: refused at the handshake, it says why and ends with exit code 3
  // (retrying cannot make the secret right); it never prints "registered".
  const intruder = startNode(cluster.address, 'intruder', 2, { WEIR_CLUSTER_SECRET: 'not the secret of this cluster at all' });
  const refusedNode = (l: Line) => l.code === 'REFUSED_BY_PEER';
  expect((await intruder.exited).code).toBe(3);
  expect(intruder.events.filter((e) => e.event === 'registered')).toEqual([]);
  expect(intruder.stderr).toContain('refused this node');
  expect(String(intruder.logs.find(refusedNode)!.msg)).toContain('could not prove the cluster secret');
  // One log line for this expected failure, with the typed error's code and no stack trace.
  expect(intruder.logs.filter(refusedNode)).toHaveLength(1);
  expect(intruder.logs.filter((l) => 'err' in l || /\n\s+at /.test(JSON.stringify(l)))).toEqual([]);

  // Strangers on the coordinator's port: each connection is closed.
  const http = await sendRaw(cluster.port, Buffer.from('GET / HTTP/1.1\r\nHost: weir\r\n\r\n')); // "GET " read as a length: far too large
  const oversized = await sendRaw(cluster.port, Buffer.concat([header(1 << 30), Buffer.alloc(64)]));
  const undecodable = await sendRaw(cluster.port, Buffer.concat([header(16), Buffer.from('c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1', 'hex')]));
  const random = await sendRaw(cluster.port, Buffer.concat([header(32), Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 97 + 13) & 0xff))]));
  expect([http, oversized, undecodable, random].map((r) => r.received)).toEqual([0, 0, 0, 0]);
  // Past the handshake the limit is 64 MiB: a bigger frame closes even an authenticated connection.
  await oversizedAfterHandshake(cluster.port);
  // No secret at all: `weir node` refuses to start (a usage error, exit 2), naming where the secret comes from.
  const secretless = startNode(cluster.address, 'secretless', 1, { WEIR_CLUSTER_SECRET: '' });
  expect((await secretless.exited).code).toBe(2);
  expect(secretless.stderr).toContain('WEIR_CLUSTER_SECRET');
  // The coordinator logged each refusal, typed.
  const codes = await until(() => {
    const c = cluster.coordinator.logs.filter((l) => l.component === 'PeerConnection').map((l) => String(l.code));
    return c.filter((x) => x !== 'BAD_PROOF').length >= 5 && c;
  });
  expect(codes).toEqual(expect.arrayContaining(['BAD_PROOF', 'FRAME_TOO_LARGE', 'UNDECODABLE']));
  expect(codes.filter((c) => c === 'FRAME_TOO_LARGE').length).toBeGreaterThanOrEqual(3);
  console.log(`refusals the coordinator logged: ${codes.join(', ')}`);
  expect(run.alive).toBe(true); // all of it happened while the job ran

  const nodes = await listNodes(cluster.address);
  expect(nodes.map((n) => n.nodeId).sort()).toEqual(['n1', 'n2']);

  const { code } = await run.exited;
  expect({ code, result: run.events.at(-1) }).toMatchObject({ code: 0, result: { status: 'FINISHED', restarts: 0 } });
  expect(readCommittedLines(out).sort()).toEqual(expectedLines(RECORDS));
  expect(intruder.events.filter((e) => e.event === 'registered')).toEqual([]);
  expect((await listNodes(cluster.address)).map((n) => n.nodeId).sort()).toEqual(['n1', 'n2']);
});
