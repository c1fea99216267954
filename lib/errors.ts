/**
 * Typed errors. Every failure a user can meet is one of these classes with a
 * stable `code`, so callers match on `instanceof` or `code`, never on message
 * text. Messages name what was wrong and where (operator, subtask, record).
 */

export abstract class WeirError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export type GraphErrorCode =
  | 'NO_SINKS'
  | 'CYCLE'
  | 'UID_COLLISION'
  | 'INVALID_PARALLELISM'
  | 'PARALLELISM_ABOVE_MAX'
  | 'NON_PARALLEL_SOURCE'
  | 'FORWARD_PARALLELISM_MISMATCH'
  | 'MISSING_KEY_SELECTOR'
  | 'INVALID_ARGUMENT'
  | 'UNKNOWN_NODE';

/** The job graph a program built is not runnable. Thrown before any actor starts. */
export class GraphValidationError extends WeirError {
  readonly code: GraphErrorCode;
  /** The operator (name, or uid when set) the problem is about, if any. */
  readonly operator: string | undefined;
  constructor(code: GraphErrorCode, message: string, operator?: string) {
    super(operator === undefined ? message : `${message} (operator '${operator}')`);
    this.code = code;
    this.operator = operator;
  }
}

/** A configuration value is out of range or of the wrong type. */
export class ConfigurationError extends WeirError {
  readonly code = 'INVALID_CONFIGURATION';
  constructor(readonly option: string, message: string) {
    super(`invalid configuration '${option}': ${message}`);
  }
}

/** Where in a running job something happened. */
export interface OperatorLocation {
  readonly operator: string;
  readonly uid: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
}

/**
 * User code (a map function, key selector, process function, source reader or
 * sink writer) threw. `position` is the 1-based index of the record the
 * operator was processing within its subtask; 0 when it failed outside a
 * record (open, close, end of input).
 */
export class UserFunctionError extends WeirError {
  readonly code = 'USER_FUNCTION_FAILED';
  constructor(
    readonly location: OperatorLocation,
    readonly position: number,
    readonly phase: 'open' | 'process' | 'end-input' | 'close' | 'poll' | 'partition' | 'snapshot' | 'restore' | 'notify',
    cause: unknown,
    readonly record?: unknown,
  ) {
    super(
      `${phase === 'process' ? 'processing' : phase} failed in operator '${location.operator}' ` +
        `(uid ${location.uid}), subtask ${location.subtaskIndex + 1}/${location.parallelism}` +
        (position > 0 ? `, record #${position}` : '') +
        (record !== undefined ? ` ${preview(record)}` : '') +
        `: ${describe(cause)}`,
      { cause },
    );
  }
}

/** A key selector returned something that cannot be a key. */
export class InvalidKeyError extends WeirError {
  readonly code = 'INVALID_KEY';
  constructor(readonly key: unknown) {
    super(
      `key ${preview(key)} is not valid: keys must be strings, finite numbers, booleans, ` +
        `bigints, or arrays of those`,
    );
  }
}

/** Keyed state was used where no key is set (outside a keyed stream). */
export class StateAccessError extends WeirError {
  readonly code = 'STATE_ACCESS';
}

/** A snapshot or checkpoint file could not be read back. */
export class CorruptStateError extends WeirError {
  readonly code = 'CORRUPT_STATE';
}

/** The job ended because it was cancelled. */
export class JobCancelledError extends WeirError {
  readonly code = 'JOB_CANCELLED';
  constructor(readonly jobName: string) {
    super(`job '${jobName}' was cancelled`);
  }
}

/** The job failed; `cause` is the last failure, `restarts` what was tried before giving up. */
export class JobExecutionError extends WeirError {
  readonly code = 'JOB_FAILED';
  constructor(
    readonly jobName: string,
    cause: unknown,
    readonly restarts: readonly { readonly at: number; readonly attempt: number; readonly cause: string }[] = [],
    reason?: string,
  ) {
    super(
      `job '${jobName}' failed${restarts.length > 0 ? ` after ${restarts.length} restart(s)` : ''}` +
        `${reason ? ` (${reason})` : ''}: ${describe(cause)}`,
      { cause },
    );
  }
}

/** An actor ingress refused records because its producer ignored back-pressure. */
export class IngressOverflowError extends WeirError {
  readonly code = 'INGRESS_OVERFLOW';
}

/** A record of a file source does not parse, or is longer than its limit. `line` is 1-based. */
export class MalformedRecordError extends WeirError {
  readonly code = 'MALFORMED_RECORD';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
    raw?: string,
  ) {
    super(`malformed record in ${file} at line ${line}: ${reason}${raw === undefined ? '' : ` — ${preview(raw)}`}`);
  }
}

/** A file changed under its reader: it is shorter than when it was discovered (truncated or replaced). */
export class FileChangedError extends WeirError {
  readonly code = 'FILE_CHANGED';
  constructor(
    readonly file: string,
    /** Bytes the file had when it was discovered. */
    readonly expectedBytes: number,
    /** Bytes it has (or could be read) now. */
    readonly actualBytes: number,
  ) {
    super(
      `file ${file} changed while it was read: it had ${expectedBytes} bytes when discovered, now ${actualBytes} (truncated?); ` +
        'files of a FileSource must not change once they are in its paths (write them elsewhere, then rename them in)',
    );
  }
}

/** A file or directory of a file source could not be listed, opened or read. */
export class FileReadError extends WeirError {
  readonly code = 'FILE_READ_FAILED';
  constructor(readonly file: string, cause: unknown) {
    super(`cannot read ${file}: ${describe(cause)}`, { cause });
  }
}

export function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  return preview(e);
}

export function preview(v: unknown, max = 120): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : typeof v === 'bigint' ? `${v}n` : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * Wraps a failure of user code once; an error already wrapped further down a
 * chain passes through, and so does an injected fault (it names its own place).
 */
export function asUserFunctionError(
  e: unknown,
  location: OperatorLocation,
  position: number,
  phase: UserFunctionError['phase'],
  record?: unknown,
): Error {
  if (e instanceof UserFunctionError || (e instanceof WeirError && e.code === 'INJECTED_FAULT')) return e;
  return new UserFunctionError(location, position, phase, e, record);
}
