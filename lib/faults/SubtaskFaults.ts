/**
 * One subtask's fault decisions in one attempt, taken locally from its part
 * of the plan (SubtaskFaultPlan): which record, snapshot, notification or
 * restore throws, which timed crashes to arm, and what happens to each
 * buffer or credit it sends (deliver, delay, break the channel). Each fault
 * strikes at most once; every strike is reported (`report`), so the
 * schedule's timeline and spent set follow wherever the subtask runs.
 */
import type { TaskFaults } from '../operators/StreamTask';
import { InjectedFault, matchesSubtask, type Fault, type FaultFired, type SubtaskFaultPlan, type SubtaskIdentity } from './Fault';

/** What becomes of one buffer or credit: delivered (undefined), delayed by `delayMs`, or lost (the channel breaks with `error`). */
export type SendDecision = undefined | { readonly delayMs: number } | { readonly error: InjectedFault };

export class SubtaskFaults implements TaskFaults {
  private readonly spent = new Set<number>();
  private readonly used = new Map<number, number>();

  /**
   * @param now the clock the timeline is stamped with (ms)
   * @param report called for every strike (and when a counted delay is used up)
   */
  constructor(
    private readonly plan: SubtaskFaultPlan,
    private readonly self: SubtaskIdentity,
    private readonly now: () => number,
    private readonly report: (fired: FaultFired) => void,
  ) {}

  /** The record numbers (1-based, per attempt) at which operator `uid` of this chain throws. */
  recordFaults(uid: string): { record: number; fire: () => InjectedFault }[] {
    return this.pending('fail-at-record')
      .filter(({ fault }) => fault.operator === uid)
      .map(({ id, fault }) => ({ record: fault.record, fire: () => this.fire(id, fault, `${uid}#${this.self.index}, record ${fault.record}`) }));
  }

  /** Timed crashes to arm: `atMs` after deployment, on the job's clock. */
  timeFaults(): { atMs: number; fire: () => InjectedFault }[] {
    const { attempt } = this.plan;
    return this.pending('fail-at-time').map(({ id, fault }) => ({
      atMs: fault.atMs,
      fire: () => this.fire(id, fault, `${fault.operator}#${fault.subtask}, ${fault.atMs} ms into attempt ${attempt}`),
    }));
  }

  /** Throws if a snapshot fault is due. */
  atSnapshot(checkpointId: number): void {
    this.throwIfDue('fail-during-snapshot', (f) => (f.checkpoint ?? checkpointId) === checkpointId, `snapshot of checkpoint ${checkpointId}`);
  }

  /** Throws if a notify-complete fault is due. */
  atNotify(checkpointId: number): void {
    this.throwIfDue('fail-during-notify', (f) => (f.checkpoint ?? checkpointId) === checkpointId, `notify of checkpoint ${checkpointId}`);
  }

  /** Throws if a restore fault is due. */
  atRestore(): void {
    this.throwIfDue('fail-during-restore', () => true, 'restore');
  }

  /** What happens to a buffer ('data') or credit this subtask sends to subtask `to`. */
  onSend(to: SubtaskIdentity, what: 'data' | 'credit'): SendDecision {
    for (const { id, fault } of this.plan.faults) {
      if ((fault.kind !== 'delay-channel' && fault.kind !== 'drop-channel') || fault.what !== what || this.spent.has(id)) continue;
      if (!matchesSubtask(to, fault.to)) continue;
      const where = `${what} ${fault.from.operator}#${fault.from.subtask} → ${fault.to.operator}#${fault.to.subtask}`;
      if (fault.kind === 'drop-channel') return { error: this.fire(id, fault, where) };
      const n = (this.used.get(id) ?? 0) + 1;
      this.used.set(id, n);
      const usedUp = fault.count !== undefined && n >= fault.count;
      if (usedUp) this.spent.add(id);
      if (n === 1 || usedUp) this.report({ id, at: this.now(), attempt: this.plan.attempt, where, spent: usedUp });
      return { delayMs: fault.delayMs };
    }
    return undefined;
  }

  private throwIfDue<K extends Fault['kind']>(kind: K, test: (f: Extract<Fault, { kind: K }>) => boolean, what: string): void {
    const due = this.pending(kind).find(({ fault }) => test(fault));
    if (due) throw this.fire(due.id, due.fault, `${this.self.uids.join('/')}#${this.self.index}, ${what}`);
  }

  private pending<K extends Fault['kind']>(kind: K): { id: number; fault: Extract<Fault, { kind: K }> }[] {
    return this.plan.faults.filter((e): e is { id: number; fault: Extract<Fault, { kind: K }> } => e.fault.kind === kind && !this.spent.has(e.id));
  }

  private fire(id: number, fault: Fault, where: string): InjectedFault {
    this.spent.add(id);
    this.report({ id, at: this.now(), attempt: this.plan.attempt, where, spent: true });
    return new InjectedFault(fault, where);
  }
}
