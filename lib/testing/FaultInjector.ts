/**
 * Fault injection for tests and experiments ('weir/testing'). A plan of
 * faults is given to the environment (`faults: new FaultInjector([...])`);
 * the runtime asks it at a few points — before a record reaches an
 * operator, at a snapshot, a notify-complete, a restore, on a timer, when a
 * buffer or credit is sent — and the injector says whether to fail there.
 * Subtasks are named by the uid of any operator in their chain and their
 * index. Every fault fires once (in the job attempt it names, the first by
 * default, or any attempt with `attempt: 'any'`) and is written to the
 * timeline with the time, attempt and place it fired.
 *
 *   new FaultInjector([
 *     { kind: 'fail-at-record', operator: 'sum', subtask: 0, record: 5000 },
 *     { kind: 'fail-during-snapshot', operator: 'sum', subtask: 1, checkpoint: 3 },
 *     { kind: 'delay-channel', from: { operator: 'src', subtask: 0 }, to: { operator: 'sum', subtask: 1 }, what: 'credit', delayMs: 50 },
 *   ])
 */
import { WeirError } from '../errors';

export interface SubtaskRef {
  readonly operator: string;
  readonly subtask: number;
}

type When = { readonly attempt?: number | 'any' };

export type Fault =
  /** Throws when the operator's subtask is about to process its `record`-th record (1-based) of the attempt. */
  | (When & { readonly kind: 'fail-at-record'; readonly operator: string; readonly subtask: number; readonly record: number })
  /** Crashes the subtask `atMs` after the attempt was deployed, on the job's clock. */
  | (When & { readonly kind: 'fail-at-time'; readonly operator: string; readonly subtask: number; readonly atMs: number })
  /** Throws in the synchronous snapshot of `checkpoint` (or of the first one the subtask takes). */
  | (When & { readonly kind: 'fail-during-snapshot'; readonly operator: string; readonly subtask: number; readonly checkpoint?: number })
  /** Throws when the subtask hears that `checkpoint` (or any) completed. */
  | (When & { readonly kind: 'fail-during-notify'; readonly operator: string; readonly subtask: number; readonly checkpoint?: number })
  /** Throws while the subtask restores state (attempt 2 — the first restore — by default). */
  | (When & { readonly kind: 'fail-during-restore'; readonly operator: string; readonly subtask: number })
  /** Delays the next `count` (default: all) data buffers or credits of a channel by `delayMs`. */
  | (When & {
      readonly kind: 'delay-channel';
      readonly from: SubtaskRef;
      readonly to: SubtaskRef;
      readonly what: 'data' | 'credit';
      readonly delayMs: number;
      readonly count?: number;
    })
  /** Loses a data buffer or credit of a local channel: the receiving subtask crashes. */
  | (When & { readonly kind: 'drop-channel'; readonly from: SubtaskRef; readonly to: SubtaskRef; readonly what: 'data' | 'credit' });

export interface FaultEvent {
  /** Clock time when it fired. */
  readonly at: number;
  readonly attempt: number;
  readonly fault: Fault;
  /** Where it fired, e.g. "sum#0, record 5000". */
  readonly where: string;
}

/** The error an injected fault throws. */
export class InjectedFault extends WeirError {
  readonly code = 'INJECTED_FAULT';
  constructor(readonly fault: Fault, where: string) {
    super(`injected fault ${fault.kind} at ${where}`);
  }
}

/** A subtask as the runtime sees it: the uids of its chain and its index. */
export interface SubtaskIdentity {
  readonly uids: readonly string[];
  readonly index: number;
}

export class FaultInjector {
  readonly timeline: FaultEvent[] = [];
  /** Faults that struck (at least once). */
  private readonly fired = new Set<Fault>();
  /** Faults that will not strike again. */
  private readonly spent = new Set<Fault>();
  private readonly used = new Map<Fault, number>();
  private now: () => number = () => Date.now();

  constructor(readonly faults: readonly Fault[]) {}

  /** @internal The runtime's clock, for the timeline. */
  useClock(now: () => number): void {
    this.now = now;
  }

  /** Whether every fault of the plan has struck (a delay: delayed at least one send). */
  get allFired(): boolean {
    return this.faults.every((f) => this.fired.has(f));
  }

  /** Record faults for one operator of a subtask in this attempt: the record numbers to fail at. */
  recordFaults(uid: string, index: number, attempt: number): { record: number; fire: () => InjectedFault }[] {
    return this.pending(attempt, 1)
      .filter((f): f is Extract<Fault, { kind: 'fail-at-record' }> => f.kind === 'fail-at-record' && f.operator === uid && f.subtask === index)
      .map((f) => ({ record: f.record, fire: () => this.fire(f, attempt, `${uid}#${index}, record ${f.record}`) }));
  }

  /** Timed crashes of a subtask in this attempt. */
  timeFaults(s: SubtaskIdentity, attempt: number): { atMs: number; fire: () => InjectedFault }[] {
    return this.pending(attempt, 1)
      .filter((f): f is Extract<Fault, { kind: 'fail-at-time' }> => f.kind === 'fail-at-time' && matches(s, f))
      .map((f) => ({ atMs: f.atMs, fire: () => this.fire(f, attempt, `${f.operator}#${f.subtask}, ${f.atMs} ms into attempt ${attempt}`) }));
  }

  /** Throws if a snapshot fault is due. */
  atSnapshot(s: SubtaskIdentity, checkpointId: number, attempt: number): void {
    this.throwIfDue(attempt, 1, (f) => f.kind === 'fail-during-snapshot' && matches(s, f) && (f.checkpoint ?? checkpointId) === checkpointId, `snapshot of checkpoint ${checkpointId}`, s);
  }

  /** Throws if a notify-complete fault is due. */
  atNotify(s: SubtaskIdentity, checkpointId: number, attempt: number): void {
    this.throwIfDue(attempt, 1, (f) => f.kind === 'fail-during-notify' && matches(s, f) && (f.checkpoint ?? checkpointId) === checkpointId, `notify of checkpoint ${checkpointId}`, s);
  }

  /** Throws if a restore fault is due. */
  atRestore(s: SubtaskIdentity, attempt: number): void {
    this.throwIfDue(attempt, 2, (f) => f.kind === 'fail-during-restore' && matches(s, f), 'restore', s);
  }

  /**
   * What happens to a buffer or credit sent from one subtask to another:
   * undefined (deliver), a delay in ms, or the fault that crashes the receiver.
   */
  onSend(from: SubtaskIdentity, to: SubtaskIdentity, what: 'data' | 'credit', attempt: number): number | InjectedFault | undefined {
    for (const f of this.pending(attempt, 1)) {
      if ((f.kind !== 'delay-channel' && f.kind !== 'drop-channel') || f.what !== what) continue;
      if (!matches(from, f.from) || !matches(to, f.to)) continue;
      const where = `${what} ${f.from.operator}#${f.from.subtask} → ${f.to.operator}#${f.to.subtask}`;
      if (f.kind === 'drop-channel') return this.fire(f, attempt, where);
      const n = (this.used.get(f) ?? 0) + 1;
      this.used.set(f, n);
      if (n === 1) this.record(f, attempt, where);
      if (f.count !== undefined && n >= f.count) this.spent.add(f);
      return f.delayMs;
    }
    return undefined;
  }

  private throwIfDue(attempt: number, defaultAttempt: number, test: (f: Fault) => boolean, what: string, s: SubtaskIdentity): void {
    const f = this.pending(attempt, defaultAttempt).find(test);
    if (f) throw this.fire(f, attempt, `${s.uids.join('/')}#${s.index}, ${what}`);
  }

  private pending(attempt: number, defaultAttempt: number): Fault[] {
    return this.faults.filter((f) => {
      if (this.spent.has(f)) return false;
      const a = f.attempt ?? (f.kind === 'fail-during-restore' ? 2 : defaultAttempt);
      return a === 'any' || a === attempt;
    });
  }

  private fire(f: Fault, attempt: number, where: string): InjectedFault {
    this.spent.add(f);
    this.record(f, attempt, where);
    return new InjectedFault(f, where);
  }

  private record(f: Fault, attempt: number, where: string): void {
    this.fired.add(f);
    this.timeline.push({ at: this.now(), attempt, fault: f, where });
  }
}

function matches(s: SubtaskIdentity, ref: SubtaskRef): boolean {
  return s.index === ref.subtask && s.uids.includes(ref.operator);
}
