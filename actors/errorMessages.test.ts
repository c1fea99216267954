/**
 * Messages (issue 6, part of case 12): a NaN or Infinity key is named as
 * such (not `null`); a hand-built restart strategy with a bad field and a
 * source reader breaking its contract fail with typed errors naming the
 * field, or the source and the value — never "Cannot read properties of
 * undefined".
 */
import {
  ConfigurationError,
  InvalidKeyError,
  JobExecutionError,
  StreamExecutionEnvironment,
  UserFunctionError,
  type Source,
  type SourceReader,
} from '../index';

async function failureOf(env: StreamExecutionEnvironment): Promise<UserFunctionError> {
  const err = await env.execute('messages').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(JobExecutionError);
  expect((err as Error).message).not.toMatch(/Cannot read properties/);
  const cause = (err as JobExecutionError).cause;
  expect(cause).toBeInstanceOf(UserFunctionError);
  return cause as UserFunctionError;
}

test.each([
  [NaN, 'key NaN is not valid'],
  [Infinity, 'key Infinity is not valid'],
  [-Infinity, 'key -Infinity is not valid'],
])('a %p key is reported as %s', async (bad, text) => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  env.fromCollection([1, 2]).keyBy(() => bad).sum().sinkTo(() => {});
  const cause = await failureOf(env);
  expect(cause.cause).toBeInstanceOf(InvalidKeyError);
  expect(cause.message).toContain(text);
  expect(cause.message).not.toContain('key null');
});

test("setRestartStrategy({ kind: 'bogus' }) is a ConfigurationError naming the field", () => {
  const env = StreamExecutionEnvironment.create();
  expect(() => env.setRestartStrategy({ kind: 'bogus' } as never)).toThrow(ConfigurationError);
  expect(() => env.setRestartStrategy({ kind: 'bogus' } as never)).toThrow(/'restartStrategy.kind'/);
  expect(() => env.setRestartStrategy({ kind: 'fixed-delay', attempts: 2 } as never)).toThrow(/'restartStrategy.delayMs'/);
});

function sourceWith(reader: Partial<SourceReader<number, { splitId: string }>>): Source<number, { splitId: string }> {
  return {
    boundedness: 'BOUNDED',
    createSplits: () => [{ splitId: 'only' }],
    createReader: () => ({
      addSplits() {},
      snapshotState: () => [],
      isAvailable: () => Promise.resolve(),
      pollNext: () => 'END_OF_INPUT',
      ...reader,
    }),
  };
}

test('a pollNext status outside the contract names the source and the value', async () => {
  const env = StreamExecutionEnvironment.create();
  env.fromSource(sourceWith({ pollNext: (() => 'DONE') as never }), 'Broken').sinkTo(() => {});
  const cause = await failureOf(env);
  expect(cause.location.operator).toBe('Source: Broken');
  expect(cause.phase).toBe('poll');
  expect(cause.message).toContain(`pollNext() returned "DONE"; it must return 'MORE_AVAILABLE', 'NOTHING_AVAILABLE' or 'END_OF_INPUT'`);
});

test('an isAvailable() that returns no promise names the source', async () => {
  const env = StreamExecutionEnvironment.create();
  env.fromSource(sourceWith({ pollNext: () => 'NOTHING_AVAILABLE', isAvailable: (() => true) as never }), 'Lazy').sinkTo(() => {});
  const cause = await failureOf(env);
  expect(cause.location.operator).toBe('Source: Lazy');
  expect(cause.message).toContain('isAvailable() returned true; it must return a Promise');
});
