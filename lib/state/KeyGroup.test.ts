/**
 * KeyGroup: key normalisation (valid / composite / invalid keys), Java-compatible
 * hashCode and Flink's murmur mix (constants computed with a real JVM), key-group
 * assignment, and Flink's KeyGroupRangeAssignment formulas for operator ranges.
 */
import fc from 'fast-check';
import { InvalidKeyError } from '../errors';
import {
  assignToKeyGroup,
  DEFAULT_MAX_PARALLELISM,
  denormalizeKey,
  keyHashCode,
  KeyGroupRange,
  murmurHash,
  normalizeKey,
  operatorIndexForKeyGroup,
  UPPER_BOUND_MAX_PARALLELISM,
  type StateKey,
} from './KeyGroup';

const statePart: fc.Arbitrary<StateKey> = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.bigInt(),
);

function expectInvalid(key: unknown): void {
  let thrown: unknown;
  try {
    normalizeKey(key);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(InvalidKeyError);
  expect((thrown as InvalidKeyError).code).toBe('INVALID_KEY');
}

describe('normalizeKey / denormalizeKey', () => {
  test('primitive keys stand for themselves', () => {
    expect(normalizeKey('abc')).toBe('abc');
    expect(normalizeKey('')).toBe('');
    expect(normalizeKey(42)).toBe(42);
    expect(normalizeKey(-3.25)).toBe(-3.25);
    expect(normalizeKey(true)).toBe(true);
    expect(normalizeKey(false)).toBe(false);
    expect(normalizeKey(12345678901234567890n)).toBe(12345678901234567890n);
    expect(normalizeKey(Number.MAX_VALUE)).toBe(Number.MAX_VALUE);
  });

  test('-0 and 0 are the same key', () => {
    expect(Object.is(normalizeKey(-0), 0)).toBe(true);
    expect(normalizeKey(['a', -0])).toBe(normalizeKey(['a', 0]));
  });

  test('primitive keys round-trip', () => {
    for (const k of ['x', '', 0, 7, -1.5, true, false, -9n, 2n ** 80n]) {
      expect(denormalizeKey(normalizeKey(k))).toBe(k);
    }
  });

  test('composite keys round-trip, including bigint parts', () => {
    const cases: StateKey[][] = [
      ['a', 1],
      [1n, 'b', true],
      [-(2n ** 70n), 0n, 5n],
      [1.5, false, 'x y', -3],
      ['{"b":"1"}', 2n], // a string that looks like the bigint encoding stays a string
      [''],
    ];
    for (const c of cases) {
      const n = normalizeKey(c);
      expect(typeof n).toBe('string');
      expect(denormalizeKey(n)).toEqual(c);
    }
    expect(denormalizeKey(normalizeKey(['{"b":"1"}', 2n]))).toEqual(['{"b":"1"}', 2n]);
    const back = denormalizeKey(normalizeKey([3n, '3', 3])) as StateKey[];
    expect(back.map((p) => typeof p)).toEqual(['bigint', 'string', 'number']);
  });

  test('distinct composite keys normalise to distinct state keys', () => {
    const keys = [['a', 1], ['a', '1'], ['a', 1n], [1, 'a'], ['a'], ['a', 1, true], [true], ['true']];
    const normalized = keys.map((k) => normalizeKey(k));
    expect(new Set(normalized).size).toBe(keys.length);
  });

  test('property: composite keys round-trip exactly', () => {
    fc.assert(
      fc.property(fc.array(statePart, { minLength: 1, maxLength: 6 }), (parts) => {
        const back = denormalizeKey(normalizeKey(parts)) as StateKey[];
        const expected = parts.map((p) => (Object.is(p, -0) ? 0 : p));
        expect(back).toEqual(expected);
        expect(back.map((p) => typeof p)).toEqual(parts.map((p) => typeof p));
      }),
    );
  });

  test('property: equal composite keys give the same state key, different ones different keys', () => {
    fc.assert(
      fc.property(
        fc.array(statePart, { minLength: 1, maxLength: 4 }),
        fc.array(statePart, { minLength: 1, maxLength: 4 }),
        (a, b) => {
          const na = normalizeKey(a);
          const nb = normalizeKey(b);
          const norm = (xs: StateKey[]) => xs.map((p) => (Object.is(p, -0) ? 0 : p));
          const same =
            a.length === b.length && norm(a).every((p, i) => typeof p === typeof norm(b)[i] && p === norm(b)[i]);
          expect(na === nb).toBe(same);
        },
      ),
    );
  });

  test('a string key never aliases a composite key', () => {
    // A plain string that happens to look like the internal composite encoding
    // must either be rejected or stay a distinct key that round-trips as itself.
    const composite = normalizeKey(['a', 1]) as string;
    let n: StateKey;
    try {
      n = normalizeKey(composite);
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidKeyError);
      return;
    }
    expect(n).not.toBe(composite);
    expect(denormalizeKey(n)).toBe(composite);
  });

  test.each([
    ['undefined', undefined],
    ['null', null],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['plain object', { a: 1 }],
    ['empty object', {}],
    ['empty array', []],
    ['nested array', ['a', ['b']]],
    ['array with null', ['a', null]],
    ['array with undefined', [1, undefined]],
    ['array with NaN', [1, NaN]],
    ['array with object', [1, {}]],
    ['array with empty array', [1, []]],
    ['function', () => 1],
    ['symbol', Symbol('k')],
    ['Date', new Date(0)],
    ['Map', new Map()],
  ])('invalid key: %s → InvalidKeyError', (_name, key) => {
    expectInvalid(key);
  });

  test('InvalidKeyError carries the offending key', () => {
    const bad = { a: 1 };
    try {
      normalizeKey(bad);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidKeyError);
      expect((e as InvalidKeyError).key).toBe(bad);
    }
  });
});

describe('keyHashCode equals Java hashCode', () => {
  // Values printed by a JVM: String/Integer/Boolean/Double/Long .hashCode().
  test.each<[string, StateKey, number]>([
    ['"hello"', 'hello', 99162322],
    ['""', '', 0],
    ['"a"', 'a', 97],
    ['"abc"', 'abc', 96354],
    ['"Aa"', 'Aa', 2112],
    ['"BB"', 'BB', 2112],
    ['"polygenelubricants"', 'polygenelubricants', -2147483648],
    ['"é"', 'é', 233],
    ['"😀" (surrogate pair)', '\uD83D\uDE00', 1772899],
    ['"user-17"', 'user-17', -147182744],
    ['Integer 42', 42, 42],
    ['Integer 0', 0, 0],
    ['Integer -7', -7, -7],
    ['Integer.MAX_VALUE', 2147483647, 2147483647],
    ['Integer.MIN_VALUE', -2147483648, -2147483648],
    ['Boolean true', true, 1231],
    ['Boolean false', false, 1237],
    ['Double 1.5', 1.5, 1073217536],
    ['Double 0.1', 0.1, -1507852285],
    ['Double -2.5', -2.5, -1073479680],
    ['Double 2^31', 2147483648, 1105199104],
    ['Double -2^31-1', -2147483649, -1044381696],
    ['Double 1e21', 1e21, -1834355276],
    ['Long 5', 5n, 5],
    ['Long -1', -1n, 0],
    ['Long 2^32', 4294967296n, 1],
    ['Long.MIN_VALUE', -(2n ** 63n), -2147483648],
    ['Long.MAX_VALUE', 2n ** 63n - 1n, -2147483648],
    ['Long 123456789012345', 123456789012345n, -2045923535],
  ])('%s', (_name, key, expected) => {
    expect(keyHashCode(key)).toBe(expected);
  });

  // any UTF-16 code units, lone surrogates included (Java hashes code units too)
  const utf16String = fc
    .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 })
    .map((units) => String.fromCharCode(...units));

  test('property: string hash equals the Java formula s[0]*31^(n-1) + ... mod 2^32', () => {
    fc.assert(
      fc.property(utf16String, (s) => {
        let h = 0n;
        for (let i = 0; i < s.length; i++) h = (h * 31n + BigInt(s.charCodeAt(i))) & 0xffffffffn;
        expect(keyHashCode(s)).toBe(Number(BigInt.asIntN(32, h)));
      }),
    );
  });

  test('property: int32 numbers hash to themselves, Long hash is (int)(v ^ (v >>> 32))', () => {
    fc.assert(
      fc.property(fc.integer(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (i, l) => {
        expect(keyHashCode(i)).toBe(i);
        const u = BigInt.asUintN(64, l);
        expect(keyHashCode(l)).toBe(Number(BigInt.asIntN(32, u ^ (u >> 32n))));
      }),
    );
  });
});

describe('murmurHash (Flink MathUtils.murmurHash)', () => {
  test.each<[number, number]>([
    [0, 593689054],
    [1, 68075478],
    [2, 1085422463],
    [3, 847579505],
    [-1, 1982413648],
    [42, 1134849565],
    [12345, 638799361],
    [99162322, 1715862179],
    [1231, 1090530765],
    [-2147483648, 1718298732],
    [2147483647, 1653689534],
    [-147182744, 1717720881],
  ])('murmurHash(%d) = %d', (code, expected) => {
    expect(murmurHash(code)).toBe(expected);
  });

  test('property: non-negative 32-bit integer', () => {
    fc.assert(
      fc.property(fc.integer(), (code) => {
        const h = murmurHash(code);
        expect(Number.isInteger(h)).toBe(true);
        expect(h).toBeGreaterThanOrEqual(0);
        expect(h).toBeLessThanOrEqual(0x7fffffff);
      }),
    );
  });
});

describe('assignToKeyGroup', () => {
  // Flink: murmurHash(key.hashCode()) % maxParallelism, computed on a JVM.
  test.each<[StateKey, number, number]>([
    ['hello', 128, 35],
    ['', 128, 94],
    ['a', 128, 81],
    ['user-17', 128, 49],
    ['user-17', 1000, 881],
    [42, 128, 29],
    [42, 1000, 565],
    [true, 128, 77],
    [false, 128, 3],
    [1.5, 128, 65],
    [0.1, 1000, 441],
    [5n, 128, 126],
    [123456789012345n, 1000, 101],
  ])('key %p, maxParallelism %d → key group %d', (key, max, expected) => {
    expect(assignToKeyGroup(key, max)).toBe(expected);
  });

  test('property: key group is an integer in [0, maxParallelism)', () => {
    fc.assert(
      fc.property(
        fc.oneof(statePart, fc.array(statePart, { minLength: 1, maxLength: 3 }).map((a) => normalizeKey(a))),
        fc.integer({ min: 1, max: UPPER_BOUND_MAX_PARALLELISM }),
        (key, max) => {
          const g = assignToKeyGroup(key, max);
          expect(Number.isInteger(g)).toBe(true);
          expect(g).toBeGreaterThanOrEqual(0);
          expect(g).toBeLessThan(max);
        },
      ),
    );
  });

  test('constants', () => {
    expect(DEFAULT_MAX_PARALLELISM).toBe(128);
    expect(UPPER_BOUND_MAX_PARALLELISM).toBe(32768);
  });
});

describe('KeyGroupRange', () => {
  test('Flink computeKeyGroupRangeForOperatorIndex fixed values', () => {
    const r = (max: number, p: number, i: number) => {
      const g = KeyGroupRange.forOperator(max, p, i);
      return [g.start, g.end];
    };
    expect([0, 1, 2].map((i) => r(128, 3, i))).toEqual([
      [0, 42],
      [43, 85],
      [86, 127],
    ]);
    expect([0, 1, 2, 3].map((i) => r(10, 4, i))).toEqual([
      [0, 2],
      [3, 4],
      [5, 7],
      [8, 9],
    ]);
    expect([0, 1].map((i) => r(128, 2, i))).toEqual([
      [0, 63],
      [64, 127],
    ]);
    expect(r(128, 1, 0)).toEqual([0, 127]);
    expect(r(7, 7, 3)).toEqual([3, 3]);
    expect(r(32768, 3, 2)).toEqual([21846, 32767]);
  });

  test('Flink computeOperatorIndexForKeyGroup fixed values', () => {
    expect(operatorIndexForKeyGroup(128, 3, 42)).toBe(0);
    expect(operatorIndexForKeyGroup(128, 3, 43)).toBe(1);
    expect(operatorIndexForKeyGroup(128, 3, 85)).toBe(1);
    expect(operatorIndexForKeyGroup(128, 3, 86)).toBe(2);
    expect(operatorIndexForKeyGroup(128, 3, 127)).toBe(2);
    expect(operatorIndexForKeyGroup(10, 4, 2)).toBe(0);
    expect(operatorIndexForKeyGroup(10, 4, 3)).toBe(1);
    expect(operatorIndexForKeyGroup(10, 4, 8)).toBe(3);
  });

  test('property: operator ranges are contiguous, disjoint, cover [0, max) and agree with operatorIndexForKeyGroup', () => {
    const pair = fc
      .integer({ min: 1, max: UPPER_BOUND_MAX_PARALLELISM })
      .chain((max) => fc.tuple(fc.constant(max), fc.integer({ min: 1, max: Math.min(max, 300) })));
    fc.assert(
      fc.property(pair, ([max, p]) => {
        const problems: string[] = [];
        let next = 0;
        for (let i = 0; i < p; i++) {
          const range = KeyGroupRange.forOperator(max, p, i);
          if (range.start !== next) problems.push(`op ${i}: start ${range.start}, expected ${next}`);
          if (range.end < range.start) problems.push(`op ${i}: empty range ${range}`); // p <= max: never empty
          if (range.size !== range.end - range.start + 1) problems.push(`op ${i}: size ${range.size}`);
          for (const g of [range.start, range.end, (range.start + range.end) >> 1]) {
            const o = operatorIndexForKeyGroup(max, p, g);
            if (o !== i) problems.push(`op ${i}: operatorIndexForKeyGroup(${max}, ${p}, ${g}) = ${o}`);
          }
          if (range.start > 0 && operatorIndexForKeyGroup(max, p, range.start - 1) !== i - 1) {
            problems.push(`op ${i}: key group ${range.start - 1} not owned by op ${i - 1}`);
          }
          next = range.end + 1;
        }
        if (next !== max) problems.push(`ranges end at ${next - 1}, expected ${max - 1}`);
        expect(problems).toEqual([]);
      }),
    );
  });

  test('exhaustive small cases: every key group g of range i maps back to exactly i', () => {
    let pairs = 0;
    for (let max = 1; max <= 40; max++) {
      for (let p = 1; p <= max; p++) {
        pairs++;
        const owner = new Array<number>(max).fill(-1);
        for (let i = 0; i < p; i++) {
          for (const g of KeyGroupRange.forOperator(max, p, i)) {
            if (owner[g] !== -1) throw new Error(`max=${max} p=${p}: key group ${g} in ranges ${owner[g]} and ${i}`);
            owner[g] = i;
          }
        }
        for (let g = 0; g < max; g++) {
          if (owner[g] === -1) throw new Error(`max=${max} p=${p}: key group ${g} in no range`);
          if (owner[g] !== operatorIndexForKeyGroup(max, p, g)) {
            throw new Error(`max=${max} p=${p} g=${g}: range owner ${owner[g]}, operatorIndexForKeyGroup ${operatorIndexForKeyGroup(max, p, g)}`);
          }
        }
      }
    }
    expect(pairs).toBe(820);
  });

  test('size, contains, intersection, iteration, toString', () => {
    const r = KeyGroupRange.of(3, 6);
    expect(r.size).toBe(4);
    expect([...r]).toEqual([3, 4, 5, 6]);
    expect([2, 3, 6, 7].map((g) => r.contains(g))).toEqual([false, true, true, false]);
    const i = r.intersection(KeyGroupRange.of(5, 10));
    expect([i.start, i.end, i.size]).toEqual([5, 6, 2]);
    const none = r.intersection(KeyGroupRange.of(8, 10));
    expect(none.size).toBe(0);
    expect([...none]).toEqual([]);
    expect(none.contains(8)).toBe(false);
    expect(KeyGroupRange.of(5, 4).size).toBe(0);
    expect(r.toString()).toBe('KeyGroupRange{3..6}');
  });
});
