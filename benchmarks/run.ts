/**
 * Runs every benchmark case in a child process of its own (so each peak RSS
 * is its own) and prints a Markdown report: rates, ratios against the
 * same-run baselines, and targets. `npm run bench` (add `-- <case>` for one).
 */
import { execFileSync } from 'node:child_process';
import * as asyncIo from './asyncIo.bench';
import * as chained from './chained.bench';
import * as checkpointing from './checkpointing.bench';
import * as cluster from './cluster.bench';
import * as fileSource from './fileSource.bench';
import { fmtRate, type CaseResult } from './harness';
import * as keyedState from './keyedState.bench';
import * as keyedSum from './keyedSum.bench';
import * as machine from './machine.bench';
import * as snapshot from './snapshot.bench';
import * as stateMap from './stateMap.bench';
import * as stateTtl from './stateTtl.bench';
import * as stateValues from './stateValues.bench';
import * as windows from './windows.bench';
import * as wireCodec from './wireCodec.bench';

const CASES: Record<string, { run: () => Promise<CaseResult> }> = { chained, keyedSum, keyedState, snapshot, stateMap, checkpointing, asyncIo, stateValues, stateTtl, fileSource, windows, wireCodec, cluster, machine };

async function child(name: string): Promise<void> {
  const result = await CASES[name].run();
  result.peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`\n@@RESULT@@${JSON.stringify(result)}\n`);
}

function report(results: CaseResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`### ${r.name}`, '', '| measurement | records | time | rate |', '|---|---:|---:|---:|');
    for (const m of r.measurements) {
      const t = m.seconds < 0.01 ? `${(m.seconds * 1e6).toFixed(2)} µs` : `${m.seconds.toFixed(3)} s`;
      lines.push(`| ${m.label} | ${m.records} | ${t} | ${fmtRate(m.recordsPerSecond)} |`);
    }
    lines.push('', '| ratio | measured | target |', '|---|---:|---|');
    for (const [k, v] of Object.entries(r.ratios)) lines.push(`| ${k} | ${v.toFixed(3)} | ${r.targets[k] ?? ''} |`);
    lines.push('', `Peak RSS of the run: ${r.peakRssMb?.toFixed(0)} MB.`);
    for (const n of r.notes ?? []) lines.push(`- ${n}`);
    lines.push('');
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--child');
  if (i >= 0) return child(process.argv[i + 1]);
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = only.length > 0 ? only : Object.keys(CASES);
  const results: CaseResult[] = [];
  for (const name of names) {
    if (!CASES[name]) throw new Error(`unknown benchmark '${name}'; known: ${Object.keys(CASES).join(', ')}`);
    process.stderr.write(`running ${name}...\n`);
    const out = execFileSync(process.execPath, ['--expose-gc', __filename, '--child', name], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const line = out.split('\n').find((l) => l.startsWith('@@RESULT@@'));
    if (!line) throw new Error(`benchmark ${name} printed no result:\n${out}`);
    results.push(JSON.parse(line.slice('@@RESULT@@'.length)) as CaseResult);
  }
  console.log(`Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(report(results));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
