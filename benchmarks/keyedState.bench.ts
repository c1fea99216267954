/**
 * The per-record cost of keyed state through the backend (what a keyed
 * operator pays per record): setCurrentKey + one state access, over 100K
 * string keys, for a value-state counter, a reducing-state sum and a
 * list-state append — with no snapshot live and with a snapshot pinned and
 * re-taken every 500K records. The native Map counter is the ceiling.
 * Then a window operator's path: a reducing state in a namespace per
 * tumbling window of 100K records, set per record (with the window key as
 * precomputed id, also with a snapshot pinned, and with the id computed by
 * namespaceId), each window cleared for its keys when it ends (counted in
 * the time). Its floor is the same work on native Maps by hand (a Map per
 * window, the same key switches, namespace objects and window keys): the
 * second key switch and the delete per record, and a window key built and
 * compared per access, cost the same whatever stores the state.
 * Guards the default-namespace path against regressions when keyed state
 * grows features (namespaces).
 */
import { HeapKeyedStateBackend } from '../lib/state/HeapKeyedStateBackend';
import type { ListState, ReducingState, ValueState } from '../lib/state/KeyedState';
import { KeyGroupRange } from '../lib/state/KeyGroup';
import { ListStateDescriptor, ReducingStateDescriptor, ValueStateDescriptor } from '../lib/state/StateDescriptor';
import { best, type CaseResult } from './harness';

const KEYS = 100_000;
const keys = Array.from({ length: KEYS }, (_, i) => `user-${i}`);
const keyOf = (i: number) => keys[(i * 7919) % KEYS];

function backend(): HeapKeyedStateBackend {
  return new HeapKeyedStateBackend(128, KeyGroupRange.of(0, 127));
}

/** Runs `step(i)` for every record, pinning a snapshot re-taken every 500K records when `pinned`. */
function loop(b: HeapKeyedStateBackend, updates: number, pinned: boolean, step: (i: number) => void): void {
  let snap = pinned ? b.snapshot() : undefined;
  for (let i = 0; i < updates; i++) {
    step(i);
    if (snap !== undefined && i % 500_000 === 499_999) {
      snap.release();
      snap = b.snapshot();
    }
  }
  snap?.release();
}

export async function run(updates = 3_000_000): Promise<CaseResult> {
  const native = await best('native Map counter', updates, 3, () => {
    const m = new Map<string, number>();
    for (let i = 0; i < updates; i++) {
      const k = keyOf(i);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
  });
  const value = (pinned: boolean) =>
    best(`ValueState counter${pinned ? ', snapshot pinned' : ''}`, updates, 3, () => {
      const b = backend();
      const s = b.getState(new ValueStateDescriptor<number>('count')) as ValueState<number>;
      loop(b, updates, pinned, (i) => {
        b.setCurrentKey(keyOf(i));
        s.update((s.value() ?? 0) + 1);
      });
    });
  const reducing = (pinned: boolean) =>
    best(`ReducingState sum${pinned ? ', snapshot pinned' : ''}`, updates, 3, () => {
      const b = backend();
      const s = b.getState(new ReducingStateDescriptor<number>('sum', (a, c) => a + c)) as ReducingState<number>;
      loop(b, updates, pinned, (i) => {
        b.setCurrentKey(keyOf(i));
        s.add(i & 7);
      });
    });
  const list = await best('ListState add', updates, 3, () => {
    const b = backend();
    const s = b.getState(new ListStateDescriptor<number>('items')) as ListState<number>;
    loop(b, updates, false, (i) => {
      b.setCurrentKey(keyOf(i));
      s.add(i);
    });
  });
  const WINDOW = 100_000;
  const windowed = (precomputed: boolean, pinned = false) =>
    best(`ReducingState sum per window namespace${precomputed ? ', id given' : ', namespaceId'}${pinned ? ', snapshot pinned' : ''}, + clear at window end`, updates, 3, () => {
      const b = backend();
      const s = b.getInternalState(new ReducingStateDescriptor<number>('sum', (a, c) => a + c));
      const enter = (start: number) => {
        const ns = { type: 'TimeWindow', start, end: start + WINDOW };
        if (precomputed) s.setCurrentNamespace(ns, `tw:${start}:${start + WINDOW}`);
        else s.setCurrentNamespace(ns);
      };
      loop(b, updates, pinned, (i) => {
        const start = i - (i % WINDOW);
        if (i > 0 && start === i) {
          // the window fired: the operator clears its contents for every key (as a WindowOperator's cleanup)
          for (let j = i - WINDOW; j < i; j++) {
            b.setCurrentKey(keyOf(j));
            enter(i - WINDOW);
            s.clear();
          }
        }
        b.setCurrentKey(keyOf(i));
        enter(start);
        s.add(i & 7);
      });
    });
  // The window workload on native Maps: Map<window key, Map<key, sum>>, the current window's map held while its key is unchanged.
  const nativeWindowed = await best('native Maps, same window workload (floor)', updates, 3, () => {
    const b = backend();
    const windows = new Map<string, Map<string | number | bigint | boolean, number>>();
    let current: Map<string | number | bigint | boolean, number> | undefined;
    let currentId = '';
    const held: { ns?: unknown } = {};
    const enter = (start: number) => {
      held.ns = { type: 'TimeWindow', start, end: start + WINDOW }; // kept, as a state keeps its current namespace
      const id = `tw:${start}:${start + WINDOW}`;
      if (id !== currentId) {
        currentId = id;
        current = windows.get(id);
      }
    };
    loop(b, updates, false, (i) => {
      const start = i - (i % WINDOW);
      if (i > 0 && start === i) {
        for (let j = i - WINDOW; j < i; j++) {
          b.setCurrentKey(keyOf(j));
          enter(i - WINDOW);
          if (current === undefined) continue;
          current.delete(b.currentKey());
          if (current.size === 0) {
            windows.delete(currentId);
            current = undefined;
          }
        }
      }
      b.setCurrentKey(keyOf(i));
      enter(start);
      if (current === undefined) windows.set(currentId, (current = new Map()));
      const k = b.currentKey();
      const sum = current.get(k);
      current.set(k, sum === undefined ? i & 7 : sum + (i & 7));
    });
  });
  const v = await value(false);
  const vp = await value(true);
  const r = await reducing(false);
  const rp = await reducing(true);
  const wi = await windowed(true);
  const wip = await windowed(true, true);
  const wn = await windowed(false);
  return {
    name: 'keyed state per record through the backend, 100K keys',
    measurements: [native, v, vp, r, rp, list, nativeWindowed, wi, wip, wn],
    ratios: {
      'value / native': v.recordsPerSecond / native.recordsPerSecond,
      'value pinned / native': vp.recordsPerSecond / native.recordsPerSecond,
      'reducing / native': r.recordsPerSecond / native.recordsPerSecond,
      'window namespace (id given) / default namespace': wi.recordsPerSecond / r.recordsPerSecond,
      'window namespace (id given) / native Maps, same window workload': wi.recordsPerSecond / nativeWindowed.recordsPerSecond,
      'window namespace (id given), snapshot pinned / not pinned': wip.recordsPerSecond / wi.recordsPerSecond,
    },
    targets: {},
  };
}
