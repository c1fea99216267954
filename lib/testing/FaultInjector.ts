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
import { PlannedFaults } from '../faults/PlannedFaults';

export { InjectedFault, type Fault, type FaultEvent, type SubtaskIdentity, type SubtaskRef } from '../faults/Fault';

/** A fault plan for a job (`faults: new FaultInjector([...])`): see the module comment and lib/faults. */
export class FaultInjector extends PlannedFaults {}
