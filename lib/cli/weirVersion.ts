/**
 * The version of the weir package this code belongs to (package.json
 * `version`), found by walking up from this file: the same answer from the
 * TypeScript sources (lib/cli) and from the build (dist/lib/cli). Part of a
 * job graph's code version (JobFingerprint) and of `weir --version`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const PACKAGE_NAME = 'weir-stream';
let cached: string | undefined;

/** The package version, e.g. '0.1.0'; throws when no weir package.json is above this file. */
export function weirVersion(): string {
  if (cached !== undefined) return cached;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return (cached = pkg.version);
    }
    if (path.dirname(dir) === dir) throw new Error(`no package.json of ${PACKAGE_NAME} above ${__dirname}`);
  }
}
