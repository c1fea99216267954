/**
 * Jest setup (every test file): an unhandled promise rejection anywhere in
 * the process while a file runs fails that file, naming each rejection.
 * Engine code must handle every promise it starts — a rejection nobody
 * handles kills a Node process that is not under jest.
 *
 * Jest gives each test file a copy of `process` whose listeners the real
 * process never calls, so the listener goes on the real one (the global of
 * the main context, reached through `vm`), and only while the file runs:
 * jest puts its own listeners there when a file starts (they fail the test
 * that is running) and restores the earlier ones when it ends. This one
 * also catches rejections between tests and after the last one, and names
 * them all in one place.
 */
import { runInThisContext } from 'node:vm';
import { describe } from '../lib/errors';

const realProcess = runInThisContext('process') as NodeJS.Process;

const rejections: string[] = [];
const record = (reason: unknown): void => {
  rejections.push(reason instanceof Error ? `${reason.name}: ${reason.message}` : describe(reason));
};

beforeAll(() => {
  realProcess.on('unhandledRejection', record);
});

afterAll(async () => {
  // Rejections of the last test surface once the event loop turns.
  await new Promise((resolve) => setImmediate(resolve));
  realProcess.off('unhandledRejection', record);
  if (rejections.length > 0) {
    throw new Error(`${rejections.length} unhandled promise rejection(s) in this test file:\n  ${rejections.join('\n  ')}`);
  }
});
