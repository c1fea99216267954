/**
 * A value of TTL state as stored (Flink's TtlValue): the user's value and
 * the processing time of its last access that counts (a write, or with
 * OnReadAndWrite a read too). Registered as a state type, so a checkpoint
 * keeps it — last-access time included — and a restore gives back
 * instances. The name written into checkpoints is TTL_VALUE_TYPE; keep it.
 */
import { registerStateType } from '../StateTypeRegistry';

/** The state-type name of TtlValue in checkpoints. */
export const TTL_VALUE_TYPE = 'weir.TtlValue';

export class TtlValue<T> {
  constructor(
    readonly value: T,
    /** Processing time (ms) of the last write, or read with OnReadAndWrite. */
    readonly lastAccess: number,
  ) {}
}

registerStateType(TtlValue, { name: TTL_VALUE_TYPE });

/** Expired at `now` when `lastAccess + ttl <= now`. */
export function isExpired(v: TtlValue<unknown>, ttl: number, now: number): boolean {
  return v.lastAccess + ttl <= now;
}
