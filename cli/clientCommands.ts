/**
 * The commands that talk to a running cluster through its coordinator
 * (ClusterClient): `weir run --coordinator` (submit, watch, Ctrl-C to a
 * savepoint), `weir list`, `weir cancel`, `weir savepoint`, `weir stop`,
 * `weir nodes` and `weir health` (for Kubernetes probes).
 *
 * Guarantees: every command connects once, proves the cluster secret and
 * ends with an exit code from EXIT_CODES — 3 (UNREACHABLE) when the
 * coordinator cannot be reached, refuses the secret or does not answer in
 * time; 2 for a bad setting or a request the coordinator rejects as wrong
 * input (no such job, a bad job module or savepoint); 1 for a job that
 * failed or was cancelled. `health` alone answers only 0 or 1 (and 2 for a
 * bad command line), as a probe expects. With `--json` stdout carries one
 * JSON object (for `run`, the last line: RunSummaryJson, the embedded
 * run's shape), also for errors. While a cluster run goes on, stderr shows
 * the embedded run's progress line (ProgressLine), from the coordinator's
 * ReportJobProgress answers — not with `--json` — and once more with the
 * final count when the job ended. An attached run stops its job on Ctrl-C
 * and on SIGTERM alike (exit 130 / 143): the client never leaves it behind.
 */
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { ClusterClient } from '../actors/cluster/ClusterClient';
import type { OperatorResult } from '../lib/api/JobClient';
import { clusterSecret, coordinatorAddress, relativePathWarnings, type HostPort } from '../lib/cli/clusterSettings';
import { loadJobModule, type LoadedJob } from '../lib/cli/JobModule';
import { reportError } from '../lib/cli/JobRun';
import { formatSummary, resumeCommand, shellQuote, type RunErrorJson, type RunSummaryJson } from '../lib/cli/RunSummary';
import { progressSnapshot, sourceNodes, sourceTotals, type ProgressSnapshot } from '../lib/cli/SourceProgress';
import { EXIT_CODES, positiveInt, progressIntervalMs, ProgressLine, signalName, StopSignals, type CliIo, type CommandContext, type RunFlags } from '../lib/cli/weirProgram';
import type { JobEnded, JobSubmission, SubtaskMetricsData } from '../lib/cluster/WireMessages';
import type { JobGraph } from '../lib/graph/JobGraph';
import { ClusterClientError, ClusterSettingsError, ConfigurationError, RequestFailedError } from '../lib/errors';
import { SECRET_HELP } from './serverCommands';

/** Time a savepoint (or stop with one) may take before the command gives up waiting, in ms. */
const DEFAULT_SAVEPOINT_TIMEOUT_MS = 120_000;
/** Time a submission (the coordinator imports the module and builds the graph) may take, in ms. */
const SUBMIT_TIMEOUT_MS = 60_000;
/** Time `weir health` gives the coordinator to answer, in ms. */
const DEFAULT_HEALTH_TIMEOUT_MS = 3_000;

/** Error codes from the coordinator that mean the request's input was wrong (exit 2), not that a job failed. */
const INPUT_ERROR_CODES = new Set([
  'INVALID_CONFIGURATION',
  // RequestFailed: a job id that is not on the cluster, or a request for a job that has ended
  'UNKNOWN_JOB',
  'JOB_NOT_RUNNING',
  'INVALID_CLUSTER_SETTING',
  // JobModuleError
  'MODULE_NOT_FOUND',
  'MODULE_IMPORT_FAILED',
  'NO_JOB_FUNCTION',
  'INVALID_JOB_NAME',
  'JOB_BUILD_FAILED',
  'JOB_EXECUTED_WHILE_BUILDING',
  'NO_SINKS',
  'INVALID_JOB_GRAPH',
  // RestoreError
  'SAVEPOINT_NOT_FOUND',
  'SAVEPOINT_UNREADABLE',
  'INCOMPATIBLE_STATE',
  'NON_RESTORED_STATE',
  'MAX_PARALLELISM_CHANGED',
  // GraphValidationError
  'CYCLE',
  'UID_COLLISION',
  'INVALID_PARALLELISM',
  'PARALLELISM_ABOVE_MAX',
  'NON_PARALLEL_SOURCE',
  'FORWARD_PARALLELISM_MISMATCH',
  'MISSING_KEY_SELECTOR',
  'INVALID_ARGUMENT',
  'UNKNOWN_NODE',
]);

interface ClientFlags {
  coordinator?: string;
  secretFile?: string;
  json?: boolean;
  timeout?: number;
}

/**
 * `--json` output of `weir run --coordinator --detached`. An attached run
 * prints a RunSummaryJson, as an embedded run does (RunErrorJson when the
 * job did not start).
 */
export interface ClusterSubmittedJson {
  readonly status: 'SUBMITTED';
  readonly exitCode: number;
  readonly jobId: string;
  readonly coordinator: string;
}

/** The exit code for a failed client command, with its message written (stderr, or JSON on stdout). */
function clientFailure(command: string, e: unknown, io: CliIo, json: boolean | undefined, extra: Record<string, unknown> = {}): number {
  let exitCode: number;
  if (e instanceof ClusterSettingsError || e instanceof ConfigurationError) exitCode = EXIT_CODES.USAGE;
  else if (e instanceof ClusterClientError) exitCode = EXIT_CODES.UNREACHABLE;
  else if (e instanceof RequestFailedError) exitCode = INPUT_ERROR_CODES.has(e.code) ? EXIT_CODES.USAGE : EXIT_CODES.FAILED;
  else throw e;
  const error = reportError(e);
  if (json) io.stdout.write(`${JSON.stringify({ ...extra, status: 'ERROR', exitCode, error })}\n`);
  else {
    const cause = error.cause === undefined || error.message.includes(error.cause) ? '' : `\n  cause: ${error.cause}`;
    io.stderr.write(`weir ${command}: ${error.message}${cause}\n`);
  }
  return exitCode;
}

/** The command that resumes a job stopped with a savepoint, from the submission the coordinator kept. */
function resumeSubmission(submitted: JobSubmission, coordinator: string, secretFile: string | undefined, savepoint: string): string {
  const { config } = submitted;
  const str = (k: string) => (typeof config[k] === 'string' ? (config[k] as string) : undefined);
  const interval = config.checkpointIntervalMs;
  return resumeCommand(submitted.jobModule, submitted.jobArgs.map(String), {
    coordinator,
    secretFile,
    parallelism: submitted.parallelism,
    adaptive: config.adaptive === true,
    checkpointDir: str('checkpointDir'),
    checkpointStorage: str('checkpointStorage'),
    checkpointInterval: typeof interval === 'number' ? interval : undefined,
  }, savepoint);
}

/** Connects with the flags' (or environment's) coordinator and secret, runs `use`, closes. */
async function withClient<T>(flags: ClientFlags, use: (client: ClusterClient, address: HostPort) => Promise<T>): Promise<T> {
  const address = coordinatorAddress(flags, process.env);
  const secret = clusterSecret(flags, process.env);
  const client = await ClusterClient.connect({ coordinator: address, secret });
  try {
    return await use(client, address);
  } finally {
    client.close();
  }
}

function clientOptions(command: Command, timeoutHelp?: string): Command {
  command
    .addOption(new Option('--coordinator <host:port>', 'the cluster\'s coordinator (default: env WEIR_COORDINATOR)'))
    .addOption(new Option('--secret-file <path>', 'read the cluster secret from this file (default: env WEIR_CLUSTER_SECRET)'))
    .addOption(new Option('--json', 'print one JSON object on stdout'));
  if (timeoutHelp !== undefined) command.addOption(new Option('--timeout <ms>', timeoutHelp).argParser(positiveInt('timeout')));
  return command;
}

/** Adds list, cancel, savepoint, stop, nodes and health. */
export function registerClientCommands(program: Command, { io, setExitCode }: CommandContext): void {
  const after = `\n${SECRET_HELP}\nExit codes: 0 done, 2 bad arguments or no such job, 3 the coordinator is unreachable or refused the secret.`;

  clientOptions(program.command('list').summary('list the jobs of a cluster').description('List the jobs the coordinator knows: id, name, status, parallelism, restarts, start time.'))
    .addHelpText('after', after)
    .action(async (flags: ClientFlags) => {
      try {
        const { jobs } = await withClient(flags, (c) => c.request({ type: 'ListJobs' }));
        if (flags.json) io.stdout.write(`${JSON.stringify({ jobs })}\n`);
        else if (jobs.length === 0) io.stdout.write('no jobs\n');
        else {
          const rows = jobs.map((j) => [j.jobId, j.name, j.status, String(j.parallelism), String(j.restarts), new Date(j.startedAt).toISOString()]);
          io.stdout.write(table(['JOB ID', 'NAME', 'STATUS', 'P', 'RESTARTS', 'STARTED'], rows));
        }
        setExitCode(0);
      } catch (e) {
        setExitCode(clientFailure('list', e, io, flags.json));
      }
    });

  clientOptions(program.command('cancel').summary('cancel a job on a cluster').description('Cancel a job without a savepoint.').argument('<job-id>', 'the job (weir list shows ids)'))
    .addHelpText('after', after)
    .action(async (jobId: string, flags: ClientFlags) => {
      try {
        await withClient(flags, (c) => c.request({ type: 'CancelJob', jobId }, DEFAULT_SAVEPOINT_TIMEOUT_MS));
        io.stdout.write(flags.json ? `${JSON.stringify({ jobId, status: 'CANCELED' })}\n` : `cancelled job ${jobId}\n`);
        setExitCode(0);
      } catch (e) {
        setExitCode(clientFailure('cancel', e, io, flags.json, { jobId }));
      }
    });

  clientOptions(
    program
      .command('savepoint')
      .summary('take a savepoint of a running job on a cluster')
      .description('Take a savepoint of a running job into a directory every node reaches; the job keeps running. Prints the savepoint\'s path (resume with weir run --from-savepoint).')
      .argument('<job-id>', 'the job')
      .argument('<dir>', 'directory for the savepoint (shared by the nodes)'),
    `how long to wait for the savepoint, in ms (default ${DEFAULT_SAVEPOINT_TIMEOUT_MS})`,
  )
    .addHelpText('after', after)
    .action(async (jobId: string, dir: string, flags: ClientFlags) => {
      try {
        const reply = await withClient(flags, (c) => c.request({ type: 'TriggerSavepoint', jobId, directory: path.resolve(dir) }, flags.timeout ?? DEFAULT_SAVEPOINT_TIMEOUT_MS));
        io.stdout.write(flags.json ? `${JSON.stringify({ jobId, savepoint: reply.location })}\n` : `savepoint of job ${jobId}: ${reply.location}\n`);
        setExitCode(0);
      } catch (e) {
        setExitCode(clientFailure('savepoint', e, io, flags.json, { jobId }));
      }
    });

  clientOptions(
    program
      .command('stop')
      .summary('stop a job on a cluster with a savepoint')
      .description('Stop a job with a savepoint (Flink\'s stop-with-savepoint): sinks commit what it covers, then the job ends. Prints the savepoint\'s path and the command that resumes the job from it.')
      .argument('<job-id>', 'the job')
      .requiredOption('--savepoint <dir>', 'directory for the savepoint (shared by the nodes)'),
    `how long to wait for the savepoint, in ms (default ${DEFAULT_SAVEPOINT_TIMEOUT_MS})`,
  )
    .addHelpText('after', after)
    .action(async (jobId: string, flags: ClientFlags & { savepoint: string }) => {
      try {
        const { reply, address } = await withClient(flags, async (c) => ({
          reply: await c.request({ type: 'StopWithSavepoint', jobId, directory: path.resolve(flags.savepoint) }, flags.timeout ?? DEFAULT_SAVEPOINT_TIMEOUT_MS),
          address: c.address,
        }));
        const resume = reply.submitted === undefined ? undefined : resumeSubmission(reply.submitted, address, flags.secretFile, reply.location);
        io.stdout.write(
          flags.json
            ? `${JSON.stringify({ jobId, status: 'STOPPED', savepoint: reply.location, resumeCommand: resume ?? null })}\n`
            : `stopped job ${jobId} with a savepoint: ${reply.location}\n` +
                (resume !== undefined
                  ? `  resume with: ${resume}\n`
                  : `  resume with: weir run --coordinator ${shellQuote(address)} --from-savepoint ${shellQuote(reply.location)} <options> <job-module> [args...]\n`),
        );
        setExitCode(0);
      } catch (e) {
        setExitCode(clientFailure('stop', e, io, flags.json, { jobId }));
      }
    });

  clientOptions(
    program
      .command('rescale')
      .summary('run a job on a cluster at another parallelism')
      .description(
        'Rescale a running job (Flink\'s stop-with-savepoint and restart): the coordinator stops it with a savepoint in ' +
          '<checkpoint-dir>/savepoints and starts it again from there at the new parallelism, keyed state redistributed by key group. ' +
          'The job keeps its id. Refused when the cluster has too few free slots or the job has no checkpoint directory.',
      )
      .argument('<job-id>', 'the job')
      .argument('<parallelism>', 'the new parallelism', positiveInt('parallelism')),
    `how long to wait for the rescale, in ms (default ${DEFAULT_SAVEPOINT_TIMEOUT_MS})`,
  )
    .addHelpText('after', after)
    .action(async (jobId: string, parallelism: number, flags: ClientFlags) => {
      try {
        await withClient(flags, (c) => c.request({ type: 'Rescale', jobId, parallelism }, flags.timeout ?? DEFAULT_SAVEPOINT_TIMEOUT_MS));
        io.stdout.write(flags.json ? `${JSON.stringify({ jobId, parallelism })}\n` : `job ${jobId} now runs at parallelism ${parallelism}\n`);
        setExitCode(0);
      } catch (e) {
        setExitCode(clientFailure('rescale', e, io, flags.json, { jobId }));
      }
    });

  clientOptions(program.command('nodes').summary('list the nodes of a cluster').description('List the registered nodes: id, slots (free of total), data address, time since the last heartbeat.'))
    .addHelpText('after', after)
    .action(async (flags: ClientFlags) => {
      try {
        const { nodes } = await withClient(flags, (c) => c.request({ type: 'ListNodes' }));
        if (flags.json) io.stdout.write(`${JSON.stringify({ nodes })}\n`);
        else if (nodes.length === 0) io.stdout.write('no nodes registered\n');
        else {
          const now = Date.now();
          const rows = nodes.map((n) => [n.nodeId, `${n.freeSlots}/${n.slots}`, `${n.dataHost}:${n.dataPort}`, `${Math.max(0, now - n.lastHeartbeatAt)} ms ago`]);
          io.stdout.write(table(['NODE ID', 'FREE/SLOTS', 'DATA', 'LAST HEARD'], rows));
        }
        setExitCode(0);
      } catch (e) {
        setExitCode(clientFailure('nodes', e, io, flags.json));
      }
    });

  clientOptions(
    program
      .command('health')
      .summary('exit 0 when the coordinator answers (Kubernetes readiness/liveness probe), else 1')
      .description(
        'Probe a coordinator: connect, prove the secret and ask for its nodes within --timeout. Exit 0 when it answered ' +
          '(and at least --min-nodes nodes are registered), else 1, with the reason on stderr. A bad command line or missing secret exits 2.',
      )
      .addOption(new Option('--min-nodes <n>', 'healthy only with at least this many nodes registered (default 0)').argParser(positiveInt('minimum number of nodes'))),
    `how long the coordinator has to answer, in ms (default ${DEFAULT_HEALTH_TIMEOUT_MS})`,
  )
    .addHelpText('after', `\n${SECRET_HELP}\nExample (a Kubernetes probe):\n  exec: { command: ["weir", "health", "--coordinator", "localhost:6123", "--timeout", "2000"] }`)
    .action(async (flags: ClientFlags & { minNodes?: number }) => setExitCode(await health(flags, io)));
}

async function health(flags: ClientFlags & { minNodes?: number }, io: CliIo): Promise<number> {
  const timeoutMs = flags.timeout ?? DEFAULT_HEALTH_TIMEOUT_MS;
  const report = (healthy: boolean, nodes: number | undefined, reason: string | undefined) => {
    if (flags.json) io.stdout.write(`${JSON.stringify({ healthy, ...(nodes === undefined ? {} : { nodes }), ...(reason === undefined ? {} : { reason }) })}\n`);
    else if (healthy) io.stdout.write(`healthy: the coordinator answered, ${nodes} node(s) registered\n`);
    else io.stderr.write(`weir health: unhealthy: ${reason}\n`);
    return healthy ? 0 : EXIT_CODES.FAILED;
  };
  let address: HostPort;
  let secret: string;
  try {
    address = coordinatorAddress(flags, process.env);
    secret = clusterSecret(flags, process.env);
  } catch (e) {
    return clientFailure('health', e, io, flags.json);
  }
  try {
    const client = await ClusterClient.connect({ coordinator: address, secret, connectTimeoutMs: timeoutMs });
    try {
      const { nodes } = await client.request({ type: 'ListNodes' }, timeoutMs);
      const min = flags.minNodes ?? 0;
      return nodes.length >= min ? report(true, nodes.length, undefined) : report(false, nodes.length, `${nodes.length} node(s) registered, fewer than --min-nodes ${min}`);
    } finally {
      client.close();
    }
  } catch (e) {
    if (e instanceof ClusterClientError || e instanceof RequestFailedError) return report(false, undefined, e.message);
    throw e;
  }
}

/**
 * `weir run <module> --coordinator host:port`: submits the job module (its
 * absolute path: every process imports it itself) with the checkpoint
 * options, then watches it to the end and prints how it ended, in the same
 * shape as an embedded run (RunSummaryJson). Before submitting, it loads
 * the module itself, as Flink's client builds the job graph: for the job's
 * name, fingerprint, sources and graph order (when that fails here, the
 * coordinator's answer decides, and those fields are null), and warns about
 * arguments that are relative paths (the nodes resolve them elsewhere).
 * Ctrl-C and SIGTERM stop the job as in an embedded run (StopSignals): with
 * a savepoint when a directory is known (--savepoint-dir, else
 * <checkpoint-dir>/savepoints), else by cancelling; a second signal cancels,
 * a third exits without waiting. --adaptive needs --checkpoint-dir and
 * checkpointing: the cluster grows the job through a savepoint there and
 * shrinks it onto the nodes left from its latest checkpoint.
 */
export async function runOnCluster(modulePath: string, args: readonly string[], flags: RunFlags, io: CliIo): Promise<number> {
  const started = Date.now();
  const coordinatorText = flags.coordinator ?? '';
  const checkpointDir = flags.checkpointDir === undefined ? undefined : path.resolve(flags.checkpointDir);
  const restorePath = flags.fromSavepoint ?? flags.fromCheckpoint;
  const savepointTarget = flags.savepointDir !== undefined ? path.resolve(flags.savepointDir) : checkpointDir === undefined ? undefined : path.join(checkpointDir, 'savepoints');
  const usage = (message: string) => {
    if (flags.json) io.stdout.write(`${JSON.stringify({ status: 'ERROR', exitCode: EXIT_CODES.USAGE, jobId: null, coordinator: coordinatorText, error: { name: 'ConfigurationError', message } } satisfies RunErrorJson)}\n`);
    else io.stderr.write(`weir run: ${message}\n`);
    return EXIT_CODES.USAGE;
  };
  if (flags.adaptive && checkpointDir === undefined) {
    return usage(
      '--adaptive needs --checkpoint-dir (a directory every node reaches) and checkpointing: the cluster grows the job through a savepoint there and, ' +
        'when a node is lost, goes on from its latest checkpoint (without them it could not grow, and would start over from scratch)',
    );
  }
  for (const warning of relativePathWarnings(args, process.cwd())) io.stderr.write(`weir run: warning: ${warning}\n`);
  const local = await loadHere(modulePath, args, flags);
  if (flags.adaptive && local !== undefined && local.env.config.checkpoint === undefined) {
    return usage('--adaptive needs checkpointing: give --checkpoint-interval <ms> (or enable checkpointing in the job)');
  }
  let client: ClusterClient;
  let jobId: string;
  try {
    const address = coordinatorAddress(flags, process.env);
    const secret = clusterSecret(flags, process.env);
    client = await ClusterClient.connect({ coordinator: address, secret });
  } catch (e) {
    return clientFailure('run', e, io, flags.json, { jobId: null, coordinator: coordinatorText });
  }
  try {
    try {
      const reply = await client.request(
        {
          type: 'SubmitJob',
          jobModule: path.resolve(modulePath),
          jobArgs: [...args],
          parallelism: flags.parallelism,
          restore: restorePath === undefined ? undefined : path.resolve(restorePath),
          config: {
            ...(checkpointDir === undefined ? {} : { checkpointDir }),
            ...(flags.checkpointInterval === undefined ? {} : { checkpointIntervalMs: flags.checkpointInterval }),
            ...(flags.adaptive ? { adaptive: true } : {}),
            ...(flags.checkpointStorage === undefined ? {} : { checkpointStorage: flags.checkpointStorage }),
          },
        },
        SUBMIT_TIMEOUT_MS,
      );
      jobId = reply.jobId;
    } catch (e) {
      return clientFailure('run', e, io, flags.json, { jobId: null, coordinator: client.address });
    }
    if (flags.detached) {
      io.stdout.write(
        flags.json
          ? `${JSON.stringify({ status: 'SUBMITTED', exitCode: 0, jobId, coordinator: client.address } satisfies ClusterSubmittedJson)}\n`
          : `submitted job ${jobId} to ${client.address}\n`,
      );
      return EXIT_CODES.FINISHED;
    }
    if (!flags.json) io.stderr.write(`Running job ${jobId} (${path.resolve(modulePath)}) on the cluster at ${client.address}; Ctrl-C or SIGTERM stops it\n`);
    const line = flags.json ? undefined : new ProgressLine(io.stderr);
    const progress = line === undefined ? undefined : followProgress(client, jobId, line, progressIntervalMs(io.stderr));

    let stopped: Promise<{ savepoint?: string; error?: unknown }> | undefined;
    const c = client;
    const cancel = () => c.request({ type: 'CancelJob', jobId }, DEFAULT_SAVEPOINT_TIMEOUT_MS).then(() => {}, () => {});
    const signals = new StopSignals(
      io,
      (n, signal) => {
        line?.clear();
        if (n === 2 || savepointTarget === undefined) {
          if (!flags.json) {
            io.stderr.write(
              n === 2
                ? `weir: ${signalName(signal)}: cancelling now (once more exits without waiting)\n`
                : `weir: ${signalName(signal)}: cancelling the job (no checkpoint directory, so no savepoint)…\n`,
            );
          }
          stopped ??= Promise.resolve({});
          void cancel();
          return;
        }
        if (!flags.json) io.stderr.write(`weir: ${signalName(signal)}: stopping the job with a savepoint in ${savepointTarget}…\n`);
        stopped = c.request({ type: 'StopWithSavepoint', jobId, directory: savepointTarget }, DEFAULT_SAVEPOINT_TIMEOUT_MS).then(
          (r) => ({ savepoint: r.location }),
          async (error: unknown) => {
            if (!flags.json) io.stderr.write(`weir: the savepoint failed (${(error as Error).message}); cancelling\n`);
            await cancel();
            return { error };
          },
        );
      },
      () => io.stderr.write(`\nweir: exiting without waiting for the job (it may still run: weir cancel ${jobId})\n`),
    );
    let ended: JobEnded;
    try {
      ended = await client.request({ type: 'WatchJob', jobId }, Infinity);
    } catch (e) {
      line?.clear();
      if (e instanceof ClusterClientError && !flags.json) io.stderr.write(`weir run: lost the coordinator while job ${jobId} ran; it may still be running (weir list)\n`);
      return clientFailure('run', e, io, flags.json, { jobId, coordinator: client.address });
    } finally {
      signals.remove();
      progress?.stop();
    }
    const stop = stopped === undefined ? undefined : await stopped;
    const savepoint = stop?.savepoint ?? ended.savepoint;
    const durationMs = Date.now() - started;
    const operators = operatorTotals(ended.subtasks ?? [], local?.jobGraph);
    const final = await finalProgress(client, jobId, ended, operators, local, progress?.last());
    if (line !== undefined) {
      if (final === undefined) line.clear();
      else line.finish(final, durationMs);
    }
    const exitCode = signals.interrupted ? signals.exitCode : ended.status === 'FINISHED' ? EXIT_CODES.FINISHED : EXIT_CODES.FAILED;
    const error =
      ended.message !== undefined ? { name: 'JobError', message: ended.message } : stop?.error !== undefined ? reportError(stop.error) : null;
    const summary: RunSummaryJson = {
      status: ended.status,
      exitCode,
      interrupted: signals.interrupted,
      jobId,
      jobName: local?.jobName ?? null,
      fingerprint: local === undefined || flags.adaptive ? null : local.fingerprint,
      coordinator: client.address,
      durationMs,
      operators,
      recordsRead: final?.recordsRead ?? null,
      checkpoints: ended.checkpoints === undefined ? null : { completed: ended.checkpoints.completed, failed: ended.checkpoints.failed, latest: ended.checkpoints.latest ?? null },
      restarts: ended.restarts,
      restoredFrom: restorePath === undefined ? null : path.resolve(restorePath),
      savepoint: savepoint ?? null,
      resumeCommand: savepoint === undefined ? null : resumeCommand(modulePath, args, flags, savepoint),
      finalCheckpoint: null,
      error,
    };
    io.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
    return exitCode;
  } finally {
    client.close();
  }
}

/**
 * The job module loaded in this process, as the coordinator loads it (same
 * path, arguments and parallelism, so the same fingerprint); undefined when
 * it does not load here — the coordinator's answer then says why, if it
 * fails there too.
 */
async function loadHere(modulePath: string, args: readonly string[], flags: RunFlags): Promise<LoadedJob | undefined> {
  try {
    return await loadJobModule(path.resolve(modulePath), {
      args,
      logger: false,
      ...(flags.parallelism === undefined ? {} : { parallelism: flags.parallelism }),
      ...(flags.checkpointInterval === undefined ? {} : { checkpointIntervalMs: flags.checkpointInterval }),
    });
  } catch {
    return undefined;
  }
}

/**
 * What the sources read in the end: for a finished job, its sources'
 * records out (exact); otherwise the coordinator's last count, asked once
 * more now (or the last one this command saw). Undefined when unknown.
 */
async function finalProgress(
  client: ClusterClient,
  jobId: string,
  ended: JobEnded,
  operators: readonly OperatorResult[],
  local: LoadedJob | undefined,
  last: ProgressSnapshot | undefined,
): Promise<ProgressSnapshot | undefined> {
  if (ended.status === 'FINISHED' && local !== undefined && operators.length > 0) {
    const sources = new Set(sourceNodes(local.jobGraph).map((n) => n.uid));
    const read = operators.filter((o) => sources.has(o.uid)).reduce((n, o) => n + o.recordsOut, 0);
    return progressSnapshot(read, sourceTotals(local.jobGraph), ended.restarts > 0 || (last?.restarted ?? false));
  }
  try {
    const { recordsRead, totalRecords, percent, restarted, bounded } = await client.request({ type: 'ReportJobProgress', jobId }, 2_000);
    return { recordsRead, totalRecords, percent, restarted, bounded };
  } catch {
    return last;
  }
}

/**
 * Shows the job's source progress on `line` every `intervalMs` ms, from the
 * coordinator's answers to ReportJobProgress (one request at a time; the
 * elapsed time counts from now, the job's submission). A request that fails
 * is skipped: the WatchJob request says how the run ended. Returns how to
 * stop it, and the last snapshot shown.
 */
function followProgress(client: ClusterClient, jobId: string, line: ProgressLine, intervalMs: number): { stop(): void; last(): ProgressSnapshot | undefined } {
  const submittedAt = Date.now();
  let asking = false;
  let stopped = false;
  let last: ProgressSnapshot | undefined;
  const timer = setInterval(() => {
    if (asking) return;
    asking = true;
    client.request({ type: 'ReportJobProgress', jobId }).then(
      ({ recordsRead, totalRecords, percent, restarted, bounded, restarts, lastFailure }) => {
        asking = false;
        if (stopped) return;
        last = { recordsRead, totalRecords, percent, restarted, bounded, restarts, ...(lastFailure === undefined ? {} : { lastFailure: lastFailure.split('\n')[0] }) };
        line.update(last, Date.now() - submittedAt);
      },
      () => (asking = false),
    );
  }, intervalMs);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
    last: () => last,
  };
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return `${[header, ...rows].map(line).join('\n')}\n`;
}

/**
 * Records in and out per operator over the subtasks' counters of a finished
 * cluster job, in graph order as an embedded run lists them: the order of
 * `jobGraph` (vertices in topological order, then chain members) when the
 * client could load it, else by node id (a node is created after its
 * inputs, so sources come first).
 */
export function operatorTotals(subtasks: readonly SubtaskMetricsData[], jobGraph?: JobGraph): OperatorResult[] {
  const byUid = new Map<string, OperatorResult & { nodeId: number }>();
  for (const s of subtasks) {
    for (const o of s.operators) {
      const t = byUid.get(o.uid) ?? { uid: o.uid, name: o.name, parallelism: 0, recordsIn: 0, recordsOut: 0, nodeId: o.nodeId };
      byUid.set(o.uid, { ...t, parallelism: t.parallelism + 1, recordsIn: t.recordsIn + o.recordsIn, recordsOut: t.recordsOut + o.recordsOut });
    }
  }
  const order = new Map((jobGraph?.vertices.flatMap((v) => v.nodes.map((n) => n.uid)) ?? []).map((uid, i) => [uid, i]));
  const rank = (o: { uid: string; nodeId: number }) => order.get(o.uid) ?? order.size + o.nodeId;
  return [...byUid.values()].sort((a, b) => rank(a) - rank(b)).map(({ nodeId: _, ...o }) => o);
}
