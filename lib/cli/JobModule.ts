/**
 * The job-module contract: how a job is given to `weir run` (and, with the
 * cluster, to every node process, which rebuilds the same graph itself —
 * job code is never sent over the wire).
 *
 * A job module is a JavaScript file (CommonJS or an ES module; compiled
 * TypeScript) that exports, as its default export or as `job`, a function
 *
 *   (env: StreamExecutionEnvironment, args: string[]) => void | Promise<void>
 *
 * that builds the pipeline — sources to sinks (`sinkTo`, `print`) — on the
 * environment it is given, without running it. It may set anything on the
 * environment (checkpointing, restart strategy, operator parallelism);
 * those settings win over the command line's, as in Flink. It may also
 * export `jobName` (a string; default: the file's name without extension).
 *
 *   // wordCount.ts → node_modules/.bin/weir run dist/wordCount.js input.txt
 *   export default function job(env: StreamExecutionEnvironment, [file]: string[]) {
 *     env.fromSource(FileSource.jsonLines<Line>(file)).keyBy((l) => l.word).sum('n').print();
 *   }
 *
 * Guarantees of loadJobModule(): it only imports the module, creates one
 * environment and calls the job function on it; the environment's executor
 * refuses to run anything meanwhile (a module that executes while building
 * fails with JOB_EXECUTED_WHILE_BUILDING), so nothing starts. For the same
 * module file and the same options the job graph — and so its fingerprint —
 * is the same in every process. Every problem is a JobModuleError naming the
 * module and what is wrong; bad options are ConfigurationErrors, a snapshot
 * path with nothing there a RestoreError.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { StreamExecutionEnvironment } from '../api/StreamExecutionEnvironment';
import type { PipelineExecutor } from '../api/PipelineExecutor';
import type { RestoreMode } from '../api/EnvironmentConfig';
import { listRetainedCheckpoints } from '../checkpoint/CheckpointLoader';
import { ConfigurationError, GraphValidationError, JobModuleError, RestoreError, WeirError } from '../errors';
import type { JobGraph } from '../graph/JobGraph';
import { describeJobGraph, jobFingerprint, type JobGraphDescription } from '../graph/JobFingerprint';
import type { Logger } from '../monitoring/Logger';
import { weirVersion } from './weirVersion';

/** The function a job module exports. */
export type JobFunction = (env: StreamExecutionEnvironment, args: string[]) => void | Promise<void>;

/** Where the job starts from: a savepoint, or a retained checkpoint (or a checkpoint directory: its newest for this job). */
export type JobRestore = { readonly savepoint: string } | { readonly checkpoint: string };

export interface JobModuleOptions {
  /** Arguments after the module path, given to the job function. */
  readonly args?: readonly string[];
  /** Default operator parallelism (1). */
  readonly parallelism?: number;
  /** Checkpoints go to this directory (FileSystemCheckpointStorage); memory otherwise. */
  readonly checkpointDir?: string;
  /** Checkpoint every this many ms (exactly-once); off unless given or set by the job. */
  readonly checkpointIntervalMs?: number;
  /** Start from a savepoint or checkpoint. */
  readonly restore?: JobRestore;
  readonly restoreMode?: RestoreMode;
  /** The engine's logger (EnvironmentOptions.logger). */
  readonly logger?: Logger | false;
  /** Relative module paths are resolved against this directory (process.cwd()). */
  readonly cwd?: string;
}

/** A job module turned into a job graph, ready to run. */
export interface LoadedJob {
  /** Absolute path of the module file. */
  readonly modulePath: string;
  readonly jobName: string;
  /** The environment the job function built on (its config holds checkpointing, restore, parallelism). */
  readonly env: StreamExecutionEnvironment;
  readonly jobGraph: JobGraph;
  /** What the fingerprint is computed from (operators, edges, code version). */
  readonly description: JobGraphDescription;
  /** sha256 hex of `description`: equal in every process that loads the same module with the same options. */
  readonly fingerprint: string;
  /** The snapshot the job starts from, resolved (a checkpoint directory becomes its newest checkpoint). */
  readonly restoredFrom: string | undefined;
}

/**
 * Imports the job module at `modulePath` (absolute, or relative to
 * `options.cwd`), builds its pipeline on a new environment configured from
 * `options`, and returns the job graph with its fingerprint.
 * @throws JobModuleError (MODULE_NOT_FOUND, MODULE_IMPORT_FAILED, NO_JOB_FUNCTION, INVALID_JOB_NAME,
 *   JOB_BUILD_FAILED, JOB_EXECUTED_WHILE_BUILDING, NO_SINKS, INVALID_JOB_GRAPH)
 * @throws ConfigurationError for a bad option, RestoreError when the snapshot to restore is not there
 */
export async function loadJobModule(modulePath: string, options: JobModuleOptions = {}): Promise<LoadedJob> {
  if (typeof modulePath !== 'string' || modulePath.length === 0) {
    throw new ConfigurationError('jobModule', 'give the path of a job module (a .js file)');
  }
  const abs = path.resolve(options.cwd ?? process.cwd(), modulePath);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(abs);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'EISDIR' ? 'is a directory, not a module file' : 'no such file';
    throw new JobModuleError('MODULE_NOT_FOUND', abs, `${why} (give the path of a compiled .js job module)`, { cause: e });
  }
  const exports = await importModule(abs);
  const job = jobFunctionOf(abs, exports);
  const jobName = jobNameOf(abs, exports);
  const restoredFrom = await resolveRestore(options.restore, jobName);

  const env = StreamExecutionEnvironment.create({
    ...(options.parallelism === undefined ? {} : { parallelism: options.parallelism }),
    ...(restoredFrom === undefined ? {} : { savepointPath: restoredFrom }),
    ...(options.restoreMode === undefined ? {} : { restoreMode: options.restoreMode }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    executor: refusingExecutor(abs),
  });
  if (options.checkpointDir !== undefined) env.setCheckpointStorage(options.checkpointDir);
  if (options.checkpointIntervalMs !== undefined) env.enableCheckpointing(options.checkpointIntervalMs);

  try {
    await job(env, [...(options.args ?? [])]);
  } catch (e) {
    if (e instanceof JobModuleError) throw e;
    throw new JobModuleError('JOB_BUILD_FAILED', abs, `the job function failed while building the pipeline: ${messageOf(e)}`, { cause: e });
  }
  let jobGraph: JobGraph;
  try {
    jobGraph = env.getJobGraph(jobName);
  } catch (e) {
    if (e instanceof GraphValidationError && e.code === 'NO_SINKS') {
      throw new JobModuleError('NO_SINKS', abs, 'the job function added no sink: end the pipeline with sinkTo(...) or print() (and do not call execute())', { cause: e });
    }
    if (e instanceof GraphValidationError) throw new JobModuleError('INVALID_JOB_GRAPH', abs, e.message, { cause: e });
    throw e;
  }
  const description = describeJobGraph(jobGraph, { weirVersion: weirVersion(), ...moduleCode(abs, bytes) });
  return { modulePath: abs, jobName, env, jobGraph, description, fingerprint: jobFingerprint(description), restoredFrom };
}

/**
 * The code version of a loaded module: the sha256 of each local file it
 * imported (CommonJS, followed through require.cache: files outside
 * node_modules, by path relative to the module's directory, so the same
 * deployment under another root hashes the same) and one sha256 over them.
 * An ES module loaded by import() is hashed alone (its imports are not
 * visible to the loader).
 */
function moduleCode(abs: string, bytes: Buffer): { moduleSha256: string; moduleFiles: Record<string, string> } {
  const root = path.dirname(abs);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const files: Record<string, string> = { [path.basename(abs)]: sha(bytes) };
  const seen = new Set<string>([abs]);
  const pending = [...(require.cache[abs]?.children ?? [])];
  for (let m = pending.pop(); m !== undefined; m = pending.pop()) {
    if (seen.has(m.filename) || m.filename.split(path.sep).includes('node_modules')) continue;
    seen.add(m.filename);
    try {
      files[path.relative(root, m.filename).split(path.sep).join('/')] = sha(fs.readFileSync(m.filename));
    } catch {
      continue; // a built-in or a file gone since: not code this process can compare
    }
    pending.push(...m.children);
  }
  const names = Object.keys(files).sort();
  const moduleFiles = Object.fromEntries(names.map((n) => [n, files[n]]));
  return { moduleSha256: createHash('sha256').update(names.map((n) => `${n}\0${files[n]}\n`).join('')).digest('hex'), moduleFiles };
}

/** CommonJS (and ES modules Node can require) by require; an ES module with top-level await by import(). */
async function importModule(abs: string): Promise<unknown> {
  try {
    return require(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE') {
      try {
        return await import(pathToFileURL(abs).href);
      } catch (e2) {
        throw new JobModuleError('MODULE_IMPORT_FAILED', abs, `importing it threw: ${messageOf(e2)}`, { cause: e2 });
      }
    }
    throw new JobModuleError('MODULE_IMPORT_FAILED', abs, `importing it threw: ${messageOf(e)}`, { cause: e });
  }
}

function jobFunctionOf(abs: string, exports: unknown): JobFunction {
  const m = (exports ?? {}) as { default?: unknown; job?: unknown };
  // A compiled ES module's default export, required from CommonJS, may sit one level down.
  const candidates = [m.default, m.job, (m.default as { default?: unknown } | undefined)?.default, typeof exports === 'function' ? exports : undefined];
  const fn = candidates.find((c) => typeof c === 'function');
  if (fn === undefined) {
    const names = exports !== null && typeof exports === 'object' ? Object.keys(exports).filter((k) => k !== '__esModule') : [];
    throw new JobModuleError(
      'NO_JOB_FUNCTION',
      abs,
      `it exports no job function (found ${names.length === 0 ? 'no exports' : `exports ${names.map((n) => `'${n}'`).join(', ')}`}); ` +
        'export one as default or as `job`: export default function job(env, args) { env.fromCollection([1, 2]).print(); }',
    );
  }
  return fn as JobFunction;
}

function jobNameOf(abs: string, exports: unknown): string {
  const name = (exports as { jobName?: unknown } | null)?.jobName;
  if (name === undefined) return path.basename(abs).replace(/\.[cm]?[jt]s$/, '');
  if (typeof name !== 'string' || name.length === 0) {
    throw new JobModuleError('INVALID_JOB_NAME', abs, `its \`jobName\` export must be a non-empty string, got ${String(name)}`);
  }
  return name;
}

async function resolveRestore(restore: JobRestore | undefined, jobName: string): Promise<string | undefined> {
  if (restore === undefined) return undefined;
  if ('savepoint' in restore) return restore.savepoint;
  const p = restore.checkpoint;
  // A checkpoint itself (chk-<n> directory or its _metadata), or a checkpoint directory holding job runs.
  if (fs.existsSync(path.join(p, '_metadata')) || path.basename(p) === '_metadata') return p;
  if (!fs.existsSync(p)) throw new RestoreError('SAVEPOINT_NOT_FOUND', p, 'no such file or directory');
  const [newest] = await listRetainedCheckpoints(p, { jobName });
  if (newest === undefined) {
    throw new RestoreError('SAVEPOINT_NOT_FOUND', p, `no completed checkpoint of job '${jobName}' in this directory (nor a checkpoint's _metadata)`);
  }
  return newest.location;
}

/** An executor that fails the build: a job module must not run the job itself. */
function refusingExecutor(abs: string): PipelineExecutor {
  return {
    execute(): never {
      throw new JobModuleError(
        'JOB_EXECUTED_WHILE_BUILDING',
        abs,
        'the job function ran the job (execute, executeAsync or executeAndCollect); it must only build it — end the pipeline with sinkTo(...) or print() and return',
      );
    },
  };
}

function messageOf(e: unknown): string {
  if (e instanceof WeirError) return `${e.name}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}
