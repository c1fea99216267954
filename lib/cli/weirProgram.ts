/**
 * The `weir` command line (commander): parses arguments, runs the command
 * and returns its exit code; the entry (cli/weir.ts) ends the process. The
 * exceptions exit through `CliIo.exit`: a third Ctrl-C, without waiting for
 * the job, and the long-running `weir coordinator` / `weir node` once they
 * closed after SIGTERM. Commands:
 *
 *   weir run <job-module> [args...]   run a job module embedded in this process
 *                                     (or on a cluster, with --coordinator)
 *
 * The cluster commands (coordinator, node, cluster start, list, cancel,
 * savepoint, stop, nodes, health) and `run --coordinator` need the actor
 * runtime, which lib/ does not import: the entry (cli/weir.ts) hands them in
 * as CliExtensions.
 *
 * Exit codes are part of the interface (EXIT_CODES, also in `--help`): 0 the
 * job finished, 1 it failed, 2 the command or its input was wrong (usage,
 * options, job module, savepoint, cluster secret), 3 the coordinator could
 * not be reached or refused us, 130 interrupted by Ctrl-C, 143 stopped by
 * SIGTERM. An attached run (embedded, or on a cluster without --detached)
 * treats SIGTERM as it treats Ctrl-C (StopSignals): the job is stopped with
 * a savepoint or cancelled, never left running behind the command.
 *
 * Output: a job's own print() output and the summary go to stdout; progress
 * and the engine's logs go to stderr. With `--json` there is no progress
 * and the last line of stdout is one JSON object (RunSummaryJson, the same
 * shape for embedded and cluster runs; RunErrorJson when the job did not
 * start).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { loadJobModule, type JobRestore, type LoadedJob } from './JobModule';
import { isConfigurationError, JobRun, reportError, type RunOutcome } from './JobRun';
import { count, formatSummary, resumeCommand, seconds, type RunErrorJson, type RunSummaryJson } from './RunSummary';
import type { ProgressSnapshot } from './SourceProgress';
import { weirVersion } from './weirVersion';

export const EXIT_CODES = {
  /** The job finished (bounded input read to the end). */
  FINISHED: 0,
  /** The job failed (its restart strategy gave up) or was cancelled from outside. */
  FAILED: 1,
  /** Bad command line, bad job module, a savepoint or checkpoint that is missing or does not fit the job. */
  USAGE: 2,
  /** The coordinator could not be reached, refused the connection (wrong cluster secret) or did not answer in time. */
  UNREACHABLE: 3,
  /** Interrupted (SIGINT, Ctrl-C): stopped with a savepoint, or cancelled. */
  INTERRUPTED: 130,
  /** Terminated (SIGTERM, as `kill` and Kubernetes send it): stopped with a savepoint, or cancelled, as for Ctrl-C. */
  TERMINATED: 143,
  /** An unexpected error inside weir itself (a defect; please report it with the output). */
  INTERNAL: 70,
} as const;

/** Where the command writes, and the signals it listens to (the process's, unless a test gives others). */
export interface CliIo {
  readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(s: string): unknown; readonly isTTY?: boolean };
  /** Registers a SIGINT handler; returns a function that removes it. */
  onInterrupt(handler: () => void): () => void;
  /** Registers a SIGTERM handler (what Kubernetes and `kill` send); returns a function that removes it. */
  onTerminate(handler: () => void): () => void;
  /** Ends the process at once (the third Ctrl-C). */
  exit(code: number): void;
}

export const processIo: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  onInterrupt(handler) {
    process.on('SIGINT', handler);
    return () => process.off('SIGINT', handler);
  },
  onTerminate(handler) {
    process.on('SIGTERM', handler);
    return () => process.off('SIGTERM', handler);
  },
  exit: (code) => process.exit(code),
};

export type { RunErrorJson, RunSummaryJson } from './RunSummary';

/**
 * Ctrl-C (SIGINT) and SIGTERM while an attached run goes on, counted
 * together: the first asks the job to stop (with a savepoint when it can,
 * else by cancelling), the second cancels at once, the third exits without
 * waiting. The first signal decides the exit code: 130 for SIGINT, 143 for
 * SIGTERM.
 */
export class StopSignals {
  private count = 0;
  private firstSignal: 'SIGINT' | 'SIGTERM' | undefined;
  private readonly removers: (() => void)[];

  /** `onSignal(n, signal)` runs for the first and the second signal; the third calls `onExit` and ends the process. */
  constructor(
    private readonly io: CliIo,
    onSignal: (n: 1 | 2, signal: 'SIGINT' | 'SIGTERM') => void,
    onExit: (code: number) => void,
  ) {
    const handle = (signal: 'SIGINT' | 'SIGTERM') => {
      this.count++;
      this.firstSignal ??= signal;
      if (this.count >= 3) {
        onExit(this.exitCode);
        this.io.exit(this.exitCode);
        return;
      }
      onSignal(this.count as 1 | 2, signal);
    };
    this.removers = [io.onInterrupt(() => handle('SIGINT')), io.onTerminate(() => handle('SIGTERM'))];
  }

  /** Whether a signal arrived. */
  get interrupted(): boolean {
    return this.count > 0;
  }

  /** 130 after Ctrl-C first, 143 after SIGTERM first. */
  get exitCode(): number {
    return this.firstSignal === 'SIGTERM' ? EXIT_CODES.TERMINATED : EXIT_CODES.INTERRUPTED;
  }

  remove(): void {
    for (const r of this.removers) r();
  }
}

/** How a signal is named in messages: Ctrl-C, or SIGTERM. */
export function signalName(signal: 'SIGINT' | 'SIGTERM'): string {
  return signal === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM';
}

export interface RunFlags {
  parallelism?: number;
  fromSavepoint?: string;
  fromCheckpoint?: string;
  checkpointDir?: string;
  checkpointInterval?: number;
  savepointDir?: string;
  json?: boolean;
  /** host:port of a coordinator: run the job on that cluster. */
  coordinator?: string;
  /** With --coordinator: return once the job is submitted. */
  detached?: boolean;
  /** With --coordinator: run below the parallelism while slots are missing, grow as nodes join. */
  adaptive?: boolean;
  /** With --coordinator: 'coordinator' keeps state files on the coordinator (no shared disk needed). */
  checkpointStorage?: string;
  secretFile?: string;
}

/** What the command needs from outside lib/ (the cluster commands, which run actors). */
export interface CliExtensions {
  /** Adds commands to the program. */
  readonly register?: (program: Command, context: CommandContext) => void;
  /** Runs `weir run --coordinator …`: submits the job to the cluster; resolves with the exit code. */
  readonly runOnCluster?: (modulePath: string, args: readonly string[], flags: RunFlags, io: CliIo) => Promise<number>;
}

/** What a command's action gets: where to write, and how to set the exit code. */
export interface CommandContext {
  readonly io: CliIo;
  setExitCode(code: number): void;
}

/** Parses `argv` (without node and the script: `['run', 'job.js']`), runs the command, resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo, extensions: CliExtensions = {}): Promise<number> {
  let code: number = EXIT_CODES.USAGE;
  const program = createProgram(io, (c) => (code = c), extensions);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end with exit code 0; every parse error is a usage error.
      return e.exitCode === 0 ? 0 : EXIT_CODES.USAGE;
    }
    throw e;
  }
  return code;
}

function createProgram(io: CliIo, setExitCode: (code: number) => void, extensions: CliExtensions): Command {
  const program = new Command('weir')
    .description('Weir: stream processing for Node.js (Flink\'s model on nact actors).')
    .version(weirVersion(), '-V, --version', 'print the weir version')
    .helpOption('-h, --help', 'show help (also: weir help run)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(weir --help shows usage and examples)')
    .exitOverride();
  program.addHelpText(
    'after',
    `
Examples:
  weir run dist/wordCount.js to be or not to be      run a job module to its end
  weir run --help                                     what a job module is, options, exit codes

A local cluster (a coordinator and node processes; the secret from WEIR_CLUSTER_SECRET, or generated):
  weir cluster start --nodes 2 --slots 2              prints the coordinator's host:port and the export lines
  weir run --coordinator 127.0.0.1:6123 --checkpoint-dir /shared/checkpoints --checkpoint-interval 1000 dist/job.js
  weir list | nodes | cancel <job> | savepoint <job> <dir> | stop <job> --savepoint <dir> | health
  (each takes --coordinator host:port, default WEIR_COORDINATOR; on other machines: weir coordinator, weir node)
  weir chaos dist/cli/jobs/windowedCounts.js 20000 {out} --nodes 3 -p 4    a fault experiment (weir chaos --help)

Exit codes: ${exitCodeHelp()}`,
  );

  program
    .command('run')
    .summary('run a job module until its sources end (or Ctrl-C): in this process, or on a cluster with --coordinator')
    .description(
      'Run a job module in this process (embedded) until its sources end, printing progress and a summary.\n\n' +
        'A job module is a .js file that exports, as default or as `job`, a function (env, args) that builds the ' +
        'pipeline on the StreamExecutionEnvironment it is given (sources, operators, then sinkTo(...) or print()) ' +
        'without executing it; weir runs it. Settings the job makes on env (checkpointing, parallelism) win over ' +
        'the options below, as in Flink. An example follows the options.',
    )
    .argument('<job-module>', 'path of the job module (.js), absolute or relative to the current directory')
    .argument('[args...]', 'arguments for the job function (put -- before any that start with -)')
    .addOption(new Option('-p, --parallelism <n>', 'default parallelism of the job\'s operators (the job\'s own settings win)').argParser(positiveInt('parallelism')))
    .addOption(new Option('--from-savepoint <path>', 'start from a savepoint (its directory or _metadata)').conflicts('fromCheckpoint'))
    .addOption(
      new Option('--from-checkpoint <path>', 'start from a retained checkpoint (chk-<n> or its _metadata), or the newest one of this job in a checkpoint directory')
        .conflicts('fromSavepoint'),
    )
    .addOption(new Option('--checkpoint-dir <dir>', 'write checkpoints to this directory (default: memory)'))
    .addOption(new Option('--checkpoint-interval <ms>', 'checkpoint every <ms> milliseconds, exactly-once (default: off, unless the job enables it)').argParser(positiveInt('checkpoint interval')))
    .addOption(new Option('--savepoint-dir <dir>', 'where Ctrl-C writes its savepoint (default: <checkpoint-dir>/savepoints)'))
    .addOption(new Option('--json', 'no progress; print one JSON object (status, fingerprint, operators, checkpoints, …; the same fields embedded and on a cluster) as the last line of stdout'))
    .addOption(new Option('--coordinator <host:port>', 'run on this cluster instead of in this process (the cluster secret from WEIR_CLUSTER_SECRET or --secret-file)'))
    .addOption(new Option('--detached', 'with --coordinator: print the job id once it is submitted and return'))
    .addOption(
      new Option('--checkpoint-storage <where>', 'with --coordinator: "coordinator" ships state files to the coordinator\'s --checkpoint-dir (no disk shared by the nodes needed)').choices(['coordinator']),
    )
    .addOption(
      new Option(
        '--adaptive',
        'with --coordinator and -p: start at what the free slots allow, shrink when nodes are lost and grow back up to -p as nodes join; ' +
          'refused without --checkpoint-dir and checkpointing (it grows through a savepoint there and shrinks from the latest checkpoint)',
      ),
    )
    .addOption(new Option('--secret-file <path>', 'with --coordinator: read the cluster secret from this file'))
    .addHelpText(
      'after',
      `
A job module, in TypeScript compiled to dist/wordCount.js:
  import type { StreamExecutionEnvironment } from 'weir-stream';
  export default function job(env: StreamExecutionEnvironment, words: string[]) {
    env.fromCollection(words).map((w) => ({ w, n: 1 })).keyBy((r) => r.w).sum('n').print();
  }

Examples:
  weir run dist/wordCount.js to be or not to be
  weir run -p 4 --checkpoint-dir ./checkpoints --checkpoint-interval 1000 dist/balances.js
  weir run --from-checkpoint ./checkpoints dist/balances.js      resume after a crash (its newest checkpoint)
  weir run --from-savepoint ./checkpoints/savepoints/savepoint-… dist/balances.js
  weir run --json dist/wordCount.js a b a | tail -n 1           one JSON object: status, operators, checkpoints, …

On a cluster (--coordinator host:port, the secret from WEIR_CLUSTER_SECRET or --secret-file), the job module
and the checkpoint directory are passed as absolute paths that every node must reach; the job's arguments are
passed as they are, so a relative path in them is resolved against each node's working directory — pass
absolute paths (weir warns about an argument that names a relative path existing here). --detached returns
with the job id once it is submitted; --from-checkpoint takes a checkpoint (chk-<n>), its _metadata, or a
checkpoint directory (the coordinator picks this job's newest checkpoint there). Ctrl-C, SIGTERM, the progress line and the summary
work the same way there (the nodes report what their sources read, the coordinator the checkpoints); the progress line also counts
the job's restarts and shows why the latest happened, so a job that keeps failing is visible while it runs.

Ctrl-C or SIGTERM (kill, Kubernetes), embedded or on a cluster: the first stops the job — with a savepoint
when checkpointing is on and a directory is known (--savepoint-dir, or --checkpoint-dir; its path is
printed with the command that resumes from it), else by cancelling; the second cancels at once; the third
exits without waiting (a cluster job may then still run: weir cancel <job>). The exit code is 130 when
Ctrl-C came first, 143 when SIGTERM did.

Exit codes: ${exitCodeHelp()}`,
    )
    .action(async (modulePath: string, args: string[], flags: RunFlags) => {
      if (flags.coordinator !== undefined) {
        if (extensions.runOnCluster === undefined) throw new Error('weir run --coordinator: no cluster runner was given to runCli');
        setExitCode(await extensions.runOnCluster(modulePath, args, flags, io));
      } else if (flags.detached || flags.adaptive || flags.checkpointStorage !== undefined || flags.secretFile !== undefined) {
        io.stderr.write('weir run: --detached, --adaptive, --checkpoint-storage and --secret-file need --coordinator host:port\n');
        setExitCode(EXIT_CODES.USAGE);
      } else {
        setExitCode(await run(modulePath, args, flags, io));
      }
    });
  extensions.register?.(program, { io, setExitCode });
  return program;
}

export function exitCodeHelp(): string {
  return (
    `${EXIT_CODES.FINISHED} finished, ${EXIT_CODES.FAILED} the job failed, ${EXIT_CODES.USAGE} usage or configuration error ` +
    `(arguments, job module, savepoint, cluster secret), ${EXIT_CODES.UNREACHABLE} the coordinator is unreachable or refused the connection, ` +
    `${EXIT_CODES.INTERRUPTED} interrupted (Ctrl-C), ${EXIT_CODES.TERMINATED} stopped by SIGTERM, ${EXIT_CODES.INTERNAL} internal error of weir.`
  );
}

export function positiveInt(what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`the ${what} must be a whole number ≥ 1, got '${value}'`);
    return n;
  };
}

async function run(modulePath: string, args: string[], flags: RunFlags, io: CliIo): Promise<number> {
  const restore: JobRestore | undefined =
    flags.fromSavepoint !== undefined ? { savepoint: flags.fromSavepoint } : flags.fromCheckpoint !== undefined ? { checkpoint: flags.fromCheckpoint } : undefined;
  let job: LoadedJob;
  try {
    job = await loadJobModule(modulePath, {
      args,
      ...(flags.parallelism === undefined ? {} : { parallelism: flags.parallelism }),
      ...(flags.checkpointDir === undefined ? {} : { checkpointDir: flags.checkpointDir }),
      ...(flags.checkpointInterval === undefined ? {} : { checkpointIntervalMs: flags.checkpointInterval }),
      ...(restore === undefined ? {} : { restore }),
    });
  } catch (e) {
    const exitCode = isConfigurationError(e) ? EXIT_CODES.USAGE : EXIT_CODES.FAILED;
    const error = reportError(e);
    if (flags.json) io.stdout.write(`${JSON.stringify({ status: 'ERROR', exitCode, jobId: null, coordinator: null, error } satisfies RunErrorJson)}\n`);
    else io.stderr.write(`weir run: ${error.message}${error.cause === undefined ? '' : `\n  cause: ${error.cause}`}\n`);
    return exitCode;
  }

  const line = flags.json ? undefined : new ProgressLine(io.stderr);
  const jobRun = new JobRun(job, {
    ...(flags.savepointDir === undefined ? {} : { savepointDir: flags.savepointDir }),
    ...(line === undefined ? {} : { onProgress: (p, ms) => line.update(p, ms), progressIntervalMs: progressIntervalMs(io.stderr) }),
  });
  if (!flags.json) {
    const from = job.restoredFrom === undefined ? '' : ` from ${job.restoredFrom}`;
    io.stderr.write(`Running '${job.jobName}' (${job.modulePath})${from}, parallelism ${job.env.parallelism}; Ctrl-C or SIGTERM stops it\n`);
  }

  const signals = new StopSignals(
    io,
    (n, signal) => {
      const target = jobRun.savepointTarget;
      if (!flags.json) {
        line?.clear();
        io.stderr.write(
          n === 2
            ? `weir: ${signalName(signal)}: cancelling now (once more exits without waiting)\n`
            : target === undefined
              ? `weir: ${signalName(signal)}: cancelling the job (no checkpointing, so no savepoint)…\n`
              : `weir: ${signalName(signal)}: stopping the job with a savepoint in ${target}…\n`,
        );
      }
      void jobRun.interrupt();
    },
    () => io.stderr.write('\nweir: exiting without waiting for the job\n'),
  );
  try {
    const outcome = await jobRun.outcome;
    line?.finish(jobRun.progressNow(), outcome.durationMs);
    const exitCode = outcome.interrupted ? signals.exitCode : exitCodeOf(outcome);
    const summary = embeddedSummary(outcome, exitCode, modulePath, args, flags);
    io.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary, outcome.restarts));
    return exitCode;
  } finally {
    signals.remove();
  }
}

export function exitCodeOf(outcome: RunOutcome): number {
  if (outcome.interrupted) return EXIT_CODES.INTERRUPTED;
  if (outcome.status === 'FINISHED') return EXIT_CODES.FINISHED;
  return outcome.configurationError ? EXIT_CODES.USAGE : EXIT_CODES.FAILED;
}

/** An embedded run's outcome in the shape both modes print. */
export function embeddedSummary(o: RunOutcome, exitCode: number, modulePath: string, args: readonly string[], flags: RunFlags): RunSummaryJson {
  return {
    status: o.status,
    exitCode,
    interrupted: o.interrupted,
    jobId: o.jobId ?? null,
    jobName: o.jobName,
    fingerprint: o.fingerprint,
    coordinator: null,
    durationMs: o.durationMs,
    operators: o.operators,
    recordsRead: o.recordsRead,
    checkpoints: { completed: o.checkpoints.completed, failed: o.checkpoints.failed, latest: o.checkpoints.latest ?? null },
    restarts: o.restarts.length,
    restoredFrom: o.restoredFrom ?? null,
    savepoint: o.savepoint ?? null,
    resumeCommand: o.savepoint === undefined ? null : resumeCommand(modulePath, args, flags, o.savepoint),
    finalCheckpoint: o.finalCheckpoint ?? null,
    error: o.error ?? null,
  };
}

/** How often the progress line is updated, in ms: twice a second on a terminal, every 5 s into a file or pipe. */
export function progressIntervalMs(out: CliIo['stderr']): number {
  return out.isTTY ? 500 : 5000;
}

/**
 * The progress line on stderr: rewritten in place on a terminal, one line per
 * update otherwise. Embedded runs and cluster runs (clientCommands) print it.
 */
export class ProgressLine {
  private shown = false;
  constructor(private readonly out: CliIo['stderr']) {}

  /** Shows `p` after `elapsedMs` (ms since the job was submitted). */
  update(p: ProgressSnapshot, elapsedMs: number): void {
    const text = progressText(p, elapsedMs);
    if (this.out.isTTY) {
      this.out.write(`\r${text}\x1b[K`);
      this.shown = true;
    } else {
      this.out.write(`${text}\n`);
    }
  }

  clear(): void {
    if (this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }

  /**
   * Shows the counts once more when the job has ended, so the last line
   * left on screen (or in the log) is the final count, not the last sample
   * taken while the job ran; on a terminal the line then stays.
   */
  finish(p: ProgressSnapshot, elapsedMs: number): void {
    this.update(p, elapsedMs);
    if (this.out.isTTY) this.out.write('\n');
    this.shown = false;
  }
}

/** The progress line's text: records read, of how many (with a percentage) when known, time and rate. */
export function progressText(p: ProgressSnapshot, elapsedMs: number): string {
  const pct = p.percent === undefined ? '' : ` of ${count(p.totalRecords!)} (${p.percent}%)`;
  const restarted = p.restarted ? ' since the last restart' : '';
  const rate = elapsedMs > 0 ? `, ${count(Math.round((p.recordsRead / elapsedMs) * 1000))}/s` : '';
  // A restart loop shows while it happens: how many, and why the latest (cut to one screen line).
  const why = p.lastFailure === undefined ? '' : `, last: ${p.lastFailure.length > 80 ? `${p.lastFailure.slice(0, 79)}…` : p.lastFailure}`;
  const restarts = (p.restarts ?? 0) > 0 ? `; ${count(p.restarts!)} restart${p.restarts === 1 ? '' : 's'}${why}` : '';
  return `  read ${count(p.recordsRead)} records${pct}${restarted} in ${seconds(elapsedMs)}${p.restarted ? '' : rate}${restarts}`;
}
