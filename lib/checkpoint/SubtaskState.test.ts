/**
 * SubtaskState and RestoredState: operator list state concatenated in
 * old-subtask order and dealt round-robin over a new parallelism (every item
 * exactly once across the new subtasks, also as a fast-check property),
 * allLists complete, keyed handles given to every subtask, validate()
 * (unknown uid unless allowNonRestoredState, maxParallelism mismatch), and
 * the encode/decode round trip with CorruptStateError on garbage; list
 * values under the state-value policy (typed round trips, refusals naming
 * the operator and the list, unknown types).
 */
import fc from 'fast-check';
import { CorruptStateError, RestoreError, StateSerializationError, UnknownStateTypeError } from '../errors';
import type { KeyedStateHandle } from '../state/HeapKeyedStateBackend';
import { encodeState } from '../state/codec';
import { registerStateType } from '../state/StateTypeRegistry';
import { UnresolvedStateValue } from '../state/taggedForm';
import { decodeSubtaskState, encodeSubtaskState, RestoredState, type SubtaskState } from './SubtaskState';

function keyed(start: number, end: number): KeyedStateHandle {
  return {
    keyGroupRange: { start, end },
    states: [{ name: 'count', kind: 'value' }],
    keyGroups: [{ keyGroup: start, bytes: new Uint8Array([start, end, 7]) }],
  };
}

function operators(uids: readonly string[]): Map<string, { maxParallelism: number; name: string; type: string }> {
  return new Map(uids.map((u) => [u, { maxParallelism: 128, name: `op-${u}`, type: u === 'src' ? 'source:GeneratorSource' : 'operator:X' }]));
}

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('RestoredState: list state redistribution', () => {
  const states: SubtaskState[] = [
    // given out of order on purpose: old-subtask order is by subtaskIndex
    { subtaskIndex: 2, operators: { src: { lists: { splits: ['d', 'e', 'f'] } } } },
    { subtaskIndex: 0, operators: { src: { lists: { splits: ['a', 'b'], offsets: [10] } } } },
    { subtaskIndex: 1, operators: { src: { lists: { splits: ['c'], offsets: [11, 12] } }, sink: { lists: { pending: ['p1'] } } } },
  ];
  const restored = new RestoredState(3, states, new Map());

  test('lists are concatenated in old-subtask order and dealt round-robin', () => {
    expect(restored.checkpointId).toBe(3);
    expect(restored.operatorUids.sort()).toEqual(['sink', 'src']);
    const shares = [0, 1, 2, 3].map((i) => restored.forSubtask('src', i, 4)!.lists);
    expect(shares.map((s) => s.splits)).toEqual([['a', 'e'], ['b', 'f'], ['c'], ['d']]);
    expect(shares.map((s) => s.offsets)).toEqual([[10], [11], [12], []]);
  });

  test('scaling down to one subtask hands it every item, in order', () => {
    const only = restored.forSubtask('src', 0, 1)!;
    expect(only.lists.splits).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(only.lists.offsets).toEqual([10, 11, 12]);
  });

  test('allLists holds every subtask\'s items, for every new subtask', () => {
    for (let i = 0; i < 2; i++) {
      const s = restored.forSubtask('src', i, 2)!;
      expect(s.allLists).toEqual({ splits: ['a', 'b', 'c', 'd', 'e', 'f'], offsets: [10, 11, 12] });
    }
    expect(restored.forSubtask('sink', 1, 2)!.allLists).toEqual({ pending: ['p1'] });
    expect(restored.forSubtask('sink', 1, 2)!.lists).toEqual({ pending: [] });
  });

  test('an operator without stored state gets undefined', () => {
    expect(restored.forSubtask('missing', 0, 1)).toBeUndefined();
  });

  test('every item goes to exactly one new subtask, shares differ by at most one (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.nat(), { maxLength: 6 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 7 }),
        (perOld, parallelism) => {
          // tag items with their origin so duplicates of equal values are told apart
          const subtasks: SubtaskState[] = perOld.map((items, i) => ({
            subtaskIndex: i,
            operators: { op: { lists: { l: items.map((v, j) => `${i}:${j}:${v}`) } } },
          }));
          const concatenated = subtasks.flatMap((s) => s.operators.op.lists!.l as string[]);
          const r = new RestoredState(1, [...subtasks].reverse(), new Map());
          const shares = Array.from({ length: parallelism }, (_, i) => r.forSubtask('op', i, parallelism)!.lists.l as string[]);
          const all = shares.flat();
          expect(all.length).toBe(concatenated.length);
          expect([...all].sort()).toEqual([...concatenated].sort());
          const sizes = shares.map((s) => s.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          // round-robin: item i of the concatenation goes to subtask i mod parallelism, order kept
          shares.forEach((s, idx) => expect(s).toEqual(concatenated.filter((_, i) => i % parallelism === idx)));
          for (let i = 0; i < parallelism; i++) expect(r.forSubtask('op', i, parallelism)!.allLists.l).toEqual(concatenated);
        },
      ),
    );
  });
});

describe('RestoredState: keyed state', () => {
  test('every new subtask gets every keyed handle, in old-subtask order', () => {
    const h0 = keyed(0, 63);
    const h1 = keyed(64, 127);
    const r = new RestoredState(
      1,
      [
        { subtaskIndex: 1, operators: { sum: { keyed: h1 } } },
        { subtaskIndex: 0, operators: { sum: { keyed: h0, lists: { x: [1] } } } },
      ],
      new Map([['sum', 128]]),
    );
    for (let i = 0; i < 3; i++) {
      const s = r.forSubtask('sum', i, 3)!;
      expect(s.keyed).toEqual([h0, h1]);
      expect(s.keyed[0]).toBe(h0);
    }
  });
});

describe('RestoredState.validate', () => {
  const r = new RestoredState(
    9,
    [
      { subtaskIndex: 0, operators: { sum: { keyed: keyed(0, 127) }, src: { lists: { splits: [1] } }, gone: { lists: { x: [1] } } } },
    ],
    new Map([
      ['sum', 128],
      ['src', 64],
      ['gone', 128],
    ]),
    new Map(),
    new Map([['src', 'source:GeneratorSource']]),
  );

  test('state of an operator uid the job does not have is an error naming the uid', () => {
    const e = caught(() => r.validate(operators(['sum', 'src']), false));
    expect(e).toBeInstanceOf(RestoreError);
    expect((e as RestoreError).code).toBe('NON_RESTORED_STATE');
    expect((e as Error).message).toContain("'gone'");
    expect((e as Error).message).toContain('checkpoint 9');
  });

  test('a uid whose state was written by another kind of source is refused, naming both kinds', () => {
    const ops = operators(['sum', 'src', 'gone']);
    ops.set('src', { maxParallelism: 128, name: 'Source: numbers', type: 'source:CollectionSource' });
    const e = caught(() => r.validate(ops, false, '/sp/savepoint-1'));
    expect(e).toBeInstanceOf(RestoreError);
    expect((e as RestoreError).code).toBe('INCOMPATIBLE_STATE');
    expect((e as Error).message).toMatch(/'\/sp\/savepoint-1'.*uid 'src'.*source:GeneratorSource.*source:CollectionSource/);
  });

  test('allowNonRestoredState skips unknown uids', () => {
    expect(() => r.validate(operators(['sum', 'src']), true)).not.toThrow();
  });

  test('keyed state written with another maxParallelism is an error', () => {
    const ops = operators(['sum', 'src', 'gone']);
    ops.set('sum', { maxParallelism: 256, name: 'Sum', type: 'operator:X' });
    const e = caught(() => r.validate(ops, true));
    expect(e).toBeInstanceOf(RestoreError);
    expect((e as RestoreError).code).toBe('MAX_PARALLELISM_CHANGED');
    expect((e as Error).message).toContain("'Sum'");
    expect((e as Error).message).toContain('128');
    expect((e as Error).message).toContain('256');
  });

  test('list-only operators may change maxParallelism; matching keyed operators pass', () => {
    const ops = operators(['sum', 'src', 'gone']);
    ops.set('src', { maxParallelism: 7, name: 'Src', type: 'source:GeneratorSource' });
    expect(() => r.validate(ops, false)).not.toThrow();
  });
});

describe('encode/decode', () => {
  test('round trip keeps lists, keyed handles and their bytes', () => {
    const state: SubtaskState = {
      subtaskIndex: 3,
      operators: {
        sum: { keyed: keyed(10, 20), lists: { pending: [{ file: 'a', n: 1 }, 'x', 42, null] } },
        src: { lists: { splits: [{ id: 's1', offset: 12345678901 }] } },
      },
    };
    const back = decodeSubtaskState(encodeSubtaskState(state), 'test state');
    expect(back).toEqual(state);
    const bytes = back.operators.sum.keyed!.keyGroups[0].bytes;
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect([...bytes]).toEqual([10, 20, 7]);
  });

  test('garbage is a CorruptStateError naming what was read', () => {
    const cases = [new Uint8Array([]), new Uint8Array([0xc1]), new Uint8Array([1, 2, 3]), new Uint8Array([0xde, 0, 5]), encodeState(42), encodeState('x')];
    for (const bytes of cases) {
      const e = caught(() => decodeSubtaskState(bytes, 'chk-7/sum#0'));
      expect(e).toBeInstanceOf(CorruptStateError);
      expect((e as Error).message).toContain('chk-7/sum#0');
    }
  });

  test('a decodable value of the wrong shape is a CorruptStateError', () => {
    for (const v of [{ subtaskIndex: 'zero', operators: {} }, { operators: {} }, { subtaskIndex: 0 }, { subtaskIndex: 0, operators: 'none' }, null, [1, 2]]) {
      expect(caught(() => decodeSubtaskState(encodeState(v), 'x'))).toBeInstanceOf(CorruptStateError);
    }
  });

  test('operators: null is a CorruptStateError too (it would crash RestoredState later)', () => {
    // typeof null === 'object': the shape check must not let this through
    const bytes = encodeState({ subtaskIndex: 0, operators: null });
    expect(caught(() => decodeSubtaskState(bytes, 'x'))).toBeInstanceOf(CorruptStateError);
  });

  test('random bytes either decode to a subtask state or throw CorruptStateError, nothing else (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          const s = decodeSubtaskState(bytes, 'random');
          expect(typeof s.subtaskIndex).toBe('number');
          expect(typeof s.operators).toBe('object');
          expect(s.operators).not.toBeNull();
        } catch (e) {
          expect(e).toBeInstanceOf(CorruptStateError);
        }
      }),
    );
  });
});

describe('list values (state-value policy)', () => {
  class Txn {
    constructor(readonly id = '', readonly body?: Buffer) {}
    size(): number {
      return this.body?.length ?? 0;
    }
  }
  registerStateType(Txn, { name: 'subtask.Txn' });

  test('registered instances and Buffers in splits, committables and list state come back with their types', () => {
    const state: SubtaskState = {
      subtaskIndex: 1,
      operators: {
        sink: { lists: { committables: [{ checkpointId: 3, committable: new Txn('t1', Buffer.from('abc')) }], 'state:seen': [Buffer.from('x'), 2] } },
        src: { lists: { splits: [{ splitId: 's', next: 4 }] } },
      },
    };
    const back = decodeSubtaskState(new Uint8Array(encodeSubtaskState(state)), 'x');
    const c = (back.operators.sink.lists!.committables[0] as { committable: Txn }).committable;
    expect(c).toBeInstanceOf(Txn);
    expect(c.size()).toBe(3);
    expect(Buffer.isBuffer(back.operators.sink.lists!['state:seen'][0])).toBe(true);
    expect(back).toEqual(state);
  });

  test('an unencodable item fails encoding with the operator uid, the list and the path', () => {
    class Unregistered {}
    const state: SubtaskState = { subtaskIndex: 0, operators: { 'Collect_4': { lists: { committables: [{ id: 'a', records: [1, new Unregistered()] }] } } } };
    const e = caught(() => encodeSubtaskState(state)) as StateSerializationError;
    expect(e).toBeInstanceOf(StateSerializationError);
    expect(e.where).toEqual({ kind: 'list', state: 'committables', operator: { uid: 'Collect_4' } });
    expect(e.message).toMatch(/^cannot checkpoint list 'committables' of operator uid 'Collect_4': \[0\]\.records\[1\] is an instance of Unregistered, which is not a registered state type/);
  });

  test('a state refused while it was written throws when encoded', () => {
    const refused = new StateSerializationError({ kind: 'keyed', state: 's', key: 1 }, '.f', 'a function');
    expect(caught(() => encodeSubtaskState({ subtaskIndex: 0, operators: {}, refused }))).toBe(refused);
  });

  test('a type this process does not know: typed error for splits and committables, deferred for operator list state', () => {
    const written = (list: string) =>
      encodeState({ subtaskIndex: 0, operators: { op: { lists: { [list]: [{ '\u0000type': 'subtask.Unknown', '\u0000data': {} }] }, t: [list] } } });
    const e = caught(() => decodeSubtaskState(written('splits'), 'chk-2/src#0'));
    expect(e).toBeInstanceOf(UnknownStateTypeError);
    expect((e as Error).message).toMatch(/^list 'splits' of operator uid 'op' \(item 0\) in chk-2\/src#0 holds a value of state type 'subtask.Unknown'/);
    const deferred = decodeSubtaskState(written('state:buffer'), 'x').operators.op.lists!['state:buffer'][0];
    expect(deferred).toBeInstanceOf(UnresolvedStateValue);
  });

  test('malformed list marks are CorruptStateError', () => {
    for (const op of [{ lists: { a: [1] }, t: 'a' }, { lists: { a: [1] }, t: ['b'] }, { lists: { a: 5 }, t: ['a'] }, { t: ['a'] }, { lists: { a: [1] }, t: [7] }, 5]) {
      expect(caught(() => decodeSubtaskState(encodeState({ subtaskIndex: 0, operators: { op } }), 'x'))).toBeInstanceOf(CorruptStateError);
    }
  });
});
