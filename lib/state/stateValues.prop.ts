/**
 * Properties of the state-value policy, over generated values: registered
 * classes (by fields, and by toData/fromData with #private state), Maps,
 * Sets, Buffers, typed arrays, Dates, bigints, -0, NaN, ill-formed strings,
 * objects with any keys (with and without a prototype), nested in any way.
 *
 * - Through the codec, through keyed state (snapshot → write → restore in
 *   a new backend) and through a subtask state's lists, every value comes
 *   back equal to the input with the same prototypes, bit for bit.
 * - A function, symbol, unregistered instance or cycle placed at a
 *   generated path is refused with exactly that path.
 *
 * Replay a failure with the seed and path fast-check prints:
 *   FC_SEED=<seed> npx jest lib/state/stateValues.prop.ts
 */
import fc from 'fast-check';
import { decodeSubtaskState, encodeSubtaskState } from '../checkpoint/SubtaskState';
import { decodeState, encodeState } from './codec';
import { HeapKeyedStateBackend } from './HeapKeyedStateBackend';
import type { ValueState } from './KeyedState';
import { KeyGroupRange } from './KeyGroup';
import { ValueStateDescriptor } from './StateDescriptor';
import { registerStateType } from './StateTypeRegistry';
import { fromEncodable } from './stateValueReader';
import { StateValueRefusal, toEncodable } from './stateValues';

const RUNS = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 300 : 150));

class Point {
  constructor(
    public x: unknown,
    public y: unknown,
  ) {}
  norm(): string {
    return `${String(this.x)},${String(this.y)}`;
  }
}
registerStateType(Point, { name: 'prop.Point' });

class Money {
  #cents: number;
  constructor(cents: number) {
    this.#cents = cents;
  }
  get cents(): number {
    return this.#cents;
  }
}
registerStateType(Money, { name: 'prop.Money', toData: (m) => m.cents, fromData: (c: number) => new Money(c) });

class TreeNode {
  constructor(
    public value: number,
    public children: unknown[],
  ) {}
}
registerStateType(TreeNode, { name: 'prop.TreeNode' });

const key = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('__proto__', '\u0000type', '\u0000data', 'constructor', 'toJSON', '0', 'length'),
);

/** An object from entries, every key an own data property ("__proto__" too), with or without a prototype. */
function objectOf(entries: readonly [string, unknown][], nullProto: boolean): Record<string, unknown> {
  const o = (nullProto ? Object.create(null) : {}) as Record<string, unknown>;
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  return o;
}

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.bigInt(),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.boolean(),
  fc.constantFrom(undefined, null, -0, NaN),
  fc.date({ noInvalidDate: false }),
  fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
  fc.uint8Array({ maxLength: 8 }),
  fc.float64Array({ maxLength: 4 }),
  fc.int16Array({ maxLength: 4 }),
  fc.bigInt64Array({ maxLength: 3 }),
  fc.integer().map((c) => new Money(c)),
);

const { value } = fc.letrec<{ value: unknown; container: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('container')),
  container: fc.oneof(
    fc.array(tie('value'), { maxLength: 4 }),
    fc.tuple(fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }), fc.boolean()).map(([es, n]) => objectOf(es, n)),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((es) => new Map(es)),
    fc.array(tie('value'), { maxLength: 3 }).map((xs) => new Set(xs)),
    fc.tuple(tie('value'), tie('value')).map(([x, y]) => new Point(x, y)),
    fc.tuple(fc.integer(), fc.array(tie('value'), { maxLength: 3 })).map(([v, c]) => new TreeNode(v, c)),
  ),
}));

/** Deep equality that also requires the same prototypes, the same key order, and bitwise-equal numbers and bytes. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false;
  if (typeof a !== 'object' || a === null || b === null) return Object.is(a, b);
  const o = b as object;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(o)) return false;
  if (a instanceof Date) return Object.is(a.getTime(), (o as Date).getTime());
  if (ArrayBuffer.isView(a)) {
    const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    return bytes(a).equals(bytes(o as ArrayBufferView));
  }
  if (a instanceof Money) return a.cents === (o as Money).cents;
  if (a instanceof Map) return sameList([...a].flat(), [...(o as Map<unknown, unknown>)].flat());
  if (a instanceof Set) return sameList([...a], [...(o as Set<unknown>)]);
  if (Array.isArray(a)) return sameList(a, o as unknown[]);
  const ka = Object.keys(a);
  const kb = Object.keys(o);
  return sameList(ka, kb) && ka.every((k) => same((a as Record<string, unknown>)[k], (o as Record<string, unknown>)[k]));
}

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => same(x, b[i]));
}

describe('every generated value comes back the same', () => {
  test('through the codec, decoded from a plain Uint8Array', () => {
    fc.assert(
      fc.property(value, (v) => {
        const bytes = new Uint8Array(encodeState(toEncodable(v)));
        const back = fromEncodable(decodeState(bytes, 'prop'), () => 'prop');
        expect(same(back, v)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  test('through keyed state: snapshot, write, restore in a new backend', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 8 }), async (vs) => {
        const range = KeyGroupRange.of(0, 127);
        const b = new HeapKeyedStateBackend(128, range);
        const s = b.getState(new ValueStateDescriptor<unknown>('v')) as ValueState<unknown>;
        const stored = vs.map((v, i) => [`k${i}`, v] as const).filter(([, v]) => v !== undefined);
        for (const [k, v] of stored) {
          b.setCurrentKey(k);
          s.update(v);
        }
        const handle = await b.snapshot().write();
        const restored = new HeapKeyedStateBackend(128, range);
        restored.restore([handle]);
        expect([...restored.keys('v')].length).toBe(stored.length);
        for (const [k, v] of stored) expect(same(new Map(restored.entries('v')).get(k), v)).toBe(true);
      }),
      { numRuns: Math.max(10, Math.floor(RUNS / 3)) },
    );
  });

  test('through a subtask state’s lists', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 6 }), (items) => {
        const bytes = new Uint8Array(encodeSubtaskState({ subtaskIndex: 0, operators: { op: { lists: { 'state:l': items, splits: items } } } }));
        const back = decodeSubtaskState(bytes, 'prop').operators.op.lists!;
        expect(same(back['state:l'], items)).toBe(true);
        expect(same(back.splits, items)).toBe(true);
      }),
      { numRuns: Math.max(10, Math.floor(RUNS / 3)) },
    );
  });
});

type Layer = { readonly kind: 'key'; readonly k: string } | { readonly kind: 'index'; readonly i: number; readonly extra: number };

const layer: fc.Arbitrary<Layer> = fc.oneof(
  fc.record({ kind: fc.constant('key' as const), k: fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/) }),
  fc.record({ kind: fc.constant('index' as const), i: fc.nat(3), extra: fc.nat(2) }),
);

class Unregistered {}

const bad = fc.constantFrom<[string, () => unknown, RegExp]>(
  ['function', () => () => 1, /^a function/],
  ['symbol', () => Symbol('s'), /^a symbol/],
  ['instance', () => new Unregistered(), /^an instance of Unregistered, which is not a registered state type/],
  ['cycle', () => {
    const c: Record<string, unknown> = {};
    c.self = c;
    return c;
  }, /^a reference cycle back to /],
);

test('a bad part at a generated path is refused with that path', () => {
  fc.assert(
    fc.property(fc.array(layer, { maxLength: 6 }), bad, value, ([...layers], [kind, make, problem], filler) => {
      let v = make();
      let path = kind === 'cycle' ? '.self' : '';
      for (const l of layers.reverse()) {
        if (l.kind === 'key') {
          v = { [l.k]: v, Other: filler };
          path = `.${l.k}${path}`;
        } else {
          const arr: unknown[] = Array.from({ length: l.i + l.extra + 1 }, () => 0);
          arr[l.i] = v;
          v = arr;
          path = `[${l.i}]${path}`;
        }
      }
      let refusal: StateValueRefusal | undefined;
      try {
        toEncodable(v);
      } catch (e) {
        refusal = e as StateValueRefusal;
      }
      // The filler may itself hold nothing bad, so the refusal is exactly the planted part.
      expect(refusal).toBeInstanceOf(StateValueRefusal);
      const { path: got, problem: why } = refusal!.explain();
      expect(got).toBe(path);
      expect(why).toMatch(problem);
    }),
    { numRuns: RUNS },
  );
});
