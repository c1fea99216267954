/**
 * The first exchange on every cluster connection: both ends prove they know
 * the shared cluster secret, without sending it (mutual challenge–response,
 * HMAC-SHA256). A pure state machine per side — fed the messages received,
 * it returns what to send next, or that the peer is authenticated, or that
 * it is refused with a typed AuthenticationError; sockets and timeouts are
 * the caller's (actors/cluster/PeerConnection.ts).
 *
 * ```
 * initiator (opens)                       responder (accepts)
 *   Hello {version, role, id, Ni}    →
 *                                    ←    Challenge {role, id, Nr}
 *   ChallengeResponse {proof_i}      →    checks proof_i
 *   checks proof_r                   ←    Welcome {proof_r}   (or Refused)
 * ```
 *
 * proof = HMAC(secret, label, prover position (initiator | responder), both
 * roles, both ids, Ni, Nr), every field length-prefixed. Guarantees: a
 * proof is only valid for this pair of fresh nonces (no replay), for the
 * prover's position and role (a node's answer reflected back as the other
 * side's proof fails, also between two nodes), and it is compared in
 * constant time. A responder only proves the secret after the initiator
 * has, so it is no oracle for proofs. It does not protect the connection
 * afterwards (no encryption or per-frame MAC): bind ports to trusted networks.
 */
import { createHmac, randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';
import { AuthenticationError, ConfigurationError } from '../errors';
import { PROTOCOL_VERSION, type Challenge, type HandshakeMessage, type Hello, type PeerRole, type Refused, type WireMessage } from './WireMessages';

/** Bytes of each side's nonce. */
export const NONCE_BYTES = 32;
/** Shortest cluster secret accepted, in bytes (UTF-8 for strings). */
export const MIN_SECRET_BYTES = 16;
const LABEL = 'weir cluster handshake v1';

export interface HandshakeOptions {
  /** The shared cluster secret (at least MIN_SECRET_BYTES bytes). */
  readonly secret: string | Uint8Array;
  /** This side's role and id, as the peer will see them. */
  readonly role: PeerRole;
  readonly peerId: string;
  /** Roles this side accepts at the other end (a node's data port: ['node']; a coordinator: ['node', 'client']). */
  readonly acceptRoles: readonly PeerRole[];
  /** Source of nonces (default node:crypto randomBytes); tests inject a seeded one. */
  readonly randomBytes?: (n: number) => Uint8Array;
}

/** Who the other end proved to be. */
export interface AuthenticatedPeer {
  readonly role: PeerRole;
  readonly peerId: string;
}

/** What to do after a message: send one, or the handshake ended (with one last message to send, perhaps). */
export type HandshakeStep =
  | { readonly kind: 'send'; readonly message: HandshakeMessage }
  | { readonly kind: 'authenticated'; readonly peer: AuthenticatedPeer; readonly send?: HandshakeMessage }
  | { readonly kind: 'refused'; readonly error: AuthenticationError; readonly send?: Refused };

function secretBytes(secret: string | Uint8Array): Buffer {
  const b = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (b.length < MIN_SECRET_BYTES) {
    throw new ConfigurationError('cluster secret', `must be at least ${MIN_SECRET_BYTES} bytes, got ${b.length} (generate one with: openssl rand -hex 32)`);
  }
  return b;
}

interface Transcript {
  readonly initiator: AuthenticatedPeer;
  readonly responder: AuthenticatedPeer;
  readonly initiatorNonce: Uint8Array;
  readonly responderNonce: Uint8Array;
}

/** HMAC-SHA256 over the transcript, bound to the prover's position. */
export function handshakeProof(secret: string | Uint8Array, prover: 'initiator' | 'responder', t: Transcript): Buffer {
  const h = createHmac('sha256', secretBytes(secret));
  const field = (b: Uint8Array | string) => {
    const bytes = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(bytes.length);
    h.update(len);
    h.update(bytes);
  };
  for (const f of [LABEL, prover, t.initiator.role, t.initiator.peerId, t.responder.role, t.responder.peerId, t.initiatorNonce, t.responderNonce]) field(f);
  return h.digest();
}

function proofMatches(expected: Buffer, got: Uint8Array): boolean {
  return got.length === expected.length && timingSafeEqual(expected, got);
}

abstract class HandshakeSide {
  protected readonly secret: Buffer;
  protected readonly random: (n: number) => Uint8Array;
  protected readonly self: AuthenticatedPeer;
  private ended = false;

  constructor(protected readonly options: HandshakeOptions) {
    this.secret = secretBytes(options.secret);
    this.random = options.randomBytes ?? cryptoRandomBytes;
    this.self = { role: options.role, peerId: options.peerId };
  }

  /** The step for `message`, received from the peer. After the handshake ended, any message is a violation. */
  receive(message: WireMessage): HandshakeStep {
    if (this.ended) return this.refuse('HANDSHAKE_VIOLATION', `a ${message.type} message after the handshake ended`);
    if (message.type === 'Refused') {
      return this.end({ kind: 'refused', error: new AuthenticationError('REFUSED_BY_PEER', `the peer refused the connection: ${message.code}: ${message.reason}`) });
    }
    const step = this.step(message);
    if (step.kind !== 'send') this.ended = true;
    return step;
  }

  protected abstract step(message: WireMessage): HandshakeStep;

  protected nonce(): Uint8Array {
    const n = this.random(NONCE_BYTES);
    if (n.length !== NONCE_BYTES) throw new RangeError(`randomBytes returned ${n.length} bytes, not ${NONCE_BYTES}`);
    return n;
  }

  protected checkRole(role: PeerRole, peerId: string): HandshakeStep | undefined {
    if (this.options.acceptRoles.includes(role)) return undefined;
    return this.refuse('ROLE_NOT_ALLOWED', `a ${role} ('${peerId}') may not connect here (this ${this.self.role} accepts ${this.options.acceptRoles.join(', ')})`);
  }

  protected refuse(code: AuthenticationError['code'], reason: string): HandshakeStep {
    return this.end({ kind: 'refused', error: new AuthenticationError(code, reason), send: { type: 'Refused', code, reason } });
  }

  private end(step: HandshakeStep): HandshakeStep {
    this.ended = true;
    return step;
  }
}

/** The side that opened the connection: a node or client towards the coordinator, a node towards another node's data port. */
export class InitiatorHandshake extends HandshakeSide {
  private hello: Hello | undefined;
  private transcript: Transcript | undefined;

  /** The first message to send. */
  start(): Hello {
    if (this.hello !== undefined) throw new Error('the handshake has started already');
    this.hello = { type: 'Hello', protocolVersion: PROTOCOL_VERSION, role: this.self.role, peerId: this.self.peerId, nonce: this.nonce() };
    return this.hello;
  }

  protected step(m: WireMessage): HandshakeStep {
    if (this.hello === undefined) return this.refuse('HANDSHAKE_VIOLATION', `a ${m.type} message before Hello was sent`);
    if (this.transcript === undefined) {
      if (m.type !== 'Challenge') return this.refuse('HANDSHAKE_VIOLATION', `expected Challenge, got ${m.type}`);
      return this.onChallenge(this.hello, m);
    }
    if (m.type !== 'Welcome') return this.refuse('HANDSHAKE_VIOLATION', `expected Welcome, got ${m.type}`);
    if (!proofMatches(handshakeProof(this.secret, 'responder', this.transcript), m.proof)) {
      return this.refuse('BAD_PROOF', `the ${this.transcript.responder.role} '${this.transcript.responder.peerId}' could not prove the cluster secret`);
    }
    return { kind: 'authenticated', peer: this.transcript.responder };
  }

  private onChallenge(hello: Hello, c: Challenge): HandshakeStep {
    const wrongRole = this.checkRole(c.role, c.peerId);
    if (wrongRole !== undefined) return wrongRole;
    if (c.nonce.length !== NONCE_BYTES) return this.refuse('HANDSHAKE_VIOLATION', `a nonce of ${c.nonce.length} bytes, not ${NONCE_BYTES}`);
    if (Buffer.from(c.nonce).equals(hello.nonce)) return this.refuse('HANDSHAKE_VIOLATION', 'the challenge reflects our own nonce');
    this.transcript = {
      initiator: this.self,
      responder: { role: c.role, peerId: c.peerId },
      initiatorNonce: hello.nonce,
      responderNonce: c.nonce,
    };
    return { kind: 'send', message: { type: 'ChallengeResponse', proof: handshakeProof(this.secret, 'initiator', this.transcript) } };
  }
}

/** The side that accepted the connection. */
export class ResponderHandshake extends HandshakeSide {
  private transcript: Transcript | undefined;

  protected step(m: WireMessage): HandshakeStep {
    if (this.transcript === undefined) {
      if (m.type !== 'Hello') return this.refuse('HANDSHAKE_VIOLATION', `expected Hello, got ${m.type}`);
      return this.onHello(m);
    }
    if (m.type !== 'ChallengeResponse') return this.refuse('HANDSHAKE_VIOLATION', `expected ChallengeResponse, got ${m.type}`);
    const t = this.transcript;
    if (!proofMatches(handshakeProof(this.secret, 'initiator', t), m.proof)) {
      return this.refuse('BAD_PROOF', `the ${t.initiator.role} '${t.initiator.peerId}' could not prove the cluster secret`);
    }
    return { kind: 'authenticated', peer: t.initiator, send: { type: 'Welcome', proof: handshakeProof(this.secret, 'responder', t) } };
  }

  private onHello(h: Hello): HandshakeStep {
    if (h.protocolVersion !== PROTOCOL_VERSION) {
      return this.refuse('PROTOCOL_VERSION', `protocol version ${h.protocolVersion} is not supported (this ${this.self.role} speaks ${PROTOCOL_VERSION})`);
    }
    const wrongRole = this.checkRole(h.role, h.peerId);
    if (wrongRole !== undefined) return wrongRole;
    if (h.nonce.length !== NONCE_BYTES) return this.refuse('HANDSHAKE_VIOLATION', `a nonce of ${h.nonce.length} bytes, not ${NONCE_BYTES}`);
    const nonce = this.nonce();
    if (Buffer.from(nonce).equals(h.nonce)) return this.refuse('HANDSHAKE_VIOLATION', 'the hello carries our own nonce');
    this.transcript = { initiator: { role: h.role, peerId: h.peerId }, responder: this.self, initiatorNonce: h.nonce, responderNonce: nonce };
    return { kind: 'send', message: { type: 'Challenge', role: this.self.role, peerId: this.self.peerId, nonce } };
  }
}
