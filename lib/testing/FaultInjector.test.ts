/**
 * FaultInjector: each fault kind fires once and only in its attempt (the
 * first by default, the second for fail-during-restore, any with 'any'),
 * subtasks matched by operator uid + index, timeline entries stamped with
 * the clock from useClock, delay-channel count semantics, drop-channel
 * returning an InjectedFault, and allFired.
 */
import { WeirError } from '../errors';
import { FaultInjector, InjectedFault, type Fault, type SubtaskIdentity } from './FaultInjector';

const sum0: SubtaskIdentity = { uids: ['src', 'sum'], index: 0 };
const sum1: SubtaskIdentity = { uids: ['src', 'sum'], index: 1 };
const sink0: SubtaskIdentity = { uids: ['sink'], index: 0 };

function thrown(f: () => void): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

function injector(faults: Fault[], start = 1000): { fi: FaultInjector; tick: (ms: number) => void } {
  let t = start;
  const fi = new FaultInjector(faults);
  fi.useClock(() => t);
  return { fi, tick: (ms) => void (t += ms) };
}

describe('fail-at-record', () => {
  const f: Fault = { kind: 'fail-at-record', operator: 'sum', subtask: 1, record: 5 };

  test('is offered to the matching operator and subtask in attempt 1, fires once', () => {
    const { fi, tick } = injector([f]);
    expect(fi.recordFaults('sum', 0, 1)).toEqual([]);
    expect(fi.recordFaults('src', 1, 1)).toEqual([]);
    expect(fi.recordFaults('sum', 1, 2)).toEqual([]);
    const due = fi.recordFaults('sum', 1, 1);
    expect(due.map((d) => d.record)).toEqual([5]);
    expect(fi.allFired).toBe(false);
    tick(20);
    const e = due[0].fire();
    expect(e).toBeInstanceOf(InjectedFault);
    expect(e).toBeInstanceOf(WeirError);
    expect(e.code).toBe('INJECTED_FAULT');
    expect(e.fault).toBe(f);
    expect(e.message).toContain('fail-at-record');
    expect(e.message).toContain('sum#1, record 5');
    expect(fi.timeline).toEqual([{ at: 1020, attempt: 1, fault: f, where: 'sum#1, record 5' }]);
    expect(fi.allFired).toBe(true);
    // fired: not offered again, in this or any attempt
    expect(fi.recordFaults('sum', 1, 1)).toEqual([]);
    expect(fi.recordFaults('sum', 1, 2)).toEqual([]);
  });

  test('a fault for attempt 2 is not offered in attempt 1', () => {
    const g: Fault = { ...f, attempt: 2 };
    const { fi } = injector([g]);
    expect(fi.recordFaults('sum', 1, 1)).toEqual([]);
    expect(fi.recordFaults('sum', 1, 2)).toHaveLength(1);
  });

  test("attempt 'any' is offered in any attempt until it fired", () => {
    const g: Fault = { ...f, attempt: 'any' };
    const { fi } = injector([g]);
    expect(fi.recordFaults('sum', 1, 3)).toHaveLength(1);
    expect(fi.recordFaults('sum', 1, 7)).toHaveLength(1);
    fi.recordFaults('sum', 1, 7)[0].fire();
    expect(fi.timeline.map((e) => e.attempt)).toEqual([7]);
    expect(fi.recordFaults('sum', 1, 8)).toEqual([]);
  });
});

describe('fail-at-time', () => {
  test('matches any uid of the chain and the index; fires once', () => {
    const f: Fault = { kind: 'fail-at-time', operator: 'sum', subtask: 0, atMs: 40 };
    const { fi } = injector([f]);
    expect(fi.timeFaults(sum1, 1)).toEqual([]);
    expect(fi.timeFaults(sink0, 1)).toEqual([]);
    expect(fi.timeFaults(sum0, 2)).toEqual([]);
    const due = fi.timeFaults(sum0, 1);
    expect(due.map((d) => d.atMs)).toEqual([40]);
    const e = due[0].fire();
    expect(e.fault).toBe(f);
    expect(fi.timeline[0].where).toBe('sum#0, 40 ms into attempt 1');
    expect(fi.timeFaults(sum0, 1)).toEqual([]);
  });
});

describe('fail-during-snapshot', () => {
  test('throws at the named checkpoint only, once', () => {
    const f: Fault = { kind: 'fail-during-snapshot', operator: 'sum', subtask: 0, checkpoint: 3 };
    const { fi, tick } = injector([f]);
    expect(() => fi.atSnapshot(sum0, 2, 1)).not.toThrow();
    expect(() => fi.atSnapshot(sum1, 3, 1)).not.toThrow();
    expect(() => fi.atSnapshot(sum0, 3, 2)).not.toThrow();
    tick(5);
    const e = thrown(() => fi.atSnapshot(sum0, 3, 1));
    expect(e).toBeInstanceOf(InjectedFault);
    expect((e as InjectedFault).fault).toBe(f);
    expect(fi.timeline).toEqual([{ at: 1005, attempt: 1, fault: f, where: 'src/sum#0, snapshot of checkpoint 3' }]);
    expect(() => fi.atSnapshot(sum0, 3, 1)).not.toThrow();
    expect(fi.timeline).toHaveLength(1);
  });

  test('without a checkpoint it fires at the first snapshot the subtask takes', () => {
    const { fi } = injector([{ kind: 'fail-during-snapshot', operator: 'src', subtask: 1 }]);
    expect(thrown(() => fi.atSnapshot(sum1, 7, 1))).toBeInstanceOf(InjectedFault);
    expect(() => fi.atSnapshot(sum1, 8, 1)).not.toThrow();
    expect(fi.allFired).toBe(true);
  });
});

describe('fail-during-notify', () => {
  test('throws when the named checkpoint completes, once', () => {
    const f: Fault = { kind: 'fail-during-notify', operator: 'sink', subtask: 0, checkpoint: 2 };
    const { fi } = injector([f]);
    expect(() => fi.atNotify(sink0, 1, 1)).not.toThrow();
    expect(() => fi.atSnapshot(sink0, 2, 1)).not.toThrow(); // a different kind of point
    expect(thrown(() => fi.atNotify(sink0, 2, 1))).toBeInstanceOf(InjectedFault);
    expect(() => fi.atNotify(sink0, 2, 1)).not.toThrow();
    expect(fi.timeline[0].where).toBe('sink#0, notify of checkpoint 2');
  });

  test("attempt 'any' without checkpoint fires at the first notify of whatever attempt", () => {
    const { fi } = injector([{ kind: 'fail-during-notify', operator: 'sink', subtask: 0, attempt: 'any' }]);
    expect(thrown(() => fi.atNotify(sink0, 9, 4))).toBeInstanceOf(InjectedFault);
    expect(fi.timeline[0].attempt).toBe(4);
    expect(() => fi.atNotify(sink0, 10, 4)).not.toThrow();
  });
});

describe('fail-during-restore', () => {
  test('defaults to attempt 2, the first restore', () => {
    const f: Fault = { kind: 'fail-during-restore', operator: 'sum', subtask: 1 };
    const { fi } = injector([f]);
    expect(() => fi.atRestore(sum1, 1)).not.toThrow();
    expect(() => fi.atRestore(sum0, 2)).not.toThrow();
    expect(fi.allFired).toBe(false);
    const e = thrown(() => fi.atRestore(sum1, 2));
    expect(e).toBeInstanceOf(InjectedFault);
    expect(fi.timeline).toEqual([{ at: 1000, attempt: 2, fault: f, where: 'src/sum#1, restore' }]);
    expect(() => fi.atRestore(sum1, 2)).not.toThrow();
    expect(() => fi.atRestore(sum1, 3)).not.toThrow();
  });

  test('an explicit attempt overrides the default', () => {
    const { fi } = injector([{ kind: 'fail-during-restore', operator: 'sum', subtask: 1, attempt: 3 }]);
    expect(() => fi.atRestore(sum1, 2)).not.toThrow();
    expect(thrown(() => fi.atRestore(sum1, 3))).toBeInstanceOf(InjectedFault);
  });
});

describe('delay-channel', () => {
  const from = { operator: 'src', subtask: 0 };
  const to = { operator: 'sink', subtask: 0 };

  test('delays the next `count` buffers of the matching channel and kind, then stops', () => {
    const f: Fault = { kind: 'delay-channel', from, to, what: 'data', delayMs: 25, count: 3 };
    const { fi, tick } = injector([f]);
    expect(fi.onSend(sum0, sink0, 'credit', 1)).toBeUndefined();
    expect(fi.onSend(sink0, sum0, 'data', 1)).toBeUndefined(); // reversed direction
    expect(fi.onSend(sum1, sink0, 'data', 1)).toBeUndefined(); // other producer index
    expect(fi.onSend(sum0, sink0, 'data', 2)).toBeUndefined(); // other attempt
    tick(3);
    expect(fi.allFired).toBe(false);
    expect(fi.onSend(sum0, sink0, 'data', 1)).toBe(25);
    expect(fi.allFired).toBe(true); // it struck
    tick(3);
    expect(fi.onSend(sum0, sink0, 'data', 1)).toBe(25);
    expect(fi.onSend(sum0, sink0, 'data', 1)).toBe(25);
    expect(fi.onSend(sum0, sink0, 'data', 1)).toBeUndefined();
    // one timeline entry, at the first delayed buffer
    expect(fi.timeline).toEqual([{ at: 1003, attempt: 1, fault: f, where: 'data src#0 → sink#0' }]);
  });

  test('without count every matching buffer is delayed', () => {
    const { fi } = injector([{ kind: 'delay-channel', from, to, what: 'credit', delayMs: 7 }]);
    for (let i = 0; i < 50; i++) expect(fi.onSend(sum0, sink0, 'credit', 1)).toBe(7);
    expect(fi.onSend(sum0, sink0, 'data', 1)).toBeUndefined();
    expect(fi.timeline).toHaveLength(1);
  });

  test('count 1 delays exactly one buffer', () => {
    const { fi } = injector([{ kind: 'delay-channel', from, to, what: 'data', delayMs: 9, count: 1 }]);
    expect(fi.onSend(sum0, sink0, 'data', 1)).toBe(9);
    expect(fi.onSend(sum0, sink0, 'data', 1)).toBeUndefined();
  });
});

describe('drop-channel', () => {
  test('returns an InjectedFault once for the matching channel and kind, then delivers', () => {
    const f: Fault = { kind: 'drop-channel', from: { operator: 'sum', subtask: 1 }, to: { operator: 'sink', subtask: 0 }, what: 'credit' };
    const { fi } = injector([f]);
    expect(fi.onSend(sum1, sink0, 'data', 1)).toBeUndefined();
    expect(fi.onSend(sum0, sink0, 'credit', 1)).toBeUndefined();
    const r = fi.onSend(sum1, sink0, 'credit', 1);
    expect(r).toBeInstanceOf(InjectedFault);
    expect((r as InjectedFault).fault).toBe(f);
    expect((r as InjectedFault).message).toContain('credit sum#1 → sink#0');
    expect(fi.onSend(sum1, sink0, 'credit', 1)).toBeUndefined();
    expect(fi.timeline.map((e) => e.where)).toEqual(['credit sum#1 → sink#0']);
    expect(fi.allFired).toBe(true);
  });
});

describe('timeline and allFired', () => {
  test('the timeline records each fault once, in firing order, with the injected clock', () => {
    const a: Fault = { kind: 'fail-during-snapshot', operator: 'sum', subtask: 0, checkpoint: 1 };
    const b: Fault = { kind: 'fail-at-record', operator: 'sink', subtask: 0, record: 1 };
    const c: Fault = { kind: 'fail-during-restore', operator: 'sink', subtask: 0 };
    const { fi, tick } = injector([a, b, c], 0);
    fi.recordFaults('sink', 0, 1)[0].fire();
    tick(10);
    thrown(() => fi.atSnapshot(sum0, 1, 1));
    expect(fi.allFired).toBe(false);
    tick(10);
    thrown(() => fi.atRestore(sink0, 2));
    expect(fi.allFired).toBe(true);
    expect(fi.timeline.map((e) => [e.at, e.attempt, e.fault])).toEqual([
      [0, 1, b],
      [10, 1, a],
      [20, 2, c],
    ]);
  });

  test('an empty plan has fired everything', () => {
    expect(new FaultInjector([]).allFired).toBe(true);
  });

  test('two equal-looking faults are distinct and fire one at a time', () => {
    const f1: Fault = { kind: 'fail-during-snapshot', operator: 'sum', subtask: 0 };
    const f2: Fault = { kind: 'fail-during-snapshot', operator: 'sum', subtask: 0 };
    const { fi } = injector([f1, f2]);
    expect((thrown(() => fi.atSnapshot(sum0, 1, 1)) as InjectedFault).fault).toBe(f1);
    expect((thrown(() => fi.atSnapshot(sum0, 2, 1)) as InjectedFault).fault).toBe(f2);
    expect(() => fi.atSnapshot(sum0, 3, 1)).not.toThrow();
  });
});
