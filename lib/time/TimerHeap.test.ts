/** TimerHeap: order, removal of any element, positions kept right (checked against a sorted array). */
import fc from 'fast-check';
import { NOT_CONTAINED, TimerHeap } from './TimerHeap';

interface E {
  v: number;
  heapIndex: number;
}
const e = (v: number): E => ({ v, heapIndex: NOT_CONTAINED });
const heap = () => new TimerHeap<E>((a, b) => a.v < b.v);

describe('TimerHeap', () => {
  test('polls in order; peek leaves the element', () => {
    const h = heap();
    for (const v of [5, 1, 4, 2, 3]) h.add(e(v));
    expect(h.peek()?.v).toBe(1);
    expect(h.size).toBe(5);
    expect(Array.from({ length: 5 }, () => h.poll()!.v)).toEqual([1, 2, 3, 4, 5]);
    expect(h.poll()).toBeUndefined();
    expect(h.peek()).toBeUndefined();
  });

  test('removes any element; a removed or foreign element is not removed again', () => {
    const h = heap();
    const xs = [7, 3, 9, 1, 5].map(e);
    xs.forEach((x) => h.add(x));
    expect(h.remove(xs[2])).toBe(true);
    expect(xs[2].heapIndex).toBe(NOT_CONTAINED);
    expect(h.remove(xs[2])).toBe(false);
    expect(h.remove(e(3))).toBe(false);
    expect(() => h.add(xs[0])).toThrow(/already/);
    expect([...h.values()].map((x) => x.v).sort()).toEqual([1, 3, 5, 7]);
  });

  test('any sequence of adds, polls and removes agrees with a sorted array', () => {
    const op = fc.oneof(fc.record({ add: fc.integer({ min: 0, max: 50 }) }), fc.record({ poll: fc.constant(true) }), fc.record({ remove: fc.nat() }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const h = heap();
        let model: E[] = [];
        for (const o of ops) {
          if ('add' in o) {
            const x = e(o.add);
            h.add(x);
            model.push(x);
          } else if ('poll' in o) {
            const got = h.poll();
            const min = model.length ? Math.min(...model.map((x) => x.v)) : undefined;
            expect(got?.v).toBe(min);
            model = model.filter((x) => x !== got);
          } else if (model.length > 0) {
            const x = model[o.remove % model.length];
            expect(h.remove(x)).toBe(true);
            model = model.filter((y) => y !== x);
          }
          expect(h.size).toBe(model.length);
          [...h.values()].forEach((x, i) => expect(x.heapIndex).toBe(i));
        }
      }),
    );
  });
});
