import { AuthenticationError, ConfigurationError } from '../errors';
import { handshakeProof, InitiatorHandshake, NONCE_BYTES, ResponderHandshake, type HandshakeOptions, type HandshakeStep } from './Handshake';
import { PROTOCOL_VERSION, type HandshakeMessage, type WireMessage } from './WireMessages';

const SECRET = 'correct horse battery staple';

/** Deterministic nonces: byte i of call n is (seed + n * 31 + i) mod 256. */
function counterRandom(seed: number): (n: number) => Uint8Array {
  let calls = 0;
  return (n) => {
    const c = calls++;
    return Uint8Array.from({ length: n }, (_, i) => (seed + c * 31 + i) & 0xff);
  };
}

const node = (o: Partial<HandshakeOptions> = {}) =>
  new InitiatorHandshake({ secret: SECRET, role: 'node', peerId: 'node-1', acceptRoles: ['coordinator'], randomBytes: counterRandom(1), ...o });
const coordinator = (o: Partial<HandshakeOptions> = {}) =>
  new ResponderHandshake({ secret: SECRET, role: 'coordinator', peerId: 'coord', acceptRoles: ['node', 'client'], randomBytes: counterRandom(100), ...o });

function sent(step: HandshakeStep): HandshakeMessage {
  if (step.kind !== 'send') throw new Error(`expected a message to send, got ${step.kind}${step.kind === 'refused' ? `: ${step.error.message}` : ''}`);
  return step.message;
}

function refusal(step: HandshakeStep): AuthenticationError {
  if (step.kind !== 'refused') throw new Error(`expected a refusal, got ${step.kind}`);
  expect(step.error).toBeInstanceOf(AuthenticationError);
  return step.error;
}

/** Runs both sides to the end; returns their final steps. */
function run(i: InitiatorHandshake, r: ResponderHandshake): { initiator: HandshakeStep; responder: HandshakeStep } {
  const challenge = r.receive(i.start());
  if (challenge.kind !== 'send') return { initiator: challenge.send ? i.receive(challenge.send) : challenge, responder: challenge };
  const response = i.receive(challenge.message);
  if (response.kind !== 'send') return { initiator: response, responder: response };
  const responder = r.receive(response.message);
  const last = responder.kind === 'send' ? responder.message : responder.send;
  return { initiator: last ? i.receive(last) : responder, responder };
}

describe('Handshake', () => {
  test('both sides prove the secret and learn who the other is', () => {
    const { initiator, responder } = run(node(), coordinator());
    expect(responder).toMatchObject({ kind: 'authenticated', peer: { role: 'node', peerId: 'node-1' }, send: { type: 'Welcome' } });
    expect(initiator).toEqual({ kind: 'authenticated', peer: { role: 'coordinator', peerId: 'coord' } });
  });

  test('a node with the wrong secret is refused (BAD_PROOF) and told so', () => {
    const { initiator, responder } = run(node({ secret: 'a different secret, long enough' }), coordinator());
    expect(refusal(responder).code).toBe('BAD_PROOF');
    expect(refusal(responder).message).toMatch(/node 'node-1' could not prove the cluster secret/);
    expect(responder).toMatchObject({ send: { type: 'Refused', code: 'BAD_PROOF' } });
    expect(refusal(initiator).code).toBe('REFUSED_BY_PEER');
  });

  test('a coordinator that does not know the secret is refused by the node', () => {
    const { initiator } = run(node(), coordinator({ secret: 'an impostor secret, long enough' }));
    // The impostor cannot even pass its own check of the node's proof, so the node hears Refused;
    // an impostor that skips the check and answers Welcome with any proof is refused by the node:
    expect(initiator.kind).toBe('refused');
    const i = node();
    const r = coordinator();
    i.receive(sent(r.receive(i.start())));
    expect(refusal(i.receive({ type: 'Welcome', proof: new Uint8Array(32) })).code).toBe('BAD_PROOF');
  });

  test("the node's own proof reflected back as the Welcome fails (between two nodes too)", () => {
    for (const role of ['coordinator', 'node'] as const) {
      const i = node({ acceptRoles: [role] });
      const r = coordinator({ role, acceptRoles: ['node'] });
      const challenge = sent(r.receive(i.start()));
      const response = sent(i.receive(challenge));
      if (response.type !== 'ChallengeResponse') throw new Error('expected ChallengeResponse');
      expect(refusal(i.receive({ type: 'Welcome', proof: response.proof })).code).toBe('BAD_PROOF');
    }
  });

  test('a proof from an earlier connection does not open a new one (fresh nonces)', () => {
    const i1 = node();
    const r1 = coordinator();
    const old = sent(i1.receive(sent(r1.receive(i1.start()))));
    const i2 = node({ randomBytes: counterRandom(7) });
    const r2 = coordinator({ randomBytes: counterRandom(9) });
    r2.receive(i2.start());
    expect(refusal(r2.receive(old)).code).toBe('BAD_PROOF');
  });

  test('proofs are bound to position, roles, ids and both nonces', () => {
    const t = {
      initiator: { role: 'node' as const, peerId: 'a' },
      responder: { role: 'node' as const, peerId: 'b' },
      initiatorNonce: new Uint8Array(NONCE_BYTES).fill(1),
      responderNonce: new Uint8Array(NONCE_BYTES).fill(2),
    };
    const base = handshakeProof(SECRET, 'initiator', t).toString('hex');
    const variants = [
      handshakeProof(SECRET, 'responder', t),
      handshakeProof(SECRET, 'initiator', { ...t, initiator: { role: 'client', peerId: 'a' } }),
      handshakeProof(SECRET, 'initiator', { ...t, responder: { role: 'node', peerId: 'c' } }),
      handshakeProof(SECRET, 'initiator', { ...t, initiatorNonce: t.responderNonce, responderNonce: t.initiatorNonce }),
      // Length prefixes: moving a byte between ids is another transcript.
      handshakeProof(SECRET, 'initiator', { ...t, initiator: { role: 'node', peerId: 'ab' }, responder: { role: 'node', peerId: '' } }),
      handshakeProof(`${SECRET}!`, 'initiator', t),
    ];
    for (const v of variants) expect(v.toString('hex')).not.toBe(base);
  });

  test('a role the responder does not serve, and another protocol version, are refused', () => {
    const client = new InitiatorHandshake({ secret: SECRET, role: 'client', peerId: 'cli', acceptRoles: ['node'], randomBytes: counterRandom(3) });
    const dataPort = new ResponderHandshake({ secret: SECRET, role: 'node', peerId: 'node-2', acceptRoles: ['node'], randomBytes: counterRandom(4) });
    expect(refusal(dataPort.receive(client.start())).code).toBe('ROLE_NOT_ALLOWED');
    const hello = node().start();
    expect(refusal(coordinator().receive({ ...hello, protocolVersion: PROTOCOL_VERSION + 1 })).code).toBe('PROTOCOL_VERSION');
    // And the initiator checks the responder's role too.
    const i = node();
    expect(refusal(i.receive(sent(new ResponderHandshake({ secret: SECRET, role: 'client', peerId: 'x', acceptRoles: ['node'], randomBytes: counterRandom(5) }).receive(i.start())))).code).toBe(
      'ROLE_NOT_ALLOWED',
    );
  });

  test('messages out of order, short or reflected nonces, and anything after the end are violations', () => {
    const hb: WireMessage = { type: 'Heartbeat', from: 'x', seq: 0, sentAt: 0 };
    expect(refusal(coordinator().receive(hb)).code).toBe('HANDSHAKE_VIOLATION');
    expect(refusal(coordinator().receive({ type: 'ChallengeResponse', proof: new Uint8Array(32) })).code).toBe('HANDSHAKE_VIOLATION');
    expect(refusal(node().receive({ type: 'Challenge', role: 'coordinator', peerId: 'c', nonce: new Uint8Array(32) })).code).toBe('HANDSHAKE_VIOLATION');
    const i = node();
    i.start();
    expect(refusal(i.receive({ type: 'Welcome', proof: new Uint8Array(32) })).code).toBe('HANDSHAKE_VIOLATION');
    const hello = node().start();
    expect(refusal(coordinator().receive({ ...hello, nonce: new Uint8Array(4) })).code).toBe('HANDSHAKE_VIOLATION');
    const j = node();
    const h = j.start();
    expect(refusal(j.receive({ type: 'Challenge', role: 'coordinator', peerId: 'c', nonce: h.nonce })).message).toMatch(/reflects our own nonce/);
    const r = coordinator();
    run(node(), r);
    expect(refusal(r.receive(hb)).code).toBe('HANDSHAKE_VIOLATION');
  });

  test('a secret shorter than 16 bytes is a configuration error', () => {
    expect(() => node({ secret: 'short' })).toThrow(ConfigurationError);
  });

  test('with injected randomness the exchange is the same every time', () => {
    const a = run(node(), coordinator());
    const b = run(node(), coordinator());
    expect(a).toEqual(b);
  });
});
