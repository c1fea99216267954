/**
 * One cluster connection over a net.Socket: length-prefixed frames
 * (FrameCodec), msgpackr messages (WireCodec), the mutual handshake first
 * (Handshake), then the peer's messages to a handler.
 *
 * Guarantees: nothing but the handshake is accepted before it completes
 * (in frames of at most HANDSHAKE_MAX_FRAME_BYTES), and it must complete
 * within `handshakeTimeoutMs`; an oversized frame,
 * undecodable bytes, an unknown or malformed message, a wrong or missing
 * secret close this connection — after a Refused when the handshake
 * refused — with the typed error logged (warn: one line with its code, no
 * stack; debug when the peer refused us, which the caller reports) and
 * reported to `onClose`;
 * other connections of the same server are unaffected. Messages arrive in
 * order; those decoded before a handler is registered wait for it (the
 * socket is paused meanwhile). `send` reports back-pressure: false when the
 * socket's write buffer is full — wait for `onDrain` (the credit protocol
 * sits on top of this).
 *
 * `listen` binds to 127.0.0.1 unless told otherwise; `connect` resolves
 * once both sides proved the secret. The first bytes a peer sent before it
 * authenticated are kept (`bytesBeforeHandshake`), so that a caller can say
 * what answered when something else than a Weir process listens there (an
 * HTTP server answers "HTTP/1.1 400 …").
 */
import * as net from 'node:net';
import { AuthenticationError, ConnectionError, WeirError } from '../../lib/errors';
import { InitiatorHandshake, ResponderHandshake, type AuthenticatedPeer, type HandshakeOptions, type HandshakeStep } from '../../lib/cluster/Handshake';
import type { WireMessage } from '../../lib/cluster/WireMessages';
import { createDefaultLogger, type Logger } from '../../lib/monitoring/Logger';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameDecoder } from '../../lib/transport/FrameCodec';
import { WireDecoder, WireEncoder } from '../../lib/transport/WireCodec';

/** Default time for a new connection to complete the handshake, in ms. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;
/**
 * Largest frame accepted before the peer authenticated, in bytes: handshake
 * messages are tiny, so a stranger cannot make us hold a large payload.
 */
export const HANDSHAKE_MAX_FRAME_BYTES = 4 * 1024;
/** How long a refused peer gets to read our Refused before the socket is destroyed anyway, in ms. */
const LINGER_MS = 1_000;
/** How many of the bytes received before the handshake completed are kept for messages. */
const KEPT_HANDSHAKE_BYTES = 64;

export interface PeerConnectionOptions extends HandshakeOptions {
  /** Largest frame payload accepted and sent, in bytes (default 64 MiB). */
  readonly maxFrameBytes?: number;
  /** Time allowed for the handshake, in ms (default DEFAULT_HANDSHAKE_TIMEOUT_MS). */
  readonly handshakeTimeoutMs?: number;
  /** Where refusals and protocol errors are logged (default: the engine's pino logger). */
  readonly logger?: Logger;
}

type State = 'handshake' | 'open' | 'closed';

/** A connection to one peer; create it with `PeerConnection.open` (we connected) or `.accept` (they did). */
export class PeerConnection {
  private state: State = 'handshake';
  private readonly decoder: FrameDecoder;
  /** This connection's message codec: record frames share a string table with the peer's. */
  private readonly wireEncoder = new WireEncoder();
  private readonly wireDecoder = new WireDecoder();
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };
  private readonly handshake: InitiatorHandshake | ResponderHandshake;
  private readonly maxFrameBytes: number;
  private readonly logger: Logger;
  private readonly timer: NodeJS.Timeout;
  private handler: ((m: WireMessage) => void) | undefined;
  private readonly waiting: WireMessage[] = [];
  private readonly closeHandlers: ((error: WeirError | undefined) => void)[] = [];
  private closeReason: WeirError | undefined;
  private received: Buffer = Buffer.alloc(0);
  private resolveAuth!: (p: AuthenticatedPeer) => void;
  private rejectAuth!: (e: WeirError) => void;
  /** Who the peer proved to be; undefined until the handshake completed. */
  peer: AuthenticatedPeer | undefined;
  /** Resolves with the peer once authenticated; rejects with the typed error that closed the connection before that. */
  readonly authenticated: Promise<AuthenticatedPeer>;

  /** We opened the socket: send Hello, expect Challenge and Welcome. */
  static open(socket: net.Socket, options: PeerConnectionOptions): PeerConnection {
    return new PeerConnection(socket, options, new InitiatorHandshake(options));
  }

  /** The peer opened the socket: expect Hello and a proof. */
  static accept(socket: net.Socket, options: PeerConnectionOptions): PeerConnection {
    return new PeerConnection(socket, options, new ResponderHandshake(options));
  }

  private constructor(
    private readonly socket: net.Socket,
    options: PeerConnectionOptions,
    handshake: InitiatorHandshake | ResponderHandshake,
  ) {
    this.handshake = handshake;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.decoder = new FrameDecoder({ maxFrameBytes: Math.min(HANDSHAKE_MAX_FRAME_BYTES, this.maxFrameBytes), peer: this.label });
    this.logger = (options.logger ?? createDefaultLogger()).child({ component: 'PeerConnection' });
    this.authenticated = new Promise((resolve, reject) => {
      this.resolveAuth = resolve;
      this.rejectAuth = reject;
    });
    // A connection that fails before anyone awaits it must not be an unhandled rejection.
    this.authenticated.catch(() => {});
    const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.timer = setTimeout(() => this.fail(new ConnectionError('HANDSHAKE_TIMEOUT', `no handshake within ${timeoutMs} ms`, this.label)), timeoutMs);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (e) => this.fail(new ConnectionError('CONNECTION_CLOSED', `socket error: ${e.message}`, this.label), 'debug'));
    socket.on('close', () => this.fail(new ConnectionError('CONNECTION_CLOSED', 'the connection closed', this.label), 'debug'));
    if (handshake instanceof InitiatorHandshake) this.write(handshake.start());
  }

  /** The remote address, and the peer's id once known (for logs and errors). */
  get label(): string {
    const addr = `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
    return this.peer === undefined ? addr : `${this.peer.role} '${this.peer.peerId}' ${addr}`;
  }

  /** The first bytes (at most 64) the peer sent before the handshake completed: what answered, for error messages. */
  get bytesBeforeHandshake(): Buffer {
    return this.received;
  }

  /** Whether a send now would be buffered without back-pressure (the socket's buffer is below its high-water mark). */
  get writable(): boolean {
    return this.state === 'open' && !this.socket.writableNeedDrain;
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Why the connection closed (undefined while open, or after a clean close by `close()`). */
  get closedBy(): WeirError | undefined {
    return this.closeReason;
  }

  /** Sets the message handler; messages received before it are handed over first, in order. */
  onMessage(handler: (m: WireMessage) => void): void {
    this.handler = handler;
    while (this.waiting.length > 0 && this.handler === handler && this.state === 'open') handler(this.waiting.shift()!);
    if (this.state === 'open') this.socket.resume();
  }

  /** Called when the write buffer has drained after `send` returned false. */
  onDrain(handler: () => void): void {
    this.socket.on('drain', handler);
  }

  /** Called once when the connection closes, with the typed error that closed it (undefined for a clean close). */
  onClose(handler: (error: WeirError | undefined) => void): void {
    if (this.state === 'closed') handler(this.closeReason);
    else this.closeHandlers.push(handler);
  }

  /**
   * Sends a message. Returns false when the socket's write buffer is full
   * (the message is still queued: wait for onDrain before sending more).
   * Throws ConnectionError NOT_AUTHENTICATED before the handshake completed
   * or after the close, and the codec's errors (WireCodecError,
   * ProtocolError, FrameError FRAME_TOO_LARGE) for a message that cannot be
   * sent — the connection stays open then.
   */
  send(message: WireMessage): boolean {
    if (this.state !== 'open') {
      throw new ConnectionError('NOT_AUTHENTICATED', `cannot send ${message.type}: the connection is ${this.state === 'closed' ? 'closed' : 'not authenticated yet'}`, this.label);
    }
    return this.write(message);
  }

  /** Closes the connection (a clean close unless `error` is given, which is logged). */
  close(error?: WeirError): void {
    if (error !== undefined) this.fail(error);
    else this.shutdown(undefined);
  }

  private write(message: WireMessage): boolean {
    const frame = this.frameOf(message);
    // The frames written in one turn of the event loop (a consumer's credit grants, a producer's
    // buffers) go out in one system call: corked now, uncorked once the current work is done.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    return this.socket.write(frame);
  }

  /** The message's frame; a message that fails to become one is not sent, and the codec knows. */
  private frameOf(message: WireMessage): Buffer {
    const payload = this.wireEncoder.encode(message);
    try {
      return encodeFrame(payload, this.maxFrameBytes, this.label);
    } catch (e) {
      this.wireEncoder.abandon();
      throw e;
    }
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    if (this.state === 'handshake' && this.received.length < KEPT_HANDSHAKE_BYTES) {
      this.received = Buffer.concat([this.received, chunk.subarray(0, KEPT_HANDSHAKE_BYTES - this.received.length)]);
    }
    // Each payload is handled as the decoder completes it, before the next header is checked: the
    // frame limit rises when the handshake completes, and the peer's first frames after its last
    // handshake message may share a chunk with it. A handler's own exception is not the peer's
    // fault: the rest of the chunk is still delivered, then the first such exception propagates.
    let handlerError: { error: unknown } | undefined;
    try {
      this.decoder.push(chunk, (p) => {
        if (this.isClosed) return;
        let message: WireMessage;
        try {
          message = this.wireDecoder.decode(p);
        } catch (e) {
          if (e instanceof WeirError) return this.fail(e);
          throw e;
        }
        try {
          this.receive(message);
        } catch (e) {
          handlerError ??= { error: e };
        }
      });
    } catch (e) {
      if (!(e instanceof WeirError)) throw e;
      // The frames before a bad one were the peer's last words; then the connection closes.
      if (!this.isClosed) this.fail(e);
    }
    if (handlerError !== undefined) throw handlerError.error;
  }

  private receive(message: WireMessage): void {
    if (this.state === 'handshake') {
      this.onHandshakeStep(this.handshake.receive(message));
      return;
    }
    if (message.type === 'Hello' || message.type === 'Challenge' || message.type === 'ChallengeResponse' || message.type === 'Welcome') {
      this.fail(new AuthenticationError('HANDSHAKE_VIOLATION', `a ${message.type} message after the handshake completed`));
      return;
    }
    if (this.handler !== undefined && this.waiting.length === 0) this.handler(message);
    else {
      this.waiting.push(message);
      this.socket.pause();
    }
  }

  private onHandshakeStep(step: HandshakeStep): void {
    switch (step.kind) {
      case 'send':
        this.write(step.message);
        return;
      case 'refused':
        // The peer refused us (no Refused of ours to send): the caller of connect gets the error and says why.
        this.fail(step.error, step.send === undefined ? 'debug' : 'warn', step.send);
        return;
      case 'authenticated':
        if (step.send !== undefined) this.write(step.send);
        clearTimeout(this.timer);
        this.peer = step.peer;
        this.state = 'open';
        this.decoder.setMaxFrameBytes(this.maxFrameBytes);
        this.logger.debug({ peer: this.label }, 'peer authenticated');
        if (this.handler === undefined) this.socket.pause();
        this.resolveAuth(step.peer);
        return;
    }
  }

  private onEnd(): void {
    if (this.state === 'closed') return;
    try {
      this.decoder.end();
    } catch (e) {
      if (e instanceof WeirError) return this.fail(e);
      throw e;
    }
    this.fail(new ConnectionError('CONNECTION_CLOSED', this.state === 'handshake' ? 'the peer closed the connection during the handshake' : 'the peer closed the connection', this.label), 'debug');
  }

  /** Closes because of `error` (an expected, typed failure: its code and message, no stack): logs it, sends `last` (a Refused) first when given. */
  private fail(error: WeirError, level: 'warn' | 'debug' = 'warn', last?: WireMessage): void {
    if (this.state === 'closed') return;
    this.logger[level]({ code: error.code, peer: this.label }, `closing cluster connection: ${error.message}`);
    this.shutdown(error, last);
  }

  private shutdown(error: WeirError | undefined, last?: WireMessage): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.closeReason = error;
    clearTimeout(this.timer);
    this.waiting.length = 0;
    if (!wasOpen) this.rejectAuth(error ?? new ConnectionError('CONNECTION_CLOSED', 'closed during the handshake', this.label));
    if (last !== undefined && !this.socket.destroyed) {
      // Tell the peer why, then close once it is written.
      this.socket.once('finish', () => this.socket.destroy());
      this.socket.end(this.frameOf(last));
      setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
    } else {
      this.socket.destroy();
    }
    for (const h of this.closeHandlers.splice(0)) h(error);
  }
}

export interface ListenOptions extends PeerConnectionOptions {
  /** Interface to bind (default 127.0.0.1: loopback only). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
  /** Each connection that completed the handshake. */
  readonly onConnection: (connection: PeerConnection, peer: AuthenticatedPeer) => void;
}

export interface PeerServer {
  readonly host: string;
  readonly port: number;
  /** Connections open now, authenticated or still in the handshake. */
  readonly connections: ReadonlySet<PeerConnection>;
  /** Stops accepting and closes every connection. */
  close(): Promise<void>;
}

/** Accepts cluster connections; each must pass the handshake before `onConnection` sees it. */
export function listen(options: ListenOptions): Promise<PeerServer> {
  const connections = new Set<PeerConnection>();
  const server = net.createServer((socket) => {
    const c = PeerConnection.accept(socket, options);
    connections.add(c);
    c.onClose(() => connections.delete(c));
    c.authenticated.then(
      (peer) => options.onConnection(c, peer),
      () => {}, // refused and logged by the connection
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const a = server.address() as net.AddressInfo;
      resolve({
        host: a.address,
        port: a.port,
        connections,
        close: () =>
          new Promise<void>((done) => {
            for (const c of connections) c.close();
            server.close(() => done());
          }),
      });
    });
  });
}

export interface ConnectOptions extends PeerConnectionOptions {
  readonly host?: string;
  readonly port: number;
  /** Called once the TCP connection is up, before the handshake (something listens there). */
  readonly onOpen?: (connection: PeerConnection) => void;
}

/**
 * Opens a cluster connection and runs the handshake. Resolves once both
 * sides proved the secret; rejects with AuthenticationError (refused,
 * wrong secret on either side), ConnectionError (timeout, closed) or the
 * socket's connect error.
 */
export function connect(options: ConnectOptions): Promise<PeerConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: options.host ?? '127.0.0.1', port: options.port });
    const onError = (e: Error) => reject(e);
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      const c = PeerConnection.open(socket, options);
      options.onOpen?.(c);
      c.authenticated.then(() => resolve(c), reject);
    });
  });
}
