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
 * ClusterClientError: UNREACHABLE (nothing answers, or no handshake in
 * time) or REFUSED (the coordinator does not accept our secret).
 */
import { AuthenticationError, ClusterClientError, RequestFailedError, describe } from '../../lib/errors';
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
    const attempt = connect({
      secret: options.secret,
      role: 'client',
      peerId: options.clientId ?? `weir-cli-${process.pid}`,
      acceptRoles: ['coordinator'],
      host,
      port,
      handshakeTimeoutMs: timeoutMs,
      logger: options.logger ?? createDefaultLogger(process.env.WEIR_LOG_LEVEL ?? 'error'),
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ClusterClientError('UNREACHABLE', address, `no connection within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const connection = await Promise.race([attempt, timeout]);
      return new ClusterClient(connection, address);
    } catch (e) {
      // A connection that completes after the timeout is closed at once.
      attempt.then((c) => c.close(), () => {});
      if (e instanceof ClusterClientError) throw e;
      if (e instanceof AuthenticationError) {
        throw new ClusterClientError('REFUSED', address, `refused the connection (is WEIR_CLUSTER_SECRET the cluster's?): ${e.message}`, { cause: e });
      }
      throw new ClusterClientError('UNREACHABLE', address, `cannot connect: ${describe(e)}`, { cause: e });
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
