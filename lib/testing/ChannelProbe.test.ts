/**
 * MailboxProbe: per consumer subtask ("vertexId#index"), the buffers sent
 * and not yet processed (outstanding) and the largest such number ever seen
 * (peaks); the total sent/processed counters; subtaskKey's format.
 */
import { MailboxProbe, subtaskKey, type ChannelProbe } from './ChannelProbe';

const A = { vertexId: 2, index: 0 };
const B = { vertexId: 2, index: 1 };
const C = { vertexId: 5, index: 0 };

describe('MailboxProbe', () => {
  test('subtaskKey is "vertexId#index"', () => {
    expect(subtaskKey(A)).toBe('2#0');
    expect(subtaskKey(B)).toBe('2#1');
    expect(subtaskKey({ vertexId: 12, index: 3 })).toBe('12#3');
  });

  test('a fresh probe has nothing', () => {
    const p = new MailboxProbe();
    expect([...p.peaks()]).toEqual([]);
    expect([...p.outstanding()]).toEqual([]);
    expect([p.sent, p.processed]).toEqual([0, 0]);
  });

  test('peak and outstanding per consumer', () => {
    const p = new MailboxProbe();
    p.bufferSent(A);
    p.bufferSent(A);
    p.bufferSent(A); // A holds 3
    p.bufferProcessed(A); // 2
    p.bufferSent(A); // 3
    p.bufferProcessed(A);
    p.bufferProcessed(A); // 1
    p.bufferSent(B); // B holds 1
    p.bufferSent(C);
    p.bufferSent(C);
    p.bufferProcessed(C);
    p.bufferProcessed(C);
    p.bufferSent(C);
    p.bufferProcessed(C); // C peaked at 2, holds 0
    expect(Object.fromEntries(p.peaks())).toEqual({ '2#0': 3, '2#1': 1, '5#0': 2 });
    expect(Object.fromEntries(p.outstanding())).toEqual({ '2#0': 1, '2#1': 1, '5#0': 0 });
    expect(p.sent).toBe(8);
    expect(p.processed).toBe(6);
  });

  test('the peak is the largest backlog ever, not the current one nor the total sent', () => {
    const p = new MailboxProbe();
    for (let round = 0; round < 5; round++) {
      p.bufferSent(A);
      p.bufferSent(A);
      p.bufferProcessed(A);
      p.bufferProcessed(A);
    }
    expect(p.peaks().get('2#0')).toBe(2);
    expect(p.outstanding().get('2#0')).toBe(0);
    expect(p.sent).toBe(10);
  });

  test('after a clean finish every consumer has zero outstanding, peaks stay', () => {
    const p = new MailboxProbe();
    const consumers = [A, B, C];
    for (let i = 0; i < 12; i++) p.bufferSent(consumers[i % 3]);
    for (let i = 0; i < 12; i++) p.bufferProcessed(consumers[i % 3]);
    expect([...p.outstanding().values()]).toEqual([0, 0, 0]);
    expect(Object.fromEntries(p.peaks())).toEqual({ '2#0': 4, '2#1': 4, '5#0': 4 });
    expect(p.processed).toBe(p.sent);
  });

  test('used through the ChannelProbe interface, the channel does not matter, only the consumer', () => {
    const p = new MailboxProbe();
    const probe: ChannelProbe = p;
    probe.bufferSent(A, 0);
    probe.bufferSent(A, 3);
    probe.bufferProcessed(A, 7);
    expect(Object.fromEntries(p.peaks())).toEqual({ '2#0': 2 });
    expect(Object.fromEntries(p.outstanding())).toEqual({ '2#0': 1 });
  });

  test('consumers are told apart by vertex and index together', () => {
    const p = new MailboxProbe();
    p.bufferSent({ vertexId: 1, index: 2 });
    p.bufferSent({ vertexId: 2, index: 1 });
    p.bufferSent({ vertexId: 2, index: 1 });
    expect(Object.fromEntries(p.peaks())).toEqual({ '1#2': 1, '2#1': 2 });
  });
});
