/**
 * Fault decisions: a FaultInjector plans each subtask's faults at
 * deployment, the subtask's SubtaskFaults decides locally and reports what
 * fired. Each fault kind fires once and only in its attempt (the first by
 * default, the second for fail-during-restore, any with 'any'), subtasks
 * matched by operator uid + index, timeline entries stamped with the clock
 * from useClock, delay-channel count semantics, drop-channel returning an
 * InjectedFault, and allFired.
 */
import { WeirError } from '../errors';
import { FaultInjector, InjectedFault, type Fault, type SubtaskIdentity } from '../testing/FaultInjector';
import { SubtaskFaults, type SendDecision } from './SubtaskFaults';

const sum0: SubtaskIdentity = { uids: ['src', 'sum'], index: 0 };
const sum1: SubtaskIdentity = { uids: ['src', 'sum'], index: 1 };
const sink0: SubtaskIdentity = { uids: ['sink'], index: 0 };

function byIndex(uid: string, index: number): SubtaskIdentity {
  return [sum0, sum1, sink0].find((s) => s.uids.includes(uid) && s.index === index)!;
}

function thrown(f: () => void): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The old single-call shape: a delay in ms, the fault that breaks the channel, or undefined. */
function sent(d: SendDecision): number | InjectedFault | undefined {
  return d === undefined ? undefined : 'error' in d ? d.error : d.delayMs;
}

/**
 * A schedule, and `run(subtask, attempt)`: that subtask's decisions in that
 * attempt (one deployment: the same object for repeated calls), planned when
 * first asked for, as the job master plans a deployment.
 */
function injector(faults: Fault[], start = 1000) {
  let t = start;
  const fi = new FaultInjector(faults);
  fi.useClock(() => t);
  const deployed = new Map<string, SubtaskFaults>();
  const run = (s: SubtaskIdentity, attempt: number): SubtaskFaults => {
    const key = `${s.uids.join('/')}#${s.index}@${attempt}`;
    let d = deployed.get(key);
    if (d === undefined) deployed.set(key, (d = new SubtaskFaults(fi.planFor(s, attempt), s, () => t, (r) => fi.recordFired(r))));
    return d;
  };
  return { fi, tick: (ms: number) => void (t += ms), run };
}

describe('fail-at-record', () => {
  const f: Fault = { kind: 'fail-at-record', operator: 'sum', subtask: 1, record: 5 };

  test('is offered to the matching operator and subtask in attempt 1, fires once', () => {
    const { fi, tick, run } = injector([f]);
    expect(run(byIndex('sum', 0), 1).recordFaults('sum')).toEqual([]);
    expect(run(byIndex('src', 1), 1).recordFaults('src')).toEqual([]);
    expect(run(byIndex('sum', 1), 2).recordFaults('sum')).toEqual([]);
    const due = run(byIndex('sum', 1), 1).recordFaults('sum');
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
    expect(run(byIndex('sum', 1), 1).recordFaults('sum')).toEqual([]);
    expect(run(byIndex('sum', 1), 2).recordFaults('sum')).toEqual([]);
  });

  test('a fault for attempt 2 is not offered in attempt 1', () => {
    const g: Fault = { ...f, attempt: 2 };
    const { run } = injector([g]);
    expect(run(byIndex('sum', 1), 1).recordFaults('sum')).toEqual([]);
    expect(run(byIndex('sum', 1), 2).recordFaults('sum')).toHaveLength(1);
  });

  test("attempt 'any' is offered in any attempt until it fired", () => {
    const g: Fault = { ...f, attempt: 'any' };
    const { fi, run } = injector([g]);
    expect(run(byIndex('sum', 1), 3).recordFaults('sum')).toHaveLength(1);
    expect(run(byIndex('sum', 1), 7).recordFaults('sum')).toHaveLength(1);
    run(byIndex('sum', 1), 7).recordFaults('sum')[0].fire();
    expect(fi.timeline.map((e) => e.attempt)).toEqual([7]);
    expect(run(byIndex('sum', 1), 8).recordFaults('sum')).toEqual([]);
  });
});

describe('fail-at-time', () => {
  test('matches any uid of the chain and the index; fires once', () => {
    const f: Fault = { kind: 'fail-at-time', operator: 'sum', subtask: 0, atMs: 40 };
    const { fi, run } = injector([f]);
    expect(run(sum1, 1).timeFaults()).toEqual([]);
    expect(run(sink0, 1).timeFaults()).toEqual([]);
    expect(run(sum0, 2).timeFaults()).toEqual([]);
    const due = run(sum0, 1).timeFaults();
    expect(due.map((d) => d.atMs)).toEqual([40]);
    const e = due[0].fire();
    expect(e.fault).toBe(f);
    expect(fi.timeline[0].where).toBe('sum#0, 40 ms into attempt 1');
    expect(run(sum0, 1).timeFaults()).toEqual([]);
  });
});

describe('fail-during-snapshot', () => {
  test('throws at the named checkpoint only, once', () => {
    const f: Fault = { kind: 'fail-during-snapshot', operator: 'sum', subtask: 0, checkpoint: 3 };
    const { fi, tick, run } = injector([f]);
    expect(() => run(sum0, 1).atSnapshot(2)).not.toThrow();
    expect(() => run(sum1, 1).atSnapshot(3)).not.toThrow();
    expect(() => run(sum0, 2).atSnapshot(3)).not.toThrow();
    tick(5);
    const e = thrown(() => run(sum0, 1).atSnapshot(3));
    expect(e).toBeInstanceOf(InjectedFault);
    expect((e as InjectedFault).fault).toBe(f);
    expect(fi.timeline).toEqual([{ at: 1005, attempt: 1, fault: f, where: 'src/sum#0, snapshot of checkpoint 3' }]);
    expect(() => run(sum0, 1).atSnapshot(3)).not.toThrow();
    expect(fi.timeline).toHaveLength(1);
  });

  test('without a checkpoint it fires at the first snapshot the subtask takes', () => {
    const { fi, run } = injector([{ kind: 'fail-during-snapshot', operator: 'src', subtask: 1 }]);
    expect(thrown(() => run(sum1, 1).atSnapshot(7))).toBeInstanceOf(InjectedFault);
    expect(() => run(sum1, 1).atSnapshot(8)).not.toThrow();
    expect(fi.allFired).toBe(true);
  });
});

describe('fail-during-notify', () => {
  test('throws when the named checkpoint completes, once', () => {
    const f: Fault = { kind: 'fail-during-notify', operator: 'sink', subtask: 0, checkpoint: 2 };
    const { fi, run } = injector([f]);
    expect(() => run(sink0, 1).atNotify(1)).not.toThrow();
    expect(() => run(sink0, 1).atSnapshot(2)).not.toThrow(); // a different kind of point
    expect(thrown(() => run(sink0, 1).atNotify(2))).toBeInstanceOf(InjectedFault);
    expect(() => run(sink0, 1).atNotify(2)).not.toThrow();
    expect(fi.timeline[0].where).toBe('sink#0, notify of checkpoint 2');
  });

  test("attempt 'any' without checkpoint fires at the first notify of whatever attempt", () => {
    const { fi, run } = injector([{ kind: 'fail-during-notify', operator: 'sink', subtask: 0, attempt: 'any' }]);
    expect(thrown(() => run(sink0, 4).atNotify(9))).toBeInstanceOf(InjectedFault);
    expect(fi.timeline[0].attempt).toBe(4);
    expect(() => run(sink0, 4).atNotify(10)).not.toThrow();
  });
});

describe('fail-during-restore', () => {
  test('defaults to attempt 2, the first restore', () => {
    const f: Fault = { kind: 'fail-during-restore', operator: 'sum', subtask: 1 };
    const { fi, run } = injector([f]);
    expect(() => run(sum1, 1).atRestore()).not.toThrow();
    expect(() => run(sum0, 2).atRestore()).not.toThrow();
    expect(fi.allFired).toBe(false);
    const e = thrown(() => run(sum1, 2).atRestore());
    expect(e).toBeInstanceOf(InjectedFault);
    expect(fi.timeline).toEqual([{ at: 1000, attempt: 2, fault: f, where: 'src/sum#1, restore' }]);
    expect(() => run(sum1, 2).atRestore()).not.toThrow();
    expect(() => run(sum1, 3).atRestore()).not.toThrow();
  });

  test('an explicit attempt overrides the default', () => {
    const { run } = injector([{ kind: 'fail-during-restore', operator: 'sum', subtask: 1, attempt: 3 }]);
    expect(() => run(sum1, 2).atRestore()).not.toThrow();
    expect(thrown(() => run(sum1, 3).atRestore())).toBeInstanceOf(InjectedFault);
  });
});

describe('delay-channel', () => {
  const from = { operator: 'src', subtask: 0 };
  const to = { operator: 'sink', subtask: 0 };

  test('delays the next `count` buffers of the matching channel and kind, then stops', () => {
    const f: Fault = { kind: 'delay-channel', from, to, what: 'data', delayMs: 25, count: 3 };
    const { fi, tick, run } = injector([f]);
    expect(sent(run(sum0, 1).onSend(sink0, 'credit'))).toBeUndefined();
    expect(sent(run(sink0, 1).onSend(sum0, 'data'))).toBeUndefined(); // reversed direction
    expect(sent(run(sum1, 1).onSend(sink0, 'data'))).toBeUndefined(); // other producer index
    expect(sent(run(sum0, 2).onSend(sink0, 'data'))).toBeUndefined(); // other attempt
    tick(3);
    expect(fi.allFired).toBe(false);
    expect(sent(run(sum0, 1).onSend(sink0, 'data'))).toBe(25);
    expect(fi.allFired).toBe(true); // it struck
    tick(3);
    expect(sent(run(sum0, 1).onSend(sink0, 'data'))).toBe(25);
    expect(sent(run(sum0, 1).onSend(sink0, 'data'))).toBe(25);
    expect(sent(run(sum0, 1).onSend(sink0, 'data'))).toBeUndefined();
    // one timeline entry, at the first delayed buffer
    expect(fi.timeline).toEqual([{ at: 1003, attempt: 1, fault: f, where: 'data src#0 → sink#0' }]);
  });

  test('without count every matching buffer is delayed', () => {
    const { fi, run } = injector([{ kind: 'delay-channel', from, to, what: 'credit', delayMs: 7 }]);
    for (let i = 0; i < 50; i++) expect(sent(run(sum0, 1).onSend(sink0, 'credit'))).toBe(7);
    expect(sent(run(sum0, 1).onSend(sink0, 'data'))).toBeUndefined();
    expect(fi.timeline).toHaveLength(1);
  });

  test('count 1 delays exactly one buffer', () => {
    const { run } = injector([{ kind: 'delay-channel', from, to, what: 'data', delayMs: 9, count: 1 }]);
    expect(sent(run(sum0, 1).onSend(sink0, 'data'))).toBe(9);
    expect(sent(run(sum0, 1).onSend(sink0, 'data'))).toBeUndefined();
  });
});

describe('drop-channel', () => {
  test('returns an InjectedFault once for the matching channel and kind, then delivers', () => {
    const f: Fault = { kind: 'drop-channel', from: { operator: 'sum', subtask: 1 }, to: { operator: 'sink', subtask: 0 }, what: 'credit' };
    const { fi, run } = injector([f]);
    expect(sent(run(sum1, 1).onSend(sink0, 'data'))).toBeUndefined();
    expect(sent(run(sum0, 1).onSend(sink0, 'credit'))).toBeUndefined();
    const r = sent(run(sum1, 1).onSend(sink0, 'credit'));
    expect(r).toBeInstanceOf(InjectedFault);
    expect((r as InjectedFault).fault).toBe(f);
    expect((r as InjectedFault).message).toContain('credit sum#1 → sink#0');
    expect(sent(run(sum1, 1).onSend(sink0, 'credit'))).toBeUndefined();
    expect(fi.timeline.map((e) => e.where)).toEqual(['credit sum#1 → sink#0']);
    expect(fi.allFired).toBe(true);
  });
});

describe('timeline and allFired', () => {
  test('the timeline records each fault once, in firing order, with the injected clock', () => {
    const a: Fault = { kind: 'fail-during-snapshot', operator: 'sum', subtask: 0, checkpoint: 1 };
    const b: Fault = { kind: 'fail-at-record', operator: 'sink', subtask: 0, record: 1 };
    const c: Fault = { kind: 'fail-during-restore', operator: 'sink', subtask: 0 };
    const { fi, tick, run } = injector([a, b, c], 0);
    run(byIndex('sink', 0), 1).recordFaults('sink')[0].fire();
    tick(10);
    thrown(() => run(sum0, 1).atSnapshot(1));
    expect(fi.allFired).toBe(false);
    tick(10);
    thrown(() => run(sink0, 2).atRestore());
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
    const { run } = injector([f1, f2]);
    expect((thrown(() => run(sum0, 1).atSnapshot(1)) as InjectedFault).fault).toBe(f1);
    expect((thrown(() => run(sum0, 1).atSnapshot(2)) as InjectedFault).fault).toBe(f2);
    expect(() => run(sum0, 1).atSnapshot(3)).not.toThrow();
  });
});
