/** End to end: the main job's counts equal a plain count of the same words, at several parallelisms. */
import { SAMPLE_TEXT, wordCount } from './wordCount';
import { operatorResult } from '../index';

function reference(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of text.toLowerCase().split(/[^a-z']+/)) {
    const word = w.replace(/^'+|'+$/g, '');
    if (word) m.set(word, (m.get(word) ?? 0) + 1);
  }
  return m;
}

describe('word count', () => {
  test.each([1, 2, 4])('final counts at parallelism %i equal the reference', async (p) => {
    const { counts, result } = await wordCount(SAMPLE_TEXT, p);
    const expected = reference(SAMPLE_TEXT);
    expect(new Map([...counts].sort())).toEqual(new Map([...expected].sort()));
    const words = [...expected.values()].reduce((a, b) => a + b, 0);
    expect(operatorResult(result, 'tokenize').recordsOut).toBe(words);
    expect(operatorResult(result, 'count').recordsIn).toBe(words);
    expect(operatorResult(result, 'final-counts').recordsIn).toBe(words);
    expect(result.status).toBe('FINISHED');
  });

  test('a larger text through a 1-record frame size still counts exactly', async () => {
    const text = Array.from({ length: 300 }, (_, i) => `w${i % 17} w${i % 5} w${i % 3}`).join('\n');
    const { counts } = await wordCount(text, 3);
    expect(new Map([...counts].sort())).toEqual(new Map([...reference(text)].sort()));
  });
});
