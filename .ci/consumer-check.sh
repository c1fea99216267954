#!/usr/bin/env bash
# Consume the project as a package, the way a Node user would: pack it, check what the tarball holds (no
# scenarios, benchmarks or tests; source maps carry their sources), install it in a fresh app, type-check a
# TypeScript file (nodenext, strict, no skipLibCheck) importing the barrel and ./testing, check that the
# installed `weir` command answers --help, and run a CommonJS jest test that runs a tiny job.
# Usage: .ci/consumer-check.sh [checkout]. The app gets typescript@5 and @types/node@20 from the registry
# (npm's cache first); its tests run on the checkout's own jest 30 (a devDependency), which saves installing
# jest a second time.
set -u
repo=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$repo" || exit 2
[ -d node_modules ] || npm ci --silent --no-audit --no-fund >/dev/null 2>&1
npm run build --silent >/dev/null 2>&1 || { echo "build fails"; exit 1; }
name=$(node -p "require('./package.json').name")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tgz=$(npm pack --silent --pack-destination "$tmp" 2>/dev/null | tail -1)
[ -f "$tmp/$tgz" ] || { echo "npm pack failed"; exit 1; }
mkdir -p "$tmp/app" && cd "$tmp/app" || exit 2
cat > package.json <<JSON
{ "name": "consumer-app", "version": "1.0.0", "private": true, "type": "commonjs" }
JSON
npm install --silent --no-audit --no-fund --prefer-offline "$tmp/$tgz" typescript@5 @types/node@20 >/dev/null 2>&1 || { echo "installing the tarball failed"; exit 1; }
content=$(node -e '
  const fs = require("fs"), path = require("path");
  const root = path.dirname(require.resolve(process.argv[1] + "/package.json"));
  const bad = [];
  const walk = (dir) => { for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name), rel = path.relative(root, p);
    if (e.isDirectory()) { if (rel !== "node_modules") walk(p); continue; }
    if (/(^|\/)(scenarios|benchmarks|property-tests|examples|cli\/fixtures|actors\/cluster\/fixtures)\//.test(rel) || /\.(test|prop)\.[cm]?[jt]s/.test(rel)) bad.push(rel);
    else if (rel.endsWith(".map")) { const m = JSON.parse(fs.readFileSync(p, "utf8"));
      if (!Array.isArray(m.sourcesContent) || m.sourcesContent.length !== m.sources.length) bad.push(rel + " (no inlined sources)"); }
  } };
  walk(root);
  if (!fs.existsSync(path.join(root, "LICENSE"))) bad.push("LICENSE missing");
  console.log(bad.slice(0, 5).join(", "));
' "$name")
[ -z "$content" ] || { echo "the package holds what it should not: $content"; exit 1; }
help_out=$(./node_modules/.bin/weir --help 2>&1) || { echo "the packed 'weir --help' fails: $(echo "$help_out" | head -1)"; exit 1; }
echo "$help_out" | grep -q 'run \[options\] <job-module>' || { echo "the packed 'weir --help' does not list 'weir run'"; exit 1; }
cat > tsconfig.json <<JSON
{ "compilerOptions": { "module": "nodenext", "moduleResolution": "nodenext", "strict": true, "noEmit": true, "target": "es2022" }, "files": ["app.ts"] }
JSON
cat > app.ts <<TS
import { StreamExecutionEnvironment } from '$name';
import * as testing from '$name/testing';
export async function main(): Promise<number[]> {
  void testing;
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  return env.fromCollection([1, 2, 3]).map((x: number) => x * 2).executeAndCollect();
}
TS
tsc_out=$(npx tsc -p . 2>&1) || { echo "consumer type check fails: $(echo "$tsc_out" | head -1)"; exit 1; }
cat > job.test.js <<JS
const { StreamExecutionEnvironment } = require('$name');
test('a tiny job runs from a CommonJS consumer under jest', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  const out = await env.fromCollection([1, 2, 3]).map((x) => x * 2).executeAndCollect();
  expect([...out].sort()).toEqual([2, 4, 6]);
});
JS
jest_out=$("$repo/node_modules/.bin/jest" --ci --rootDir "$tmp/app" 2>&1) || { echo "consumer jest fails: $(echo "$jest_out" | grep -m1 -E 'Error|Must use|Cannot')"; exit 1; }
echo "consumer ok: '$name' packs, its weir command answers --help, it type-checks (nodenext, strict) and runs under CommonJS jest"
