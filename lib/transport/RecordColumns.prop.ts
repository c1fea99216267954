/**
 * Record frames through one connection's codec pair (WireEncoder /
 * WireDecoder: columns, string table, msgpackr), in sequence, come back as
 * they were sent: generated frames of uniform
 * records (a generated key list, each field all ints, all doubles, all
 * strings including ill-formed ones, all booleans, or any values), frames
 * of primitives, frames with a record that breaks the shape (an extra,
 * missing or reordered key, no prototype, a class instance), with and
 * without timestamps; string tables small enough to reset often, and
 * frames encoded but never sent (`abandon`) among them. Values compare by
 * prototype, key order and Object.is.
 *
 * Replay: FC_SEED=<seed> npx jest lib/transport/RecordColumns.prop.ts
 */
import fc from 'fast-check';
import { key, primitive, sameValue, stateValue } from '../../property-tests/support/stateValueArbitraries';
import type { DeliverBuffer } from '../cluster/WireMessages';
import type { RecordFrame } from './ChannelBuffer';
import { WireDecoder, WireEncoder } from './WireCodec';

const RUNS = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 200 : 100));

const value = stateValue();
/** Strings from a small pool (so they repeat across frames), or any string. */
const tableString = fc.oneof(fc.constantFrom('a', 'b', 'user-1', 'user-2', 'é', '\u{1F600}', 'a\uD800b', ''), fc.string({ unit: 'binary', maxLength: 10 }));

/** What one field of a uniform frame holds. */
const fieldKind = fc.constantFrom<fc.Arbitrary<unknown>>(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.oneof(fc.double(), fc.constantFrom(-0, NaN, Infinity, 2 ** 31)),
  tableString,
  fc.boolean(),
  value,
  primitive,
);

const uniformFrame = fc.uniqueArray(key, { minLength: 1, maxLength: 5 }).chain((keys) =>
  fc.tuple(...keys.map(() => fieldKind)).chain((kinds) =>
    fc.array(fc.tuple(...kinds.map((k) => k)), { minLength: 1, maxLength: 12 }).map((rows) =>
      rows.map((row) => {
        const o: Record<string, unknown> = {};
        // defineProperty: "__proto__" is a key like any other here.
        keys.forEach((k, i) => Object.defineProperty(o, k, { value: row[i], writable: true, enumerable: true, configurable: true }));
        return o;
      }),
    ),
  ),
);

/** A record that breaks a uniform frame's shape. */
function breakShape(records: unknown[], how: number): unknown[] {
  const out = records.slice();
  const i = out.length - 1;
  const r = out[i] as Record<string, unknown>;
  const keys = Object.keys(r);
  switch (how) {
    case 0:
      out[i] = { ...r, extra: 1 };
      break;
    case 1:
      out[i] = Object.fromEntries(Object.entries(r).slice(1));
      break;
    case 2:
      out[i] = Object.fromEntries(Object.entries(r).reverse());
      break;
    case 3:
      out[i] = Object.assign(Object.create(null) as object, r);
      break;
    default:
      out[i] = keys.length > 0 ? [r[keys[0]]] : 7;
  }
  return out;
}

const records: fc.Arbitrary<unknown[]> = fc.oneof(
  { arbitrary: uniformFrame, weight: 4 },
  { arbitrary: fc.tuple(uniformFrame, fc.nat(4)).map(([rs, how]) => breakShape(rs, how)), weight: 1 },
  { arbitrary: fc.array(fc.oneof(fc.double(), fc.integer()), { minLength: 1, maxLength: 12 }), weight: 1 },
  { arbitrary: fc.array(tableString, { minLength: 1, maxLength: 12 }), weight: 1 },
  { arbitrary: fc.array(value, { maxLength: 8 }), weight: 1 },
);

const frame: fc.Arbitrary<RecordFrame> = records.chain((values) =>
  fc
    .option(fc.array(fc.option(fc.oneof(fc.integer(), fc.double({ noNaN: true })), { nil: undefined }), { minLength: values.length, maxLength: values.length }), { nil: undefined })
    .map((timestamps) => ({ kind: 'records' as const, values, timestamps })),
);

/** A frame to send, or one encoded and then dropped. */
const step = fc.record({ frame, sent: fc.nat(9).map((n) => n > 0) });

function message(buffer: RecordFrame): DeliverBuffer {
  return { type: 'DeliverBuffer', jobId: 'j', attempt: 0, channel: { sourceVertex: 0, sourceIndex: 0, targetVertex: 1, targetIndex: 0, edge: 0 }, buffer };
}

function expectSame(back: unknown, f: RecordFrame): void {
  const b = (back as DeliverBuffer).buffer as RecordFrame;
  if (!sameValue(b.values, f.values) || !sameValue(b.timestamps, f.timestamps)) expect(b).toStrictEqual(f); // shows the difference
  expect(sameValue(b.values, f.values)).toBe(true);
  expect(sameValue(b.timestamps, f.timestamps)).toBe(true);
}

test('frames through one connection come back as sent, whatever the table size', () => {
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 }), (steps, maxEntries, maxLength) => {
      const encoder = new WireEncoder({ stringTable: { maxEntries, maxLength } });
      const decoder = new WireDecoder({ stringTable: { maxEntries } });
      for (const { frame: f, sent } of steps) {
        const bytes = encoder.encode(message(f));
        if (sent) expectSame(decoder.decode(bytes), f);
        else encoder.abandon();
      }
    }),
    { numRuns: RUNS },
  );
});

test('a stateless pair (no table) agrees frame by frame', () => {
  fc.assert(
    fc.property(frame, (f) => {
      const bytes = new WireEncoder({ stringTable: false }).encode(message(f));
      expectSame(new WireDecoder({ stringTable: false }).decode(bytes), f);
    }),
    { numRuns: RUNS },
  );
});
