/**
 * The binary codec of state and checkpoint data (msgpackr). Self-describing:
 * any fresh decoder reads what any encoder wrote, so snapshots move between
 * processes and restarts. Plain objects, arrays, Maps, Sets, Dates, bigints
 * and typed arrays round-trip with their types. Reference cycles are not
 * supported (msgpackr's structuredClone mode would, at 7x the encoding cost).
 */
import { Packr } from 'msgpackr';
import { CorruptStateError } from '../errors';

const options = {
  useRecords: true,
  mapsAsObjects: false,
  moreTypes: true,
  useBigIntExtension: true,
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
