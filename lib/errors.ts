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
  readonly code: 'USER_FUNCTION_FAILED' | 'ASYNC_USER_FUNCTION' = 'USER_FUNCTION_FAILED';
  constructor(
    readonly location: OperatorLocation,
    readonly position: number,
    readonly phase: 'open' | 'process' | 'end-input' | 'close' | 'poll' | 'partition' | 'snapshot' | 'restore' | 'notify',
    cause: unknown,
    readonly record?: unknown,
    /** What went wrong, when not the cause's message. */
    detail?: string,
  ) {
    super(
      `${phase === 'process' ? 'processing' : phase} failed in operator '${location.operator}' ` +
        `(uid ${location.uid}), subtask ${location.subtaskIndex + 1}/${location.parallelism}` +
        (position > 0 ? `, record #${position}` : '') +
        (record !== undefined ? ` ${preview(record)}` : '') +
        `: ${detail ?? describe(cause)}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/**
 * An async I/O call (AsyncDataStream) did not complete within its timeout
 * and the function has no `timeout(input)` handler giving a fallback result.
 * `position` is as in UserFunctionError (0 for an input re-issued after a
 * restore); `timeoutMs` is the operator's timeout.
 */
export class AsyncTimeoutError extends WeirError {
  readonly code = 'ASYNC_TIMEOUT';
  constructor(
    readonly location: OperatorLocation,
    readonly position: number,
    readonly timeoutMs: number,
    readonly record: unknown,
  ) {
    super(
      `async call timed out after ${timeoutMs} ms in operator '${location.operator}' ` +
        `(uid ${location.uid}), subtask ${location.subtaskIndex + 1}/${location.parallelism}` +
        (position > 0 ? `, record #${position}` : '') +
        ` ${preview(record)}: raise timeoutMs, or give the function a timeout(input) method that returns a fallback result`,
    );
  }
}

/** Where asynchronous user code belongs instead. */
export const ASYNC_HINT =
  'user functions are synchronous — use AsyncDataStream.orderedWait/unorderedWait for asynchronous calls';

/**
 * A user function returned a Promise (or another thenable) where a value is
 * expected: an `async` map, filter, flatMap, reduce, key selector,
 * processElement, open/close, state function or source reader. The job
 * fails at the first such record; the promise's rejection is handled, so it
 * never becomes an unhandled rejection. `functionName` says which function
 * (e.g. "map function", "key selector").
 */
export class AsyncUserFunctionError extends UserFunctionError {
  override readonly code = 'ASYNC_USER_FUNCTION' as const;
  constructor(
    location: OperatorLocation,
    position: number,
    phase: UserFunctionError['phase'],
    readonly functionName: string,
    record?: unknown,
  ) {
    super(location, position, phase, undefined, record, `the ${functionName} returned a Promise; ${ASYNC_HINT}`);
  }
}

/**
 * A user function returned a thenable in engine code that does not know its
 * operator (state functions, aggregation selectors, source readers);
 * `asUserFunctionError` turns it into an AsyncUserFunctionError naming the
 * operator. Constructing it handles the thenable's rejection.
 */
export class ThenableReturnedError extends WeirError {
  readonly code = 'ASYNC_USER_FUNCTION';
  constructor(readonly functionName: string, result: PromiseLike<unknown>) {
    super(`the ${functionName} returned a Promise; ${ASYNC_HINT}`);
    handleRejection(result);
  }
}

/** Is `v` a Promise or another thenable? (An object with a `then` method.) */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

const ignore = (): void => {};

/** Marks a thenable's rejection handled: a failed job must not also leave an unhandled rejection. */
export function handleRejection(v: PromiseLike<unknown>): void {
  try {
    v.then(undefined, ignore);
  } catch {
    // a hostile `then` that throws: nothing to handle
  }
}

/** A key selector returned something that cannot be a key. */
export class InvalidKeyError extends WeirError {
  readonly code = 'INVALID_KEY';
  constructor(readonly key: unknown) {
    super(
      isThenable(key)
        ? `the key selector returned a Promise; ${ASYNC_HINT}`
        : `key ${preview(key)} is not valid: keys must be strings, finite numbers, booleans, ` +
            `bigints, or arrays of those`,
    );
    if (isThenable(key)) handleRejection(key);
  }
}

/**
 * Keyed state was accessed for a key whose key group this subtask does not
 * own: the record was routed by one key and its state looked up by another.
 * The cause is almost always a key selector that is not a deterministic
 * function of the record (random salting, a clock, a counter), or a record
 * changed after it was emitted. Left alone, such a job would spread a key's
 * state over several subtasks and lose it on the next restore, so it fails
 * (as Flink does). `location` names the operator once an operator saw it.
 */
export class KeyGroupMismatchError extends WeirError {
  readonly code = 'KEY_GROUP_MISMATCH';
  constructor(
    readonly key: unknown,
    readonly keyGroup: number,
    readonly keyGroupRange: { readonly start: number; readonly end: number },
    readonly location?: OperatorLocation,
  ) {
    super(
      `key ${preview(key)} belongs to key group ${keyGroup}, but ` +
        (location
          ? `operator '${location.operator}' (uid ${location.uid}), subtask ${location.subtaskIndex + 1}/${location.parallelism}`
          : 'this subtask') +
        ` owns key groups ${keyGroupRange.start}..${keyGroupRange.end}: the record was partitioned by a different key ` +
        `than its state is accessed with. Key selectors must be deterministic functions of the record ` +
        `(no randomness, clock or counters), and records must not change after they were emitted`,
    );
  }

  /** The same error, naming the operator and subtask. */
  at(location: OperatorLocation): KeyGroupMismatchError {
    return new KeyGroupMismatchError(this.key, this.keyGroup, this.keyGroupRange, location);
  }
}

/** Keyed state was used where no key is set (outside a keyed stream). */
export class StateAccessError extends WeirError {
  readonly code = 'STATE_ACCESS';
}

export type WindowAssignmentErrorCode =
  /** An event-time assigner got a record without an event timestamp. */
  | 'MISSING_TIMESTAMP'
  /** An event-time assigner got a timestamp that is not a finite number (NaN, ±Infinity). */
  | 'INVALID_TIMESTAMP'
  /** A dynamic session gap extractor returned a gap that is not a finite number above 0. */
  | 'INVALID_SESSION_GAP';

/**
 * A window assigner cannot place a record in a window. `assigner` names it
 * (e.g. "TumblingEventTimeWindows(60000, 0)"), `record` is the element.
 * The message says what to do: assign timestamps upstream
 * (`assignTimestampsAndWatermarks`), use a processing-time assigner, or fix
 * the gap extractor.
 */
export class WindowAssignmentError extends WeirError {
  constructor(
    readonly code: WindowAssignmentErrorCode,
    readonly assigner: string,
    readonly record: unknown,
    detail: string,
  ) {
    super(`${assigner} cannot assign record ${preview(record)} to a window: ${detail}`);
  }
}

export type TimestampAssignmentErrorCode =
  /** No timestamp assigner, and the record came without an event timestamp. */
  | 'MISSING_TIMESTAMP'
  /** The timestamp assigner returned something other than a finite number (NaN, ±Infinity, a string, undefined, ...). */
  | 'INVALID_TIMESTAMP'
  /** A watermark generator emitted something other than a Watermark with a numeric, non-NaN timestamp. */
  | 'INVALID_WATERMARK';

/**
 * `assignTimestampsAndWatermarks` could not give a record a valid event
 * timestamp, or its watermark generator emitted an invalid watermark.
 * `strategy` names the WatermarkStrategy, `record` the element (undefined
 * for INVALID_WATERMARK from a periodic emit), `value` the offending value.
 */
export class TimestampAssignmentError extends WeirError {
  constructor(
    readonly code: TimestampAssignmentErrorCode,
    readonly strategy: string,
    readonly record: unknown,
    readonly value: unknown,
    detail: string,
  ) {
    super(`assignTimestampsAndWatermarks(${strategy})${record === undefined ? '' : `, record ${preview(record)}`}: ${detail}`);
  }
}

/** A record reached an interval join without an event timestamp (`side`: which input). */
export class IntervalJoinTimestampError extends WeirError {
  readonly code = 'INTERVAL_JOIN_NO_TIMESTAMP';
  constructor(
    readonly side: 'left' | 'right',
    readonly record: unknown,
  ) {
    super(
      `interval join: the ${side} record ${preview(record)} has no event timestamp; ` +
        'give both streams timestamps (assignTimestampsAndWatermarks, or fromSource with a WatermarkStrategy)',
    );
  }
}

/** A snapshot or checkpoint file could not be read back. */
export class CorruptStateError extends WeirError {
  readonly code = 'CORRUPT_STATE';
}

/** Checkpoint storage could not be written or prepared (a full disk, a read-only directory, a discarded checkpoint). */
export class CheckpointStorageError extends WeirError {
  readonly code = 'STORAGE_FAILURE';
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

export type StateTransferErrorCode =
  /** A chunk or range names a transfer that was never opened, or is gone (failed, finished, its connection closed). */
  | 'UNKNOWN_TRANSFER'
  /** A chunk does not start where the bytes received so far end. */
  | 'OUT_OF_ORDER'
  /** A chunk (or a read range) reaches past the size declared for the file. */
  | 'PAST_DECLARED_SIZE'
  /** The bytes received do not hash to the checksum declared when the transfer opened. */
  | 'CHECKSUM_MISMATCH'
  /** An opening declares an impossible file (a size or checksum that cannot be), or a read asks for an impossible range. */
  | 'BAD_DECLARATION'
  /** One connection holds as many open transfers as it may. */
  | 'TOO_MANY_TRANSFERS';

/**
 * A chunked state-file transfer to coordinator-held checkpoint storage broke
 * the transfer protocol. The transfer is discarded: nothing is published
 * under the file's name, and its temporary file is removed.
 */
export class StateTransferError extends WeirError {
  constructor(
    readonly code: StateTransferErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type RestoreErrorCode =
  /** The path names no savepoint or checkpoint (no `_metadata` there). */
  | 'SAVEPOINT_NOT_FOUND'
  /** Its files cannot be read back intact. */
  | 'SAVEPOINT_UNREADABLE'
  /** A uid's state was written by an operator or source of another kind. */
  | 'INCOMPATIBLE_STATE'
  /** State for an operator uid the job does not have (allowNonRestoredState skips it). */
  | 'NON_RESTORED_STATE'
  /** Keyed state written with another maxParallelism (key groups cannot be remapped). */
  | 'MAX_PARALLELISM_CHANGED';

/**
 * The savepoint or retained checkpoint a job was started from (`savepointPath`)
 * cannot be restored into this job. Names the path and what is wrong.
 */
export class RestoreError extends WeirError {
  constructor(
    readonly code: RestoreErrorCode,
    readonly path: string,
    detail: string,
    cause?: unknown,
  ) {
    super(`cannot restore from '${path}': ${detail}`, cause === undefined ? undefined : { cause });
  }
}

/**
 * A state value cannot be written into a checkpoint faithfully (a function,
 * a symbol, a reference cycle, an instance of a class that is not a
 * registered state type, ...). Raised at the snapshot, so the checkpoint is
 * declined; `path` leads from the state value to the offending part
 * (`.items[3].handler`, empty for the value itself).
 */
export class StateSerializationError extends WeirError {
  readonly code = 'STATE_NOT_SERIALIZABLE';
  constructor(
    readonly where: StateValueLocation,
    readonly path: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot checkpoint ${describeStateValueLocation(where)}: ${path === '' ? 'the value' : path} is ${problem}`, options);
  }

  /** The same error, attributed to an operator. */
  withOperator(operator: { readonly name?: string; readonly uid: string }): StateSerializationError {
    return new StateSerializationError({ ...this.where, operator }, this.path, this.problem, { cause: this.cause });
  }
}

/** Which state a value belongs to: keyed state (with its key) or an operator's list (splits, committables, list state). */
export interface StateValueLocation {
  readonly operator?: { readonly name?: string; readonly uid: string };
  readonly kind: 'keyed' | 'list';
  /** The keyed state's or the list's name. */
  readonly state: string;
  /** Keyed state: the key, as the key selector returned it. */
  readonly key?: unknown;
}

function describeStateValueLocation(w: StateValueLocation): string {
  const o = w.operator;
  const op = o === undefined ? '' : o.name === undefined ? ` of operator uid '${o.uid}'` : ` of operator '${o.name}' (uid ${o.uid})`;
  return w.kind === 'keyed' ? `keyed state '${w.state}'${op}, key ${preview(w.key)}` : `list '${w.state}'${op}`;
}

/**
 * A checkpoint holds a value of a state type that this process has not
 * registered (registerStateType, or a state descriptor's `types`).
 */
export class UnknownStateTypeError extends WeirError {
  readonly code = 'UNKNOWN_STATE_TYPE';
  constructor(readonly typeName: string, where: string) {
    super(
      `${where} holds a value of state type '${typeName}', which is not registered in this process: ` +
        `register the class with registerStateType(Class, { name: '${typeName}' }) (or a state descriptor's types) before the job restores`,
    );
  }
}

/** A state type registration is invalid (no name, a reserved name, a name taken by another class, ...). */
export class StateTypeError extends WeirError {
  readonly code = 'INVALID_STATE_TYPE';
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

/**
 * An actor source refused a batch: its producer ignored back-pressure
 * (`FULL`), sent a batch above `maxBatchSize` (`TOO_LARGE`), or pushed after
 * the end (`ENDED`). The batch was not kept.
 */
export class IngressOverflowError extends WeirError {
  readonly code = 'INGRESS_OVERFLOW';
  constructor(
    message: string,
    readonly refusal: 'FULL' | 'TOO_LARGE' | 'ENDED' = 'FULL',
  ) {
    super(message);
  }
}

/** A message dispatched to an actor source is not `Push` or `End` (thrown in the dispatching call). */
export class InvalidIngressMessageError extends WeirError {
  readonly code = 'INVALID_INGRESS_MESSAGE';
  constructor(
    readonly source: string,
    detail: string,
  ) {
    super(`actor source '${source}' got an invalid message: ${detail}`);
  }
}

/**
 * An actor sink's delivery failed: the target did not acknowledge a
 * delivery within `timeoutMs` (`ACK_TIMEOUT`), or the target actor is
 * stopped (`TARGET_STOPPED`). Names the sink (uid, subtask) and the target.
 */
export class ActorSinkDeliveryError extends WeirError {
  readonly code = 'ACTOR_SINK_DELIVERY_FAILED';
  constructor(
    readonly reason: 'ACK_TIMEOUT' | 'TARGET_STOPPED',
    readonly sink: string,
    readonly subtaskIndex: number,
    readonly target: string,
    readonly seq: number,
    readonly timeoutMs: number,
  ) {
    super(
      `actor sink '${sink}' (subtask ${subtaskIndex}): ` +
        (reason === 'ACK_TIMEOUT'
          ? `target ${target} did not acknowledge delivery #${seq} within ${timeoutMs} ms; ` +
            `the target must call acknowledge(msg) for every SinkDelivery it receives`
          : `target ${target} is stopped; delivery #${seq} cannot be delivered`),
    );
  }
}

/** A record of a file source does not parse, or is longer than its limit. `line` is 1-based. */
/**
 * A built-in connector failed on the data or the system it reads or writes
 * (a malformed record, a file that changed or cannot be read) — not user
 * code. It reaches JobExecutionError.cause as it is, not wrapped in a
 * UserFunctionError; `location` names the operator and subtask it failed in.
 */
export abstract class ConnectorError extends WeirError {
  private where: OperatorLocation | undefined;
  get location(): OperatorLocation | undefined {
    return this.where;
  }
  /** Records the operator and subtask, once; returns this error. */
  at(location: OperatorLocation): this {
    this.where ??= location;
    return this;
  }
}

export class MalformedRecordError extends ConnectorError {
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
export class FileChangedError extends ConnectorError {
  readonly code = 'FILE_CHANGED';
  constructor(
    readonly file: string,
    /** Bytes the file had when it was discovered. */
    readonly expectedBytes: number,
    /** Bytes it has now, or, when it shrank while it was read, where reading found its end. */
    readonly actualBytes: number,
  ) {
    super(
      `file ${file} changed while it was read: it had ${expectedBytes} bytes when discovered, now it ends at byte ${actualBytes} or before (truncated?); ` +
        'files of a FileSource must not change once they are in its paths (write them elsewhere, then rename them in)',
    );
  }
}

/** A file or directory of a file source could not be listed, opened or read. */
export class FileReadError extends ConnectorError {
  readonly code = 'FILE_READ_FAILED';
  constructor(readonly file: string, cause: unknown) {
    super(`cannot read ${file}: ${describe(cause)}`, { cause });
  }
}

export function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  return preview(e);
}

/**
 * A short, faithful rendering of a value for messages: JSON-like, but NaN,
 * ±Infinity, -0, undefined, bigints, functions, symbols, Maps, Sets, Dates,
 * class names and cycles print as what they are (JSON.stringify would say
 * `null`, drop them or throw). Cut to `max` characters.
 */
export function preview(v: unknown, max = 120): string {
  const out = { s: '', max };
  try {
    render(v, 3, new Set(), out);
  } catch {
    out.s += '…(unprintable)'; // a throwing getter or proxy trap must not replace the error being reported
  }
  return out.s.length > max ? `${out.s.slice(0, max)}…` : out.s;
}

function render(v: unknown, depth: number, seen: Set<object>, out: { s: string; max: number }): void {
  switch (typeof v) {
    case 'string':
      out.s += JSON.stringify(v.length > out.max ? v.slice(0, out.max) : v);
      return;
    case 'number':
      out.s += Object.is(v, -0) ? '-0' : String(v);
      return;
    case 'bigint':
      out.s += `${v}n`;
      return;
    case 'boolean':
    case 'undefined':
      out.s += String(v);
      return;
    case 'symbol':
      out.s += v.toString();
      return;
    case 'function':
      out.s += `[Function${v.name ? ` ${v.name}` : ''}]`;
      return;
  }
  if (v === null) {
    out.s += 'null';
    return;
  }
  const o = v as object;
  if (seen.has(o)) {
    out.s += '[Circular]';
    return;
  }
  if (o instanceof Date) {
    out.s += `Date(${Number.isNaN(o.getTime()) ? 'Invalid' : o.toISOString()})`;
    return;
  }
  if (o instanceof Error) {
    out.s += `${o.name}(${JSON.stringify(o.message)})`;
    return;
  }
  if (isThenable(o)) {
    out.s += 'Promise';
    return;
  }
  const name = className(o);
  if (depth === 0) {
    out.s += `${name}{…}`;
    return;
  }
  seen.add(o);
  const items = (open: string, close: string, each: Iterable<unknown>, item: (x: any) => void) => {
    out.s += open;
    let first = true;
    for (const x of each) {
      if (out.s.length > out.max) {
        out.s += '…';
        break;
      }
      if (!first) out.s += ',';
      first = false;
      item(x);
    }
    out.s += close;
  };
  const value = (x: unknown) => render(x, depth - 1, seen, out);
  if (Array.isArray(o)) items(name === 'Array' ? '[' : `${name}[`, ']', o, value);
  else if (ArrayBuffer.isView(o) && !(o instanceof DataView)) items(`${name}[`, ']', o as unknown as Iterable<unknown>, value);
  else if (o instanceof Map) {
    items(`${name}{`, '}', o, ([k, x]: [unknown, unknown]) => {
      value(k);
      out.s += '=>';
      value(x);
    });
  } else if (o instanceof Set) items(`${name}[`, ']', o, value);
  else {
    items(name === 'Object' || name === '' ? '{' : `${name}{`, '}', Object.keys(o), (k: string) => {
      out.s += `${JSON.stringify(k)}:`;
      value((o as Record<string, unknown>)[k]);
    });
  }
  seen.delete(o);
}

function className(o: object): string {
  const proto: unknown = Object.getPrototypeOf(o);
  if (proto === null) return '';
  const ctor = (proto as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' ? ctor.name : '';
}

/**
 * Wraps a failure of user code once; an error already wrapped further down a
 * chain passes through, and so does an injected fault (it names its own place).
 * A thenable returned where a value was expected becomes an
 * AsyncUserFunctionError, a key-group mismatch learns its operator.
 */
export function asUserFunctionError(
  e: unknown,
  location: OperatorLocation,
  position: number,
  phase: UserFunctionError['phase'],
  record?: unknown,
): Error {
  if (e instanceof UserFunctionError || (e instanceof WeirError && e.code === 'INJECTED_FAULT')) return e;
  if (e instanceof KeyGroupMismatchError) return e.location ? e : e.at(location);
  if (e instanceof ConnectorError) return e.at(location);
  if (e instanceof ThenableReturnedError) return new AsyncUserFunctionError(location, position, phase, e.functionName, record);
  if (e instanceof InvalidKeyError && isThenable(e.key)) return new AsyncUserFunctionError(location, position, phase, 'key selector', record);
  return new UserFunctionError(location, position, phase, e, record);
}

// ---- Cluster wire: frames, codec, protocol, authentication, connections ----

export type FrameErrorCode = 'FRAME_TOO_LARGE' | 'MALFORMED_FRAME';

/**
 * A peer sent bytes that are not a valid frame stream: a length header past
 * the limit (refused from the header alone, before the payload is read), or
 * a stream cut inside a frame. `offset` is the byte offset of the frame's
 * header in the connection's stream; `peer` names the connection.
 */
export class FrameError extends WeirError {
  constructor(
    readonly code: FrameErrorCode,
    message: string,
    readonly offset: number,
    readonly peer: string,
  ) {
    super(`${message} (frame at byte ${offset} from ${peer})`);
  }
}

export type WireCodecErrorCode = 'UNSUPPORTED_VALUE' | 'UNDECODABLE';

/**
 * A value cannot cross the wire faithfully (UNSUPPORTED_VALUE: `path` leads
 * from the message to the refused part and `problem` names its kind), or a
 * frame's payload is not a message this codec wrote (UNDECODABLE).
 */
export class WireCodecError extends WeirError {
  constructor(
    readonly code: WireCodecErrorCode,
    message: string,
    readonly path = '',
    options?: { cause?: unknown },
  ) {
    super(path === '' ? message : `${message} at ${path}`, options);
  }
}

export type ProtocolErrorCode = 'UNKNOWN_MESSAGE' | 'INVALID_MESSAGE' | 'UNEXPECTED_MESSAGE';

/**
 * A decoded message is not one of the cluster protocol's: an unknown `type`,
 * a field of the wrong shape (`field` is its path, e.g. `subtask.index`), or
 * a known message where the protocol does not allow it (before the
 * handshake completes, for one).
 */
export class ProtocolError extends WeirError {
  constructor(
    readonly code: ProtocolErrorCode,
    readonly messageType: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export type AuthenticationErrorCode = 'BAD_PROOF' | 'ROLE_NOT_ALLOWED' | 'PROTOCOL_VERSION' | 'REFUSED_BY_PEER' | 'HANDSHAKE_VIOLATION';

/**
 * The connection's handshake failed: the peer does not know the cluster
 * secret (BAD_PROOF), claims a role this endpoint does not serve, speaks
 * another protocol version, refused us, or broke the handshake's order.
 */
export class AuthenticationError extends WeirError {
  constructor(
    readonly code: AuthenticationErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type ConnectionErrorCode = 'HANDSHAKE_TIMEOUT' | 'CONNECTION_CLOSED' | 'NOT_AUTHENTICATED';

/** A peer connection ended or could not be used: no handshake within the timeout, closed mid-handshake, sent to before authentication. */
export class ConnectionError extends WeirError {
  constructor(
    readonly code: ConnectionErrorCode,
    message: string,
    readonly peer: string,
  ) {
    super(`${message} (${peer})`);
  }
}

// ---- Job modules (the `weir` CLI and, later, cluster nodes load jobs by path) ----

export type JobModuleErrorCode =
  /** No file at the path. */
  | 'MODULE_NOT_FOUND'
  /** Importing the module threw (a syntax error, a failing top-level statement, a missing import). */
  | 'MODULE_IMPORT_FAILED'
  /** Neither a default export nor a named `job` export is a function. */
  | 'NO_JOB_FUNCTION'
  /** The module's `jobName` export is not a non-empty string. */
  | 'INVALID_JOB_NAME'
  /** The job function threw or its promise rejected while building the pipeline. */
  | 'JOB_BUILD_FAILED'
  /** The job function ran the job itself (execute, executeAsync, executeAndCollect) instead of only building it. */
  | 'JOB_EXECUTED_WHILE_BUILDING'
  /** The job function added no sink (sinkTo, print). */
  | 'NO_SINKS'
  /** The pipeline the job function built does not validate (GraphValidationError as `cause`). */
  | 'INVALID_JOB_GRAPH';

/**
 * A job module could not be turned into a job graph. `module` is the
 * absolute path of the module; the message says what is wrong and what a
 * job module must look like; `cause` is the underlying error, if any.
 */
export class JobModuleError extends WeirError {
  constructor(
    readonly code: JobModuleErrorCode,
    readonly module: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`job module ${module}: ${message}`, options);
  }
}

/**
 * A job-lifecycle event that no status accepts (JobLifecycle's `transition`):
 * the job submitted twice, cleanup reported before the job ended or twice, a
 * status move outside Flink's JobStatus graph. An engine bug, never a user
 * error: the job master fails the job with it rather than hang.
 */
export class IllegalJobTransitionError extends WeirError {
  readonly code = 'ILLEGAL_JOB_TRANSITION';
  constructor(
    readonly status: string,
    readonly event: string,
    detail: string,
  ) {
    super(`job lifecycle: ${event} is not allowed while the job is ${status}: ${detail}`);
  }
}

// ---- The cluster commands of the `weir` CLI ----

/**
 * A cluster command's setting is missing or wrong: no or too short a
 * cluster secret, a bad host:port, slots or port. `setting` names the flag
 * or environment variable it came from; the CLI exits 2 for it.
 */
export class ClusterSettingsError extends WeirError {
  readonly code = 'INVALID_CLUSTER_SETTING';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

export type ClusterClientErrorCode =
  /** Nothing answers at the address (refused, unknown host, no route) or the handshake did not complete. */
  | 'UNREACHABLE'
  /** The coordinator refused the connection: the cluster secret differs (or the role is not served). */
  | 'REFUSED'
  /** No reply to a request within the client's timeout. */
  | 'TIMEOUT'
  /** The connection closed while a request waited for its reply. */
  | 'CONNECTION_LOST';

/**
 * A CLI client could not talk to the coordinator (not: the coordinator
 * answered that a request failed — that is a RequestFailedError). The
 * `weir` commands exit 3 for it. `coordinator` is the host:port tried.
 */
export class ClusterClientError extends WeirError {
  constructor(
    readonly code: ClusterClientErrorCode,
    readonly coordinator: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`coordinator ${coordinator}: ${message}`, options);
  }
}

/** The coordinator answered a client request with RequestFailed: `code` is the remote error's code (e.g. INVALID_CONFIGURATION, JOB_MODULE…). */
export class RequestFailedError extends WeirError {
  constructor(
    readonly code: string,
    readonly request: string,
    message: string,
  ) {
    super(message);
  }
}
