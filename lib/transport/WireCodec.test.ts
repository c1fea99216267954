import { Packr } from 'msgpackr';
import { ProtocolError, WireCodecError } from '../errors';
import type { DeliverBuffer, WireMessage } from '../cluster/WireMessages';
import { registerStateType } from '../state/StateTypeRegistry';
import { decodeMessage, encodeMessage } from './WireCodec';

class Money {
  constructor(
    readonly currency: string,
    readonly cents: bigint,
  ) {}
}
registerStateType(Money, { name: 'test.wire.Money' });

const channel = { sourceVertex: 1, sourceIndex: 0, targetVertex: 2, targetIndex: 3, edge: 1 };

function frame(values: unknown[], timestamps?: (number | undefined)[]): DeliverBuffer {
  return { type: 'DeliverBuffer', jobId: 'job-1', attempt: 2, channel, buffer: { kind: 'records', values, timestamps } };
}

function roundTrip<M extends WireMessage>(m: M): M {
  return decodeMessage(encodeMessage(m)) as M;
}

function values(m: WireMessage): unknown[] {
  if (m.type !== 'DeliverBuffer' || m.buffer.kind !== 'records') throw new Error('not a record frame');
  return m.buffer.values;
}

describe('WireCodec: records keep every value kind the engine allows', () => {
  const kinds: Record<string, unknown> = {
    'plain object': { a: 1, b: 'x', nested: { c: [1, 2] } },
    array: [1, 'two', [3]],
    string: 'héllo \u{1F600}',
    'ill-formed string': 'a\uD800b',
    integer: 42,
    float: 1.5,
    'negative zero': -0,
    NaN: NaN,
    Infinity: Infinity,
    '-Infinity': -Infinity,
    'large integer': 2 ** 53 - 1,
    true: true,
    false: false,
    null: null,
    'undefined inside an array': [undefined, 1, undefined],
    'undefined inside an object': { a: undefined, b: 1 },
    Buffer: Buffer.from([1, 2, 3]),
    Uint8Array: new Uint8Array([4, 5]),
    Float64Array: new Float64Array([1.5, -0]),
    Date: new Date(1_700_000_000_123),
    'invalid Date': new Date(NaN),
    Map: new Map<unknown, unknown>([
      [1, 'one'],
      ['k', { deep: new Set([1]) }],
    ]),
    Set: new Set([1, 'a', null]),
    BigInt: 12345678901234567890123n,
    'negative BigInt': -5n,
    RegExp: /ab+c/gi,
    'object without prototype': Object.assign(Object.create(null) as object, { x: 1 }),
    'object with a "__proto__" key': JSON.parse('{"__proto__": {"x": 1}}') as unknown,
    'registered class instance': new Money('EUR', 1999n),
    'object with the tag key': { '\u0000type': 'weir:Buffer', '\u0000data': 'not a buffer' },
  };

  test.each(Object.entries(kinds))('%s', (_kind, v) => {
    const [back] = values(roundTrip(frame([v])));
    // Jest's equality compares Dates by getTime(), and NaN is not NaN.
    if (v instanceof Date && Number.isNaN(v.getTime())) expect(back instanceof Date && Number.isNaN(back.getTime())).toBe(true);
    else expect(back).toStrictEqual(v);
    if (Buffer.isBuffer(v)) expect(Buffer.isBuffer(back)).toBe(true);
    if (typeof v === 'number') expect(Object.is(back, v)).toBe(true);
  });

  test('a frame of all kinds at once, with timestamps (some absent)', () => {
    const vs = Object.entries(kinds)
      .filter(([k]) => k !== 'invalid Date')
      .map(([, v]) => v);
    const ts = vs.map((_, i) => (i % 3 === 0 ? undefined : i * 10));
    const back = roundTrip(frame(vs, ts));
    expect(back).toStrictEqual(frame(vs, ts));
    expect((back as DeliverBuffer).buffer).not.toHaveProperty('tagged');
  });

  test('a watermark at +Infinity, an idle status, a barrier and end-of-partition', () => {
    for (const buffer of [
      { kind: 'watermark', timestamp: Infinity },
      { kind: 'watermark-status', status: 'IDLE' },
      { kind: 'barrier', checkpointId: 3, timestamp: 17, savepoint: true, terminate: false, target: '/tmp/sp' },
      { kind: 'end-of-partition' },
    ] as const) {
      const m: DeliverBuffer = { type: 'DeliverBuffer', jobId: 'j', attempt: 0, channel, buffer };
      expect(roundTrip(m)).toStrictEqual(m);
    }
  });
});

describe('WireCodec: what cannot cross is refused, naming the kind and where', () => {
  class Unregistered {
    x = 1;
  }
  test.each([
    ['a function', { f: () => 1 }, /function/, 'buffer.values[1].f'],
    ['a symbol', [Symbol('s')], /symbol/, 'buffer.values[1][0]'],
    ['an unregistered class instance', { u: new Unregistered() }, /Unregistered/, 'buffer.values[1].u'],
    ['an Error', new Error('boom'), /Error/, 'buffer.values[1]'],
  ])('%s', (_what, v, problem, path) => {
    let err: unknown;
    try {
      encodeMessage(frame([1, v]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WireCodecError);
    expect(err).toMatchObject({ code: 'UNSUPPORTED_VALUE', path });
    expect((err as Error).message).toMatch(problem);
  });

  test('a reference cycle', () => {
    const o: Record<string, unknown> = {};
    o.self = o;
    expect(() => encodeMessage(frame([o]))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VALUE', message: expect.stringMatching(/cycle/) }));
  });

  test('a control message of the wrong shape is refused before it is sent', () => {
    const bad = { type: 'Heartbeat', from: 'n1', seq: -1, sentAt: 5 } as WireMessage;
    expect(() => encodeMessage(bad)).toThrow(expect.objectContaining({ code: 'INVALID_MESSAGE', messageType: 'Heartbeat', field: 'seq' }));
    const extra = { type: 'ListJobs', requestId: 1, reply: () => 0 } as unknown as WireMessage;
    expect(() => encodeMessage(extra)).toThrow(expect.objectContaining({ code: 'INVALID_MESSAGE', field: 'reply' }));
  });
});

describe('WireCodec: decoding untrusted bytes', () => {
  const pack = (v: unknown) => new Packr({ useRecords: true, mapsAsObjects: false, moreTypes: true }).pack(v);

  test('garbage is UNDECODABLE, and decoding works again afterwards', () => {
    for (const bytes of [Buffer.from([0x92, 1]), Buffer.from([1, 2]), Buffer.alloc(0), Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])]) {
      expect(() => decodeMessage(bytes)).toThrow(WireCodecError);
    }
    const hb: WireMessage = { type: 'Heartbeat', from: 'n1', seq: 1, sentAt: 2 };
    expect(roundTrip(hb)).toStrictEqual(hb);
  });

  test('an unknown type, a non-object, a wrong field', () => {
    expect(() => decodeMessage(pack({ type: 'Exec', cmd: 'rm -rf /' }))).toThrow(expect.objectContaining({ code: 'UNKNOWN_MESSAGE', messageType: 'Exec' }));
    expect(() => decodeMessage(pack([1, 2]))).toThrow(expect.objectContaining({ code: 'UNKNOWN_MESSAGE' }));
    expect(() => decodeMessage(pack({ type: 'GrantCredit', jobId: 'j', attempt: 0, channel: { ...channel, targetIndex: 'x' }, credits: 1 }))).toThrow(
      expect.objectContaining({ code: 'INVALID_MESSAGE', messageType: 'GrantCredit', field: 'channel.targetIndex' }),
    );
    expect(() => decodeMessage(pack({ type: 'DeliverBuffer', jobId: 'j', attempt: 0, channel, buffer: { kind: 'exec' } }))).toThrow(ProtocolError);
  });

  test('a record column listing a tagged index that is not there, or a malformed tagged form', () => {
    const base = { type: 'DeliverBuffer', jobId: 'j', attempt: 0, channel };
    const columns = (col: unknown) => pack({ ...base, buffer: { kind: 'columns', n: 1, fields: null, cols: [col], ts: null } });
    expect(() => decodeMessage(columns({ t: 'any', v: [1], tagged: [5] }))).toThrow(expect.objectContaining({ code: 'UNDECODABLE', path: 'buffer.cols[0].tagged' }));
    expect(() => decodeMessage(columns({ t: 'any', v: [{ '\u0000type': 'weir:Buffer', '\u0000data': 7 }], tagged: [0] }))).toThrow(
      expect.objectContaining({ code: 'UNDECODABLE', path: 'buffer.cols[0].v[0]' }),
    );
    expect(() => decodeMessage(columns({ t: 'any', v: [{ '\u0000type': 'no.such.Type', '\u0000data': 7 }], tagged: [0] }))).toThrow(
      expect.objectContaining({ code: 'UNDECODABLE', message: expect.stringMatching(/no\.such\.Type/) }),
    );
  });

  test('records not in columns, and a string-table column on a connection without a table', () => {
    const base = { type: 'DeliverBuffer', jobId: 'j', attempt: 0, channel };
    expect(() => decodeMessage(pack({ ...base, buffer: { kind: 'records', values: [1] } }))).toThrow(expect.objectContaining({ code: 'INVALID_MESSAGE', field: 'buffer.kind' }));
    const dict = { t: 'dict', add: ['a'], b: new Uint8Array(4) };
    expect(() => decodeMessage(pack({ ...base, buffer: { kind: 'columns', n: 1, fields: null, cols: [dict], ts: null } }))).toThrow(
      expect.objectContaining({ code: 'UNDECODABLE', path: 'buffer.cols[0]' }),
    );
  });
});
