/**
 * Heartbeat bookkeeping for one side of a cluster connection (Flink's
 * HeartbeatManager, without timers): the coordinator watches its nodes, a
 * node watches its coordinator. Each peer is alive while a heartbeat (or
 * any message) arrived within `timeoutMs`; `expired(now)` names and forgets
 * the peers that went quiet. Time comes in as arguments (ms), so the rule
 * is tested without clocks; the actor shell calls `expired` every
 * `intervalMs`.
 *
 * Defaults detect a dead peer within about 2 s (Flink's defaults, 10 s
 * interval and 50 s timeout, suit larger clusters on busier networks);
 * a closed connection counts at once, without waiting.
 */
import { ConfigurationError } from '../errors';

export interface HeartbeatOptions {
  /** How often heartbeats are sent and peers checked (ms). */
  readonly intervalMs: number;
  /** A peer silent this long is dead (ms); more than the interval. */
  readonly timeoutMs: number;
}

export const DEFAULT_HEARTBEAT: HeartbeatOptions = { intervalMs: 400, timeoutMs: 2000 };

/** Checks heartbeat options; ConfigurationError naming the bad one. */
export function heartbeatOptions(o: Partial<HeartbeatOptions> = {}): HeartbeatOptions {
  const r = { ...DEFAULT_HEARTBEAT, ...o };
  for (const k of ['intervalMs', 'timeoutMs'] as const) {
    if (!Number.isFinite(r[k]) || r[k] <= 0) throw new ConfigurationError(`heartbeat.${k}`, 'must be a positive number of ms');
  }
  if (r.timeoutMs <= r.intervalMs) throw new ConfigurationError('heartbeat.timeoutMs', `must be more than the interval (${r.intervalMs} ms)`);
  return r;
}

export class HeartbeatMonitor<P = string> {
  private readonly lastSeen = new Map<P, number>();

  constructor(readonly options: HeartbeatOptions = DEFAULT_HEARTBEAT) {}

  /** Starts watching `peer` (or refreshes it): it was heard from at `now`. */
  heard(peer: P, now: number): void {
    this.lastSeen.set(peer, now);
  }

  /** Stops watching `peer` (it left, or its connection closed). Returns whether it was watched. */
  forget(peer: P): boolean {
    return this.lastSeen.delete(peer);
  }

  has(peer: P): boolean {
    return this.lastSeen.has(peer);
  }

  /** The peers silent for more than the timeout at `now`, now forgotten, with how long they were silent (ms). */
  expired(now: number): { peer: P; silentMs: number }[] {
    const dead: { peer: P; silentMs: number }[] = [];
    for (const [peer, at] of this.lastSeen) {
      if (now - at > this.options.timeoutMs) dead.push({ peer, silentMs: now - at });
    }
    for (const d of dead) this.lastSeen.delete(d.peer);
    return dead;
  }
}
