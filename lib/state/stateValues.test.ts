/**
 * The state-value policy: what round-trips (with prototypes, Buffers as
 * Buffers, -0, odd strings and keys), what is refused and with which path,
 * and the reader's strictness on tagged forms it did not write.
 */
import { CorruptStateError, StateSerializationError, UnknownStateTypeError } from '../errors';
import { decodeState, encodeState } from './codec';
import { registerStateType } from './StateTypeRegistry';
import { fromEncodable, resolveStateValue } from './stateValueReader';
import { asStateSerializationError, StateValueRefusal, toEncodable } from './stateValues';
import { MAX_NESTING, UnresolvedStateValue } from './taggedForm';

class Account {
  constructor(
    public owner = '',
    public balance = 0,
  ) {}
  deposit(n: number): void {
    this.balance += n;
  }
}
registerStateType(Account, { name: 'test.Account' });

class Secret {
  #code: string;
  constructor(code: string) {
    this.#code = code;
  }
  reveal(): string {
    return this.#code;
  }
}
registerStateType(Secret, { name: 'test.Secret', toData: (s) => s.reveal(), fromData: (code: string) => new Secret(code) });

/** Through the codec and back, from a plain Uint8Array as a file read gives it (not the encoder's Buffer). */
function roundTrip<T>(v: T): T {
  const bytes = new Uint8Array(encodeState(toEncodable(v)));
  return fromEncodable(decodeState(bytes, 'test'), () => 'test') as T;
}

function refusal(v: unknown): { path: string; problem: string } {
  try {
    toEncodable(v);
  } catch (e) {
    expect(e).toBeInstanceOf(StateValueRefusal);
    return (e as StateValueRefusal).explain();
  }
  throw new Error('not refused');
}

describe('round trips', () => {
  test('a registered class instance comes back with its prototype and methods', () => {
    const a = roundTrip(new Account('ann', 5));
    expect(a).toBeInstanceOf(Account);
    a.deposit(2);
    expect(a).toEqual(new Account('ann', 7));
  });

  test('fields restore as own data properties, also past setters and getters on the prototype', () => {
    class Guarded {
      secret = 'x';
      get shown(): string {
        return 'computed';
      }
      set secretSetter(_v: string) {
        throw new Error('setter must not run');
      }
    }
    registerStateType(Guarded, { name: 'test.Guarded' });
    const g = new Guarded();
    Object.defineProperty(g, 'secretSetter', { value: 'own', enumerable: true, writable: true, configurable: true });
    Object.defineProperty(g, 'shown', { value: 'own too', enumerable: true, writable: true, configurable: true });
    const back = roundTrip(g);
    expect(back).toBeInstanceOf(Guarded);
    expect(Object.getOwnPropertyDescriptor(back, 'secretSetter')?.value).toBe('own');
    expect(back.shown).toBe('own too');
  });

  test('toData/fromData carry what fields cannot (#private)', () => {
    const s = roundTrip({ inner: [new Secret('xyzzy')] });
    expect(s.inner[0]).toBeInstanceOf(Secret);
    expect(s.inner[0].reveal()).toBe('xyzzy');
  });

  test('a Buffer stays a Buffer, with its own memory', () => {
    const bytes = new Uint8Array(encodeState(toEncodable({ payload: Buffer.from('hello') })));
    const b = (fromEncodable(decodeState(bytes, 'test'), () => 'test') as { payload: Buffer }).payload;
    bytes.fill(0);
    expect(Buffer.isBuffer(b)).toBe(true);
    expect(b.toString()).toBe('hello');
    const u = roundTrip(new Uint8Array([1, 2]));
    expect(Buffer.isBuffer(u)).toBe(false);
    expect(u).toEqual(new Uint8Array([1, 2]));
  });

  test('registered instances as Map keys and values, in Sets, inside each other', () => {
    const m = roundTrip(new Map<unknown, unknown>([[new Account('k', 1), new Set([new Account('v', 2)])]]));
    const [[k, set]] = [...m.entries()] as [Account, Set<Account>][];
    expect(k).toBeInstanceOf(Account);
    expect([...set][0]).toBeInstanceOf(Account);
    expect([...set][0].owner).toBe('v');
    const outer = Object.assign(new Account('outer', 0), { friend: new Account('friend', 1) });
    const back = roundTrip(outer);
    expect(back).toBeInstanceOf(Account);
    expect(back.friend).toBeInstanceOf(Account);
    expect(back.friend.owner).toBe('friend');
  });

  test('-0, strings that are not well-formed UTF-16, and any object key', () => {
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
    expect(roundTrip(['a\uD800b', '\uDC00'])).toEqual(['a\uD800b', '\uDC00']);
    const odd = JSON.parse('{"__proto__": {"x": 1}, "\\u0000type": "Account", "\\u0000data": {}, "\\ud800": 2}') as Record<string, unknown>;
    const back = roundTrip(odd);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(Object.keys(odd));
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ x: 1 });
    expect(back['\u0000type']).toBe('Account');
    expect(back['\uD800']).toBe(2);
  });

  test('objects without a prototype keep none', () => {
    const o = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, b: Buffer.from('x') });
    const back = roundTrip(o);
    expect(Object.getPrototypeOf(back)).toBeNull();
    expect(Buffer.isBuffer(back.b)).toBe(true);
  });

  test('the codec’s own types as before: Map, Set, Date, bigint, typed arrays, RegExp, undefined', () => {
    const v = {
      m: new Map([[1, 'a']]),
      s: new Set(['x']),
      d: new Date(1234),
      big: 2n ** 100n,
      f: new Float64Array([1.5, -0, NaN]),
      r: /a+b/gi,
      u: undefined,
    };
    const back = roundTrip(v);
    expect(back).toStrictEqual(v);
    expect(Object.is(back.f[1], -0)).toBe(true);
  });

  test('a value needing no tags is returned as it is (no copy on the checkpoint path)', () => {
    const v = { a: [1, 2, { b: new Map([['k', new Set([1])]]) }], d: new Date(0) };
    expect(toEncodable(v)).toBe(v);
    const buffer = Buffer.from('x');
    const tagged = { a: [1, 2, { b: buffer }], c: { d: 1 } };
    const p = toEncodable(tagged) as typeof tagged;
    expect(p).not.toBe(tagged);
    expect(p.c).toBe(tagged.c); // only the path to the tag is copied
    expect(tagged.a[2]).toEqual({ b: buffer }); // the input is untouched
  });

  test('reading copies only what it revives and leaves the decoded input as it was', () => {
    const decoded = decodeState<Record<string, unknown>>(encodeState(toEncodable({ a: new Account('x', 1), b: { c: 1 } })), 'test');
    const before = JSON.stringify(decoded);
    const back = fromEncodable(decoded, () => 'test') as Record<string, unknown>;
    expect(back.a).toBeInstanceOf(Account);
    expect(back.b).toBe(decoded.b);
    expect(JSON.stringify(decoded)).toBe(before);
  });
});

describe('refused, with the path to the part', () => {
  test('a function deep inside', () => {
    const r = refusal({ items: [0, 1, 2, { handler: function onEvent() {} }] });
    expect(r.path).toBe('.items[3].handler');
    expect(r.problem).toMatch(/^a function \(onEvent\)/);
  });

  test('a symbol; symbol-keyed properties are not part of a value (as with structuredClone)', () => {
    expect(refusal({ tag: Symbol('t') })).toEqual({ path: '.tag', problem: expect.stringMatching(/^a symbol \(Symbol\(t\)\)/) });
    const back = roundTrip({ a: 1, [Symbol('meta')]: 2 });
    expect(back).toEqual({ a: 1 });
    expect(Object.getOwnPropertySymbols(back)).toEqual([]);
  });

  test('a reference cycle names where it closes', () => {
    const self: Record<string, unknown> = { n: 1 };
    self.self = self;
    expect(refusal(self)).toEqual({ path: '.self', problem: expect.stringMatching(/^a reference cycle back to the value itself/) });
    const a: Record<string, unknown> = {};
    const root = { list: [{ a }] };
    a.back = root.list;
    expect(refusal(root)).toEqual({ path: '.list[0].a.back', problem: expect.stringMatching(/back to \.list /) });
    const m = new Map<string, unknown>();
    m.set('me', m);
    expect(refusal(m).path).toBe('.get("me")');
  });

  test('deep nesting without a cycle', () => {
    let v: unknown = 1;
    for (let i = 0; i < MAX_NESTING + 5; i++) v = { v };
    const r = refusal(v);
    expect(r.problem).toBe(`nested deeper than ${MAX_NESTING} levels`);
    expect(r.path.startsWith('.v.v.v')).toBe(true);
    let ok: unknown = 1;
    for (let i = 0; i < MAX_NESTING - 1; i++) ok = [ok];
    expect(roundTrip(ok)).toEqual(ok);
  });

  test('instances of classes that are not registered, subclasses included, with how to register', () => {
    class Order {
      id = 1;
    }
    expect(refusal({ o: new Order() })).toEqual({
      path: '.o',
      problem: "an instance of Order, which is not a registered state type (register it: registerStateType(Order, { name: 'Order' }))",
    });
    class Premium extends Account {}
    expect(refusal([new Premium()]).problem).toMatch(/^an instance of Premium, which is not a registered/);
    class Registry extends Map {}
    expect(refusal(new Registry()).problem).toMatch(/^an instance of Registry/);
  });

  test('built-ins that are not data', () => {
    expect(refusal(new WeakMap()).problem).toMatch(/^a WeakMap, which cannot be stored in state \(its entries cannot be enumerated\)/);
    expect(refusal(Promise.resolve(1)).problem).toMatch(/^a Promise/);
    expect(refusal(new TypeError('x')).problem).toMatch(/^a TypeError, .*store its message/);
    expect(refusal(new Number(1)).problem).toMatch(/^a Number, which cannot be stored/);
    expect(refusal(new SharedArrayBuffer(4)).problem).toMatch(/^a SharedArrayBuffer/);
  });

  test('a toData that throws', () => {
    class Fragile {}
    registerStateType(Fragile, {
      name: 'test.Fragile',
      toData: () => {
        throw new Error('not today');
      },
      fromData: () => new Fragile(),
    });
    expect(refusal({ f: new Fragile() })).toEqual({ path: '.f', problem: expect.stringMatching(/toData \(state type 'test.Fragile'\) threw: not today/) });
  });

  test('the typed error names the state, the key and the path', () => {
    let caught: unknown;
    try {
      toEncodable({ items: [{ handler: () => 1 }] });
    } catch (e) {
      caught = asStateSerializationError(e, { kind: 'keyed', state: 'orders', key: 'alice' });
    }
    const err = caught as StateSerializationError;
    expect(err).toBeInstanceOf(StateSerializationError);
    expect(err.code).toBe('STATE_NOT_SERIALIZABLE');
    expect(err.path).toBe('.items[0].handler');
    const named = err.withOperator({ name: 'Orders per user', uid: 'orders-1' });
    expect(named.message).toMatch(
      /^cannot checkpoint keyed state 'orders' of operator 'Orders per user' \(uid orders-1\), key "alice": \.items\[0\]\.handler is a function/,
    );
    expect(asStateSerializationError(new RangeError('x'), { kind: 'list', state: 's' })).toBeInstanceOf(RangeError);
  });
});

describe('reading is strict', () => {
  const TAG = '\u0000type';
  const DATA = '\u0000data';
  const read = (v: unknown) => () => fromEncodable(decodeState(encodeState(v), 'test'), () => 'test');

  test('malformed tagged forms are corrupt state', () => {
    expect(read({ [TAG]: 'test.Account' })).toThrow(CorruptStateError);
    expect(read({ [TAG]: 5, [DATA]: 1 })).toThrow(CorruptStateError);
    expect(read({ [TAG]: 'test.Account', [DATA]: 1, extra: 2 })).toThrow(CorruptStateError);
    expect(read({ [TAG]: 'weir:Buffer', [DATA]: 'not bytes' })).toThrow(CorruptStateError);
    expect(read({ [TAG]: 'weir:String', [DATA]: [1, -1] })).toThrow(CorruptStateError);
    expect(read({ [TAG]: 'weir:Float64Array', [DATA]: new Uint8Array(7) })).toThrow(CorruptStateError);
    expect(read({ [TAG]: 'weir:Object', [DATA]: ['k'] })).toThrow(CorruptStateError);
    expect(read({ [TAG]: 'weir:Object', [DATA]: [1, 2] })).toThrow(CorruptStateError);
    expect(read({ [TAG]: 'weir:Nope', [DATA]: 1 })).toThrow(CorruptStateError);
    expect(read({ [TAG]: 'test.Account', [DATA]: [1] })).toThrow(CorruptStateError);
  });

  test('a fromData that throws on what it is given is corrupt state', () => {
    class Picky {}
    registerStateType(Picky, {
      name: 'test.Picky',
      toData: () => 1,
      fromData: (d: unknown) => {
        if (d !== 1) throw new Error(`bad ${String(d)}`);
        return new Picky();
      },
    });
    expect(roundTrip(new Picky())).toBeInstanceOf(Picky);
    expect(read({ [TAG]: 'test.Picky', [DATA]: 2 })).toThrow(/fromData of state type 'test.Picky' \(class Picky\) failed: bad 2/);
  });

  test('a type this process does not know: typed error, or deferred until it is registered', () => {
    const decoded = decodeState(encodeState({ list: [{ [TAG]: 'test.Later', [DATA]: { n: 3 } }] }), 'test');
    expect(() => fromEncodable(decoded, () => "keyed state 's' (key 1)")).toThrow(UnknownStateTypeError);
    expect(() => fromEncodable(decoded, () => "keyed state 's' (key 1)")).toThrow(
      /^keyed state 's' \(key 1\) holds a value of state type 'test.Later', which is not registered in this process/,
    );
    const deferred = fromEncodable(decoded, () => 'x', true) as UnresolvedStateValue;
    expect(deferred).toBeInstanceOf(UnresolvedStateValue);
    expect(deferred.typeName).toBe('test.Later');
    // Written back unchanged while unresolved…
    const again = decodeState(encodeState(toEncodable(deferred)), 'test');
    expect(again).toEqual(decoded);
    // …and resolved once the class is registered.
    class Later {
      n = 0;
    }
    registerStateType(Later, { name: 'test.Later' });
    const resolved = resolveStateValue(deferred, () => 'x') as { list: Later[] };
    expect(resolved.list[0]).toBeInstanceOf(Later);
    expect(resolved.list[0].n).toBe(3);
  });
});
