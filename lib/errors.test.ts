/**
 * Error messages: previews print values as they are (NaN is not `null`),
 * stay short and survive cycles; invalid keys, async key selectors and key
 * group mismatches say what happened and what to do; asUserFunctionError
 * wraps once and gives location to the errors raised without one.
 */
import {
  asUserFunctionError,
  AsyncUserFunctionError,
  InvalidKeyError,
  KeyGroupMismatchError,
  preview,
  ThenableReturnedError,
  UserFunctionError,
} from './errors';
import { normalizeKey } from './state/KeyGroup';

const location = { operator: 'Sum', uid: 'sum', subtaskIndex: 1, parallelism: 2 };

describe('preview', () => {
  test.each<[unknown, string]>([
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
    [-0, '-0'],
    [0, '0'],
    [undefined, 'undefined'],
    [null, 'null'],
    [12n, '12n'],
    [true, 'true'],
    ['a "quoted" word', '"a \\"quoted\\" word"'],
    [Symbol('tag'), 'Symbol(tag)'],
    [function named() {}, '[Function named]'],
    [() => 1, '[Function]'],
    [{ a: NaN, b: undefined, c: [Infinity, -0], d: { e: 1n } }, '{"a":NaN,"b":undefined,"c":[Infinity,-0],"d":{"e":1n}}'],
    [{ word: 'to', n: 2 }, '{"word":"to","n":2}'],
    [[1, 'two', null], '[1,"two",null]'],
    [new Map<unknown, unknown>([['k', 1], [2, [3]]]), 'Map{"k"=>1,2=>[3]}'],
    [new Set([1, 2]), 'Set[1,2]'],
    [new Date(0), 'Date(1970-01-01T00:00:00.000Z)'],
    [new Date(NaN), 'Date(Invalid)'],
    [Uint8Array.of(1, 2), 'Uint8Array[1,2]'],
    [new RangeError('too far'), 'RangeError("too far")'],
    [Promise.resolve(1), 'Promise'],
    [Object.create(null), '{}'],
  ])('%p', (value, expected) => {
    expect(preview(value)).toBe(expected);
  });

  test('class instances carry their class name; nesting is cut at depth 3', () => {
    class Point {
      constructor(readonly x: number, readonly y: number) {}
    }
    expect(preview(new Point(1, NaN))).toBe('Point{"x":1,"y":NaN}');
    expect(preview({ a: { b: { c: { d: 1 } } } })).toBe('{"a":{"b":{"c":Object{…}}}}');
  });

  test('cycles print as [Circular]; shared (non-cyclic) objects print twice', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(preview(a)).toBe('{"name":"a","self":[Circular]}');
    const shared = { v: 1 };
    expect(preview([shared, shared])).toBe('[{"v":1},{"v":1}]');
  });

  test('long values are cut to the maximum length', () => {
    const p = preview(Array.from({ length: 10_000 }, (_, i) => i), 50);
    expect(p.length).toBe(51);
    expect(p.endsWith('…')).toBe(true);
    expect(preview('x'.repeat(1_000_000), 20)).toBe(`"${'x'.repeat(19)}…`);
  });

  test('a throwing getter does not break a message', () => {
    const o = {
      ok: 1,
      get bad(): never {
        throw new Error('getter');
      },
    };
    expect(preview(o)).toBe('{"ok":1,"bad":…(unprintable)');
  });
});

describe('key errors', () => {
  test.each<[unknown, string]>([
    [NaN, 'key NaN'],
    [Infinity, 'key Infinity'],
    [-Infinity, 'key -Infinity'],
    [undefined, 'key undefined'],
    [{ user: 'a' }, 'key {"user":"a"}'],
    [[1, NaN], 'key NaN'], // the part of a composite key that is wrong
  ])('an invalid key %p is named as it is', (key, expected) => {
    let err: unknown;
    try {
      normalizeKey(key);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidKeyError);
    expect((err as Error).message).toContain(`${expected} is not valid`);
  });

  test('a Promise key says the key selector is async, and its rejection is handled', async () => {
    const rejected = Promise.reject(new Error('lookup failed'));
    const e = new InvalidKeyError(rejected);
    expect(e.message).toMatch(/^the key selector returned a Promise; user functions are synchronous/);
    await new Promise((r) => setImmediate(r)); // the trap would see an unhandled rejection now
  });

  test('a key group mismatch names key, key group, range and, once located, operator and subtask', () => {
    const bare = new KeyGroupMismatchError(NaN, 77, { start: 0, end: 42 });
    expect(bare.code).toBe('KEY_GROUP_MISMATCH');
    expect(bare.message).toContain('key NaN belongs to key group 77, but this subtask owns key groups 0..42');
    expect(bare.message).toContain('Key selectors must be deterministic functions of the record');
    const located = asUserFunctionError(bare, location, 5, 'process', { k: 1 }) as KeyGroupMismatchError;
    expect(located).toBeInstanceOf(KeyGroupMismatchError);
    expect(located.location).toEqual(location);
    expect(located.message).toContain("operator 'Sum' (uid sum), subtask 2/2 owns key groups 0..42");
    expect(asUserFunctionError(located, { ...location, operator: 'Other' }, 0, 'process')).toBe(located);
  });
});

describe('asUserFunctionError', () => {
  test('wraps once; an AsyncUserFunctionError is a UserFunctionError and passes through', () => {
    const first = asUserFunctionError(new RangeError('x'), location, 3, 'process', 7);
    expect(first).toBeInstanceOf(UserFunctionError);
    expect(asUserFunctionError(first, { ...location, operator: 'Map' }, 1, 'process')).toBe(first);
    const a = new AsyncUserFunctionError(location, 3, 'process', 'map function', 7);
    expect(asUserFunctionError(a, location, 0, 'close')).toBe(a);
    expect(a.message).toBe(
      "processing failed in operator 'Sum' (uid sum), subtask 2/2, record #3 7: the map function returned a Promise; " +
        'user functions are synchronous — use AsyncDataStream.orderedWait/unorderedWait for asynchronous calls',
    );
  });

  test('a ThenableReturnedError or a Promise key becomes an AsyncUserFunctionError at the operator', () => {
    const t = asUserFunctionError(new ThenableReturnedError("reduce function of state 's'", Promise.resolve()), location, 2, 'process', 'r');
    expect(t).toBeInstanceOf(AsyncUserFunctionError);
    expect((t as AsyncUserFunctionError).functionName).toBe("reduce function of state 's'");
    expect((t as AsyncUserFunctionError).position).toBe(2);
    const k = asUserFunctionError(new InvalidKeyError(Promise.resolve('k')), location, 0, 'partition');
    expect(k).toBeInstanceOf(AsyncUserFunctionError);
    expect((k as AsyncUserFunctionError).functionName).toBe('key selector');
    expect((k as AsyncUserFunctionError).phase).toBe('partition');
  });

  test('a failure message shows the record faithfully', () => {
    const e = asUserFunctionError(new Error('bad'), location, 1, 'process', { amount: NaN, at: -0 });
    expect(e.message).toContain('record #1 {"amount":NaN,"at":-0}: bad');
  });
});
