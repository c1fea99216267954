/**
 * A client of a coordinator, for the `weir` commands that talk to a
 * cluster (run --coordinator, list, cancel, savepoint, stop, nodes,
 * health): one authenticated connection (role 'client'), requests paired
 * with their replies by `requestId`.
 *
 *   const client = await ClusterClient.connect({ coordinator: { host, port }, secret });
 *   const { nodes } = await client.request({ type: 'ListNodes' });
 *   client.close();
 *
 * Guarantees: every request settles — with its reply, with a
 * RequestFailedError when the coordinator answered RequestFailed, or with a
 * ClusterClientError (TIMEOUT after its timeout, CONNECTION_LOST when the
 * connection closes first). `connect` rejects only with a
 * ClusterClientError: UNREACHABLE (nothing answers, no handshake in time,
 * or what answers does not speak the cluster protocol — the message says
 * which, with the first bytes such a peer sent) or REFUSED (the coordinator
 * does not accept our secret).
 */
import { AuthenticationError, ClusterClientError, ConnectionError, FrameError, ProtocolError, RequestFailedError, WireCodecError, describe } from '../../lib/errors';
import type { HostPort } from '../../lib/cli/clusterSettings';
import type { ClientReply, ClientRequest, MessageOfType, WireMessage } from '../../lib/cluster/WireMessages';
import { createDefaultLogger, type Logger } from '../../lib/monitoring/Logger';
import { connect, type PeerConnection } from './PeerConnection';

/** Default time to connect and prove the secret, in ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Default time a request waits for its reply, in ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** The reply each request is answered with (RequestFailed aside). */
export interface ReplyTo {
  SubmitJob: MessageOfType<'JobSubmitted'>;
  WatchJob: MessageOfType<'JobEnded'>;
  ListJobs: MessageOfType<'JobsListed'>;
  CancelJob: MessageOfType<'JobCancelled'>;
  TriggerSavepoint: MessageOfType<'SavepointCompleted'>;
  StopWithSavepoint: MessageOfType<'SavepointCompleted'>;
  Rescale: MessageOfType<'JobRescaled'>;
  ListNodes: MessageOfType<'NodesListed'>;
  ReportJobProgress: MessageOfType<'JobProgressReported'>;
}

/** A request as the caller writes it: the client adds the requestId. */
export type RequestOf<T extends ClientRequest['type']> = Omit<MessageOfType<T>, 'requestId'>;

export interface ClusterClientOptions {
  readonly coordinator: HostPort;
  readonly secret: string;
  /** Time to connect and complete the handshake, in ms (DEFAULT_CONNECT_TIMEOUT_MS). */
  readonly connectTimeoutMs?: number;
  /** This client's id as the coordinator logs it (default `weir-cli-<pid>`). */
  readonly clientId?: string;
  /** Where connection problems are logged (default: the engine's logger at level 'error', so the CLI's own message is what the user reads). */
  readonly logger?: Logger;
}

interface Pending {
  readonly type: ClientRequest['type'];
  readonly resolve: (reply: ClientReply) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

export class ClusterClient {
  private nextRequestId = 1;
  private readonly pending = new Map<number, Pending>();

  private constructor(
    private readonly connection: PeerConnection,
    /** host:port of the coordinator, for messages. */
    readonly address: string,
  ) {
    connection.onMessage((m) => this.receive(m));
    connection.onClose((e) => {
      const why = e === undefined ? 'the connection closed' : `the connection closed: ${e.message}`;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        clearTimeout(p.timer);
        p.reject(new ClusterClientError('CONNECTION_LOST', this.address, `${why} before ${p.type} was answered`));
      }
    });
  }

  /**
   * Connects to the coordinator and proves the cluster secret.
   * @throws ClusterClientError UNREACHABLE (no answer at the address, or no handshake within connectTimeoutMs) or REFUSED (wrong secret)
   */
  static async connect(options: ClusterClientOptions): Promise<ClusterClient> {
    const { host, port } = options.coordinator;
    const address = `${host}:${port}`;
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    let opened: PeerConnection | undefined;
    const attempt = connect({
      secret: options.secret,
      role: 'client',
      peerId: options.clientId ?? `weir-cli-${process.pid}`,
      acceptRoles: ['coordinator'],
      host,
      port,
      handshakeTimeoutMs: timeoutMs,
      logger: options.logger ?? createDefaultLogger(process.env.WEIR_LOG_LEVEL ?? 'error'),
      onOpen: (c) => (opened = c),
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ConnectionError('HANDSHAKE_TIMEOUT', `no handshake within ${timeoutMs} ms`, address)), timeoutMs);
    });
    try {
      const connection = await Promise.race([attempt, timeout]);
      return new ClusterClient(connection, address);
    } catch (e) {
      // A connection that completes after the timeout is closed at once.
      attempt.then((c) => c.close(), () => {});
      opened?.close();
      if (e instanceof AuthenticationError && e.code !== 'HANDSHAKE_VIOLATION') {
        throw new ClusterClientError('REFUSED', address, `refused the connection (is WEIR_CLUSTER_SECRET the cluster's?): ${e.message}`, { cause: e });
      }
      throw new ClusterClientError('UNREACHABLE', address, whyNotConnected(e, opened, timeoutMs), { cause: e });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends a request and resolves with its reply.
   * @param timeoutMs how long to wait for the reply (DEFAULT_REQUEST_TIMEOUT_MS; `Infinity` waits as long as the connection lasts — WatchJob)
   * @throws RequestFailedError when the coordinator answered RequestFailed
   * @throws ClusterClientError TIMEOUT, or CONNECTION_LOST when the connection closed first
   */
  request<T extends ClientRequest['type']>(request: RequestOf<T> & { readonly type: T }, timeoutMs: number = DEFAULT_REQUEST_TIMEOUT_MS): Promise<ReplyTo[T]> {
    const requestId = this.nextRequestId++;
    return new Promise<ReplyTo[T]>((resolve, reject) => {
      if (this.connection.isClosed) {
        reject(new ClusterClientError('CONNECTION_LOST', this.address, `the connection is closed; ${request.type} was not sent`));
        return;
      }
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            this.pending.delete(requestId);
            reject(new ClusterClientError('TIMEOUT', this.address, `no answer to ${request.type} within ${timeoutMs} ms`));
          }, timeoutMs)
        : undefined;
      this.pending.set(requestId, { type: request.type, resolve: resolve as (r: ClientReply) => void, reject, timer });
      this.connection.send({ ...request, requestId } as unknown as WireMessage);
    });
  }

  /** Closes the connection; requests still waiting reject with CONNECTION_LOST. */
  close(): void {
    this.connection.close();
  }

  private receive(m: WireMessage): void {
    const requestId = (m as { requestId?: unknown }).requestId;
    if (typeof requestId !== 'number') return; // heartbeats and the like are not for clients
    const p = this.pending.get(requestId);
    if (p === undefined) return; // answered after its timeout
    this.pending.delete(requestId);
    clearTimeout(p.timer);
    if (m.type === 'RequestFailed') p.reject(new RequestFailedError(m.code, p.type, m.message));
    else p.resolve(m as ClientReply);
  }
}

/**
 * Why a connection attempt failed, as the user reads it: nothing listens,
 * nothing answered in time, or the peer that answered does not speak the
 * cluster protocol (an HTTP server, another service on the port) — then
 * with the first bytes it sent, printable.
 */
function whyNotConnected(e: unknown, opened: PeerConnection | undefined, timeoutMs: number): string {
  if (opened === undefined) {
    return e instanceof ConnectionError && e.code === 'HANDSHAKE_TIMEOUT' ? `no connection within ${timeoutMs} ms` : `cannot connect: ${describe(e)}`;
  }
  const bytes = opened.bytesBeforeHandshake;
  const sent = bytes.length === 0 ? '' : ` (it sent ${printable(bytes)})`;
  const notWeir = `the peer there does not speak the Weir cluster protocol${sent}: is this the coordinator's host:port?`;
  if (e instanceof FrameError || e instanceof WireCodecError || e instanceof ProtocolError || e instanceof AuthenticationError) return notWeir;
  if (e instanceof ConnectionError && e.code === 'HANDSHAKE_TIMEOUT') {
    return bytes.length > 0
      ? notWeir
      : `the peer there accepted the connection but did not answer the cluster handshake within ${timeoutMs} ms: it does not speak the Weir cluster protocol (is this the coordinator's host:port?), or the coordinator is overloaded`;
  }
  if (e instanceof ConnectionError && e.code === 'CONNECTION_CLOSED') {
    return bytes.length > 0 ? notWeir : `the peer there closed the connection during the handshake without answering: is this a Weir coordinator's host:port?`;
  }
  return `cannot connect: ${describe(e)}`;
}

/** The first line of `bytes` (at most 40 of them), quoted, other than printable ASCII as \\xNN: `"HTTP/1.1 400 Bad Request"`. */
export function printable(bytes: Buffer): string {
  let end = bytes.findIndex((b) => b === 0x0d || b === 0x0a);
  if (end < 0) end = bytes.length;
  const shown = bytes.subarray(0, Math.min(end, 40));
  const text = [...shown].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
  return `"${text}${shown.length < bytes.length ? '…' : ''}"`;
}
