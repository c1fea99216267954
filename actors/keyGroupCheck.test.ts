/**
 * Keys checked end to end (issue 6, case 8): a key selector that is not a
 * function of the record (random salting) routed a record by one key and
 * kept its state under another, spreading each key over subtasks and losing
 * state on restore. Now the keyed operator refuses the first such record
 * with a KeyGroupMismatchError naming itself, the subtask, the key, its key
 * group and the subtask's range. Deterministic selectors are untouched.
 */
import { JobExecutionError, KeyGroupMismatchError, RestartStrategies, StreamExecutionEnvironment } from '../index';
import { seededRandom } from '../lib/testing/random';

test('a salted key selector fails the job with the key, its key group and the subtask range', async () => {
  const rand = seededRandom(8);
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  env
    .fromGenerator(40_000, (i) => ({ user: `u${i % 100}`, amount: 1 }))
    .keyBy((r) => `${r.user}#${Math.floor(rand() * 4)}`)
    .sum('amount')
    .uid('salted-sum')
    .sinkTo(() => {});
  const err = await env.execute('salted').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(JobExecutionError);
  const cause = (err as JobExecutionError).cause as KeyGroupMismatchError;
  expect(cause).toBeInstanceOf(KeyGroupMismatchError);
  expect(cause.code).toBe('KEY_GROUP_MISMATCH');
  expect(cause.location?.uid).toBe('salted-sum');
  expect(cause.location?.parallelism).toBe(2);
  const { start, end } = cause.keyGroupRange;
  expect(cause.keyGroup < start || cause.keyGroup > end).toBe(true);
  expect(cause.message).toMatch(
    new RegExp(`key "u\\d+#\\d" belongs to key group ${cause.keyGroup}, but operator 'Keyed Sum' \\(uid salted-sum\\), subtask \\d/2 owns key groups ${start}..${end}`),
  );
  expect(cause.message).toContain('Key selectors must be deterministic functions of the record');
});

test('with restarts, every attempt fails the same way (no silent state loss after a restart)', async () => {
  const rand = seededRandom(3);
  const env = StreamExecutionEnvironment.create({ parallelism: 3 });
  env.enableCheckpointing(20);
  env.setRestartStrategy(RestartStrategies.fixedDelay(2, 0));
  env
    .fromGenerator(40_000, (i) => i)
    .keyBy((i) => (i % 50) * 10 + Math.floor(rand() * 10))
    .sum()
    .sinkTo(() => {});
  const err = (await env.execute('salted with restarts').catch((e: unknown) => e)) as JobExecutionError;
  expect(err).toBeInstanceOf(JobExecutionError);
  expect(err.restarts).toHaveLength(2);
  expect(err.restarts.every((r) => /belongs to key group/.test(r.cause))).toBe(true);
  expect(err.cause).toBeInstanceOf(KeyGroupMismatchError);
});

test('deterministic selectors of every key kind pass the check, at several parallelisms', async () => {
  for (const parallelism of [1, 3, 4]) {
    const env = StreamExecutionEnvironment.create({ parallelism });
    const out = await env
      .fromGenerator(3000, (i) => ({ s: `k${i % 7}`, n: i % 5, b: BigInt(i % 3), t: i % 2 === 0 }))
      .keyBy((r) => [r.s, r.n, r.b, r.t])
      .process({
        processElement(r: { s: string }, _ctx: unknown, out: { collect(v: string): void }) {
          out.collect(r.s);
        },
      })
      .executeAndCollect();
    expect(out).toHaveLength(3000);
  }
});
