/**
 * A node's sampling of its source counters: the whole attempt when a count
 * changed, nothing when none did.
 */
import { SourceCountSampler } from './SourceCountSampler';

describe('SourceCountSampler', () => {
  test('gives every counter when one changed, and undefined while none does', () => {
    const counts = [0, 0];
    const s = new SourceCountSampler();
    expect(s.sample()).toBeUndefined(); // no source subtasks here
    s.add({ vertexId: 1, index: 0 }, () => counts[0]);
    s.add({ vertexId: 1, index: 1 }, () => counts[1]);
    expect(s.sample()).toEqual([
      { subtask: { vertexId: 1, index: 0 }, recordsRead: 0 },
      { subtask: { vertexId: 1, index: 1 }, recordsRead: 0 },
    ]);
    expect(s.sample()).toBeUndefined();
    counts[1] = 7;
    expect(s.sample()).toEqual([
      { subtask: { vertexId: 1, index: 0 }, recordsRead: 0 },
      { subtask: { vertexId: 1, index: 1 }, recordsRead: 7 },
    ]);
    expect(s.sample()).toBeUndefined();
  });

  test('a counter added later is reported; clear() forgets them all', () => {
    const s = new SourceCountSampler();
    s.add({ vertexId: 1, index: 0 }, () => 5);
    expect(s.sample()).toHaveLength(1);
    s.add({ vertexId: 3, index: 0 }, () => 2);
    expect(s.sample()).toEqual([
      { subtask: { vertexId: 1, index: 0 }, recordsRead: 5 },
      { subtask: { vertexId: 3, index: 0 }, recordsRead: 2 },
    ]);
    s.clear();
    expect(s.sample()).toBeUndefined();
  });
});
