/**
 * Fault experiments as data. A plan of faults (crash a subtask at a record,
 * at a time, in a snapshot, a notification or a restore; delay or lose a
 * channel's buffers or credits) is plain data, so the same plan runs
 * embedded or across node processes: the job master hands each deployed
 * subtask the part of the plan that concerns it (`SubtaskFaultPlan`), the
 * subtask decides locally (SubtaskFaults, FaultyChannelTransport) and
 * reports what fired; the schedule keeps the timeline and which faults are
 * spent. Nothing here is shared mutable state between subtasks.
 *
 * The user-facing schedule is weir/testing's FaultInjector.
 */
import { WeirError } from '../errors';

/** A subtask named as users name it: the uid of any operator in its chain, and its index. */
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
  /** Delays the next `count` (default: all) data buffers or credits of a channel in an attempt by `delayMs`. */
  | (When & {
      readonly kind: 'delay-channel';
      readonly from: SubtaskRef;
      readonly to: SubtaskRef;
      readonly what: 'data' | 'credit';
      readonly delayMs: number;
      readonly count?: number;
    })
  /** Loses a data buffer or credit of a channel: the channel breaks and the receiving subtask fails. */
  | (When & { readonly kind: 'drop-channel'; readonly from: SubtaskRef; readonly to: SubtaskRef; readonly what: 'data' | 'credit' });

export interface FaultEvent {
  /** Clock time when it fired (ms). */
  readonly at: number;
  readonly attempt: number;
  readonly fault: Fault;
  /** Where it fired, e.g. "sum#0, record 5000". */
  readonly where: string;
}

/** A subtask as the runtime sees it: the uids of its chain and its index. */
export interface SubtaskIdentity {
  readonly uids: readonly string[];
  readonly index: number;
}

/** The error an injected fault throws. */
export class InjectedFault extends WeirError {
  readonly code = 'INJECTED_FAULT';
  constructor(
    readonly fault: Fault,
    where: string,
  ) {
    super(`injected fault ${fault.kind} at ${where}`);
  }
}

/**
 * The faults of a plan that may strike one subtask in one attempt, each
 * with its position in the plan (how reports name it). Plain data: shipped
 * with a subtask's deployment.
 */
export interface SubtaskFaultPlan {
  readonly attempt: number;
  readonly faults: readonly { readonly id: number; readonly fault: Fault }[];
}

/** What a subtask reports when one of its faults fires (or a delay is used up: `spent`). */
export interface FaultFired {
  /** The fault's position in the plan. */
  readonly id: number;
  readonly at: number;
  readonly attempt: number;
  readonly where: string;
  /** The fault will not strike again (in any attempt). */
  readonly spent: boolean;
}

/**
 * What the job master asks of a fault schedule (weir/testing's
 * FaultInjector implements it): each subtask's part of the plan at
 * deployment, and the reports of what fired.
 */
export interface FaultSchedule {
  /** The job's clock, for the timeline. */
  useClock(now: () => number): void;
  /** The faults that may strike this subtask in this attempt (not yet spent). */
  planFor(subtask: SubtaskIdentity, attempt: number): SubtaskFaultPlan;
  /** A subtask reports a fault that fired. */
  recordFired(report: FaultFired): void;
  /** Every fault that fired, in order. */
  readonly timeline: readonly FaultEvent[];
}

/** Whether a plan entry names this subtask. */
export function matchesSubtask(s: SubtaskIdentity, ref: SubtaskRef): boolean {
  return s.index === ref.subtask && s.uids.includes(ref.operator);
}

/** Whether a fault may strike in `attempt` (fail-during-restore defaults to 2, the first restore; the rest to 1). */
export function dueInAttempt(f: Fault, attempt: number): boolean {
  const a = f.attempt ?? (f.kind === 'fail-during-restore' ? 2 : 1);
  return a === 'any' || a === attempt;
}

/** The subtask a fault acts in: the sender for channel faults. */
export function faultSubtask(f: Fault): SubtaskRef {
  return f.kind === 'delay-channel' || f.kind === 'drop-channel' ? f.from : f;
}

/** How fault plans name a subtask of `vertex`: the uids of its chain and its index. */
export function subtaskIdentity(vertex: { readonly nodes: readonly { readonly uid: string }[] }, index: number): SubtaskIdentity {
  return { uids: vertex.nodes.map((n) => n.uid), index };
}
