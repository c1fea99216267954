/**
 * The written form of state values the byte codec cannot carry by itself
 * (stateValues.ts writes it, stateValueReader.ts reads it): a tagged value
 * is the plain object `{ "\0type": name, "\0data": data }`, where the name
 * is a registered state type or one of the engine's own (`weir:Buffer`,
 * `weir:-0`, ...). A key group or list marks the entries that hold tagged
 * values, so only those are revived.
 */
import { RESERVED_TYPE_PREFIX } from './StateTypeRegistry';

/** Deepest nesting of containers a state value may have (the codec recurses too). */
export const MAX_NESTING = 500;

export const TAG = '\u0000type';
export const DATA = '\u0000data';

export const BUFFER = `${RESERVED_TYPE_PREFIX}Buffer`;
export const NEGATIVE_ZERO = `${RESERVED_TYPE_PREFIX}-0`;
export const STRING = `${RESERVED_TYPE_PREFIX}String`;
export const OBJECT = `${RESERVED_TYPE_PREFIX}Object`;
export const NULL_OBJECT = `${RESERVED_TYPE_PREFIX}NullObject`;

/** A value in tagged form; the codec writes it as the plain object `{ [TAG]: type, [DATA]: data }`. */
export class Tagged {
  readonly [TAG]: string;
  readonly [DATA]: unknown;
  constructor(type: string, data: unknown) {
    this[TAG] = type;
    this[DATA] = data;
  }
}

/**
 * A restored value of a state type not registered yet: kept in its written
 * form until the state's descriptor (which may declare the type) is known,
 * and written back unchanged by a snapshot taken before that.
 */
export class UnresolvedStateValue {
  constructor(
    readonly encoded: unknown,
    readonly typeName: string,
  ) {}
}

/**
 * Typed arrays other than Uint8Array are written tagged, as their bytes:
 * the codec recognises them only when they come from its own realm (under
 * Jest, or in a vm context, they may not).
 */
export const TYPED_ARRAYS = new Map<string, TypedArrayClass>(
  (
    [
      Int8Array,
      Uint8ClampedArray,
      Int16Array,
      Uint16Array,
      Int32Array,
      Uint32Array,
      Float32Array,
      Float64Array,
      BigInt64Array,
      BigUint64Array,
    ] as TypedArrayClass[]
  ).map((c) => [`${RESERVED_TYPE_PREFIX}${c.name}`, c]),
);
export const TYPED_ARRAY_TAGS = new Map<object, string>([...TYPED_ARRAYS].map(([tag, c]) => [c.prototype, tag]));

export interface TypedArrayClass {
  readonly name: string;
  readonly prototype: object;
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): ArrayBufferView;
}
