/**
 * Namespaced keyed state against a model: per state a
 * Map<key, Map<namespaceId, value>>, driven through random operations on a
 * list state and a reducing (sum) state — add, update, clear and
 * mergeNamespaces in any namespace including the default one — across
 * snapshots taken, written later (after more writes) and restored at a
 * random parallelism (1 to 4 subtasks over 128 key groups, each key on its
 * owner). After every step each (key, namespace) reads as the model says,
 * and enumeration lists exactly the model's entries.
 *
 * Replay a failure with the seed and path fast-check prints:
 *   FC_SEED=<seed> npx jest lib/state/namespacedState.prop.ts
 */
import fc from 'fast-check';
import { HeapKeyedStateBackend, type KeyedStateHandle, type KeyedStateSnapshot } from './HeapKeyedStateBackend';
import type { InternalListState, InternalReducingState } from './InternalKvState';
import { assignToKeyGroup, KeyGroupRange, operatorIndexForKeyGroup, type StateKey } from './KeyGroup';
import { namespaceId, VOID_NAMESPACE, type Namespace, type VoidNamespace } from './namespace';
import { ListStateDescriptor, ReducingStateDescriptor } from './StateDescriptor';

const RUNS = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 200 : 100));
const MAX = 128;

type Ns = Namespace | VoidNamespace;
const KEYS: StateKey[] = ['a', 7, 5n, true];
const NAMESPACES: Ns[] = [VOID_NAMESPACE, { type: 'TimeWindow', start: 0, end: 10 }, { type: 'TimeWindow', start: 10, end: 20 }, 'global', 0, null, [1, { x: 2n }]];
const idOf = (ns: Ns) => (ns === VOID_NAMESPACE ? 'void' : namespaceId(ns));

const LIST = () => new ListStateDescriptor<number>('l');
const SUM = () => new ReducingStateDescriptor<number>('r', (a, b) => a + b);

type State = 'l' | 'r';
type Op =
  | { t: 'key'; k: number }
  | { t: 'add'; s: State; ns: number; x: number }
  | { t: 'update'; ns: number; xs: number[] }
  | { t: 'clear'; s: State; ns: number }
  | { t: 'merge'; s: State; target: number; sources: number[] }
  | { t: 'snapshot' }
  | { t: 'write' }
  | { t: 'restore'; which: number; p: number };

/** Mostly the first three namespaces, so merges and snapshots meet values. */
const nsIndex = fc.oneof({ weight: 4, arbitrary: fc.nat(2) }, { weight: 1, arbitrary: fc.nat(NAMESPACES.length - 1) });
const state = fc.constantFrom<State>('l', 'r');
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ t: fc.constant('key' as const), k: fc.nat(KEYS.length - 1) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('add' as const), s: state, ns: nsIndex, x: fc.integer({ min: -9, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('update' as const), ns: nsIndex, xs: fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clear' as const), s: state, ns: nsIndex }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('merge' as const), s: state, target: nsIndex, sources: fc.array(nsIndex, { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'snapshot' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'write' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restore' as const), which: fc.nat(), p: fc.integer({ min: 1, max: 4 }) }) },
);

/** state → key → namespace id → value */
type Model = Record<State, Map<StateKey, Map<string, number | number[]>>>;
const emptyModel = (): Model => ({ l: new Map(), r: new Map() });
const copyModel = (m: Model): Model => ({
  l: new Map([...m.l].map(([k, v]) => [k, new Map([...v].map(([n, x]) => [n, (x as number[]).slice()]))])),
  r: new Map([...m.r].map(([k, v]) => [k, new Map(v)])),
});
function modelGet(m: Model, s: State, k: StateKey, ns: Ns): number | number[] | undefined {
  return m[s].get(k)?.get(idOf(ns));
}
function modelSet(m: Model, s: State, k: StateKey, ns: Ns, v: number | number[] | undefined): void {
  let byNs = m[s].get(k);
  if (v === undefined) {
    byNs?.delete(idOf(ns));
    if (byNs?.size === 0) m[s].delete(k);
    return;
  }
  if (byNs === undefined) m[s].set(k, (byNs = new Map()));
  byNs.set(idOf(ns), v);
}

/** One backend per subtask; each key goes to the subtask owning its key group. */
class Cluster {
  readonly backends: HeapKeyedStateBackend[];
  constructor(readonly parallelism: number) {
    this.backends = Array.from({ length: parallelism }, (_, i) => new HeapKeyedStateBackend(MAX, KeyGroupRange.forOperator(MAX, parallelism, i)));
  }
  private at(k: StateKey): HeapKeyedStateBackend {
    const b = this.backends[operatorIndexForKeyGroup(MAX, this.parallelism, assignToKeyGroup(k, MAX))];
    b.setCurrentKey(k);
    return b;
  }
  list(k: StateKey, ns: Ns): InternalListState<number> {
    const l = this.at(k).getInternalState(LIST());
    l.setCurrentNamespace(ns);
    return l;
  }
  sum(k: StateKey, ns: Ns): InternalReducingState<number> {
    const r = this.at(k).getInternalState(SUM());
    r.setCurrentNamespace(ns);
    return r;
  }
  state(s: State, k: StateKey, ns: Ns): InternalListState<number> | InternalReducingState<number> {
    return s === 'l' ? this.list(k, ns) : this.sum(k, ns);
  }
  /** [state, key, namespace id] of every entry, sorted. */
  entries(): string[] {
    const out: string[] = [];
    for (const b of this.backends) {
      for (const s of ['l', 'r'] as const) for (const [k, ns] of b.keysAndNamespaces(s)) out.push(`${s}|${typeof k}:${String(k)}|${idOf(ns)}`);
    }
    return out.sort();
  }
}

function modelEntries(m: Model): string[] {
  const out: string[] = [];
  for (const s of ['l', 'r'] as const) for (const [k, byNs] of m[s]) for (const id of byNs.keys()) out.push(`${s}|${typeof k}:${String(k)}|${id}`);
  return out.sort();
}

function check(c: Cluster, m: Model, step: string): void {
  for (const k of KEYS) {
    for (const ns of NAMESPACES) {
      const got = { l: c.list(k, ns).get(), r: c.sum(k, ns).get() };
      const want = { l: modelGet(m, 'l', k, ns) ?? [], r: modelGet(m, 'r', k, ns) };
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        throw new Error(`after ${step}: key ${String(k)} namespace ${idOf(ns)}: got ${JSON.stringify(got)}, model ${JSON.stringify(want)}`);
      }
    }
  }
  expect(c.entries()).toEqual(modelEntries(m));
}

test('namespaced list and reducing state behave as the model through ops, snapshots and restores', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 80, size: 'max' }), async (ops) => {
      let cluster = new Cluster(1);
      let model = emptyModel();
      let key = KEYS[0];
      const pending: { snaps: KeyedStateSnapshot[]; model: Model }[] = [];
      const written: { handles: KeyedStateHandle[]; model: Model }[] = [];
      try {
        for (const o of ops) {
          switch (o.t) {
            case 'key':
              key = KEYS[o.k];
              break;
            case 'add': {
              const ns = NAMESPACES[o.ns];
              cluster.state(o.s, key, ns).add(o.x);
              const cur = modelGet(model, o.s, key, ns);
              modelSet(model, o.s, key, ns, o.s === 'l' ? [...((cur as number[]) ?? []), o.x] : ((cur as number) ?? 0) + o.x);
              break;
            }
            case 'update': {
              const ns = NAMESPACES[o.ns];
              cluster.list(key, ns).update(o.xs);
              modelSet(model, 'l', key, ns, o.xs.length === 0 ? undefined : o.xs.slice());
              break;
            }
            case 'clear': {
              const ns = NAMESPACES[o.ns];
              cluster.state(o.s, key, ns).clear();
              modelSet(model, o.s, key, ns, undefined);
              break;
            }
            case 'merge': {
              const target = NAMESPACES[o.target];
              const sources = o.sources.map((i) => NAMESPACES[i]);
              cluster.state(o.s, key, NAMESPACES[0]).mergeNamespaces(target, sources);
              let merged: number | number[] | undefined;
              for (const src of sources) {
                const v = modelGet(model, o.s, key, src);
                if (v === undefined) continue;
                modelSet(model, o.s, key, src, undefined);
                merged = merged === undefined ? v : o.s === 'l' ? [...(merged as number[]), ...(v as number[])] : (merged as number) + (v as number);
              }
              if (merged !== undefined) {
                const t = modelGet(model, o.s, key, target);
                modelSet(model, o.s, key, target, t === undefined ? merged : o.s === 'l' ? [...(t as number[]), ...(merged as number[])] : (t as number) + (merged as number));
              }
              break;
            }
            case 'snapshot':
              pending.push({ snaps: cluster.backends.map((b) => b.snapshot()), model: copyModel(model) });
              break;
            case 'write': {
              const p = pending.shift();
              if (p) written.push({ handles: await Promise.all(p.snaps.map((s) => s.write())), model: p.model });
              break;
            }
            case 'restore': {
              if (written.length === 0) break;
              const w = written[o.which % written.length];
              for (const p of pending.splice(0)) p.snaps.forEach((s) => s.release());
              cluster = new Cluster(o.p);
              for (const b of cluster.backends) b.restore(w.handles);
              model = copyModel(w.model);
              break;
            }
          }
          check(cluster, model, JSON.stringify(o));
        }
      } finally {
        for (const p of pending) p.snaps.forEach((s) => s.release());
      }
    }),
    { numRuns: RUNS, seed: process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED) },
  );
});
