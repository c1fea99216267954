/**
 * The engine's structured logs (pino): job lifecycle, restarts with their
 * cause, checkpoint failures, restore choices, savepoints. One JSON line per
 * event on stderr by default; pass your own pino logger (or any object with
 * pino's methods) as the `logger` option to route them, or `false` for none.
 * The default level is `WEIR_LOG_LEVEL`, else 'warn' (restarts, failures,
 * unusable checkpoints: what needs a look; 'info' adds the lifecycle) —
 * 'silent' when NODE_ENV is 'test', so test runs stay quiet unless asked.
 */
import pino from 'pino';

/** What the engine needs of a logger: pino's methods (a pino.Logger fits). */
export interface Logger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

const defaults = new Map<string, Logger>();

/** A pino logger writing JSON lines to stderr, shared per level. */
export function createDefaultLogger(level = process.env.WEIR_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'warn')): Logger {
  let l = defaults.get(level);
  if (l === undefined) {
    l = pino({ name: 'weir', level }, pino.destination({ dest: 2, sync: true }));
    defaults.set(level, l);
  }
  return l;
}

export function isLogger(v: unknown): v is Logger {
  const l = v as Record<string, unknown>;
  return typeof v === 'object' && v !== null && ['error', 'warn', 'info', 'debug', 'child'].every((m) => typeof l[m] === 'function');
}
