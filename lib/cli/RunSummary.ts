/**
 * What `weir run` prints when a job ends — the same for an embedded run and
 * a cluster run (`--coordinator`): one RunSummaryJson object, which `--json`
 * prints as the last line of stdout and formatSummary() turns into the
 * human summary. Every field is present in both modes; one that does not
 * apply, or that the mode cannot know, is null (e.g. `coordinator` of an
 * embedded run, `recordsRead` of a cluster job that did not finish).
 * `restarts` is a count in both modes: a cluster reports how
 * often a job restarted, not why (an embedded run's human summary also
 * lists the last causes).
 *
 * Also here: the command line that resumes a stopped run from its
 * savepoint, quoted for a POSIX shell so that it can be pasted as it is.
 */
import * as path from 'node:path';
import type { OperatorResult } from '../api/JobClient';
import type { ReportedError } from './JobRun';

/** `--json` output of `weir run`, embedded or on a cluster, for a job that started: the last line of stdout. */
export interface RunSummaryJson {
  readonly status: 'FINISHED' | 'FAILED' | 'CANCELED';
  /** The command's exit code (EXIT_CODES). */
  readonly exitCode: number;
  /** True when the run ended because of Ctrl-C (exit 130) or SIGTERM (exit 143). */
  readonly interrupted: boolean;
  readonly jobId: string | null;
  /** The job's name (the module's `jobName`, else its file name); null when a cluster client could not load the module itself. */
  readonly jobName: string | null;
  /**
   * sha256 of the job graph as submitted (what nodes compare); null when a
   * cluster client could not load the module itself, or with --adaptive,
   * where the cluster picks the parallelism.
   */
  readonly fingerprint: string | null;
  /** host:port of the cluster's coordinator; null for an embedded run. */
  readonly coordinator: string | null;
  /** Wall time from submission to the end, in ms. */
  readonly durationMs: number;
  /** Records in and out per operator, summed over its subtasks, sources first (graph order); empty unless the job finished. */
  readonly operators: readonly OperatorResult[];
  /** Records the sources read (since the last restart); null when unknown (a cluster job that did not finish). */
  readonly recordsRead: number | null;
  /**
   * Checkpoints of the run (on a cluster: of the job's current run, which a
   * rescale restarts); null when a coordinator did not report them.
   * `latest`: the newest one still on disk (resume with --from-checkpoint).
   */
  readonly checkpoints: { readonly completed: number; readonly failed: number; readonly latest: string | null } | null;
  /** How often the job restarted after a failure. */
  readonly restarts: number;
  /** The savepoint or checkpoint the run started from. */
  readonly restoredFrom: string | null;
  /** The savepoint the run was stopped with. */
  readonly savepoint: string | null;
  /** The command line that resumes from `savepoint` with the same module, arguments and options. */
  readonly resumeCommand: string | null;
  /** The final checkpoint kept when an embedded job finished with checkpointing. */
  readonly finalCheckpoint: string | null;
  /** Why the job failed, or why a stop could not take its savepoint. */
  readonly error: ReportedError | null;
}

/** `--json` output of `weir run` when the job did not start (bad module, unreachable coordinator, …). */
export interface RunErrorJson {
  readonly status: 'ERROR';
  readonly exitCode: number;
  readonly jobId: string | null;
  readonly coordinator: string | null;
  readonly error: ReportedError;
}

/** The human summary: status and duration, fingerprint, records per operator, checkpoints, restarts, savepoint and how to resume, error. */
export function formatSummary(s: RunSummaryJson, restartCauses: readonly { readonly attempt: number; readonly cause: string }[] = []): string {
  const lines: string[] = [];
  const how = s.interrupted ? (s.savepoint !== null ? 'STOPPED WITH A SAVEPOINT' : 'CANCELED (interrupted)') : s.status;
  const name = s.jobName !== null ? `Job '${s.jobName}'` : `Job ${s.jobId ?? ''}`;
  const id = s.jobName !== null && s.jobId !== null ? ` (job ${s.jobId})` : '';
  const where = s.coordinator === null ? '' : ` on the cluster at ${s.coordinator}`;
  lines.push(`${name} ${how} after ${seconds(s.durationMs)}${id}${where}`);
  if (s.fingerprint !== null) lines.push(`  fingerprint: ${s.fingerprint}`);
  if (s.operators.length > 0) {
    const width = Math.max(8, ...s.operators.map((op) => op.name.length));
    lines.push(`  ${'operator'.padEnd(width)}    p   records in  records out`);
    for (const op of s.operators) {
      lines.push(`  ${op.name.padEnd(width)}  ${String(op.parallelism).padStart(3)}  ${count(op.recordsIn).padStart(11)}  ${count(op.recordsOut).padStart(11)}`);
    }
  } else if (s.recordsRead !== null) {
    lines.push(`  sources read ${count(s.recordsRead)} records`);
  }
  const cp = s.checkpoints;
  if (cp !== null) lines.push(`  checkpoints: ${cp.completed} completed, ${cp.failed} failed${cp.latest === null ? '' : `; newest ${cp.latest}`}`);
  if (s.finalCheckpoint !== null) lines.push(`  final checkpoint: ${s.finalCheckpoint}`);
  lines.push(`  restarts: ${s.restarts === 0 ? 'none' : s.restarts}`);
  for (const r of restartCauses.slice(-3)) lines.push(`    after attempt ${r.attempt}: ${r.cause}`);
  if (s.savepoint !== null) lines.push(`  savepoint: ${s.savepoint}`);
  if (s.resumeCommand !== null) lines.push(`  resume with: ${s.resumeCommand}`);
  if (s.error !== null) {
    lines.push(`  ${s.status === 'FAILED' ? 'error' : 'savepoint failed'}: ${s.error.message}`);
    if (s.error.cause !== undefined) lines.push(`  cause: ${s.error.cause}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The run's options that a resumed run repeats (not --json, --detached or where it started from). */
export interface ResumableOptions {
  readonly coordinator?: string;
  readonly secretFile?: string;
  readonly parallelism?: number;
  readonly adaptive?: boolean;
  readonly checkpointDir?: string;
  readonly checkpointStorage?: string;
  readonly checkpointInterval?: number;
  readonly savepointDir?: string;
}

/**
 * `weir run … --from-savepoint <savepoint> <module> [--] args…`: the same
 * module, arguments and options, paths made absolute (the hint may be
 * pasted in another directory), every word quoted for a POSIX shell.
 */
export function resumeCommand(modulePath: string, args: readonly string[], options: ResumableOptions, savepoint: string): string {
  const words = ['weir', 'run'];
  if (options.coordinator !== undefined) words.push('--coordinator', options.coordinator);
  if (options.secretFile !== undefined) words.push('--secret-file', path.resolve(options.secretFile));
  if (options.parallelism !== undefined) words.push('-p', String(options.parallelism));
  if (options.adaptive) words.push('--adaptive');
  if (options.checkpointDir !== undefined) words.push('--checkpoint-dir', path.resolve(options.checkpointDir));
  if (options.checkpointStorage !== undefined) words.push('--checkpoint-storage', options.checkpointStorage);
  if (options.checkpointInterval !== undefined) words.push('--checkpoint-interval', String(options.checkpointInterval));
  if (options.savepointDir !== undefined) words.push('--savepoint-dir', path.resolve(options.savepointDir));
  words.push('--from-savepoint', savepoint, path.resolve(modulePath));
  // Options may follow the module path: an argument that looks like one needs `--` before it.
  if (args.some((a) => a.startsWith('-'))) words.push('--');
  words.push(...args);
  return words.map(shellQuote).join(' ');
}

/** `word` as a POSIX shell reads it back: unchanged when it is safe, else in single quotes. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
