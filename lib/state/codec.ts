/**
 * The binary codec of state and checkpoint data (msgpackr). Self-describing:
 * any fresh decoder reads what any encoder wrote, so snapshots move between
 * processes and restarts. Plain objects, arrays, Maps, Sets, Dates, bigints
 * and typed arrays round-trip with their types; this codec alone writes
 * anything else silently as something different (a class instance as a
 * plain object, a function as undefined), so user values reach it only
 * through the state-value walk (stateValues.ts), which refuses or tags
 * what the codec cannot carry. Reference cycles are not supported. The
 * codec uses its own Packr instance and registers no msgpackr extensions,
 * so a program's own use of msgpackr is unaffected.
 */
import { Packr } from 'msgpackr';
import { CorruptStateError } from '../errors';

const options = {
  useRecords: true,
  mapsAsObjects: false,
  moreTypes: true,
  useBigIntExtension: true,
  // A toJSON method must not decide what is written: the state-value walk does.
  useToJSON: false,
} as const;

const packr = new Packr(options);

export function encodeState(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes bytes written by encodeState; `what` names the data in the error. */
export function decodeState<T>(bytes: Uint8Array, what: string): T {
  try {
    return new Packr(options).unpack(bytes) as T;
  } catch (e) {
    throw new CorruptStateError(`cannot decode ${what}: ${(e as Error).message}`, { cause: e });
  }
}
