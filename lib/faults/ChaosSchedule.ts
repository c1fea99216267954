/**
 * A fault experiment's schedule, derived from a seed alone (`weir chaos`):
 * what happens to the cluster — a node killed with SIGKILL, a node's data
 * connections cut — at offsets after the job's first completed checkpoint,
 * and a fault plan the subtasks decide on themselves — a slowed link
 * (buffers delayed), a slowed subtask (the credits it returns delayed), a
 * lost buffer or credit, a crash at a record — on real channels of the job,
 * in whatever attempt reaches them. The same seed and job give the same schedule, so a
 * failing experiment replays with its seed (process timing still varies).
 */
import { seededRandom } from '../seededRandom';
import type { Fault } from './Fault';

/** A job vertex as the experiment sees it: the uids of its chain and its parallelism. */
export interface ChaosVertex {
  readonly uids: readonly string[];
  readonly parallelism: number;
}

/** What the experiment runs on: the job's vertices, the edges between them (channels), and the cluster's nodes. */
export interface ChaosTarget {
  readonly vertices: readonly ChaosVertex[];
  /** By position in `vertices`; all-to-all edges join every pair of subtasks, forward ones subtask i to i. */
  readonly edges: readonly { readonly from: number; readonly to: number; readonly allToAll: boolean }[];
  readonly nodes: number;
}

export type ClusterEvent =
  /** SIGKILL node `node` (0-based, in start order); a fresh node replaces it after `replaceAfterMs`. */
  | { readonly kind: 'kill-node'; readonly atMs: number; readonly node: number; readonly replaceAfterMs: number }
  /** Cut every data connection of node `node` (they reopen on demand). */
  | { readonly kind: 'cut-connections'; readonly atMs: number; readonly node: number };

export interface ChaosSchedule {
  readonly seed: number;
  /** Cluster events, by time (ms after the first completed checkpoint). */
  readonly events: readonly ClusterEvent[];
  /** Faults the subtasks decide on (shipped with the job). */
  readonly plan: readonly Fault[];
}

export interface ChaosOptions {
  /** Cluster events (default 2). */
  readonly events?: number;
  /** Subtask faults (default 2). */
  readonly faults?: number;
  /** Cluster events fall within this many ms after the first completed checkpoint (default 3000). */
  readonly spreadMs?: number;
}

/** The schedule for `seed` on `target`. Pure. */
export function chaosSchedule(seed: number, target: ChaosTarget, options: ChaosOptions = {}): ChaosSchedule {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const spread = options.spreadMs ?? 3000;
  const events: ClusterEvent[] = [];
  for (let i = 0; i < (options.events ?? 2); i++) {
    const atMs = int(spread);
    const node = int(target.nodes);
    events.push(random() < 0.6 ? { kind: 'kill-node', atMs, node, replaceAfterMs: 200 + int(800) } : { kind: 'cut-connections', atMs, node });
  }
  events.sort((a, b) => a.atMs - b.atMs);
  const subtask = () => {
    const v = pick(target.vertices);
    return { operator: pick(v.uids), subtask: int(v.parallelism) };
  };
  // A channel fault names the two ends of a real channel, so it can strike.
  const channel = () => {
    const e = pick(target.edges);
    const from = target.vertices[e.from];
    const to = target.vertices[e.to];
    const i = int(Math.min(from.parallelism, e.allToAll ? from.parallelism : to.parallelism));
    return { from: { operator: pick(from.uids), subtask: i }, to: { operator: pick(to.uids), subtask: e.allToAll ? int(to.parallelism) : i } };
  };
  const plan: Fault[] = [];
  for (let i = 0; i < (options.faults ?? 2); i++) {
    // Any attempt: a cluster event may restart the job before the fault's moment comes.
    const attempt = 'any' as const;
    const kind = target.edges.length === 0 ? 3 : int(4);
    const { from, to } = kind < 3 ? channel() : { from: subtask(), to: subtask() };
    switch (kind) {
      case 0:
        plan.push({ kind: 'delay-channel', from, to, what: 'data', delayMs: 5 + int(45), count: 50 + int(200), attempt });
        break;
      case 1:
        plan.push({ kind: 'delay-channel', from: to, to: from, what: 'credit', delayMs: 5 + int(45), count: 50 + int(200), attempt });
        break;
      case 2:
        plan.push(random() < 0.5 ? { kind: 'drop-channel', from, to, what: 'data', attempt } : { kind: 'drop-channel', from: to, to: from, what: 'credit', attempt });
        break;
      default:
        // Early records: every subtask processes some (a sink of a windowed job sees few).
        plan.push({ kind: 'fail-at-record', ...from, record: 1 + int(200), attempt });
    }
  }
  return { seed, events, plan };
}
