/**
 * 'weir-stream/testing': the test kit — fault injection, a manual clock, seeded
 * randomness, a paced replayable test source, the channel probe that
 * checks the bounded-mailbox invariant, an operator harness, and a trigger
 * context for unit-testing custom window triggers.
 */
export { FaultInjector, InjectedFault, type Fault, type FaultEvent, type SubtaskRef } from './lib/testing/FaultInjector';
export { ManualClock } from './lib/testing/ManualClock';
export { seededRandom } from './lib/testing/random';
export { MailboxProbe, type ChannelProbe } from './lib/testing/ChannelProbe';
export { TestSource, type TestSourcePace } from './lib/testing/TestSource';
export { SimulatedService, type SimulatedServiceOptions, type ServiceCall } from './lib/testing/SimulatedService';
export { FakeTriggerContext } from './lib/testing/FakeTriggerContext';
export { OperatorHarness, type HarnessOptions, type HarnessSnapshot, type EmittedRecord } from './lib/testing/OperatorHarness';
export { TwoInputOperatorHarness } from './lib/testing/TwoInputOperatorHarness';
