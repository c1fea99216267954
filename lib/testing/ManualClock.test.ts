/**
 * ManualClock: now() moves only on advance(); timers fire on advance in due
 * order (ties in creation order), with now() at their due time; timers set
 * by a firing timer fire within the same advance when due by its end;
 * cancel() (also from another timer) and pendingTimers.
 */
import { ManualClock } from './ManualClock';

describe('ManualClock', () => {
  test('now() starts at the given time and moves only on advance', () => {
    const c = new ManualClock(1000);
    expect(c.now()).toBe(1000);
    c.setTimer(50, () => undefined);
    expect(c.now()).toBe(1000);
    c.advance(30);
    expect(c.now()).toBe(1030);
    c.advance(0);
    expect(c.now()).toBe(1030);
    expect(new ManualClock().now()).toBe(0);
  });

  test('a timer fires once, when advance reaches its due time, not before', () => {
    const c = new ManualClock();
    let fired = 0;
    c.setTimer(100, () => fired++);
    c.advance(99);
    expect(fired).toBe(0);
    c.advance(1);
    expect(fired).toBe(1);
    c.advance(1000);
    expect(fired).toBe(1);
  });

  test('timers fire in due order, whatever order they were set in', () => {
    const c = new ManualClock();
    const log: string[] = [];
    c.setTimer(30, () => log.push('c30'));
    c.setTimer(10, () => log.push('a10'));
    c.setTimer(20, () => log.push('b20'));
    c.setTimer(40, () => log.push('d40'));
    c.advance(35);
    expect(log).toEqual(['a10', 'b20', 'c30']);
    c.advance(5);
    expect(log).toEqual(['a10', 'b20', 'c30', 'd40']);
  });

  test('ties fire in creation order', () => {
    const c = new ManualClock();
    const log: number[] = [];
    for (let i = 0; i < 6; i++) c.setTimer(10, () => log.push(i));
    c.setTimer(5, () => log.push(-1));
    c.advance(10);
    expect(log).toEqual([-1, 0, 1, 2, 3, 4, 5]);
  });

  test('timers set at different times but due together fire in creation order', () => {
    const c = new ManualClock();
    const log: string[] = [];
    c.setTimer(20, () => log.push('first'));
    c.advance(10);
    c.setTimer(10, () => log.push('second'));
    c.advance(10);
    expect(log).toEqual(['first', 'second']);
  });

  test('now() inside a firing timer is that timer\'s due time', () => {
    const c = new ManualClock(100);
    const seen: number[] = [];
    c.setTimer(5, () => seen.push(c.now()));
    c.setTimer(20, () => seen.push(c.now()));
    c.advance(50);
    expect(seen).toEqual([105, 120]);
    expect(c.now()).toBe(150);
  });

  test('a negative delay is due now', () => {
    const c = new ManualClock(10);
    let at = -1;
    c.setTimer(-5, () => (at = c.now()));
    c.advance(0);
    expect(at).toBe(10);
  });

  test('a zero-delay timer waits for advance', () => {
    const c = new ManualClock();
    let fired = false;
    c.setTimer(0, () => (fired = true));
    expect(fired).toBe(false);
    expect(c.pendingTimers).toBe(1);
    c.advance(0);
    expect(fired).toBe(true);
  });

  test('a timer set by a firing timer fires in the same advance when due by its end, in order', () => {
    const c = new ManualClock();
    const log: string[] = [];
    c.setTimer(10, () => {
      log.push(`outer@${c.now()}`);
      c.setTimer(5, () => log.push(`inner@${c.now()}`)); // due 15
      c.setTimer(100, () => log.push(`late@${c.now()}`)); // due 110
    });
    c.setTimer(20, () => log.push(`other@${c.now()}`));
    c.advance(50);
    expect(log).toEqual(['outer@10', 'inner@15', 'other@20']);
    expect(c.pendingTimers).toBe(1);
    c.advance(60);
    expect(log).toEqual(['outer@10', 'inner@15', 'other@20', 'late@110']);
  });

  test('a chain of zero-delay timers set from timers all fire within one advance', () => {
    const c = new ManualClock();
    let n = 0;
    const step = () => {
      n++;
      if (n < 5) c.setTimer(0, step);
    };
    c.setTimer(1, step);
    c.advance(1);
    expect(n).toBe(5);
    expect(c.pendingTimers).toBe(0);
  });

  test('a repeating timer fires once per period within a long advance', () => {
    const c = new ManualClock();
    const at: number[] = [];
    const tick = () => {
      at.push(c.now());
      c.setTimer(10, tick);
    };
    c.setTimer(10, tick);
    c.advance(45);
    expect(at).toEqual([10, 20, 30, 40]);
    expect(c.now()).toBe(45);
    expect(c.pendingTimers).toBe(1);
  });

  test('cancel() stops a timer; cancelling twice or after firing is harmless', () => {
    const c = new ManualClock();
    const log: string[] = [];
    const a = c.setTimer(10, () => log.push('a'));
    const b = c.setTimer(20, () => log.push('b'));
    expect(c.pendingTimers).toBe(2);
    a.cancel();
    a.cancel();
    expect(c.pendingTimers).toBe(1);
    c.advance(30);
    expect(log).toEqual(['b']);
    b.cancel();
    expect(c.pendingTimers).toBe(0);
    c.advance(30);
    expect(log).toEqual(['b']);
  });

  test('a timer cancelled by an earlier timer in the same advance does not fire', () => {
    const c = new ManualClock();
    const log: string[] = [];
    let later: { cancel(): void } | undefined;
    c.setTimer(10, () => {
      log.push('first');
      later!.cancel();
    });
    later = c.setTimer(10, () => log.push('cancelled'));
    c.advance(10);
    expect(log).toEqual(['first']);
    expect(c.pendingTimers).toBe(0);
  });

  test('pendingTimers counts timers not yet fired or cancelled', () => {
    const c = new ManualClock();
    expect(c.pendingTimers).toBe(0);
    c.setTimer(1, () => undefined);
    c.setTimer(2, () => undefined);
    const h = c.setTimer(3, () => undefined);
    expect(c.pendingTimers).toBe(3);
    c.advance(1);
    expect(c.pendingTimers).toBe(2);
    h.cancel();
    expect(c.pendingTimers).toBe(1);
    c.advance(5);
    expect(c.pendingTimers).toBe(0);
  });
});
