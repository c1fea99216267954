/** Jest runs TypeScript through @swc/jest; `npm run typecheck` runs tsc separately. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/cli', '<rootDir>/lib', '<rootDir>/actors', '<rootDir>/property-tests', '<rootDir>/scenarios'],
  testMatch: ['**/*.test.ts', '**/*.prop.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
  },
  setupFiles: ['<rootDir>/property-tests/setup.ts'],
  setupFilesAfterEnv: ['<rootDir>/property-tests/unhandledRejections.ts'],
  // A raised property budget (npm run test:long) runs for hours inside one test.
  testTimeout: process.env.FC_NUM_RUNS && Number(process.env.FC_NUM_RUNS) > 500 ? 24 * 3600 * 1000 : 120000,
};
