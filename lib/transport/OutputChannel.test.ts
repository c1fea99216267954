/**
 * OutputChannel, the producer end of a channel: frames of exactly frameSize,
 * flush() ships partial frames, timestamps only when some record has one (and
 * aligned by position), nothing sent without credit, a FIFO backlog in which
 * events stay behind the data before them, addCredit drains the backlog, and
 * isAvailable reflects the backlog.
 */
import { END_OF_PARTITION, type ChannelBuffer, type RecordFrame } from './ChannelBuffer';
import { OutputChannel } from './OutputChannel';

function setup(credits: number, frameSize: number) {
  const sent: ChannelBuffer[] = [];
  const ch = new OutputChannel(7, credits, frameSize, (b) => sent.push(b));
  return { ch, sent };
}

function frame(b: ChannelBuffer): RecordFrame {
  expect(b.kind).toBe('records');
  return b as RecordFrame;
}

describe('OutputChannel framing', () => {
  test('a frame is sent as soon as it holds exactly frameSize records', () => {
    const { ch, sent } = setup(10, 3);
    expect(ch.id).toBe(7);
    ch.add('a', undefined);
    ch.add('b', undefined);
    expect(sent).toHaveLength(0);
    expect(ch.pendingRecords).toBe(2);
    ch.add('c', undefined);
    expect(sent).toHaveLength(1);
    expect(frame(sent[0]).values).toEqual(['a', 'b', 'c']);
    expect(ch.pendingRecords).toBe(0);
    for (let i = 0; i < 7; i++) ch.add(i, undefined);
    expect(sent.map((b) => frame(b).values)).toEqual([['a', 'b', 'c'], [0, 1, 2], [3, 4, 5]]);
    expect(ch.pendingRecords).toBe(1);
    expect(ch.sent).toBe(3);
    expect(ch.availableCredits).toBe(7);
  });

  test('frameSize 1 sends every record in its own frame', () => {
    const { ch, sent } = setup(5, 1);
    ch.add('x', undefined);
    ch.add('y', undefined);
    expect(sent.map((b) => frame(b).values)).toEqual([['x'], ['y']]);
  });

  test('flush() ships a partial frame, and does nothing when no record is pending', () => {
    const { ch, sent } = setup(10, 4);
    ch.flush();
    expect(sent).toHaveLength(0);
    ch.add(1, undefined);
    ch.add(2, undefined);
    ch.flush();
    expect(sent.map((b) => frame(b).values)).toEqual([[1, 2]]);
    expect(ch.pendingRecords).toBe(0);
    ch.flush();
    expect(sent).toHaveLength(1);
    // the next frame starts fresh
    ch.add(3, undefined);
    ch.flush();
    expect(sent.map((b) => frame(b).values)).toEqual([[1, 2], [3]]);
  });

  test('a sent frame does not change when the producer adds more records', () => {
    const { ch, sent } = setup(10, 2);
    ch.add(1, undefined);
    ch.add(2, undefined);
    ch.add(3, 30);
    ch.add(4, 40);
    expect(frame(sent[0]).values).toEqual([1, 2]);
    expect(frame(sent[0]).timestamps).toBeUndefined();
    expect(frame(sent[1]).values).toEqual([3, 4]);
    expect(frame(sent[0]).values).not.toBe(frame(sent[1]).values);
  });
});

describe('OutputChannel timestamps', () => {
  test('no timestamps array when no record has a timestamp', () => {
    const { ch, sent } = setup(10, 3);
    for (const v of [1, 2, 3]) ch.add(v, undefined);
    expect(frame(sent[0]).timestamps).toBeUndefined();
  });

  test('timestamps array aligned by position when only a later record has one', () => {
    const { ch, sent } = setup(10, 4);
    ch.add('a', undefined);
    ch.add('b', undefined);
    ch.add('c', 100);
    ch.add('d', undefined);
    const f = frame(sent[0]);
    expect(f.values).toEqual(['a', 'b', 'c', 'd']);
    expect(f.timestamps).toEqual([undefined, undefined, 100, undefined]);
    expect(f.timestamps).toHaveLength(4);
  });

  test('timestamps when the first record has one, including timestamp 0', () => {
    const { ch, sent } = setup(10, 3);
    ch.add('a', 0);
    ch.add('b', undefined);
    ch.add('c', -5);
    expect(frame(sent[0]).timestamps).toEqual([0, undefined, -5]);
  });

  test('timestamps are per frame: the next frame without any has none', () => {
    const { ch, sent } = setup(10, 2);
    ch.add('a', 1);
    ch.add('b', 2);
    ch.add('c', undefined);
    ch.flush();
    ch.add('d', undefined);
    ch.add('e', 5);
    expect(sent.map((b) => frame(b).timestamps)).toEqual([[1, 2], undefined, [undefined, 5]]);
  });

  test('property-like sweep: timestamps[i] always belongs to values[i]', () => {
    const { ch, sent } = setup(1000, 5);
    const expected: [number, number | undefined][] = [];
    for (let i = 0; i < 53; i++) {
      const ts = i % 7 === 3 ? i * 10 : undefined;
      expected.push([i, ts]);
      ch.add(i, ts);
    }
    ch.flush();
    const got: [number, number | undefined][] = [];
    for (const b of sent) {
      const f = frame(b);
      if (f.timestamps !== undefined) expect(f.timestamps).toHaveLength(f.values.length);
      f.values.forEach((v, i) => got.push([v as number, f.timestamps?.[i]]));
    }
    expect(got).toEqual(expected);
  });
});

describe('OutputChannel credits and backlog', () => {
  test('nothing is sent without credit; the backlog keeps FIFO order and isAvailable turns false', () => {
    const { ch, sent } = setup(1, 2);
    expect(ch.isAvailable).toBe(true);
    ch.add(1, undefined);
    ch.add(2, undefined); // frame 1: sent with the only credit
    expect(sent).toHaveLength(1);
    expect(ch.availableCredits).toBe(0);
    expect(ch.isAvailable).toBe(true);
    ch.add(3, undefined);
    ch.add(4, undefined); // frame 2: backlog
    expect(sent).toHaveLength(1);
    expect(ch.backlogSize).toBe(1);
    expect(ch.isAvailable).toBe(false);
    ch.add(5, undefined);
    ch.add(6, undefined); // frame 3: backlog
    ch.add(7, undefined);
    ch.addEvent(END_OF_PARTITION); // frame 4 [7], then the event, behind the data
    expect(sent).toHaveLength(1);
    expect(ch.backlogSize).toBe(4);
    expect(ch.sent).toBe(1);

    ch.addCredit(2);
    expect(sent).toHaveLength(3);
    expect(sent.slice(1).map((b) => frame(b).values)).toEqual([[3, 4], [5, 6]]);
    expect(ch.availableCredits).toBe(0);
    expect(ch.isAvailable).toBe(false);
    expect(ch.backlogSize).toBe(2);

    ch.addCredit(5);
    expect(sent).toHaveLength(5);
    expect(frame(sent[3]).values).toEqual([7]);
    expect(sent[4]).toBe(END_OF_PARTITION);
    expect(ch.backlogSize).toBe(0);
    expect(ch.isAvailable).toBe(true);
    expect(ch.availableCredits).toBe(3);
    expect(ch.sent).toBe(5);
  });

  test('a channel created with no credit sends nothing until credit arrives', () => {
    const { ch, sent } = setup(0, 1);
    ch.add('a', undefined);
    ch.addEvent(END_OF_PARTITION);
    expect(sent).toEqual([]);
    expect(ch.isAvailable).toBe(false);
    ch.addCredit(1);
    expect(sent.map((b) => b.kind)).toEqual(['records']);
    ch.addCredit(1);
    expect(sent.map((b) => b.kind)).toEqual(['records', 'end-of-partition']);
  });

  test('a buffer never overtakes the backlog even when credit is available at enqueue time', () => {
    // credits are added while backlog exists → drained at once, so a later frame can never jump ahead
    const { ch, sent } = setup(0, 1);
    ch.add('a', undefined);
    ch.add('b', undefined);
    ch.addCredit(1);
    ch.add('c', undefined);
    expect(sent.map((b) => frame(b).values[0])).toEqual(['a']);
    ch.addCredit(10);
    expect(sent.map((b) => frame(b).values[0])).toEqual(['a', 'b', 'c']);
  });

  test('addEvent finishes the partial frame first, then the event; each costs one credit', () => {
    const { ch, sent } = setup(3, 10);
    ch.add('x', 1);
    ch.addEvent(END_OF_PARTITION);
    expect(sent).toHaveLength(2);
    expect(frame(sent[0]).values).toEqual(['x']);
    expect(frame(sent[0]).timestamps).toEqual([1]);
    expect(sent[1].kind).toBe('end-of-partition');
    expect(ch.availableCredits).toBe(1);
    // an event with no pending records sends no empty frame
    ch.addEvent(END_OF_PARTITION);
    expect(sent).toHaveLength(3);
    expect(sent[2].kind).toBe('end-of-partition');
  });

  test('credits without backlog accumulate', () => {
    const { ch, sent } = setup(1, 1);
    ch.addCredit(4);
    expect(ch.availableCredits).toBe(5);
    for (let i = 0; i < 5; i++) ch.add(i, undefined);
    expect(sent).toHaveLength(5);
    expect(ch.isAvailable).toBe(true);
    ch.add(5, undefined);
    expect(ch.isAvailable).toBe(false);
  });
});
