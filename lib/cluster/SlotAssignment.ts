/**
 * Where a job's subtasks run: Flink's default slot sharing, spread evenly
 * over nodes. A job needs as many slots as its largest parallelism; shared
 * slot i holds subtask i of every vertex (a slice of the pipeline, so a
 * forward channel stays in one process and chained operators are already
 * one subtask). Slots are taken one at a time from the least utilised node
 * with a free slot (used / offered slots, as Flink's
 * `cluster.evenly-spread-out-slots`), ties by node id, so the same cluster
 * and job always give the same placement.
 */
import type { SubtaskId } from '../graph/ExecutionGraph';

export interface NodeSlots {
  readonly nodeId: string;
  /** Slots the node offers. */
  readonly slots: number;
  /** Slots already taken by other jobs. */
  readonly used: number;
}

export interface SlotPlacement {
  readonly nodeId: string;
  /** Shared slot number within the job (= the subtask index it holds). */
  readonly slot: number;
}

export type SlotAssignment =
  | { readonly ok: true; readonly placement: ReadonlyMap<string, SlotPlacement>; readonly slotsPerNode: ReadonlyMap<string, number> }
  | { readonly ok: false; readonly needed: number; readonly available: number };

/** The slots a job of these subtasks needs: its largest parallelism. */
export function slotsNeeded(subtasks: readonly SubtaskId[]): number {
  return subtasks.reduce((n, s) => Math.max(n, s.index + 1), 0);
}

/**
 * Places every subtask (keyed "vertexId#index") on a node, or says how many
 * slots are missing. Pure and deterministic.
 */
export function assignSlots(subtasks: readonly SubtaskId[], nodes: readonly NodeSlots[]): SlotAssignment {
  const needed = slotsNeeded(subtasks);
  const state = [...nodes]
    .filter((n) => n.slots > n.used)
    .sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0))
    .map((n) => ({ id: n.nodeId, slots: n.slots, used: Math.max(0, n.used) }));
  const available = state.reduce((a, n) => a + n.slots - n.used, 0);
  if (available < needed) return { ok: false, needed, available };
  const slotNodes: string[] = [];
  const slotsPerNode = new Map<string, number>();
  for (let i = 0; i < needed; i++) {
    let best: (typeof state)[number] | undefined;
    for (const n of state) if (n.used < n.slots && (best === undefined || n.used / n.slots < best.used / best.slots)) best = n;
    best!.used++;
    slotNodes.push(best!.id);
    slotsPerNode.set(best!.id, (slotsPerNode.get(best!.id) ?? 0) + 1);
  }
  const placement = new Map<string, SlotPlacement>();
  for (const s of subtasks) placement.set(`${s.vertexId}#${s.index}`, { nodeId: slotNodes[s.index], slot: s.index });
  return { ok: true, placement, slotsPerNode };
}
