/**
 * Fault injection for tests and experiments ('weir/testing'). A plan of
 * faults is given to the environment (`faults: new FaultInjector([...])`);
 * at each deployment the job master hands every subtask the part of the
 * plan that concerns it, and the subtask decides there — before a record
 * reaches an operator, at a snapshot, a notify-complete, a restore, on a
 * timer, when a buffer or credit is sent (see lib/faults). Subtasks are
 * named by the uid of any operator in their chain and their index. Every
 * fault fires once (in the job attempt it names, the first by default, or
 * any attempt with `attempt: 'any'`) and is written to the timeline with
 * the time, attempt and place it fired.
 *
 *   new FaultInjector([
 *     { kind: 'fail-at-record', operator: 'sum', subtask: 0, record: 5000 },
 *     { kind: 'fail-during-snapshot', operator: 'sum', subtask: 1, checkpoint: 3 },
 *     { kind: 'delay-channel', from: { operator: 'src', subtask: 0 }, to: { operator: 'sum', subtask: 1 }, what: 'credit', delayMs: 50 },
 *   ])
 */
import {
  dueInAttempt,
  faultSubtask,
  matchesSubtask,
  type Fault,
  type FaultEvent,
  type FaultFired,
  type FaultSchedule,
  type SubtaskFaultPlan,
  type SubtaskIdentity,
} from '../faults/Fault';

export { InjectedFault, type Fault, type FaultEvent, type SubtaskIdentity, type SubtaskRef } from '../faults/Fault';

export class FaultInjector implements FaultSchedule {
  readonly timeline: FaultEvent[] = [];
  /** Faults that struck (at least once), by position in the plan. */
  private readonly fired = new Set<number>();
  /** Faults that will not strike again. */
  private readonly spent = new Set<number>();
  private now: () => number = () => Date.now();

  constructor(readonly faults: readonly Fault[]) {}

  /** @internal The runtime's clock, for the timeline. */
  useClock(now: () => number): void {
    this.now = now;
  }

  /** Whether every fault of the plan has struck (a delay: delayed at least one send). */
  get allFired(): boolean {
    return this.faults.every((_, i) => this.fired.has(i));
  }

  /** @internal The faults that may strike this subtask in this attempt. */
  planFor(subtask: SubtaskIdentity, attempt: number): SubtaskFaultPlan {
    const faults: { id: number; fault: Fault }[] = [];
    this.faults.forEach((fault, id) => {
      if (!this.spent.has(id) && dueInAttempt(fault, attempt) && matchesSubtask(subtask, faultSubtask(fault))) faults.push({ id, fault });
    });
    return { attempt, faults };
  }

  /** @internal A subtask reports a fault that struck. */
  recordFired(report: FaultFired): void {
    const fault = this.faults[report.id];
    if (fault === undefined) return;
    if (report.spent) this.spent.add(report.id);
    if (this.fired.has(report.id)) return;
    this.fired.add(report.id);
    this.timeline.push({ at: this.now(), attempt: report.attempt, fault, where: report.where });
  }
}
