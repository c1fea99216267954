/**
 * Operator (non-keyed) list state of one operator subtask (Flink's
 * OperatorStateStore.getListState): named lists that are checkpointed with
 * the subtask and, on restore, redistributed round-robin over the new
 * subtasks — each item goes to exactly one. For state that belongs to the
 * subtask rather than to a key: buffered records, offsets, counters.
 * Items follow the state-value policy (stateValues.ts) when checkpointed;
 * restored items of a state type not registered yet wait until the list's
 * descriptor (which may declare it) is seen.
 */
import { copyValue } from './copyValue';
import type { ListState } from './KeyedState';
import type { ListStateDescriptor } from './StateDescriptor';
import { resolveStateValue } from './stateValueReader';
import { UnresolvedStateValue } from './taggedForm';

/** Lists of this store are checkpointed under this prefix (apart from an operator's own lists). */
export const OPERATOR_STATE_PREFIX = 'state:';

export class OperatorStateStore {
  private readonly lists = new Map<string, unknown[]>();
  /** Lists with restored items that wait for their state type. */
  private readonly pending = new Set<string>();

  /** `restored`: this subtask's share of the lists of a restored checkpoint (all operator lists; others are ignored). */
  constructor(restored?: Readonly<Record<string, readonly unknown[]>>) {
    for (const [name, items] of Object.entries(restored ?? {})) {
      if (!name.startsWith(OPERATOR_STATE_PREFIX)) continue;
      const own = name.slice(OPERATOR_STATE_PREFIX.length);
      this.lists.set(own, items.slice());
      if (items.some((x) => x instanceof UnresolvedStateValue)) this.pending.add(own);
    }
  }

  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    const lists = this.lists;
    const name = descriptor.name;
    if (this.pending.has(name)) {
      const where = (i: number) => () => `operator list state '${name}' (item ${i})`;
      lists.set(name, lists.get(name)!.map((x, i) => (x instanceof UnresolvedStateValue ? resolveStateValue(x, where(i)) : x)));
      this.pending.delete(name);
    }
    const list = (): T[] => {
      let l = lists.get(name) as T[] | undefined;
      if (l === undefined) lists.set(name, (l = []));
      return l;
    };
    return {
      get: () => list(),
      add: (v) => void list().push(v),
      addAll: (vs) => void list().push(...vs),
      update: (vs) => void lists.set(name, vs.slice()),
      clear: () => void lists.set(name, []),
    };
  }

  /** Deep copies of every non-empty list, prefixed, for a checkpoint. */
  snapshot(): Record<string, unknown[]> | undefined {
    const out: Record<string, unknown[]> = {};
    let any = false;
    for (const [name, items] of this.lists) {
      if (items.length === 0) continue;
      out[OPERATOR_STATE_PREFIX + name] = copyValue(items);
      any = true;
    }
    return any ? out : undefined;
  }
}
