/**
 * Options of a StreamExecutionEnvironment, validated once at create() with a
 * ConfigurationError naming the bad option. Defaults follow Flink where
 * Flink has one (maxParallelism 128, buffer timeout 100 ms).
 */
import { DEFAULT_CHECKPOINT_HISTORY } from '../checkpoint/CheckpointHistory';
import { ConfigurationError } from '../errors';
import { DEFAULT_MAX_PARALLELISM, UPPER_BOUND_MAX_PARALLELISM } from '../state/KeyGroup';
import { systemClock, type Clock } from '../time/Clock';
import type { PipelineExecutor } from './PipelineExecutor';
import type { FaultSchedule } from '../faults/Fault';
import type { ChannelProbe } from '../transport/ChannelProbe';
import type { CheckpointConfig } from '../checkpoint/CheckpointCoordinator';
import type { CheckpointStorage } from '../checkpoint/CheckpointStorage';
import type { RestartStrategy } from '../recovery/RestartStrategies';
import { resolveSnapshotPath, type SnapshotPath } from '../checkpoint/CheckpointLoader';
import { createDefaultLogger, isLogger, type Logger } from '../monitoring/Logger';

export interface EnvironmentOptions {
  /** Default parallelism of operators (1). */
  parallelism?: number;
  /** Number of key groups, the upper bound of any keyed operator's parallelism (128). */
  maxParallelism?: number;
  /** Longest a partly filled frame waits before it is sent, in ms; 0 sends after each unit of work (100). */
  bufferTimeoutMs?: number;
  /** Records per frame (512). */
  frameSize?: number;
  /** Processing time between periodic watermarks of `assignTimestampsAndWatermarks`, in ms; 0 turns them off (200, Flink's pipeline.auto-watermark-interval). */
  autoWatermarkIntervalMs?: number;
  /** Frames a producer may have in flight per channel (8). */
  channelCredits?: number;
  /** Input frames (or source polls) a subtask handles before yielding the event loop (8). */
  buffersPerRun?: number;
  /** A nact actor (or system) under which the engine spawns its actors; default: a system of its own per job. */
  parent?: unknown;
  /** Processing-time clock (system clock). */
  clock?: Clock;
  /** Randomness for shuffle/rebalance (Math.random). */
  random?: () => number;
  /** Runs jobs; the package entry point installs the actor runtime. */
  executor?: PipelineExecutor;
  /** Observes every buffer sent and processed (tests of the bounded-mailbox invariant). */
  channelProbe?: ChannelProbe;
  /** Injected faults (tests and experiments, see weir/testing). */
  faults?: FaultSchedule;
  /**
   * Start the job from this savepoint or retained checkpoint: its directory
   * (`savepoint-…`, or a `chk-<n>` of a job run) or its `_metadata` file, as
   * Flink's `execution.savepoint.path`. Checked at create(): a RestoreError
   * (SAVEPOINT_NOT_FOUND) when there is no metadata there.
   */
  savepointPath?: string;
  /** Start even if the savepoint has state for operators the job no longer has. */
  allowNonRestoredState?: boolean;
  /**
   * Who owns the snapshot named by `savepointPath` (Flink's restore mode).
   * 'NO_CLAIM' (default): never modified or deleted. 'CLAIM': the job takes
   * it over and deletes it once it no longer needs it (its own first
   * completed checkpoint, or its end) — resuming again and again after
   * crashes then leaves no piles of old checkpoints.
   */
  restoreMode?: RestoreMode;
  /**
   * Where the engine logs (a pino logger, or anything with pino's
   * info/warn/error/debug/child methods); `false` for none. Default: pino to
   * stderr at level `WEIR_LOG_LEVEL`, or 'warn' ('silent' when NODE_ENV is
   * 'test').
   */
  logger?: Logger | false;
  /**
   * Flink's object reuse (false): when true, stateful operators (reduce,
   * sum/min/max, process functions) emit the objects they keep instead of
   * copies, and fromCollection emits the caller's items themselves. Faster;
   * only for jobs whose functions never change a record they received,
   * emitted or read from state.
   */
  objectReuse?: boolean;
}

export type RestoreMode = 'NO_CLAIM' | 'CLAIM';

export interface EnvironmentConfig {
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly bufferTimeoutMs: number;
  readonly frameSize: number;
  readonly autoWatermarkIntervalMs: number;
  readonly channelCredits: number;
  readonly buffersPerRun: number;
  readonly parent: unknown;
  readonly clock: Clock;
  readonly random: () => number;
  readonly executor: PipelineExecutor | undefined;
  readonly channelProbe: ChannelProbe | undefined;
  readonly faults: FaultSchedule | undefined;
  /** The snapshot to start from, resolved and checked at create(). */
  readonly savepoint: SnapshotPath | undefined;
  readonly allowNonRestoredState: boolean;
  readonly restoreMode: RestoreMode;
  readonly logger: Logger;
  readonly objectReuse: boolean;
  /** Set by enableCheckpointing(); undefined: no periodic checkpoints. */
  readonly checkpoint: CheckpointConfig | undefined;
  readonly restartStrategy: RestartStrategy | undefined;
  /** Where checkpoints go (in memory by default). */
  readonly checkpointStorage: CheckpointStorage | undefined;
}

export function resolveConfig(o: EnvironmentOptions = {}): EnvironmentConfig {
  if (typeof o !== 'object' || o === null) throw new ConfigurationError('options', 'must be an object');
  const maxParallelism = int('maxParallelism', o.maxParallelism ?? DEFAULT_MAX_PARALLELISM, 1, UPPER_BOUND_MAX_PARALLELISM);
  const parallelism = int('parallelism', o.parallelism ?? 1, 1, UPPER_BOUND_MAX_PARALLELISM);
  if (parallelism > maxParallelism) {
    throw new ConfigurationError('parallelism', `${parallelism} is greater than maxParallelism ${maxParallelism}`);
  }
  if (o.clock !== undefined && (typeof o.clock.now !== 'function' || typeof o.clock.setTimer !== 'function')) {
    throw new ConfigurationError('clock', 'must have now() and setTimer()');
  }
  if (o.random !== undefined && typeof o.random !== 'function') throw new ConfigurationError('random', 'must be a function');
  if (o.restoreMode !== undefined && o.restoreMode !== 'CLAIM' && o.restoreMode !== 'NO_CLAIM') {
    throw new ConfigurationError('restoreMode', `must be 'CLAIM' or 'NO_CLAIM', got ${String(o.restoreMode)}`);
  }
  if (o.logger !== undefined && o.logger !== false && !isLogger(o.logger)) {
    throw new ConfigurationError('logger', 'must be a pino logger (info, warn, error, debug, child) or false');
  }
  if (o.objectReuse !== undefined && typeof o.objectReuse !== 'boolean') {
    throw new ConfigurationError('objectReuse', `must be a boolean, got ${String(o.objectReuse)}`);
  }
  return {
    parallelism,
    maxParallelism,
    bufferTimeoutMs: int('bufferTimeoutMs', o.bufferTimeoutMs ?? 100, 0, 3_600_000),
    frameSize: int('frameSize', o.frameSize ?? 512, 1, 1 << 20),
    autoWatermarkIntervalMs: int('autoWatermarkIntervalMs', o.autoWatermarkIntervalMs ?? 200, 0, 3_600_000),
    channelCredits: int('channelCredits', o.channelCredits ?? 8, 1, 1 << 16),
    buffersPerRun: int('buffersPerRun', o.buffersPerRun ?? 8, 1, 1 << 16),
    parent: o.parent,
    clock: o.clock ?? systemClock,
    random: o.random ?? Math.random,
    executor: o.executor,
    channelProbe: o.channelProbe,
    faults: o.faults,
    savepoint: o.savepointPath === undefined ? undefined : resolveSnapshotPath(o.savepointPath),
    allowNonRestoredState: o.allowNonRestoredState ?? false,
    restoreMode: o.restoreMode ?? 'NO_CLAIM',
    logger: o.logger === false ? createDefaultLogger('silent') : (o.logger ?? createDefaultLogger()),
    objectReuse: o.objectReuse ?? false,
    checkpoint: undefined,
    restartStrategy: undefined,
    checkpointStorage: undefined,
  };
}

export interface CheckpointOptions {
  /** A checkpoint not complete after this long is aborted (10 minutes). */
  timeoutMs?: number;
  /** Least time between the end of one checkpoint and the start of the next (0). */
  minPauseBetweenCheckpointsMs?: number;
  /** Checkpoints in flight at once (1). */
  maxConcurrentCheckpoints?: number;
  /** Consecutive failed checkpoints tolerated before the job fails over (0). */
  tolerableFailedCheckpoints?: number;
  /** Completed checkpoints kept (1); keep 2+ to fall back when the newest is corrupt. */
  retainedCheckpoints?: number;
  /**
   * What happens to the job's checkpoints when it ends (Flink's externalized
   * checkpoint retention). A failed job always keeps them (resume from the
   * newest with `savepointPath`); a finished job keeps its final checkpoint
   * (JobResult.finalCheckpoint) and drops the older ones.
   * 'RETAIN_ON_CANCELLATION' (default): a cancelled job keeps them too.
   * 'DELETE_ON_CANCELLATION': a cancelled job deletes them.
   * 'NO_EXTERNALIZED_CHECKPOINTS': every end deletes them, the final one too.
   */
  externalizedCheckpointRetention?: CheckpointRetention;
  /** Checkpoint records kept in `checkpoints()` and JobResult.checkpoints, newest (100; Flink's `web.checkpoints.history`). */
  historySize?: number;
}

export type CheckpointRetention = 'RETAIN_ON_CANCELLATION' | 'DELETE_ON_CANCELLATION' | 'NO_EXTERNALIZED_CHECKPOINTS';
const RETENTIONS: readonly CheckpointRetention[] = ['RETAIN_ON_CANCELLATION', 'DELETE_ON_CANCELLATION', 'NO_EXTERNALIZED_CHECKPOINTS'];

export function resolveCheckpointConfig(intervalMs: number, mode: unknown, o: CheckpointOptions = {}): CheckpointConfig {
  if (mode !== 'exactly-once' && mode !== 'at-least-once') {
    throw new ConfigurationError('checkpointingMode', `must be 'exactly-once' or 'at-least-once', got ${String(mode)}`);
  }
  return {
    intervalMs: int('checkpointInterval', intervalMs, 1, 365 * 86_400_000),
    mode,
    timeoutMs: int('timeoutMs', o.timeoutMs ?? 600_000, 1, 365 * 86_400_000),
    minPauseMs: int('minPauseBetweenCheckpointsMs', o.minPauseBetweenCheckpointsMs ?? 0, 0, 365 * 86_400_000),
    maxConcurrent: int('maxConcurrentCheckpoints', o.maxConcurrentCheckpoints ?? 1, 1, 1000),
    tolerableFailures: int('tolerableFailedCheckpoints', o.tolerableFailedCheckpoints ?? 0, 0, 1_000_000),
    retained: int('retainedCheckpoints', o.retainedCheckpoints ?? 1, 1, 1000),
    retention: oneOf('externalizedCheckpointRetention', o.externalizedCheckpointRetention ?? 'RETAIN_ON_CANCELLATION', RETENTIONS),
    historySize: int('historySize', o.historySize ?? DEFAULT_CHECKPOINT_HISTORY, 1, 1_000_000),
  };
}

function oneOf<T extends string>(option: string, v: unknown, values: readonly T[]): T {
  if (!values.includes(v as T)) throw new ConfigurationError(option, `must be one of ${values.map((x) => `'${x}'`).join(', ')}, got ${String(v)}`);
  return v as T;
}

function int(option: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigurationError(option, `must be an integer in ${min}..${max}, got ${String(v)}`);
  }
  return v;
}
