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
import { sameValue, stateValue } from '../../property-tests/support/stateValueArbitraries';

const RUNS = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 300 : 150));

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

const value = stateValue([fc.integer().map((c) => new Money(c))], (v) => [fc.tuple(fc.integer(), fc.array(v, { maxLength: 3 })).map(([n, c]) => new TreeNode(n, c))]);

/** Equal values (sameValue), Money by its private cents. */
function same(a: unknown, b: unknown): boolean {
  return sameValue(a, b, { custom: (x, y) => (x instanceof Money ? x.cents === (y as Money).cents : undefined) });
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
