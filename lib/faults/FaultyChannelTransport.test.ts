/**
 * FaultyChannelTransport: undecided sends pass straight through; a delay
 * holds back every later send of the same channel and direction (FIFO kept)
 * but not other channels; a loss breaks the channel at the receiving end.
 * Decisions come from a SubtaskFaults built from a plan that went through
 * JSON, as it would to another process.
 */
import { ManualClock } from '../testing/ManualClock';
import { FaultInjector } from '../testing/FaultInjector';
import type { ChannelBuffer } from '../transport/ChannelBuffer';
import type { ChannelAddress, ChannelTransport } from '../transport/ChannelTransport';
import { InjectedFault, type Fault, type SubtaskFaultPlan, type SubtaskIdentity } from './Fault';
import { FaultyChannelTransport } from './FaultyChannelTransport';
import { SubtaskFaults } from './SubtaskFaults';

const src0: SubtaskIdentity = { uids: ['src'], index: 0 };
const sink: SubtaskIdentity[] = [{ uids: ['sink'], index: 0 }, { uids: ['sink'], index: 1 }];

function channel(target: number): ChannelAddress {
  return {
    name: { sourceVertex: 1, sourceIndex: 0, targetVertex: 2, targetIndex: target, edge: 1 },
    producer: { vertexId: 1, index: 0 },
    producerChannel: target,
    consumer: { vertexId: 2, index: target },
    consumerChannel: 0,
  };
}

function setup(faults: Fault[]) {
  const clock = new ManualClock(0);
  const fi = new FaultInjector(faults);
  fi.useClock(() => clock.now());
  // The plan crosses a process boundary as JSON.
  const plan = JSON.parse(JSON.stringify(fi.planFor(src0, 1))) as SubtaskFaultPlan;
  const decisions = new SubtaskFaults(plan, src0, () => clock.now(), (r) => fi.recordFired(r));
  const log: string[] = [];
  const inner: ChannelTransport = {
    sendBuffer: (c, b) => log.push(`data ${c.name.targetIndex} ${(b as { values: unknown[] }).values[0]}`),
    sendCredit: (c, n) => log.push(`credit ${c.name.targetIndex} ${n}`),
    breakChannel: (c, end, e) => log.push(`break ${end} ${c.name.targetIndex} ${e instanceof InjectedFault}`),
  };
  const t = new FaultyChannelTransport(inner, (c, what) => decisions.onSend(sink[c.name.targetIndex], what), {
    now: () => clock.now(),
    after: (ms, fn) => void clock.setTimer(ms, fn),
  });
  return { clock, fi, log, t };
}

const frame = (v: number): ChannelBuffer => ({ kind: 'records', values: [v], timestamps: undefined });

test('without faults every send passes straight through', () => {
  const { t, log } = setup([]);
  t.sendBuffer(channel(0), frame(1));
  t.sendCredit(channel(1), 2);
  expect(log).toEqual(['data 0 1', 'credit 1 2']);
});

test('a delayed send holds back later sends of its channel only, and order is kept', () => {
  const { t, log, clock, fi } = setup([
    { kind: 'delay-channel', from: { operator: 'src', subtask: 0 }, to: { operator: 'sink', subtask: 0 }, what: 'data', delayMs: 50, count: 1 },
  ]);
  t.sendBuffer(channel(0), frame(1)); // delayed 50 ms
  t.sendBuffer(channel(0), frame(2)); // not delayed itself, but waits behind frame 1
  t.sendBuffer(channel(1), frame(3)); // another channel: passes
  t.sendCredit(channel(0), 1); // another direction: passes
  expect(log).toEqual(['data 1 3', 'credit 0 1']);
  clock.advance(49);
  expect(log).toHaveLength(2);
  clock.advance(1);
  expect(log).toEqual(['data 1 3', 'credit 0 1', 'data 0 1', 'data 0 2']);
  t.sendBuffer(channel(0), frame(4)); // the line is empty again: straight through
  expect(log[log.length - 1]).toBe('data 0 4');
  expect(fi.timeline.map((e) => e.where)).toEqual(['data src#0 → sink#0']);
  expect(fi.allFired).toBe(true);
});

test('a lost buffer breaks the channel at the consumer; a lost credit at the producer', () => {
  const { t, log } = setup([
    { kind: 'drop-channel', from: { operator: 'src', subtask: 0 }, to: { operator: 'sink', subtask: 1 }, what: 'data' },
    { kind: 'drop-channel', from: { operator: 'src', subtask: 0 }, to: { operator: 'sink', subtask: 0 }, what: 'credit' },
  ]);
  t.sendBuffer(channel(1), frame(1));
  t.sendBuffer(channel(1), frame(2)); // struck once: delivered
  t.sendCredit(channel(0), 1);
  expect(log).toEqual(['break consumer 1 true', 'data 1 2', 'break producer 0 true']);
});
