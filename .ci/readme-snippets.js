#!/usr/bin/env node
/*
 * Keeps README.md and examples/ from drifting apart: every fenced TypeScript
 * or JavaScript block of README.md (```ts, ```typescript, ```js, ```javascript,
 * ```cjs, ```mjs) must appear verbatim, as consecutive lines, in some file of
 * examples/ (.ts, .mts, .cts, .js, .cjs, .mjs). Leading indentation and
 * trailing spaces are ignored, so a snippet may sit inside a block there.
 * Exits 1 naming every block that no example contains.
 */
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const CHECKED = new Set(['ts', 'typescript', 'js', 'javascript', 'cjs', 'mjs']);
const normalize = (line) => line.trim();

function blocks(markdown) {
  const found = [];
  let open;
  markdown.split('\n').forEach((line, i) => {
    const fence = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(line);
    if (open === undefined) {
      if (fence) open = { marker: fence[1], lang: fence[2].toLowerCase(), line: i + 1, lines: [] };
    } else if (fence && fence[1][0] === open.marker[0] && fence[1].length >= open.marker.length && fence[2] === '') {
      found.push(open);
      open = undefined;
    } else {
      open.lines.push(line);
    }
  });
  return found.filter((b) => CHECKED.has(b.lang));
}

function trimBlank(lines) {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start] === '') start++;
  while (end > start && lines[end - 1] === '') end--;
  return lines.slice(start, end);
}

function contains(haystack, needle) {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

const examplesDir = path.join(root, 'examples');
const examples = fs
  .readdirSync(examplesDir)
  .filter((f) => /\.(ts|mts|cts|js|cjs|mjs)$/.test(f) && !f.endsWith('.d.ts'))
  .map((f) => ({ file: f, lines: fs.readFileSync(path.join(examplesDir, f), 'utf8').split('\n').map(normalize) }));

const snippets = blocks(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
const missing = snippets.filter((b) => {
  const lines = trimBlank(b.lines.map(normalize));
  return lines.length > 0 && !examples.some((e) => contains(e.lines, lines));
});
for (const b of missing) {
  console.error(`README.md:${b.line}: this \`\`\`${b.lang} block is in no file of examples/ (verbatim, modulo indentation):`);
  console.error(b.lines.slice(0, 3).map((l) => `    ${l}`).join('\n'));
}
console.log(`readme snippets: ${snippets.length - missing.length} of ${snippets.length} found in examples/`);
process.exit(missing.length === 0 && snippets.length > 0 ? 0 : 1);
