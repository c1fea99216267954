/**
 * The async operator's queue, alone: ordered release in input order,
 * unordered release in completion order, the capacity bound, entries() as
 * the checkpoint sees them, and — against a model under random completion
 * orders — that every entry is released exactly once and is either released
 * or in entries(), never both.
 */
import fc from 'fast-check';
import { createStreamElementQueue, type AsyncOutputMode } from './StreamElementQueue';

describe('StreamElementQueue', () => {
  test('ordered: a completed entry waits for every earlier one', () => {
    const q = createStreamElementQueue<string, number>('ordered', 3);
    const a = q.add('a');
    const b = q.add('b');
    const c = q.add('c');
    expect(q.isFull).toBe(true);
    expect(q.complete(c, 3)).toBe(true);
    expect(q.complete(b, 2)).toBe(true);
    expect(q.poll()).toEqual([]);
    expect(q.entries().map((e) => e.element)).toEqual(['a', 'b', 'c']);
    q.complete(a, 1);
    expect(q.poll().map((e) => [e.element, e.result])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(q.size).toBe(0);
    expect(q.entries()).toEqual([]);
  });

  test('unordered: entries leave in completion order', () => {
    const q = createStreamElementQueue<string, number>('unordered', 3);
    const a = q.add('a');
    const b = q.add('b');
    q.add('c');
    q.complete(b, 2);
    expect(q.poll().map((e) => e.element)).toEqual(['b']);
    expect(q.entries().map((e) => e.element)).toEqual(['a', 'c']);
    q.complete(a, 1);
    expect(q.poll().map((e) => e.element)).toEqual(['a']);
    expect(q.size).toBe(1);
  });

  test.each<AsyncOutputMode>(['ordered', 'unordered'])('%s: capacity is enforced; a second completion or a foreign entry is ignored', (mode) => {
    const q = createStreamElementQueue<number, number>(mode, 1);
    const other = createStreamElementQueue<number, number>(mode, 1);
    const a = q.add(1);
    expect(() => q.add(2)).toThrow(RangeError);
    expect(q.complete(other.add(9), 9)).toBe(false);
    expect(q.complete(a, 1)).toBe(true);
    expect(q.complete(a, 2)).toBe(false);
    expect(q.poll().map((e) => e.result)).toEqual([1]);
    expect(q.poll()).toEqual([]);
    expect(() => createStreamElementQueue(mode, 0)).toThrow(RangeError);
  });

  test.each<AsyncOutputMode>(['ordered', 'unordered'])('%s: random completion orders against a model', (mode) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.nat(), { minLength: 1, maxLength: 200 }), (capacity, choices) => {
        const q = createStreamElementQueue<number, number>(mode, capacity);
        const inFlight: ReturnType<typeof q.add>[] = [];
        const completedOrder: number[] = [];
        const released: number[] = [];
        let next = 0;
        for (const c of choices) {
          // Even choices add (when there is room), odd ones complete a random entry in flight.
          if (c % 2 === 0 && !q.isFull) inFlight.push(q.add(next++));
          else if (inFlight.length > 0) {
            const [e] = inFlight.splice(c % inFlight.length, 1);
            q.complete(e, e.element * 10);
            completedOrder.push(e.element);
          }
          for (const e of q.poll()) {
            expect(e.result).toBe(e.element * 10);
            released.push(e.element);
          }
          expect(q.size).toBeLessThanOrEqual(capacity);
          // Every entry added is released or held, never both.
          const held = q.entries().map((e) => e.element);
          expect([...released, ...held].sort((a, b) => a - b)).toEqual(Array.from({ length: next }, (_, i) => i));
          expect(held).toEqual([...held].sort((a, b) => a - b));
        }
        if (mode === 'ordered') expect(released).toEqual(released.map((_, i) => i));
        else expect(released).toEqual(completedOrder);
      }),
    );
  });
});
