/**
 * CoStreamMap, CoStreamFlatMap and CoProcessOperator on a two-input
 * harness: the method per input, timestamps kept, per-subtask function
 * copies with open/close, side outputs, emitted records copied, and a
 * Promise from user code failing with AsyncUserFunctionError.
 */
import type { Collector } from '../api/functions';
import { OutputTag } from '../api/OutputTag';
import { AsyncUserFunctionError, UserFunctionError } from '../errors';
import { TwoInputOperatorHarness } from '../testing/TwoInputOperatorHarness';
import { CoProcessOperator } from './CoProcessOperator';
import { CoStreamFlatMap } from './CoStreamFlatMap';
import { CoStreamMap } from './CoStreamMap';

describe('CoStreamMap', () => {
  test('map1 for input 1, map2 for input 2, timestamps kept; the combined watermark goes on', () => {
    const h = new TwoInputOperatorHarness(new CoStreamMap({ map1: (n: number) => `n${n}`, map2: (s: string) => s.toUpperCase() }));
    h.open();
    h.processElement1(1, 10);
    h.processElement2('a', 20);
    h.processElement1(2);
    h.processWatermark1(5);
    h.processWatermark2(7);
    expect(h.output).toEqual([
      { value: 'n1', timestamp: 10 },
      { value: 'A', timestamp: 20 },
      { value: 'n2', timestamp: undefined },
    ]);
    expect(h.watermarks).toEqual([5]);
  });

  test('each operator instance has its own copy of the function object; open and close run', () => {
    const fn = {
      prefix: '',
      open() {
        this.prefix = 'p:';
      },
      map1(n: number) {
        return this.prefix + n;
      },
      map2(s: string) {
        return this.prefix + s;
      },
    };
    const h = new TwoInputOperatorHarness(new CoStreamMap<number, string, string>(fn));
    h.open();
    h.processElement1(1);
    h.processElement2('x');
    expect(h.values()).toEqual(['p:1', 'p:x']);
    expect(fn.prefix).toBe('');
  });

  test('a throw names the record; a Promise fails with AsyncUserFunctionError', () => {
    const h = new TwoInputOperatorHarness(
      new CoStreamMap<number, number, number>({
        map1: (n) => {
          throw new Error(`no ${n}`);
        },
        map2: (n) => Promise.resolve(n) as never,
      }),
    );
    h.open();
    expect(() => h.processElement1(3)).toThrow(UserFunctionError);
    expect(() => h.processElement2(4)).toThrow(AsyncUserFunctionError);
  });
});

describe('CoStreamFlatMap', () => {
  test('zero or more records per input with the input timestamp', () => {
    const h = new TwoInputOperatorHarness(
      new CoStreamFlatMap<string, number, string>({
        flatMap1: (s, out) => s.split(',').forEach((x) => out.collect(x)),
        flatMap2: (n, out) => {
          if (n > 0) out.collect(`#${n}`);
        },
      }),
    );
    h.open();
    h.processElement1('a,b', 1);
    h.processElement2(0, 2);
    h.processElement2(5, 3);
    expect(h.output).toEqual([
      { value: 'a', timestamp: 1 },
      { value: 'b', timestamp: 1 },
      { value: '#5', timestamp: 3 },
    ]);
  });

  test('a Promise from flatMap2 fails the operator', () => {
    const h = new TwoInputOperatorHarness(new CoStreamFlatMap<string, number, string>({ flatMap1() {}, flatMap2: (async () => {}) as never }));
    h.open();
    expect(() => h.processElement2(1)).toThrow(AsyncUserFunctionError);
  });
});

describe('CoProcessOperator', () => {
  test('side outputs from both inputs, timestamps, and emitted records copied', () => {
    const tag = new OutputTag<string>('side');
    const kept = { n: 0 };
    const h = new TwoInputOperatorHarness(
      new CoProcessOperator<number, string, { n: number }>({
        processElement1(n, ctx, out: Collector<{ n: number }>) {
          kept.n = n;
          out.collect(kept);
          ctx.output(tag, `ts=${String(ctx.timestamp)}`);
        },
        processElement2(s, ctx) {
          ctx.output(tag, s);
        },
      }),
    );
    h.open();
    h.processElement1(1, 100);
    h.processElement1(2, 200);
    h.processElement2('x');
    expect(h.values()).toEqual([{ n: 1 }, { n: 2 }]); // copies: changing `kept` later did not change what was emitted
    expect(h.sideOutputs.get('side')!.map((r) => r.value)).toEqual(['ts=100', 'ts=200', 'x']);
  });
});
