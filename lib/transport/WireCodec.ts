/**
 * Bytes of one cluster message (a frame's payload) and back: msgpackr, with
 * the state codec's settings, so a record crosses the wire under the same
 * value policy as state: whatever a record or a state value may hold
 * round-trips with its type — primitives including -0, NaN, ±Infinity and
 * bigints, undefined inside arrays and objects, plain and prototype-less
 * objects, arrays, Maps, Sets, Dates, RegExps, Buffers (back as Buffers),
 * typed arrays, and instances of registered state types. Anything else in a
 * record (a function, a symbol, a reference cycle, an unregistered class
 * instance) is refused on encode with a WireCodecError UNSUPPORTED_VALUE
 * naming the kind and the path to it — never sent as something different.
 *
 * Record values go through the state-value walk (stateValues.ts); the few
 * that needed tagging are listed in the frame (`tagged`), so decoding
 * revives only those. Control messages are validated on both sides
 * (validateMessage): a sender finds its own mistakes, a receiver never
 * hands on a message of the wrong shape.
 *
 * Decoding is for untrusted bytes: it throws WireCodecError UNDECODABLE or
 * ProtocolError (UNKNOWN_MESSAGE / INVALID_MESSAGE), nothing else.
 */
import { Packr } from 'msgpackr';
import { ProtocolError, WireCodecError } from '../errors';
import { validateMessage, type DeliverBuffer, type WireMessage } from '../cluster/WireMessages';
import { fromEncodable } from '../state/stateValueReader';
import { StateValueRefusal, toEncodable } from '../state/stateValues';
import type { RecordFrame } from './ChannelBuffer';

/** The state codec's settings (codec.ts): self-describing records, Maps kept as Maps, Dates, bigints, typed arrays. */
const OPTIONS = {
  useRecords: true,
  mapsAsObjects: false,
  moreTypes: true,
  useBigIntExtension: true,
  useToJSON: false,
  // A decoded Buffer must not pin the socket chunk it came in.
  copyBuffers: true,
} as const;

const packr = new Packr(OPTIONS);
let unpackr = new Packr(OPTIONS);

/** A record frame as written: the values that needed tagging are listed by index. */
interface WireRecordFrame extends RecordFrame {
  readonly tagged?: readonly number[];
}

/**
 * The message's bytes. Throws ProtocolError INVALID_MESSAGE when the
 * message does not fit its declared shape, WireCodecError
 * UNSUPPORTED_VALUE when a record holds a value that cannot cross the wire.
 */
export function encodeMessage(message: WireMessage): Buffer {
  validateMessage(message);
  const wire = message.type === 'DeliverBuffer' && message.buffer.kind === 'records' ? prepareRecords(message, message.buffer) : message;
  try {
    return packr.pack(wire);
  } catch (e) {
    throw new WireCodecError('UNSUPPORTED_VALUE', `cannot encode ${message.type}: ${(e as Error).message}`, '', { cause: e });
  }
}

/**
 * The message in `payload` (one frame's payload). Throws WireCodecError
 * UNDECODABLE for bytes that are not a message this codec wrote, and
 * ProtocolError for an unknown type or a field of the wrong shape.
 */
export function decodeMessage(payload: Uint8Array): WireMessage {
  let raw: unknown;
  try {
    raw = unpackr.unpack(payload);
  } catch (e) {
    // A decoder that threw part-way may hold half-read state: start afresh.
    unpackr = new Packr(OPTIONS);
    throw new WireCodecError('UNDECODABLE', `undecodable message (${payload.length} bytes): ${(e as Error).message}`, '', { cause: e });
  }
  return validateMessage(reviveRecords(raw));
}

function prepareRecords(message: DeliverBuffer, frame: RecordFrame): WireMessage | { type: 'DeliverBuffer'; buffer: WireRecordFrame } {
  const values = frame.values;
  let out: unknown[] | undefined;
  let tagged: number[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let e: unknown;
    try {
      e = toEncodable(v);
    } catch (err) {
      if (!(err instanceof StateValueRefusal)) throw err;
      const { path, problem } = err.explain();
      throw new WireCodecError('UNSUPPORTED_VALUE', `a record cannot cross the wire: it is or holds ${problem}`, `buffer.values[${i}]${path}`, { cause: err });
    }
    if (e !== v) {
      out ??= values.slice();
      out[i] = e;
      (tagged ??= []).push(i);
    }
  }
  if (tagged === undefined) return message;
  return { ...message, buffer: { ...frame, values: out!, tagged } };
}

function reviveRecords(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || (raw as { type?: unknown }).type !== 'DeliverBuffer') return raw;
  const buffer = (raw as { buffer?: unknown }).buffer as WireRecordFrame | undefined;
  if (typeof buffer !== 'object' || buffer === null || buffer.kind !== 'records' || !Object.hasOwn(buffer, 'tagged')) return raw;
  const { tagged, ...frame } = buffer;
  const values = frame.values;
  if (!Array.isArray(values) || !Array.isArray(tagged)) {
    throw new ProtocolError('INVALID_MESSAGE', 'DeliverBuffer', 'invalid DeliverBuffer message: buffer.values and buffer.tagged must be arrays', 'buffer.tagged');
  }
  const revived = values.slice();
  for (const i of tagged) {
    if (!Number.isSafeInteger(i) || i < 0 || i >= values.length) {
      throw new ProtocolError('INVALID_MESSAGE', 'DeliverBuffer', `invalid DeliverBuffer message: buffer.tagged lists ${String(i)}, not an index of buffer.values`, 'buffer.tagged');
    }
    try {
      revived[i] = fromEncodable(values[i], () => `record ${i} of a DeliverBuffer`);
    } catch (e) {
      // A malformed tagged form or a state type this process does not know.
      throw new WireCodecError('UNDECODABLE', `undecodable record: ${(e as Error).message}`, `buffer.values[${i}]`, { cause: e });
    }
  }
  return { ...(raw as object), buffer: { ...frame, values: revived } };
}
