/**
 * A fault experiment's schedule, derived from a seed alone (`weir chaos`):
 * what happens to the cluster — a node killed with SIGKILL, a node's data
 * connections cut — at offsets after the job's first completed checkpoint,
 * and a fault plan the subtasks decide on themselves — a slowed link
 * (buffers delayed), a slowed subtask (its credits delayed), a lost buffer,
 * a crash at a record. The same seed and job give the same schedule, so a
 * failing experiment replays with its seed (process timing still varies).
 */
import { seededRandom } from '../seededRandom';
import type { Fault } from './Fault';

/** What the experiment runs on: the job's operators (uid, parallelism) and the cluster's nodes. */
export interface ChaosTarget {
  readonly operators: readonly { readonly uid: string; readonly parallelism: number }[];
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
    const op = pick(target.operators);
    return { operator: op.uid, subtask: int(op.parallelism) };
  };
  const plan: Fault[] = [];
  for (let i = 0; i < (options.faults ?? 2); i++) {
    const from = subtask();
    const to = subtask();
    switch (int(4)) {
      case 0:
        plan.push({ kind: 'delay-channel', from, to, what: 'data', delayMs: 5 + int(45), count: 50 + int(200) });
        break;
      case 1:
        plan.push({ kind: 'delay-channel', from, to, what: 'credit', delayMs: 5 + int(45), count: 50 + int(200) });
        break;
      case 2:
        plan.push({ kind: 'drop-channel', from, to, what: random() < 0.5 ? 'data' : 'credit' });
        break;
      default:
        plan.push({ kind: 'fail-at-record', ...subtask(), record: 1 + int(5000) });
    }
  }
  return { seed, events, plan };
}
