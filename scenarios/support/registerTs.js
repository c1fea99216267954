/*
 * Lets a child Node process run this repository's TypeScript directly (the
 * way jest does, through @swc/core), so tests can start real processes —
 * and kill them — without a build step: `node -r ./scenarios/support/registerTs.js x.ts`.
 */
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
