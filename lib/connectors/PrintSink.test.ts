/**
 * PrintSink and formatRecord: strings printed as they are, other values as
 * JSON, and values JSON cannot express (bigint, cycles, undefined, functions)
 * through util.inspect; each record one line on the given LineWriter, with
 * the prefix "<identifier>:<subtask>> " (subtask 1-based, only at
 * parallelism > 1, identifier only when given).
 */
import { inspect } from 'node:util';
import { ManualClock } from '../testing/ManualClock';
import { formatRecord, PrintSink, type LineWriter } from './PrintSink';
import type { SinkInitContext } from './Sink';

function ctx(indexOfSubtask: number, parallelism: number): SinkInitContext {
  return {
    indexOfSubtask,
    parallelism,
    operatorUid: 'print',
    clock: new ManualClock(),
    sendToCoordinator: () => {
      throw new Error('PrintSink has no coordinator');
    },
  };
}

function capture(): LineWriter & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

const wctx = { timestamp: undefined };

describe('formatRecord', () => {
  test('strings as they are, without quotes', () => {
    expect(formatRecord('hello world')).toBe('hello world');
    expect(formatRecord('')).toBe('');
    expect(formatRecord('{"a":1}')).toBe('{"a":1}');
    expect(formatRecord('line "quoted"')).toBe('line "quoted"');
  });

  test('numbers, booleans and null as JSON', () => {
    expect(formatRecord(42)).toBe('42');
    expect(formatRecord(-1.5)).toBe('-1.5');
    expect(formatRecord(true)).toBe('true');
    expect(formatRecord(null)).toBe('null');
  });

  test('objects and arrays as compact JSON', () => {
    expect(formatRecord({ word: 'a', count: 3 })).toBe('{"word":"a","count":3}');
    expect(formatRecord(['x', 1, { y: [2] }])).toBe('["x",1,{"y":[2]}]');
    expect(formatRecord({ nested: { s: 'with "quote"' } })).toBe('{"nested":{"s":"with \\"quote\\""}}');
  });

  test('a bigint falls back to inspect', () => {
    expect(formatRecord(10n)).toBe('10n');
    expect(formatRecord({ id: 12345678901234567890n, name: 'x' })).toBe("{ id: 12345678901234567890n, name: 'x' }");
  });

  test('a cycle falls back to inspect, on one line', () => {
    const a: { name: string; self?: unknown } = { name: 'a' };
    a.self = a;
    const s = formatRecord(a);
    expect(s).toBe(inspect(a, { breakLength: Infinity, depth: 4 }));
    expect(s).toContain('[Circular *1]');
    expect(s).not.toContain('\n');
  });

  test('values JSON does not express (undefined, functions, symbols) fall back to inspect', () => {
    expect(formatRecord(undefined)).toBe('undefined');
    expect(formatRecord(Symbol('s'))).toBe('Symbol(s)');
    function named() {}
    expect(formatRecord(named)).toBe('[Function: named]');
  });

  // Each record must be one line. util.inspect's default `compact: 3` groups
  // arrays of more than 6 items into columns and breaks deep nesting, even
  // with breakLength Infinity.
  test('an array of 8 bigints falls back to inspect on one line', () => {
    const v = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n];
    expect(formatRecord(v)).toBe('[ 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n ]');
  });

  test('a deeply nested object with a bigint falls back to inspect on one line', () => {
    const v = { a: { b: { c: { d: { e: 1n } } } } };
    expect(formatRecord(v)).toBe('{ a: { b: { c: { d: { e: 1n } } } } }');
  });

  test('a record with many items that needs inspect stays on one line', () => {
    const big = { n: 1n, items: Array.from({ length: 30 }, (_, i) => ({ i, label: `item-${i}` })) };
    const s = formatRecord(big);
    expect(s).not.toContain('\n');
    expect(s.startsWith("{ n: 1n, items: [ { i: 0, label: 'item-0' }, { i: 1, label: 'item-1' },")).toBe(true);
  });
});

describe('PrintSink', () => {
  test('parallelism 1, no identifier: no prefix, one line per record', () => {
    const out = capture();
    const w = new PrintSink<unknown>(undefined, out).createWriter(ctx(0, 1));
    w.write('a', wctx);
    w.write({ k: 1 }, wctx);
    w.write(7n, wctx);
    expect(out.lines).toEqual(['a\n', '{"k":1}\n', '7n\n']);
  });

  test('parallelism > 1: the 1-based subtask number', () => {
    const out = capture();
    const sink = new PrintSink<string>(undefined, out);
    sink.createWriter(ctx(0, 3)).write('first', wctx);
    sink.createWriter(ctx(2, 3)).write('third', wctx);
    expect(out.lines).toEqual(['1> first\n', '3> third\n']);
  });

  test('identifier and subtask: "id:2> "', () => {
    const out = capture();
    const w = new PrintSink<{ n: number }>('id', out).createWriter(ctx(1, 2));
    w.write({ n: 5 }, wctx);
    expect(out.lines).toEqual(['id:2> {"n":5}\n']);
  });

  test('identifier at parallelism 1: "id> " without a subtask number', () => {
    const out = capture();
    const w = new PrintSink<string>('id', out).createWriter(ctx(0, 1));
    w.write('x', wctx);
    expect(out.lines).toEqual(['id> x\n']);
  });

  test('an empty identifier counts as none', () => {
    const out = capture();
    new PrintSink<string>('', out).createWriter(ctx(0, 1)).write('x', wctx);
    new PrintSink<string>('', out).createWriter(ctx(1, 4)).write('y', wctx);
    expect(out.lines).toEqual(['x\n', '2> y\n']);
  });

  test('write returns nothing to wait for', () => {
    const out: LineWriter = { write: () => Promise.resolve('ignored') };
    const w = new PrintSink<string>(undefined, out).createWriter(ctx(0, 1));
    expect(w.write('x', wctx)).toBeUndefined();
  });

  test('every record is exactly one line, also when it falls back to inspect', () => {
    const out = capture();
    const w = new PrintSink<unknown>('ids', out).createWriter(ctx(0, 2));
    w.write({ ids: [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n] }, wctx);
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toBe('ids:1> { ids: [ 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n ] }\n');
  });

  test('defaults to process.stdout', () => {
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      new PrintSink<string>('out').createWriter(ctx(0, 1)).write('hi', wctx);
      expect(spy).toHaveBeenCalledWith('out> hi\n');
    } finally {
      spy.mockRestore();
    }
  });
});
