/** StateTypeRegistry: names bind classes once; misuse is a StateTypeError; descriptors register what they declare. */
import { StateTypeError } from '../errors';
import { ValueStateDescriptor } from './StateDescriptor';
import { registerStateType, stateTypeNamed, stateTypeOfPrototype } from './StateTypeRegistry';

test('a class is found by its prototype and by its name; the name defaults to the class name', () => {
  class Point {
    x = 0;
  }
  registerStateType(Point);
  expect(stateTypeOfPrototype(Point.prototype)?.name).toBe('Point');
  expect(stateTypeNamed('Point')?.prototype).toBe(Point.prototype);
  class Sub extends Point {}
  expect(stateTypeOfPrototype(Sub.prototype)).toBeUndefined();
});

test('registering the same class under the same name again is allowed, and the latest functions apply', () => {
  class Money {
    constructor(readonly cents = 0) {}
  }
  const first = { name: 'reg.Money', toData: (m: Money) => m.cents, fromData: (c: number) => new Money(c) };
  registerStateType(Money, first);
  const toData = (m: Money) => m.cents * 1;
  registerStateType(Money, { ...first, toData });
  expect(stateTypeNamed('reg.Money')?.toData).toBe(toData);
});

test('conflicts and bad registrations are StateTypeErrors', () => {
  class A {}
  class B {}
  registerStateType(A, { name: 'reg.A' });
  expect(() => registerStateType(B, { name: 'reg.A' })).toThrow(/the name 'reg.A' is already registered for class A/);
  expect(() => registerStateType(A, { name: 'reg.A2' })).toThrow(/already registered as 'reg.A'/);
  expect(() => registerStateType(B, { name: 'weir:B' })).toThrow(/reserved/);
  expect(() => registerStateType(B, { name: 'reg.B', toData: () => 1 })).toThrow(/both toData and fromData, or neither/);
  expect(() => registerStateType(B, { name: 'reg.B', toData: 1 as never, fromData: 2 as never })).toThrow(/toData must be a function/);
  expect(() => registerStateType((() => class {})())).toThrow(/the class has no name/);
  expect(() => registerStateType(42 as never)).toThrow(StateTypeError);
  class Inventory extends Map<string, number> {}
  expect(() => registerStateType(Inventory)).toThrow(/extends Map, whose contents are not fields: give toData and fromData/);
  class Failure extends Error {}
  expect(() => registerStateType(Failure)).toThrow(/extends Error/);
  class Samples extends Float32Array {}
  expect(() => registerStateType(Samples)).toThrow(/extends a typed array/);
  registerStateType(Inventory, { name: 'reg.Inventory', toData: (m) => [...m], fromData: (es: [string, number][]) => new Inventory(es) });
  expect(stateTypeNamed('reg.B')).toBeUndefined();
  const e = (() => {
    try {
      registerStateType(B, { name: 'weir:x' });
    } catch (err) {
      return err as StateTypeError;
    }
  })();
  expect(e?.code).toBe('INVALID_STATE_TYPE');
});

test('a descriptor registers the types it declares, as classes or with options', () => {
  class Order {}
  class Line {
    constructor(readonly sku = '') {}
  }
  const d = new ValueStateDescriptor<Order>('orders', undefined, {
    types: [Order, { type: Line, name: 'reg.Line', toData: (l: Line) => l.sku, fromData: (s: string) => new Line(s) }],
  });
  expect(d.types).toHaveLength(2);
  expect(stateTypeNamed('Order')?.prototype).toBe(Order.prototype);
  expect(stateTypeNamed('reg.Line')?.fromData).toBeDefined();
  class Clash {}
  expect(() => new ValueStateDescriptor('x', undefined, { types: [{ type: Clash, name: 'reg.Line' }] })).toThrow(StateTypeError);
  expect(() => new ValueStateDescriptor('x', undefined, { types: [5 as never] })).toThrow(/lists classes or/);
});
