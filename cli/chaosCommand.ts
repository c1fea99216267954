/**
 * `weir chaos`: a fault experiment across node processes. It starts a local
 * cluster (a coordinator and n nodes as child processes), runs the job
 * under a schedule derived from a seed — nodes killed with SIGKILL and
 * replaced, data connections cut, links and subtasks slowed, buffers lost,
 * subtasks crashed (ChaosSchedule) — then runs the same job fault-free on
 * the same cluster and compares what the two runs committed. The verdict
 * is exactly-once when the committed outputs are equal as multisets of
 * lines, otherwise the first difference; either way the seed is printed to
 * replay the schedule.
 *
 * The job's output is found by convention: the job module takes its output
 * directory as an argument written `{out}` on the command line, and writes
 * it with an exactly-once FileSink. Exit code 0 for an exactly-once verdict,
 * 1 when the outputs differ or a run did not finish, 2 for a wrong command line.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { ClusterClient } from '../actors/cluster/ClusterClient';
import { generateSecret } from '../lib/cli/clusterSettings';
import { loadJobModule } from '../lib/cli/JobModule';
import { EXIT_CODES, positiveInt, type CliIo, type CommandContext } from '../lib/cli/weirProgram';
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
/** How long one run may take before the experiment gives up on it, in ms. */
const RUN_TIMEOUT_MS = 10 * 60_000;

export function registerChaosCommand(program: Command, { io, setExitCode }: CommandContext): void {
  program
    .command('chaos')
    .summary('run a job on a local cluster under seeded faults, then fault-free; print an exactly-once verdict')
    .description(
      'A fault experiment across node processes: starts a local cluster, runs the job while killing nodes (kill -9, then a ' +
        'fresh node joins), cutting data connections, slowing links and subtasks, losing buffers and crashing subtasks on a ' +
        'schedule derived from --seed, then runs it fault-free and compares the committed outputs. Write {out} where the job ' +
        'module takes its output directory (an exactly-once FileSink).',
    )
    .argument('<job-module>', 'path of the job module (.js)')
    .argument('[args...]', 'arguments for the job function, with {out} for its output directory')
    .addOption(new Option('--nodes <n>', 'node processes').argParser(positiveInt('nodes')).default(3))
    .addOption(new Option('--slots <n>', 'slots per node').argParser(positiveInt('slots')).default(2))
    .addOption(new Option('-p, --parallelism <n>', 'the job\'s parallelism').argParser(positiveInt('parallelism')).default(2))
    .addOption(new Option('--seed <n>', 'the schedule\'s seed (default: a random one, printed)').argParser(positiveInt('seed')))
    .addOption(new Option('--events <n>', 'cluster events: node kills and connection cuts').argParser(nonNegativeInt('events')).default(2))
    .addOption(new Option('--faults <n>', 'subtask faults: slowed links and subtasks, lost buffers, crashes').argParser(nonNegativeInt('faults')).default(2))
    .addOption(new Option('--checkpoint-interval <ms>', 'checkpoint interval of both runs').argParser(positiveInt('checkpoint interval')).default(100))
    .addOption(new Option('--dir <dir>', 'work directory (outputs, checkpoints); default a fresh temporary one, kept when the verdict is not exactly-once'))
    .addOption(new Option('--json', 'print the verdict as one JSON object'))
    .addHelpText(
      'after',
      `
Example:
  weir chaos dist/examples/wordCountJob.js {out} --nodes 3 -p 4 --seed 7

Exit codes: 0 exactly-once, 1 outputs differ or a run failed, 2 usage error.`,
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
    return EXIT_CODES.USAGE;
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
    return EXIT_CODES.USAGE;
  }
  const replay = `weir chaos ${[modulePath, ...args].join(' ')} --nodes ${flags.nodes} --slots ${flags.slots} -p ${flags.parallelism} --events ${flags.events} --faults ${flags.faults} --seed ${seed}`;
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
      return { end, lines: readCommittedLines(path.join(dir, 'out')) };
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

    const faulty = await run('faulty', true);
    const reference = await run('reference', false);
    const difference = firstDifference(reference.lines, faulty.lines);
    const exact = faulty.end.status === 'FINISHED' && reference.end.status === 'FINISHED' && difference === undefined;
    const verdict = {
      seed,
      verdict: exact ? 'exactly-once' : 'differs',
      faultyRun: { status: faulty.end.status, restarts: faulty.end.restarts, lines: faulty.lines.length, struck: faulty.end.faults ?? [] },
      referenceRun: { status: reference.end.status, lines: reference.lines.length },
      firstDifference: difference,
      schedule,
      replay,
      ...(exact && flags.dir === undefined ? {} : { workDirectory: work }),
    };
    if (flags.json) io.stdout.write(`${JSON.stringify(verdict)}\n`);
    else if (exact) io.stdout.write(`exactly-once: the committed outputs are equal (${faulty.lines.length} lines; ${faulty.end.restarts} restart(s) under faults); seed ${seed}\n`);
    else io.stdout.write(`NOT exactly-once: ${difference ?? 'a run did not finish'}; seed ${seed}; files kept in ${work}\n  replay: ${replay}\n`);
    if (exact && flags.dir === undefined) fs.rmSync(work, { recursive: true, force: true });
    return exact ? 0 : EXIT_CODES.FAILED;
  } catch (e) {
    io.stderr.write(`weir chaos: ${describe(e)} (seed ${seed}; files in ${work})\n`);
    return EXIT_CODES.FAILED;
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

/** The first line one output has more often than the other, or undefined when they are equal as multisets. */
export function firstDifference(expected: readonly string[], actual: readonly string[]): string | undefined {
  const count = new Map<string, number>();
  for (const l of expected) count.set(l, (count.get(l) ?? 0) + 1);
  for (const l of actual) count.set(l, (count.get(l) ?? 0) - 1);
  for (const [line, n] of [...count].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (n > 0) return `missing under faults (${n}×): ${line}`;
    if (n < 0) return `extra under faults (${-n}×): ${line}`;
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
