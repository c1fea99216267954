/**
 * Why keyed state is a copy-on-write native Map: counter updates over 100K
 * string keys in four structures — a plain native Map (the ceiling), the
 * CopyOnWriteStateMap with no snapshot pinned and with a snapshot pinned
 * (writes go to the top layer, reads may look below), and an immer-produced
 * Map updated per batch of 1,000 writes (immer's produce copies the Map:
 * O(state size) per batch).
 */
import { enableMapSet, produce } from 'immer';
import { CopyOnWriteStateMap } from '../lib/state/CopyOnWriteStateMap';
import { best, type CaseResult } from './harness';

const KEYS = 100_000;
const keys = Array.from({ length: KEYS }, (_, i) => `user-${i}`);
const keyOf = (i: number) => keys[(i * 7919) % KEYS];

export async function run(updates = 3_000_000): Promise<CaseResult> {
  enableMapSet();
  const native = await best('native Map', updates, 3, () => {
    const m = new Map<string, number>();
    for (let i = 0; i < updates; i++) {
      const k = keyOf(i);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
  });
  const cow = await best('CopyOnWriteStateMap, no snapshot', updates, 3, () => {
    const m = new CopyOnWriteStateMap<string, number>();
    for (let i = 0; i < updates; i++) {
      const k = keyOf(i);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
  });
  const pinned = await best('CopyOnWriteStateMap, snapshot pinned, re-taken every 500K updates', updates, 3, () => {
    const m = new CopyOnWriteStateMap<string, number>();
    for (let i = 0; i < KEYS; i++) m.set(keys[i], 0);
    let snap = m.snapshot();
    for (let i = 0; i < updates; i++) {
      const k = keyOf(i);
      m.set(k, (m.get(k) ?? 0) + 1);
      if (i % 500_000 === 499_999) {
        snap.release();
        snap = m.snapshot();
      }
    }
    snap.release();
  });
  const immerUpdates = Math.min(updates, 100_000);
  const immer = await best('immer produce per 1,000 updates', immerUpdates, 1, () => {
    let m = new Map<string, number>();
    for (let i = 0; i < KEYS; i++) m.set(keys[i], 0);
    for (let i = 0; i < immerUpdates; i += 1000) {
      m = produce(m, (d) => {
        for (let j = i; j < i + 1000; j++) {
          const k = keyOf(j);
          d.set(k, (d.get(k) ?? 0) + 1);
        }
      });
    }
  });
  return {
    name: 'state map structures, counter updates over 100K keys',
    measurements: [native, cow, pinned, immer],
    ratios: {
      'cow / native': cow.recordsPerSecond / native.recordsPerSecond,
      'cow pinned / native': pinned.recordsPerSecond / native.recordsPerSecond,
      'immer / native': immer.recordsPerSecond / native.recordsPerSecond,
    },
    targets: {},
  };
}
