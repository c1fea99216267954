import { WireCodecError } from '../errors';
import type { RecordFrame } from './ChannelBuffer';
import { RecordFrameDecoder, RecordFrameEncoder, type ColumnFrame } from './RecordColumns';

function frame(values: unknown[], timestamps?: (number | undefined)[]): RecordFrame {
  return { kind: 'records', values, timestamps };
}

const payments = (keys: string[]) => keys.map((key, i) => ({ key, amount: i, price: i + 0.5, ok: i % 2 === 0 }));

describe('RecordFrameEncoder: what goes in columns', () => {
  test('uniform records: one column per field, packed by kind; strings by table index', () => {
    const w = new RecordFrameEncoder().encode(frame(payments(['a', 'b', 'a']), [1, 2, 3]));
    expect(w.fields).toEqual(['key', 'amount', 'price', 'ok']);
    expect(w.cols.map((c) => c.t)).toEqual(['dict', 'i32', 'f64', 'bool']);
    expect(w.cols[0]).toMatchObject({ add: ['a', 'b'] });
    expect(w.ts?.t).toBe('i32');
    expect(new RecordFrameEncoder(false).encode(frame(payments(['a']))).cols[0].t).toBe('str');
  });

  test('-0 and fractions make a float64 column; a column of mixed kinds travels as values', () => {
    const w = new RecordFrameEncoder().encode(frame([{ x: 1, y: 1 }, { x: -0, y: 'two' }]));
    expect(w.cols.map((c) => c.t)).toEqual(['f64', 'any']);
  });

  test('records that are not uniform travel as values', () => {
    for (const values of [[{ a: 1 }, { a: 1, b: 2 }], [{ a: 1 }, { b: 1 }], [{ a: 1, b: 2 }, { b: 2, a: 1 }], [{ a: 1 }, Object.assign(Object.create(null) as object, { a: 1 })], [{ a: 1 }, [1]], [{}], [new Date(0)]]) {
      const w = new RecordFrameEncoder().encode(frame(values));
      expect(w.fields).toBeNull();
      expect(w.cols[0].t).toBe('any');
    }
  });

  test('a key seen before costs an index: the second frame adds nothing to the table', () => {
    const e = new RecordFrameEncoder();
    const d = new RecordFrameDecoder();
    d.decode(e.encode(frame(payments(['k1', 'k2']))));
    const second = e.encode(frame(payments(['k2', 'k1', 'k2'])));
    expect(second.cols[0]).toMatchObject({ t: 'dict', add: [] });
    expect(d.decode(second).values).toEqual(payments(['k2', 'k1', 'k2']));
  });

  test('the table resets before it would pass maxEntries, and the decoder follows', () => {
    const e = new RecordFrameEncoder({ maxEntries: 8 });
    const d = new RecordFrameDecoder({ maxEntries: 8 });
    const first = e.encode(frame(['a', 'b', 'c']));
    expect(first.reset).toBeUndefined();
    d.decode(first);
    const second = e.encode(frame(['d', 'a', 'e']));
    expect(second.reset).toBe(true);
    expect(second.cols[0]).toMatchObject({ t: 'dict', add: ['d', 'a', 'e'] });
    expect(d.decode(second).values).toEqual(['d', 'a', 'e']);
  });

  test('strings longer than maxLength are sent as strings', () => {
    const w = new RecordFrameEncoder({ maxLength: 3 }).encode(frame(['abcd', 'a']));
    expect(w.cols[0].t).toBe('str');
  });

  test('a column of mostly new strings goes plain once the table is half full', () => {
    const e = new RecordFrameEncoder({ maxEntries: 64 });
    const ids = (from: number) => Array.from({ length: 10 }, (_, i) => `id-${from + i}`);
    for (let f = 0; f < 4; f++) expect(e.encode(frame(ids(f * 10))).cols[0].t).toBe('dict');
    expect(e.encode(frame(ids(40))).cols[0].t).toBe('str');
  });

  test('a frame not sent (abandon) makes the next one reset the table', () => {
    const e = new RecordFrameEncoder();
    e.encode(frame(['a']));
    e.abandon();
    expect(e.encode(frame(['a'])).reset).toBe(true);
  });

  test('a value that cannot cross is refused with its path, and the table resets with the next frame', () => {
    const e = new RecordFrameEncoder();
    let err: unknown;
    try {
      e.encode(frame([{ k: 'a', f: 1 }, { k: 'b', f: () => 1 }]));
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(WireCodecError);
    expect(err).toMatchObject({ code: 'UNSUPPORTED_VALUE', path: 'buffer.values[1].f' });
    expect(e.encode(frame(['a'])).reset).toBe(true);
  });
});

describe('RecordFrameDecoder: untrusted frames', () => {
  const base: ColumnFrame = { kind: 'columns', n: 1, fields: null, cols: [{ t: 'i32', b: new Uint8Array(4) }], ts: null };
  const bad = (w: unknown, path: string, d = new RecordFrameDecoder()) => expect(() => d.decode(w)).toThrow(expect.objectContaining({ code: 'UNDECODABLE', path }));

  test('shapes that are not a column frame name the field', () => {
    bad(null, 'buffer');
    bad({ ...base, n: -1 }, 'buffer.n');
    bad({ ...base, cols: [] }, 'buffer.cols');
    bad({ ...base, fields: ['a', 'a'], cols: [base.cols[0], base.cols[0]] }, 'buffer.fields[1]');
    bad({ ...base, fields: ['__proto__'] }, 'buffer.fields[0]');
    bad({ ...base, cols: [{ t: 'exec' }] }, 'buffer.cols[0].t');
    bad({ ...base, cols: [{ t: 'f64', b: new Uint8Array(4) }] }, 'buffer.cols[0].b');
    bad({ ...base, cols: [{ t: 'bool', b: new Uint8Array([2]) }] }, 'buffer.cols[0].b');
    bad({ ...base, cols: [{ t: 'str', s: [1] }] }, 'buffer.cols[0].s[0]');
    bad({ ...base, ts: undefined }, 'buffer.ts');
    bad({ ...base, reset: 'yes' }, 'buffer.reset');
  });

  test('a table index past the table, and a table grown past its bound', () => {
    const idx = new Uint8Array(new Uint32Array([1]).buffer);
    bad({ ...base, cols: [{ t: 'dict', add: ['a'], b: idx }] }, 'buffer.cols[0].b');
    bad({ ...base, cols: [{ t: 'dict', add: ['a', 'b', 'c'], b: new Uint8Array(4) }] }, 'buffer.cols[0].add', new RecordFrameDecoder({ maxEntries: 2 }));
  });

  test('columns at any byte offset decode the same', () => {
    const bytes = new Uint8Array(1 + 8 * 2);
    new DataView(bytes.buffer).setFloat64(1, -0.25, true);
    new DataView(bytes.buffer).setFloat64(9, 3, true);
    const b = bytes.subarray(1);
    const back = new RecordFrameDecoder().decode({ ...base, n: 2, cols: [{ t: 'f64', b }] });
    expect(back.values).toEqual([-0.25, 3]);
  });

  test('records of one field list decode as objects with those keys in order', () => {
    const e = new RecordFrameEncoder();
    const values = [{ '0': 'x', b: 2, 'a"\\': true }, { '0': 'y', b: 3, 'a"\\': false }];
    const back = new RecordFrameDecoder().decode(e.encode(frame(values)));
    expect(back.values).toStrictEqual(values);
    expect(Object.keys(back.values[0] as object)).toEqual(Object.keys(values[0]));
  });
});
