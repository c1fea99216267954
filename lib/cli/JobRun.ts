/**
 * Runs a loaded job module in this process (embedded) for `weir run`: starts
 * it on the installed executor, reports source progress at an interval,
 * stops it on request (with a savepoint when it can, else by cancelling),
 * and ends with one RunOutcome whatever happened — finished, failed,
 * cancelled or interrupted. Never throws and never exits the process: the
 * caller turns the outcome into output and an exit code.
 *
 * The executor is the default one (the package entry point installs the
 * actor runtime); the loader's build-only executor is dropped here.
 */
import * as fs from 'node:fs';
import type { CheckpointCounts, CheckpointStats, JobClient, JobResult, OperatorResult, RestartRecord } from '../api/JobClient';
import { getExecutor } from '../api/PipelineExecutor';
import { FileSystemCheckpointStorage } from '../checkpoint/CheckpointStorage';
import { ConfigurationError, GraphValidationError, JobExecutionError, JobModuleError, RestoreError, WeirError } from '../errors';
import type { LoadedJob } from './JobModule';
import { SourceProgress, type ProgressSnapshot } from './SourceProgress';

export interface JobRunOptions {
  /**
   * Where an interrupted job's savepoint goes. Default: `savepoints` inside
   * the job's file-system checkpoint directory; with neither (memory
   * checkpoints) an interrupt cancels.
   */
  readonly savepointDir?: string;
  /** Called every `progressIntervalMs` while the job runs. */
  readonly onProgress?: (progress: ProgressSnapshot, elapsedMs: number) => void;
  /** Interval of onProgress calls, in ms (1000). */
  readonly progressIntervalMs?: number;
}

/** An error as the CLI reports it. */
export interface ReportedError {
  readonly name: string;
  /** The WeirError code, when it is one (e.g. JOB_FAILED, SAVEPOINT_NOT_FOUND). */
  readonly code?: string;
  readonly message: string;
  /** The root cause's message, when the error wraps one whose message is not already part of `message`. */
  readonly cause?: string;
}

export interface CheckpointSummary {
  readonly completed: number;
  readonly failed: number;
  /** Metadata location of the newest completed checkpoint, when it is on disk and still there (resume with --from-checkpoint). */
  readonly latest?: string;
}

/**
 * A run's checkpoints for its summary: the counts over its life, and the
 * newest completed checkpoint (not a savepoint) when `onDisk` and it is still
 * there — named only while it can be resumed from (a stop with a savepoint,
 * or the retention policy, may have removed it).
 */
export function summarizeCheckpoints(counts: CheckpointCounts | undefined, stats: readonly CheckpointStats[], onDisk: boolean): CheckpointSummary {
  const newest = stats.filter((c) => c.state === 'COMPLETED' && !c.savepoint).at(-1)?.location;
  const latest = onDisk && newest !== undefined && fs.existsSync(newest) ? newest : undefined;
  return { completed: counts?.completed ?? 0, failed: counts?.failed ?? 0, ...(latest === undefined ? {} : { latest }) };
}

export interface RunOutcome {
  readonly status: 'FINISHED' | 'FAILED' | 'CANCELED';
  /** True when the run ended because interrupt() was called. */
  readonly interrupted: boolean;
  readonly jobId: string | undefined;
  readonly jobName: string;
  readonly fingerprint: string;
  /** Wall time from submission to the end, in ms. */
  readonly durationMs: number;
  /** Per operator, in topological order; empty when the job did not finish. */
  readonly operators: readonly OperatorResult[];
  readonly recordsRead: number;
  readonly checkpoints: CheckpointSummary;
  readonly restarts: readonly Pick<RestartRecord, 'attempt' | 'cause'>[];
  /** The savepoint or checkpoint the job started from. */
  readonly restoredFrom?: string;
  /** The savepoint written when the run was stopped with one. */
  readonly savepoint?: string;
  /** The final checkpoint kept when the job finished with checkpointing. */
  readonly finalCheckpoint?: string;
  /** Why the job failed, or why the interrupt could not take a savepoint. */
  readonly error?: ReportedError;
  /** True when the error is the configuration's (bad savepoint, invalid graph), not the job's. */
  readonly configurationError: boolean;
}

export class JobRun {
  private client: JobClient | undefined;
  private readonly progress: SourceProgress;
  private readonly started = Date.now();
  private interruption: Promise<{ savepoint?: string; error?: unknown }> | undefined;
  /** Resolves with the outcome once the job has ended. */
  readonly outcome: Promise<RunOutcome>;

  /** Submits the job at once. */
  constructor(
    private readonly job: LoadedJob,
    private readonly options: JobRunOptions = {},
  ) {
    this.progress = SourceProgress.instrument(job.jobGraph);
    this.outcome = this.run();
  }

  /** How far the sources have read now (after the end: the final count). */
  progressNow(): ProgressSnapshot {
    return this.progress.snapshot();
  }

  /** The savepoint directory an interrupt uses, or undefined when it cancels instead. */
  get savepointTarget(): string | undefined {
    const config = this.job.env.config;
    if (config.checkpoint === undefined) return undefined;
    if (this.options.savepointDir !== undefined) return this.options.savepointDir;
    const storage = config.checkpointStorage;
    return storage instanceof FileSystemCheckpointStorage ? `${storage.root}/savepoints` : undefined;
  }

  /**
   * Stops the job: with a savepoint when checkpointing is on and there is a
   * directory for it (falls back to cancelling if the savepoint fails),
   * otherwise by cancelling. A second call cancels at once. Resolves with
   * what was done.
   */
  interrupt(): Promise<{ savepoint?: string; error?: unknown }> {
    const client = this.client;
    if (client === undefined) return Promise.resolve({});
    if (this.interruption !== undefined) {
      return client.cancel().then(() => ({}));
    }
    const target = this.savepointTarget;
    this.interruption =
      target === undefined
        ? client.cancel().then(() => ({}))
        : client.stopWithSavepoint(target).then(
            (savepoint) => ({ savepoint }),
            async (error: unknown) => {
              await client.cancel();
              return { error };
            },
          );
    return this.interruption;
  }

  private async run(): Promise<RunOutcome> {
    const { env, jobGraph } = this.job;
    let timer: NodeJS.Timeout | undefined;
    try {
      this.client = getExecutor({ ...env.config, executor: undefined }).execute(jobGraph, { ...env.config, executor: undefined });
      const onProgress = this.options.onProgress;
      if (onProgress !== undefined) {
        timer = setInterval(() => onProgress(this.progress.snapshot(), Date.now() - this.started), this.options.progressIntervalMs ?? 1000);
        timer.unref();
      }
      const result = await this.client.result();
      const interrupted = this.interruption !== undefined ? await this.interruption : undefined;
      return this.finished(result, interrupted);
    } catch (error) {
      const interrupted = this.interruption !== undefined ? await this.interruption : undefined;
      return this.ended(error, interrupted);
    } finally {
      if (timer !== undefined) clearInterval(timer);
    }
  }

  private finished(result: JobResult, interrupted: { savepoint?: string; error?: unknown } | undefined): RunOutcome {
    return {
      ...this.common(),
      status: 'FINISHED',
      interrupted: interrupted !== undefined,
      durationMs: result.durationMs,
      operators: result.operators,
      restarts: result.restarts.map((r) => ({ attempt: r.attempt, cause: r.cause })),
      ...(result.savepoint === undefined ? {} : { savepoint: result.savepoint }),
      ...(result.finalCheckpoint === undefined ? {} : { finalCheckpoint: result.finalCheckpoint }),
    };
  }

  private ended(error: unknown, interrupted: { savepoint?: string; error?: unknown } | undefined): RunOutcome {
    const cancelled = error instanceof WeirError && error.code === 'JOB_CANCELLED';
    const restarts = error instanceof JobExecutionError ? error.restarts.map((r) => ({ attempt: r.attempt, cause: r.cause })) : [];
    const reported = cancelled ? interrupted?.error : error;
    return {
      ...this.common(),
      status: cancelled ? 'CANCELED' : 'FAILED',
      interrupted: interrupted !== undefined,
      restarts,
      ...(reported === undefined ? {} : { error: reportError(reported) }),
      configurationError: !cancelled && isConfigurationError(error),
    };
  }

  private common(): RunOutcome {
    const onDisk = this.job.env.config.checkpointStorage instanceof FileSystemCheckpointStorage;
    const checkpoints = summarizeCheckpoints(this.client?.checkpointCounts(), this.client?.checkpoints() ?? [], onDisk);
    return {
      status: 'FAILED',
      interrupted: false,
      jobId: this.client?.jobId,
      jobName: this.job.jobName,
      fingerprint: this.job.fingerprint,
      durationMs: Date.now() - this.started,
      operators: [],
      recordsRead: this.progress.snapshot().recordsRead,
      checkpoints,
      restarts: [],
      ...(this.job.restoredFrom === undefined ? {} : { restoredFrom: this.job.restoredFrom }),
      configurationError: false,
    };
  }
}

/** Errors that say the command's input is wrong (exit code 2), not that the job failed. */
export function isConfigurationError(e: unknown): boolean {
  if (e instanceof ConfigurationError || e instanceof GraphValidationError || e instanceof RestoreError || e instanceof JobModuleError) return true;
  return e instanceof JobExecutionError && (e.cause instanceof RestoreError || e.cause instanceof ConfigurationError);
}

/**
 * The name, code, message and root cause of an error, for text and JSON
 * output. The cause is left out when the message already quotes it (a
 * JobModuleError or JobExecutionError names what it wraps), so it is
 * printed only when it adds something.
 */
export function reportError(e: unknown): ReportedError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  let root: unknown = e.cause;
  while (root instanceof Error && root.cause !== undefined) root = root.cause;
  const code = (e as { code?: unknown }).code;
  return {
    name: e.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: e.message,
    ...(root instanceof Error && !e.message.includes(root.message) ? { cause: root.message } : {}),
  };
}
