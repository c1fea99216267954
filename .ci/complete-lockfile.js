#!/usr/bin/env node
/*
 * Adds lockfile entries for platform-specific optional dependencies that the
 * package registry reachable here does not serve (e.g. @swc/core-darwin-arm64).
 * Without them `npm ci` refuses the lockfile as out of sync; with them it
 * installs the binaries of this platform and skips the rest, as it skips any
 * optional dependency it cannot fetch. Run after every `npm install` that
 * changed package-lock.json.
 */
const fs = require('fs');
const path = require('path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [where, pkg] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(pkg.optionalDependencies || {})) {
    const nested = `${where ? `${where}/` : ''}node_modules/${name}`;
    if (packages[nested] || packages[`node_modules/${name}`]) continue;
    packages[`node_modules/${name}`] = { version: String(range).replace(/^[\^~=]/, ''), dev: pkg.dev || undefined, optional: true };
    added++;
  }
}
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entries`);
