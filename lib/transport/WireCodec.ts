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
 * Record frames travel in columns (RecordColumns.ts): a connection's
 * encoder and decoder (WireEncoder, WireDecoder) keep a string table in
 * step, so a key that crossed once costs an index afterwards. Values that
 * are not plain columns go through the state-value walk (stateValues.ts);
 * the few that needed tagging are listed, so decoding revives only those.
 * `encodeMessage` / `decodeMessage` are the stateless pair (no table): each
 * message decodes on its own. Control messages are validated on both sides
 * (validateMessage): a sender finds its own mistakes, a receiver never
 * hands on a message of the wrong shape.
 *
 * Decoding is for untrusted bytes: it throws WireCodecError UNDECODABLE or
 * ProtocolError (UNKNOWN_MESSAGE / INVALID_MESSAGE), nothing else.
 */
import { Packr } from 'msgpackr';
import { ProtocolError, WireCodecError } from '../errors';
import { validateMessage, type WireMessage } from '../cluster/WireMessages';
import { RecordFrameDecoder, RecordFrameEncoder, type StringTableOptions } from './RecordColumns';

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

export interface WireCodecOptions {
  /** The connection's string table for record columns; false: none (each message decodes on its own). */
  readonly stringTable?: StringTableOptions | false;
}

/** The sending side of one connection: messages to bytes, in the order they are sent. */
export class WireEncoder {
  private readonly records: RecordFrameEncoder;

  constructor(options: WireCodecOptions = {}) {
    this.records = new RecordFrameEncoder(options.stringTable ?? {});
  }

  /**
   * The message's bytes; the message must then be sent, or `abandon` called.
   * Throws ProtocolError INVALID_MESSAGE when the message does not fit its
   * declared shape, WireCodecError UNSUPPORTED_VALUE when a record holds a
   * value that cannot cross the wire.
   */
  encode(message: WireMessage): Buffer {
    validateMessage(message);
    const wire = message.type === 'DeliverBuffer' && message.buffer.kind === 'records' ? { ...message, buffer: this.records.encode(message.buffer) } : message;
    try {
      return packr.pack(wire);
    } catch (e) {
      this.records.abandon();
      throw new WireCodecError('UNSUPPORTED_VALUE', `cannot encode ${message.type}: ${(e as Error).message}`, '', { cause: e });
    }
  }

  /** The bytes of the last `encode` were not sent: the string table starts afresh. */
  abandon(): void {
    this.records.abandon();
  }
}

/** The receiving side of one connection: bytes to messages, in the order they arrived. */
export class WireDecoder {
  private readonly records: RecordFrameDecoder;

  constructor(options: WireCodecOptions = {}) {
    this.records = new RecordFrameDecoder(options.stringTable ?? {});
  }

  /**
   * The message in `payload` (one frame's payload). Throws WireCodecError
   * UNDECODABLE for bytes that are not a message this codec wrote, and
   * ProtocolError for an unknown type or a field of the wrong shape.
   */
  decode(payload: Uint8Array): WireMessage {
    let raw: unknown;
    try {
      raw = unpackr.unpack(payload);
    } catch (e) {
      // A decoder that threw part-way may hold half-read state: start afresh.
      unpackr = new Packr(OPTIONS);
      throw new WireCodecError('UNDECODABLE', `undecodable message (${payload.length} bytes): ${(e as Error).message}`, '', { cause: e });
    }
    return validateMessage(this.recordsOf(raw));
  }

  private recordsOf(raw: unknown): unknown {
    if (typeof raw !== 'object' || raw === null || (raw as { type?: unknown }).type !== 'DeliverBuffer') return raw;
    const buffer = (raw as { buffer?: unknown }).buffer;
    if (typeof buffer !== 'object' || buffer === null) return raw;
    const kind = (buffer as { kind?: unknown }).kind;
    if (kind === 'records') throw new ProtocolError('INVALID_MESSAGE', 'DeliverBuffer', 'invalid DeliverBuffer message: record frames travel as columns', 'buffer.kind');
    if (kind !== 'columns') return raw;
    return { ...(raw as object), buffer: this.records.decode(buffer) };
  }
}

const stateless = { encoder: new WireEncoder({ stringTable: false }), decoder: new WireDecoder({ stringTable: false }) };

/** A message's bytes, decodable on their own (no string table); errors as WireEncoder.encode. */
export function encodeMessage(message: WireMessage): Buffer {
  return stateless.encoder.encode(message);
}

/** The message in a payload from `encodeMessage`; errors as WireDecoder.decode. */
export function decodeMessage(payload: Uint8Array): WireMessage {
  return stateless.decoder.decode(payload);
}
