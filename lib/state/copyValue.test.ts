/**
 * copyValue: deep, independent copies of arrays, plain objects, Maps, Sets,
 * Dates, typed arrays and class instances (prototype kept); primitives,
 * null/undefined and functions are returned as they are.
 */
import fc from 'fast-check';
import { copyValue } from './copyValue';

class Point {
  constructor(public x: number, public y: number, public tags: string[] = []) {}
  norm1(): number {
    return Math.abs(this.x) + Math.abs(this.y);
  }
}

describe('copyValue', () => {
  test('primitives are returned as is', () => {
    for (const v of [0, -0, 1.5, NaN, 'str', '', true, false, 10n, null, undefined]) {
      expect(Object.is(copyValue(v), v)).toBe(true);
    }
    const sym = Symbol('s');
    expect(copyValue(sym)).toBe(sym);
    const fn = () => 1;
    expect(copyValue(fn)).toBe(fn);
  });

  test('arrays are copied deeply', () => {
    const inner = { a: 1 };
    const src = [1, 'two', inner, [3, [4]]] as [number, string, { a: number }, [number, number[]]];
    const c = copyValue(src);
    expect(c).toEqual(src);
    expect(Array.isArray(c)).toBe(true);
    expect(c).not.toBe(src);
    expect(c[2]).not.toBe(inner);
    expect(c[3]).not.toBe(src[3]);
    expect(c[3][1]).not.toBe(src[3][1]);
    c[2].a = 100;
    c[3][1].push(5);
    c.push(9 as never);
    expect(src).toEqual([1, 'two', { a: 1 }, [3, [4]]]);
  });

  test('plain objects are copied deeply', () => {
    const src = { a: 1, b: { c: [1, 2], d: { e: 'x' } }, n: null as null | number };
    const c = copyValue(src);
    expect(c).toEqual(src);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(c.b).not.toBe(src.b);
    expect(c.b.c).not.toBe(src.b.c);
    c.b.c.push(3);
    c.b.d.e = 'y';
    c.n = 5;
    expect(src).toEqual({ a: 1, b: { c: [1, 2], d: { e: 'x' } }, n: null });
  });

  test('Maps are copied, with values copied deeply', () => {
    const v = { count: 1 };
    const src = new Map<string, { count: number }>([
      ['a', v],
      ['b', { count: 2 }],
    ]);
    const c = copyValue(src);
    expect(c).toBeInstanceOf(Map);
    expect(c).not.toBe(src);
    expect([...c]).toEqual([
      ['a', { count: 1 }],
      ['b', { count: 2 }],
    ]);
    expect(c.get('a')).not.toBe(v);
    c.get('a')!.count = 50;
    c.set('z', { count: 0 });
    c.delete('b');
    expect([...src]).toEqual([
      ['a', { count: 1 }],
      ['b', { count: 2 }],
    ]);
  });

  test('Sets are copied, with members copied deeply', () => {
    const member = [1, 2];
    const src = new Set<unknown>(['x', 3, member]);
    const c = copyValue(src);
    expect(c).toBeInstanceOf(Set);
    expect(c).not.toBe(src);
    expect([...c]).toEqual(['x', 3, [1, 2]]);
    const copiedMember = [...c][2] as number[];
    expect(copiedMember).not.toBe(member);
    copiedMember.push(3);
    c.add('y');
    expect([...src]).toEqual(['x', 3, [1, 2]]);
  });

  test('Dates are copied', () => {
    const d = new Date(1_700_000_000_123);
    const c = copyValue(d);
    expect(c).toBeInstanceOf(Date);
    expect(c).not.toBe(d);
    expect(c.getTime()).toBe(1_700_000_000_123);
    c.setTime(0);
    expect(d.getTime()).toBe(1_700_000_000_123);
  });

  test('typed arrays are copied', () => {
    const src = new Uint8Array([1, 2, 3]);
    const c = copyValue(src);
    expect(c).toBeInstanceOf(Uint8Array);
    expect(c).not.toBe(src);
    expect(c.buffer).not.toBe(src.buffer);
    expect([...c]).toEqual([1, 2, 3]);
    c[0] = 9;
    expect([...src]).toEqual([1, 2, 3]);
  });

  test('class instances keep their prototype and are copied deeply', () => {
    const p = new Point(3, -4, ['a']);
    const c = copyValue(p);
    expect(c).toBeInstanceOf(Point);
    expect(Object.getPrototypeOf(c)).toBe(Point.prototype);
    expect(c).not.toBe(p);
    expect(c.norm1()).toBe(7);
    expect({ x: c.x, y: c.y, tags: c.tags }).toEqual({ x: 3, y: -4, tags: ['a'] });
    expect(c.tags).not.toBe(p.tags);
    c.x = 100;
    c.tags.push('b');
    expect({ x: p.x, y: p.y, tags: p.tags }).toEqual({ x: 3, y: -4, tags: ['a'] });
  });

  test('null-prototype objects stay null-prototype', () => {
    const src = Object.assign(Object.create(null) as Record<string, unknown>, { a: { b: 1 } });
    const c = copyValue(src);
    expect(Object.getPrototypeOf(c)).toBeNull();
    expect(c.a).toEqual({ b: 1 });
    expect(c.a).not.toBe(src.a);
  });

  test('an own "__proto__" key (e.g. from JSON.parse) is copied as data, not as the prototype', () => {
    const src = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    expect(Object.keys(src)).toEqual(['__proto__', 'a']);
    const c = copyValue(src);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(Object.keys(c)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(c, '__proto__')?.value).toEqual({ polluted: true });
    expect((c as { polluted?: unknown }).polluted).toBeUndefined();
  });

  test('nested mix: Map of arrays of class instances with Dates and Sets', () => {
    const src = new Map([['k', [new Point(1, 2), { when: new Date(5), s: new Set([new Point(0, 0)]) }]]]);
    const c = copyValue(src);
    const arr = c.get('k')!;
    expect(arr[0]).toBeInstanceOf(Point);
    const rec = arr[1] as { when: Date; s: Set<Point> };
    expect(rec.when).toBeInstanceOf(Date);
    expect(rec.when.getTime()).toBe(5);
    const pt = [...rec.s][0];
    expect(pt).toBeInstanceOf(Point);
    pt.x = 42;
    rec.when.setTime(6);
    expect([...(src.get('k')![1] as { s: Set<Point> }).s][0].x).toBe(0);
    expect((src.get('k')![1] as { when: Date }).when.getTime()).toBe(5);
  });

  test('property: JSON-like values copy to equal, fully independent values', () => {
    // own "__proto__" keys have their own test above; kept out so this one checks only deep copying
    const json = fc.jsonValue().filter((v) => !JSON.stringify(v).includes('"__proto__"'));
    fc.assert(
      fc.property(json, (v) => {
        const before = JSON.stringify(v);
        const c = copyValue(v);
        expect(c).toEqual(v);
        // every container in the copy is a new object
        const walk = (a: unknown, b: unknown) => {
          if (typeof a === 'object' && a !== null) {
            expect(b).not.toBe(a);
            for (const k of Object.keys(a)) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]);
          }
        };
        walk(v, c);
        // scribble over the copy: the source does not change
        const scribble = (x: unknown) => {
          if (typeof x === 'object' && x !== null) {
            for (const k of Object.keys(x)) scribble((x as Record<string, unknown>)[k]);
            if (Array.isArray(x)) x.push('scribbled');
            else (x as Record<string, unknown>).__scribbled = true;
          }
        };
        scribble(c);
        expect(JSON.stringify(v)).toBe(before);
      }),
    );
  });
});
