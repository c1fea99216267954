/**
 * README "Command line": runs `weir run --json` — the package's bin, as
 * `npx weir` would — on the job module examples/wordCountJob.ts, and checks
 * the exit code, the job's printed counts and the JSON summary (the last
 * line of stdout).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const packageJson = require.resolve('weir-stream/package.json');
const weir = path.join(path.dirname(packageJson), (require(packageJson) as { bin: { weir: string } }).bin.weir);
const jobModule = fileURLToPath(new URL('./wordCountJob.js', import.meta.url));

const run = spawnSync(process.execPath, [weir, 'run', '--json', '-p', '2', jobModule, 'to', 'be', 'or', 'not', 'to', 'be'], { encoding: 'utf8' });
const lines = run.stdout.trim().split('\n');
const summary = JSON.parse(lines[lines.length - 1]) as { status: string; exitCode: number; operators: { name: string; recordsIn: number }[] };
console.log(lines.slice(0, -1).join('\n'));
console.log(`weir run exited ${run.status}: ${summary.status}, ${summary.operators.map((o) => `${o.name} in=${o.recordsIn}`).join(', ')}`);
assert.equal(run.status, 0, run.stderr);
assert.equal(summary.status, 'FINISHED');
assert.equal(summary.operators.find((o) => o.name === 'Keyed Sum')?.recordsIn, 6);
assert.equal(lines.filter((l) => l.includes('"word":"to"')).length, 2); // print(): running counts 1 and 2
