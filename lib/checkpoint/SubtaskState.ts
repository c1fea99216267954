/**
 * What one subtask contributes to a checkpoint, and how a checkpoint's
 * state is handed back to the subtasks of a (possibly rescaled) job.
 *
 * Per operator (by uid): its keyed state (key groups of the subtask's range)
 * and its operator list state (named lists: a source's splits, a sink's
 * pending committables). On restore, operators are matched by uid; keyed
 * state goes to every new subtask, which keeps its own key groups; list
 * state goes back to the same subtask when the parallelism is unchanged,
 * and otherwise is concatenated in old-subtask order and dealt round-robin
 * over the new subtasks (Flink's round-robin redistribution).
 *
 * List items follow the state-value policy (stateValues.ts): encoding
 * refuses what cannot be written faithfully with a StateSerializationError
 * naming the operator's uid and the list, and marks the lists that hold
 * tagged values so decoding revives only those.
 */
import { CorruptStateError, RestoreError, type StateSerializationError } from '../errors';
import { decodeState, encodeState } from '../state/codec';
import type { KeyedStateHandle } from '../state/HeapKeyedStateBackend';
import { OPERATOR_STATE_PREFIX } from '../state/OperatorStateStore';
import { fromEncodable } from '../state/stateValueReader';
import { asStateSerializationError, toEncodable } from '../state/stateValues';

export interface OperatorSubtaskState {
  readonly keyed?: KeyedStateHandle;
  readonly lists?: Readonly<Record<string, readonly unknown[]>>;
}

export interface SubtaskState {
  readonly subtaskIndex: number;
  readonly operators: Readonly<Record<string, OperatorSubtaskState>>;
  /**
   * A value of this state could not be serialised: encoding the state
   * throws this error. The refusal so reaches exactly the snapshots that
   * are stored (a job without checkpoint storage never encodes its final
   * snapshot).
   */
  readonly refused?: StateSerializationError;
}

/** An operator's state as written: `t` names the lists holding tagged values. */
interface WrittenOperatorState extends OperatorSubtaskState {
  readonly t?: readonly string[];
}

/** The state one operator of one new subtask starts from. */
export interface OperatorRestoreState {
  readonly keyed: readonly KeyedStateHandle[];
  /** This subtask's share of each list. */
  readonly lists: Readonly<Record<string, readonly unknown[]>>;
  /** Every subtask's items of each list (e.g. to recognise leftovers of an earlier run). */
  readonly allLists: Readonly<Record<string, readonly unknown[]>>;
}

/** The subtask state as bytes; throws `state.refused`, or a StateSerializationError for a list item that cannot be written. */
export function encodeSubtaskState(state: SubtaskState): Uint8Array {
  if (state.refused !== undefined) throw state.refused;
  const operators: Record<string, WrittenOperatorState> = {};
  for (const [uid, op] of Object.entries(state.operators)) {
    if (op.lists === undefined) {
      operators[uid] = op;
      continue;
    }
    const lists: Record<string, unknown> = {};
    const tagged: string[] = [];
    for (const [name, items] of Object.entries(op.lists)) {
      let p: unknown;
      try {
        p = toEncodable(items);
      } catch (e) {
        throw asStateSerializationError(e, { kind: 'list', state: name, operator: { uid } });
      }
      if (p !== items) tagged.push(name);
      lists[name] = p;
    }
    const written: WrittenOperatorState = { ...(op.keyed ? { keyed: op.keyed } : {}), lists: lists as Record<string, unknown[]> };
    operators[uid] = tagged.length > 0 ? { ...written, t: tagged } : written;
  }
  return encodeState({ subtaskIndex: state.subtaskIndex, operators });
}

/**
 * Reads what encodeSubtaskState wrote: CorruptStateError for anything else.
 * Items of a state type this process has not registered are an
 * UnknownStateTypeError, except in operator list state, where they wait for
 * the list's descriptor (OperatorStateStore).
 */
export function decodeSubtaskState(bytes: Uint8Array, where: string): SubtaskState {
  const s = checkSubtaskState(decodeState<unknown>(bytes, where), where);
  const ops = s.operators as Record<string, WrittenOperatorState>;
  const operators: Record<string, OperatorSubtaskState> = {};
  for (const [uid, op] of Object.entries(ops)) {
    if (typeof op !== 'object' || op === null) throw new CorruptStateError(`${where}: operator '${uid}' has no state object`);
    if (op.t === undefined) {
      operators[uid] = op;
      continue;
    }
    const lists = op.lists as Record<string, unknown> | undefined;
    if (!Array.isArray(op.t) || typeof lists !== 'object' || lists === null) {
      throw new CorruptStateError(`${where}: operator '${uid}': malformed list marks`);
    }
    const revived: Record<string, readonly unknown[]> = { ...(lists as Record<string, unknown[]>) };
    for (const name of op.t) {
      const items = typeof name === 'string' && Object.hasOwn(lists, name) ? lists[name] : undefined;
      if (!Array.isArray(items)) throw new CorruptStateError(`${where}: operator '${uid}': marked list ${String(name)} is not a list`);
      const defer = name.startsWith(OPERATOR_STATE_PREFIX);
      revived[name] = items.map((x, i) => fromEncodable(x, () => `list '${name}' of operator uid '${uid}' (item ${i}) in ${where}`, defer));
    }
    operators[uid] = { ...(op.keyed ? { keyed: op.keyed } : {}), lists: revived };
  }
  return { subtaskIndex: s.subtaskIndex, operators };
}

const STATE_KINDS = new Set(['value', 'list', 'map', 'reducing', 'aggregating']);

/**
 * The shape of a decoded subtask state, checked field by field (it comes
 * from a file): CorruptStateError naming the field, never a TypeError later.
 */
function checkSubtaskState(s: unknown, where: string): SubtaskState {
  const bad = (field: string): CorruptStateError => new CorruptStateError(`${where}: not a subtask state ('${field}' is missing or invalid)`);
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
  const isInt = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER) => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
  if (!isObj(s)) throw bad('(root)');
  if (!isInt(s.subtaskIndex, 0)) throw bad('subtaskIndex');
  if (!isObj(s.operators)) throw bad('operators');
  for (const [uid, op] of Object.entries(s.operators)) {
    const at = `operators.${uid}`;
    if (!isObj(op)) throw bad(at);
    if (op.keyed !== undefined) {
      const k = op.keyed;
      if (!isObj(k)) throw bad(`${at}.keyed`);
      const r = k.keyGroupRange;
      if (!isObj(r) || !isInt(r.start, 0, 1 << 15) || !isInt(r.end, -1, 1 << 15)) throw bad(`${at}.keyed.keyGroupRange`);
      if (!Array.isArray(k.states) || !k.states.every((x: unknown) => isObj(x) && typeof x.name === 'string' && STATE_KINDS.has(x.kind as string))) {
        throw bad(`${at}.keyed.states`);
      }
      if (!Array.isArray(k.keyGroups) || !k.keyGroups.every((g: unknown) => isObj(g) && isInt(g.keyGroup, r.start as number, r.end as number) && g.bytes instanceof Uint8Array)) {
        throw bad(`${at}.keyed.keyGroups`);
      }
    }
    if (op.lists !== undefined && (!isObj(op.lists) || !Object.values(op.lists).every(Array.isArray))) throw bad(`${at}.lists`);
  }
  return s as unknown as SubtaskState;
}

/** All subtasks' states of one checkpoint, grouped by operator uid. */
export class RestoredState {
  private readonly byUid = new Map<string, { keyed: KeyedStateHandle[]; lists: Map<string, Map<number, readonly unknown[]>> }>();

  constructor(
    readonly checkpointId: number,
    subtasks: readonly SubtaskState[],
    /** uid → maxParallelism the state was written with. */
    readonly maxParallelism: ReadonlyMap<string, number>,
    /** uid → parallelism the state was written at (unknown: always redistribute). */
    readonly parallelism: ReadonlyMap<string, number> = new Map(),
    /** uid → what owned the state (see operatorType); unknown: not checked. */
    readonly types: ReadonlyMap<string, string> = new Map(),
  ) {
    for (const s of [...subtasks].sort((a, b) => a.subtaskIndex - b.subtaskIndex)) {
      for (const [uid, op] of Object.entries(s.operators)) {
        let entry = this.byUid.get(uid);
        if (entry === undefined) this.byUid.set(uid, (entry = { keyed: [], lists: new Map() }));
        if (op.keyed) entry.keyed.push(op.keyed);
        for (const [name, items] of Object.entries(op.lists ?? {})) {
          const perSubtask = entry.lists.get(name) ?? new Map<number, readonly unknown[]>();
          perSubtask.set(s.subtaskIndex, items);
          entry.lists.set(name, perSubtask);
        }
      }
    }
  }

  get operatorUids(): string[] {
    return [...this.byUid.keys()];
  }

  /**
   * Checks the new job against the state (`path` names it in errors): every
   * stored operator has a counterpart (unless allowed), of the same kind
   * (a source's splits never reach another kind of source), and keyed
   * operators keep their maxParallelism. Throws RestoreError.
   */
  validate(
    operators: ReadonlyMap<string, { maxParallelism: number; name: string; type: string }>,
    allowNonRestoredState: boolean,
    path = `checkpoint ${this.checkpointId}`,
  ): void {
    for (const uid of this.byUid.keys()) {
      const op = operators.get(uid);
      if (op === undefined) {
        if (allowNonRestoredState) continue;
        throw new RestoreError(
          'NON_RESTORED_STATE',
          path,
          `it has state for operator uid '${uid}', which the job does not have; ` +
            `give that operator its old uid, or set allowNonRestoredState to drop the state`,
        );
      }
      const type = this.types.get(uid);
      if (type !== undefined && type !== op.type) {
        throw new RestoreError(
          'INCOMPATIBLE_STATE',
          path,
          `the state of uid '${uid}' was written by ${type}, but '${op.name}' with that uid is ${op.type}; ` +
            `state cannot move between kinds of operators or sources — give the new one another uid`,
        );
      }
      const written = this.maxParallelism.get(uid);
      if (this.byUid.get(uid)!.keyed.length > 0 && written !== undefined && written !== op.maxParallelism) {
        throw new RestoreError(
          'MAX_PARALLELISM_CHANGED',
          path,
          `keyed state of '${uid}' was written with maxParallelism ${written}; '${op.name}' has ${op.maxParallelism} — ` +
            `key groups cannot be remapped, keep maxParallelism unchanged`,
        );
      }
    }
  }

  /** The state subtask `index` of `parallelism` of operator `uid` starts from; undefined if none. */
  forSubtask(uid: string, index: number, parallelism: number): OperatorRestoreState | undefined {
    const entry = this.byUid.get(uid);
    if (entry === undefined) return undefined;
    const lists: Record<string, unknown[]> = {};
    const allLists: Record<string, unknown[]> = {};
    const unchanged = this.parallelism.get(uid) === parallelism;
    for (const [name, perSubtask] of entry.lists) {
      const items = [...perSubtask.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, xs]) => xs);
      lists[name] = unchanged ? [...(perSubtask.get(index) ?? [])] : items.filter((_, i) => i % parallelism === index);
      allLists[name] = items;
    }
    return { keyed: entry.keyed, lists, allLists };
  }
}
