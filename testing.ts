/**
 * 'weir/testing': the test kit — a manual clock, seeded randomness and the
 * channel probe that checks the bounded-mailbox invariant.
 */
export { ManualClock } from './lib/testing/ManualClock';
export { seededRandom } from './lib/testing/random';
export { MailboxProbe, type ChannelProbe } from './lib/testing/ChannelProbe';
export { TestSource, type TestSourcePace } from './lib/testing/TestSource';
