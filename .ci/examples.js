#!/usr/bin/env node
/*
 * Compiles and runs every program in examples/ against the built package
 * (run `npm run build` first; `npm run examples` does both). The examples
 * import 'weir-stream' as an app would: examples/node_modules/weir-stream is
 * linked to this checkout, so Node and TypeScript resolve the package through
 * its package.json `exports` to dist/. TypeScript checks them strictly,
 * without skipLibCheck; each compiled program must exit 0 within the timeout
 * (its output is shown indented).
 * Exits 1 when the compile or any program fails.
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');
const examples = path.join(root, 'examples');
const out = path.join(examples, 'dist');
const TIMEOUT_MS = 120_000;

if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) {
  console.error('examples: dist/index.js is missing; run `npm run build` first');
  process.exit(1);
}
const link = path.join(examples, 'node_modules', 'weir-stream');
if (!fs.existsSync(path.join(link, 'package.json'))) {
  fs.rmSync(link, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(path.relative(path.dirname(link), root), link, 'junction');
}

fs.rmSync(out, { recursive: true, force: true });
const tsc = spawnSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', examples], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('examples: the TypeScript compile failed');
  process.exit(1);
}

const programs = fs.readdirSync(out).filter((f) => /\.(c|m)?js$/.test(f)).sort();
let failed = 0;
for (const program of programs) {
  const started = Date.now();
  const run = spawnSync(process.execPath, [path.join(out, program)], { cwd: examples, encoding: 'utf8', timeout: TIMEOUT_MS });
  const ok = run.status === 0;
  if (!ok) failed++;
  const why = run.error ? ` (${run.error.code === 'ETIMEDOUT' ? `timed out after ${TIMEOUT_MS} ms` : run.error.message})` : run.signal ? ` (${run.signal})` : '';
  console.log(`${ok ? 'ok  ' : 'FAIL'} examples/${program.replace(/\.(c|m)?js$/, (e) => (e === '.js' ? '.ts' : e))} ${Date.now() - started} ms${why}`);
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trimEnd();
  if (output) console.log(output.replace(/^/gm, '    '));
}
console.log(`examples: ${programs.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && programs.length > 0 ? 0 : 1);
