/**
 * `weir chaos`: a fault experiment across node processes. It starts a local
 * cluster (a coordinator and n nodes as child processes), runs the job
 * under a schedule derived from a seed — nodes killed with SIGKILL and
 * replaced, data connections cut, links and subtasks slowed, buffers lost,
 * subtasks crashed (ChaosSchedule) — and compares what it committed with
 * what the job commits fault-free on the same cluster. Either way the seed
 * is printed to replay the schedule.
 *
 * The comparison is only sound for a job whose committed output does not
 * depend on record order or timing (a running sum fed by parallel source
 * subtasks commits different sums from run to run without any fault). So
 * the job first runs fault-free twice: when those two runs commit different
 * outputs (as multisets of lines), or nothing at all, the verdict is
 * inconclusive and the faulty run is not started. Otherwise the faulty run's
 * output must equal theirs as a multiset of lines. Two equal fault-free runs
 * do not prove the output deterministic, but two different ones disprove it.
 *
 * The job's output is found by convention: the job module takes its output
 * directory as an argument written `{out}` on the command line, and writes
 * it with an exactly-once FileSink. Verdicts and exit codes (CHAOS_EXIT):
 * exactly-once 0; differs (the faulty run committed other lines) or failed
 * (a run did not finish) 1; a wrong command line 2; inconclusive 4.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { ClusterClient } from '../actors/cluster/ClusterClient';
import { generateSecret } from '../lib/cli/clusterSettings';
import { loadJobModule } from '../lib/cli/JobModule';
import { shellQuote } from '../lib/cli/RunSummary';
import { positiveInt, type CliIo, type CommandContext } from '../lib/cli/weirProgram';
import { readCommittedLines } from '../lib/connectors/FileSink';
import { describe } from '../lib/errors';
import { chaosSchedule, type ChaosSchedule } from '../lib/faults/ChaosSchedule';
import { isAllToAll } from '../lib/operators/partitioners';
import { startChild, stopChildren, type Child } from './localCluster';

interface ChaosFlags {
  nodes: number;
  slots: number;
  parallelism: number;
  seed?: number;
  events: number;
  faults: number;
  checkpointInterval: number;
  dir?: string;
  json?: boolean;
}

const OUT = '{out}';

/** Exit codes of `weir chaos`. */
export const CHAOS_EXIT = {
  EXACTLY_ONCE: 0,
  /** The faulty run committed other lines than the fault-free runs, or a run did not finish. */
  NOT_EXACTLY_ONCE: 1,
  USAGE: 2,
  /** Nothing to compare: the fault-free runs differ from each other, or committed nothing. */
  INCONCLUSIVE: 4,
} as const;

/** How one run ended and what it committed. */
export interface RunResult {
  readonly status: string;
  readonly message?: string;
  readonly lines: readonly string[];
}

export interface Judgement {
  readonly verdict: 'exactly-once' | 'differs' | 'failed' | 'inconclusive';
  readonly exitCode: number;
  /** One line for the user (without the seed). */
  readonly message: string;
  /** The first line the faulty run has more or less often than the fault-free runs. */
  readonly firstDifference: string | null;
}
/** How long one run may take before the experiment gives up on it, in ms. */
const RUN_TIMEOUT_MS = 10 * 60_000;

export function registerChaosCommand(program: Command, { io, setExitCode }: CommandContext): void {
  program
    .command('chaos')
    .summary('run a job on a local cluster fault-free, then under seeded faults; print an exactly-once verdict')
    .description(
      'A fault experiment across node processes: starts a local cluster, runs the job fault-free twice, then while killing ' +
        'nodes (kill -9, then a fresh node joins), cutting data connections, slowing links and subtasks, losing buffers and ' +
        'crashing subtasks on a schedule derived from --seed, and compares what the runs committed. Write {out} where the job ' +
        'module takes its output directory (an exactly-once FileSink). The comparison needs a job whose committed output does ' +
        'not depend on record order or timing: the two fault-free runs check that first.',
    )
    .argument('<job-module>', 'path of the job module (.js)')
    .argument('[args...]', 'arguments for the job function, with {out} for its output directory')
    .addOption(new Option('--nodes <n>', 'node processes').argParser(positiveInt('nodes')).default(3))
    .addOption(new Option('--slots <n>', 'slots per node').argParser(positiveInt('slots')).default(2))
    .addOption(new Option('-p, --parallelism <n>', 'the job\'s parallelism').argParser(positiveInt('parallelism')).default(2))
    .addOption(new Option('--seed <n>', 'the schedule\'s seed (default: a random one, printed)').argParser(positiveInt('seed')))
    .addOption(new Option('--events <n>', 'cluster events: node kills and connection cuts').argParser(nonNegativeInt('events')).default(2))
    .addOption(new Option('--faults <n>', 'subtask faults: slowed links and subtasks, lost buffers, crashes').argParser(nonNegativeInt('faults')).default(2))
    .addOption(new Option('--checkpoint-interval <ms>', 'checkpoint interval of every run').argParser(positiveInt('checkpoint interval')).default(100))
    .addOption(new Option('--dir <dir>', 'work directory (outputs, checkpoints); default a fresh temporary one, kept when the verdict is not exactly-once'))
    .addOption(new Option('--json', 'print the verdict as one JSON object'))
    .addHelpText(
      'after',
      `
Example (after npm run build; dist/cli/jobs/windowedCounts.js writes windowed counts to the directory {out}):
  weir chaos dist/cli/jobs/windowedCounts.js 20000 {out} --nodes 3 -p 4 --seed 7
  (installed as a package: node_modules/weir-stream/dist/cli/jobs/windowedCounts.js)

Verdicts and exit codes:
  0  exactly-once   the run under faults committed the same lines (as a multiset) as the two fault-free runs
  1  NOT exactly-once: the run under faults committed other lines (the first difference is printed), or a
                    run did not finish
  2  usage error    (no {out} among the arguments, a job module that does not load)
  4  inconclusive   nothing was compared: the two fault-free runs committed different outputs — the job's
                    output depends on record order or timing (e.g. a running sum fed by parallel source
                    subtasks; make it comparable with source parallelism 1 or order-independent results,
                    such as final values or event-time windows) — or they committed no line to {out}
Two equal fault-free runs do not prove the output deterministic; replay the seed when in doubt.`,
    )
    .action(async (modulePath: string, args: string[], flags: ChaosFlags) => setExitCode(await chaos(modulePath, args, flags, io)));
}

function nonNegativeInt(what: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${what} must be a whole number ≥ 0, got '${v}'`);
    return n;
  };
}

async function chaos(modulePath: string, args: string[], flags: ChaosFlags, io: CliIo): Promise<number> {
  if (!args.includes(OUT)) {
    io.stderr.write(`weir chaos: write ${OUT} among the job's arguments where it takes its output directory\n`);
    return CHAOS_EXIT.USAGE;
  }
  const seed = flags.seed ?? 1 + Math.floor(Math.random() * 2 ** 31);
  const work = flags.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'weir-chaos-'));
  const jobModule = path.resolve(modulePath);
  const argsFor = (out: string) => args.map((a) => (a === OUT ? out : a));
  let schedule: ChaosSchedule;
  try {
    const loaded = await loadJobModule(jobModule, { args: argsFor(path.join(work, 'probe')), parallelism: flags.parallelism, logger: false });
    const { vertices: jobVertices, edges } = loaded.jobGraph;
    const index = new Map(jobVertices.map((v, i) => [v.id, i]));
    schedule = chaosSchedule(
      seed,
      {
        vertices: jobVertices.map((v) => ({ uids: v.nodes.map((n) => n.uid), parallelism: v.parallelism })),
        edges: edges.map((e) => ({ from: index.get(e.sourceVertexId)!, to: index.get(e.targetVertexId)!, allToAll: isAllToAll(e.partitioner) })),
        nodes: flags.nodes,
      },
      { events: flags.events, faults: flags.faults },
    );
  } catch (e) {
    io.stderr.write(`weir chaos: ${describe(e)}\n`);
    return CHAOS_EXIT.USAGE;
  }
  const replay = `weir chaos ${[modulePath, ...args].map(shellQuote).join(' ')} --nodes ${flags.nodes} --slots ${flags.slots} -p ${flags.parallelism} --events ${flags.events} --faults ${flags.faults} --seed ${seed}`;
  if (!flags.json) io.stderr.write(`weir chaos: seed ${seed} (replay: ${replay})\n`);

  const secret = generateSecret();
  const children: Child[] = [];
  const nodes: Child[] = [];
  let client: ClusterClient | undefined;
  const log: string[] = [];
  const note = (s: string) => {
    log.push(s);
    if (!flags.json) io.stderr.write(`weir chaos: ${s}\n`);
  };
  try {
    const coordinator = startChild('coordinator', 'coordinator', ['coordinator', '--json'], secret);
    children.push(coordinator);
    const listening = await coordinator.ready;
    const address = `${String(listening.host)}:${String(listening.port)}`;
    let nextNode = 1;
    const startNode = () => {
      const name = `node-${nextNode++}`;
      const n = startChild('node', name, ['node', '--json', '--coordinator', address, '--slots', String(flags.slots), '--node-id', name], secret);
      children.push(n);
      nodes.push(n);
      return n;
    };
    await Promise.all(Array.from({ length: flags.nodes }, startNode).map((n) => n.ready));
    client = await ClusterClient.connect({ coordinator: { host: String(listening.host), port: Number(listening.port) }, secret });
    const c = client;

    const run = async (name: string, faulty: boolean) => {
      const dir = path.join(work, name);
      const checkpoints = path.join(dir, 'checkpoints');
      const { jobId } = await c.request({
        type: 'SubmitJob',
        jobModule,
        jobArgs: argsFor(path.join(dir, 'out')),
        parallelism: flags.parallelism,
        restore: undefined,
        config: { checkpointDir: checkpoints, checkpointIntervalMs: flags.checkpointInterval, ...(faulty ? { faults: JSON.parse(JSON.stringify(schedule.plan)) } : {}) },
      });
      const ended = c.request({ type: 'WatchJob', jobId }, RUN_TIMEOUT_MS);
      if (faulty) await applyEvents(checkpoints, ended);
      const end = await ended;
      note(`${name} run ${end.status}${end.restarts > 0 ? ` after ${end.restarts} restart(s)` : ''}${end.message ? `: ${end.message}` : ''}`);
      for (const f of end.faults ?? []) note(`  ${f.kind} struck in attempt ${f.attempt} at ${f.where}`);
      return { end, status: end.status, ...(end.message === undefined ? {} : { message: end.message }), lines: readCommittedLines(path.join(dir, 'out')) };
    };

    const applyEvents = async (checkpoints: string, ended: Promise<unknown>) => {
      let over = false;
      void ended.then(
        () => (over = true),
        () => (over = true),
      );
      while (!over && !hasCompletedCheckpoint(checkpoints)) await sleep(20);
      const t0 = Date.now();
      for (const e of schedule.events) {
        await sleep(Math.max(0, t0 + e.atMs - Date.now()));
        if (over) return note(`the job ended before ${e.kind} at +${e.atMs} ms`);
        const live = nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null);
        const victim = live[e.node % live.length];
        if (e.kind === 'kill-node') {
          victim.process.kill('SIGKILL');
          note(`+${e.atMs} ms: killed ${victim.name} (kill -9); a fresh node joins in ${e.replaceAfterMs} ms`);
          await sleep(e.replaceAfterMs);
          await startNode().ready;
        } else {
          victim.process.kill('SIGUSR2');
          note(`+${e.atMs} ms: cut the data connections of ${victim.name}`);
        }
      }
    };

    const references = [await run('reference-1', false), await run('reference-2', false)] as const;
    let faulty: Awaited<ReturnType<typeof run>> | undefined;
    let judgement = judge(references, undefined);
    if (judgement === undefined) {
      faulty = await run('faulty', true);
      judgement = judge(references, faulty)!;
    } else {
      note('the run under faults was not started');
    }
    const exact = judgement.verdict === 'exactly-once';
    const keep = !exact || flags.dir !== undefined;
    const result = {
      seed,
      verdict: judgement.verdict,
      exitCode: judgement.exitCode,
      message: judgement.message,
      faultyRun: faulty === undefined ? null : { status: faulty.end.status, restarts: faulty.end.restarts, lines: faulty.lines.length, struck: faulty.end.faults ?? [] },
      referenceRuns: references.map((r) => ({ status: r.end.status, lines: r.lines.length })),
      firstDifference: judgement.firstDifference,
      schedule,
      replay,
      workDirectory: keep ? work : null,
    };
    if (flags.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      const restarts = faulty === undefined ? '' : `; ${faulty.end.restarts} restart(s) under faults`;
      io.stdout.write(`${judgement.message}${restarts}; seed ${seed}${keep ? `; files kept in ${work}` : ''}\n${exact ? '' : `  replay: ${replay}\n`}`);
    }
    if (!keep) fs.rmSync(work, { recursive: true, force: true });
    return judgement.exitCode;
  } catch (e) {
    io.stderr.write(`weir chaos: ${describe(e)} (seed ${seed}; files in ${work})\n`);
    return CHAOS_EXIT.NOT_EXACTLY_ONCE;
  } finally {
    client?.close();
    await stopChildren(children.filter((c) => c.role === 'node'));
    await stopChildren(children.filter((c) => c.role === 'coordinator'));
  }
}

function hasCompletedCheckpoint(dir: string): boolean {
  if (!fs.existsSync(dir)) return false;
  return fs.readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('_metadata'));
}

/**
 * The verdict from the two fault-free runs and, once they allow a
 * comparison, the faulty run. Undefined while the faulty run is still
 * needed: the fault-free runs finished, agree and committed something.
 */
export function judge(references: readonly [RunResult, RunResult], faulty: RunResult | undefined): Judgement | undefined {
  const failed = references.find((r) => r.status !== 'FINISHED');
  if (failed !== undefined) {
    return {
      verdict: 'failed',
      exitCode: CHAOS_EXIT.NOT_EXACTLY_ONCE,
      message: `failed: the job did not finish even without faults (${failed.status}${failed.message === undefined ? '' : `: ${failed.message}`})`,
      firstDifference: null,
    };
  }
  const [a, b] = references;
  const between = firstDifference(a.lines, b.lines, 'in the second fault-free run');
  if (between !== undefined) {
    return {
      verdict: 'inconclusive',
      exitCode: CHAOS_EXIT.INCONCLUSIVE,
      message:
        `inconclusive: two fault-free runs committed different outputs (${a.lines.length} and ${b.lines.length} lines; ${between}), ` +
        'so the job\'s output depends on record order or timing and a run under faults cannot be compared with it. ' +
        'Make it comparable: read the sources with parallelism 1, or commit order-independent results (final values per key, event-time windows)',
      firstDifference: null,
    };
  }
  if (a.lines.length === 0) {
    return {
      verdict: 'inconclusive',
      exitCode: CHAOS_EXIT.INCONCLUSIVE,
      message: `inconclusive: the fault-free runs committed no line to ${OUT}, so nothing was compared. Does the job write its output with a FileSink to the directory given as ${OUT}?`,
      firstDifference: null,
    };
  }
  if (faulty === undefined) return undefined;
  if (faulty.status !== 'FINISHED') {
    return {
      verdict: 'failed',
      exitCode: CHAOS_EXIT.NOT_EXACTLY_ONCE,
      message: `NOT exactly-once: the run under faults did not finish (${faulty.status}${faulty.message === undefined ? '' : `: ${faulty.message}`})`,
      firstDifference: null,
    };
  }
  const difference = firstDifference(a.lines, faulty.lines);
  if (difference !== undefined) {
    return { verdict: 'differs', exitCode: CHAOS_EXIT.NOT_EXACTLY_ONCE, message: `NOT exactly-once: ${difference} (two fault-free runs agreed)`, firstDifference: difference };
  }
  return {
    verdict: 'exactly-once',
    exitCode: CHAOS_EXIT.EXACTLY_ONCE,
    message: `exactly-once: the committed outputs are equal (${a.lines.length} lines, as two fault-free runs committed them)`,
    firstDifference: null,
  };
}

/** The first line one output has more often than the other, or undefined when they are equal as multisets. */
export function firstDifference(expected: readonly string[], actual: readonly string[], other = 'under faults'): string | undefined {
  const count = new Map<string, number>();
  for (const l of expected) count.set(l, (count.get(l) ?? 0) + 1);
  for (const l of actual) count.set(l, (count.get(l) ?? 0) - 1);
  for (const [line, n] of [...count].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (n > 0) return `missing ${other} (${n}×): ${line}`;
    if (n < 0) return `extra ${other} (${-n}×): ${line}`;
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
