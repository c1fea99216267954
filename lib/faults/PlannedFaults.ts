/**
 * A fault plan and what happened to it: the FaultSchedule the job master
 * consults at every deployment (each subtask's part of the plan) and feeds
 * with the reports of what struck, wherever the subtask ran. Faults are
 * named by their position in the plan; each fires once (in the attempt it
 * names: the first by default, the second for fail-during-restore, any with
 * 'any'), and the timeline records when, in which attempt and where.
 *
 * weir/testing's FaultInjector is this schedule under its test-kit name; a
 * cluster builds one from the plan a submission carries (`validateFaults`).
 */
import { ConfigurationError } from '../errors';
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
} from './Fault';

export class PlannedFaults implements FaultSchedule {
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

const SUBTASK_KINDS = ['fail-at-record', 'fail-at-time', 'fail-during-snapshot', 'fail-during-notify', 'fail-during-restore'];
const CHANNEL_KINDS = ['delay-channel', 'drop-channel'];

/**
 * A fault plan that arrived as data (a cluster submission, a chaos
 * schedule), checked: ConfigurationError naming the fault's position and
 * the field that is wrong.
 */
export function validateFaults(v: unknown, option = 'faults'): Fault[] {
  if (!Array.isArray(v)) throw new ConfigurationError(option, 'must be an array of faults');
  return v.map((f: unknown, i) => {
    const at = `${option}[${i}]`;
    if (typeof f !== 'object' || f === null) throw new ConfigurationError(at, 'must be an object');
    const o = f as Record<string, unknown>;
    const nat = (k: string, optional = false) => {
      if (optional && o[k] === undefined) return;
      if (!Number.isSafeInteger(o[k]) || (o[k] as number) < 0) throw new ConfigurationError(`${at}.${k}`, 'must be a non-negative integer');
    };
    const ref = (k: string) => {
      const r = o[k] as Record<string, unknown> | undefined;
      if (typeof r !== 'object' || r === null || typeof r.operator !== 'string' || !Number.isSafeInteger(r.subtask)) {
        throw new ConfigurationError(`${at}.${k}`, 'must be { operator: uid, subtask: index }');
      }
    };
    if (o.attempt !== undefined && o.attempt !== 'any') nat('attempt');
    if (SUBTASK_KINDS.includes(o.kind as string)) {
      if (typeof o.operator !== 'string') throw new ConfigurationError(`${at}.operator`, 'must be an operator uid');
      nat('subtask');
      if (o.kind === 'fail-at-record') nat('record');
      if (o.kind === 'fail-at-time') nat('atMs');
      if (o.kind === 'fail-during-snapshot' || o.kind === 'fail-during-notify') nat('checkpoint', true);
    } else if (CHANNEL_KINDS.includes(o.kind as string)) {
      ref('from');
      ref('to');
      if (o.what !== 'data' && o.what !== 'credit') throw new ConfigurationError(`${at}.what`, "must be 'data' or 'credit'");
      if (o.kind === 'delay-channel') {
        nat('delayMs');
        nat('count', true);
      }
    } else {
      throw new ConfigurationError(`${at}.kind`, `must be one of ${[...SUBTASK_KINDS, ...CHANNEL_KINDS].join(', ')}`);
    }
    return o as unknown as Fault;
  });
}
