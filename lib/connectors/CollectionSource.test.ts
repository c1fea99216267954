/**
 * CollectionSource: a bounded, non-parallel source with one split holding an
 * offset. Readers emit the items in batches of batchSizeHint with END_OF_INPUT
 * on the last batch; snapshotState() + addSplits() on a new reader continues
 * exactly (also as a property over random stop points and parallelism
 * changes through assignSplits), and readers that got no split end at once.
 */
import fc from 'fast-check';
import { StreamExecutionEnvironment } from '../api/StreamExecutionEnvironment';
import { ManualClock } from '../testing/ManualClock';
import { CollectionSource, type CollectionSplit } from './CollectionSource';
import { assignSplits, type InputStatus, type SourceReader } from './Source';

function reader<T>(source: CollectionSource<T>, batch: number, index = 0, parallelism = 1) {
  return source.createReader({ indexOfSubtask: index, parallelism, batchSizeHint: batch, clock: new ManualClock() });
}

function poll<T>(r: SourceReader<T, CollectionSplit>): { records: T[]; status: InputStatus } {
  const records: T[] = [];
  const status = r.pollNext({ collect: (v) => records.push(v) });
  return { records, status };
}

function drainReader<T>(r: SourceReader<T, CollectionSplit>): T[] {
  const out: T[] = [];
  for (let i = 0; i < 10_000; i++) {
    const { records, status } = poll(r);
    out.push(...records);
    if (status === 'END_OF_INPUT') return out;
  }
  throw new Error('reader did not reach END_OF_INPUT');
}

describe('CollectionSource', () => {
  test('bounded, non-parallel, one split at offset 0 whatever the parallelism', () => {
    const s = new CollectionSource(['a']);
    expect(s.boundedness).toBe('BOUNDED');
    expect(s.maxParallelism).toBe(1);
    expect(s.createSplits(1)).toEqual([{ splitId: 'collection', offset: 0 }]);
    expect(s.createSplits(4)).toEqual([{ splitId: 'collection', offset: 0 }]);
  });

  test('emits the items in order, in batches of batchSizeHint', () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const s = new CollectionSource(items);
    const r = reader(s, 3);
    r.addSplits(s.createSplits(1));
    expect(poll(r)).toEqual({ records: ['a', 'b', 'c'], status: 'MORE_AVAILABLE' });
    expect(poll(r)).toEqual({ records: ['d', 'e', 'f'], status: 'MORE_AVAILABLE' });
    expect(poll(r)).toEqual({ records: ['g'], status: 'END_OF_INPUT' });
    expect(poll(r)).toEqual({ records: [], status: 'END_OF_INPUT' });
  });

  test('a size that is a multiple of the batch ends with a full batch', () => {
    const s = new CollectionSource([1, 2, 3, 4]);
    const r = reader(s, 2);
    r.addSplits(s.createSplits(1));
    expect(poll(r)).toEqual({ records: [1, 2], status: 'MORE_AVAILABLE' });
    expect(poll(r)).toEqual({ records: [3, 4], status: 'END_OF_INPUT' });
  });

  test('records are copies of the items, including undefined and null items; a replay copies again', () => {
    const obj = { x: 1, nested: { y: [2] } };
    const s = new CollectionSource<unknown>([obj, undefined, null, 0]);
    const r = reader(s, 10);
    r.addSplits(s.createSplits(1));
    const { records, status } = poll(r);
    expect(status).toBe('END_OF_INPUT');
    expect(records).toHaveLength(4);
    expect(records[0]).toEqual(obj);
    expect(records[0]).not.toBe(obj);
    expect(records.slice(1)).toEqual([undefined, null, 0]);
    // what downstream does to an emitted record reaches neither the item nor a replay
    (records[0] as typeof obj).nested.y.push(3);
    expect(obj).toEqual({ x: 1, nested: { y: [2] } });
    const replay = reader(s, 10);
    replay.addSplits(s.createSplits(1));
    expect(poll(replay).records[0]).toEqual({ x: 1, nested: { y: [2] } });
  });

  test('with objectReuse the items themselves are emitted', () => {
    const obj = { x: 1 };
    const s = new CollectionSource<unknown>([obj], { objectReuse: true });
    const r = reader(s, 10);
    r.addSplits(s.createSplits(1));
    expect(poll(r).records[0]).toBe(obj);
  });

  test('an empty collection, and a reader without splits, end at once', () => {
    const s = new CollectionSource<number>([]);
    const r = reader(s, 4);
    r.addSplits(s.createSplits(1));
    expect(poll(r)).toEqual({ records: [], status: 'END_OF_INPUT' });
    const none = reader(new CollectionSource([1, 2]), 4);
    none.addSplits([]);
    expect(poll(none)).toEqual({ records: [], status: 'END_OF_INPUT' });
    expect(none.snapshotState(1)).toEqual([]);
  });

  test('snapshotState() then a new reader with addSplits(snapshot) continues exactly', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    const s = new CollectionSource(items);
    const r1 = reader(s, 4);
    r1.addSplits(s.createSplits(1));
    const before = poll(r1).records;
    const snap = r1.snapshotState(1);
    expect(snap).toEqual([{ splitId: 'collection', offset: 4 }]);
    poll(r1); // the snapshot is a copy
    expect(snap).toEqual([{ splitId: 'collection', offset: 4 }]);
    const r2 = reader(s, 4);
    r2.addSplits(snap);
    expect([...before, ...drainReader(r2)]).toEqual(items);
    // a finished reader's snapshot is empty: restoring it emits nothing
    expect(r2.snapshotState(2)).toEqual([]);
    const r3 = reader(s, 4);
    r3.addSplits(r2.snapshotState(2));
    expect(drainReader(r3)).toEqual([]);
  });

  test('fromCollection() copies the items: later changes to the caller\'s array do not leak in', () => {
    const items = [1, 2, 3];
    const env = StreamExecutionEnvironment.create();
    env.fromCollection(items).sinkTo(() => {});
    items.push(4);
    items[0] = 99;
    const s = env.getStreamGraph().nodes[0].source as CollectionSource<number>;
    expect(s).toBeInstanceOf(CollectionSource);
    const r = reader(s, 10);
    r.addSplits(s.createSplits(1));
    expect(drainReader(r)).toEqual([1, 2, 3]);
  });

  test('property: random stop points and parallelism changes lose and duplicate nothing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 60 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 4, maxLength: 4 }),
        (items, p, q, batch, stops) => {
          const s = new CollectionSource(items);
          const seen: number[] = [];
          const snapshots: CollectionSplit[] = [];
          for (let i = 0; i < p; i++) {
            const r = reader(s, batch, i, p);
            const mine = assignSplits(s.createSplits(p), i, p);
            expect(mine).toHaveLength(i === 0 ? 1 : 0);
            r.addSplits(mine);
            for (let k = 0; k < stops[i]; k++) {
              const { records, status } = poll(r);
              expect(records.length).toBeLessThanOrEqual(batch);
              seen.push(...records);
              if (status === 'END_OF_INPUT') break;
            }
            snapshots.push(...r.snapshotState(1));
          }
          for (let j = 0; j < q; j++) {
            const r = reader(s, batch, j, q);
            r.addSplits(assignSplits(snapshots, j, q));
            seen.push(...drainReader(r));
          }
          // one split: order is kept too
          expect(seen).toEqual(items);
        },
      ),
    );
  });
});
