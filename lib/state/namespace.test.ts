/** Namespace ids: equal for equal plain data whatever the field order, distinct across types; the rest refused. */
import { frozenNamespace, namespaceId } from './namespace';

describe('namespaceId', () => {
  test('objects are equal whatever their field order; -0 is 0', () => {
    expect(namespaceId({ start: 0, end: 10 })).toBe(namespaceId({ end: 10, start: -0 }));
    expect(namespaceId({ start: -Infinity, end: Infinity })).toBe('{"end":Infinity,"start":-Infinity}');
  });

  test('values of different types or shapes have different ids', () => {
    const values = ['1', 1, 1n, true, 'true', null, 'null', [1], [[1]], ['1'], { a: 1 }, { a: '1' }, { '1': 'a' }, [], {}, '', 'a|b', ['a', 'b'], ['a,b']];
    const ids = values.map(namespaceId);
    expect(new Set(ids).size).toBe(values.length);
  });

  test('what is not plain data is a TypeError naming it', () => {
    class Window {
      constructor(readonly start: number) {}
    }
    for (const bad of [undefined, NaN, () => 1, Symbol('s'), new Window(1), new Map(), new Date(0), { a: undefined }, [1, , 2]]) {
      expect(() => namespaceId(bad)).toThrow(TypeError);
    }
    expect(() => namespaceId({ w: new Window(3) })).toThrow(/namespace \{.*w.*Window.* is not plain data/);
  });
});

describe('frozenNamespace', () => {
  test('a frozen deep copy; primitives as they are', () => {
    const ns = { window: { start: 1, end: 2 }, tags: ['a'] };
    const f = frozenNamespace(ns);
    expect(f).toEqual(ns);
    expect(f).not.toBe(ns);
    expect(Object.isFrozen(f.window) && Object.isFrozen(f.tags)).toBe(true);
    ns.window.start = 9;
    expect(f.window.start).toBe(1);
    expect(frozenNamespace('w')).toBe('w');
  });
});
