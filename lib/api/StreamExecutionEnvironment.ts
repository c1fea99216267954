/**
 * The entry of every Weir program (Flink's StreamExecutionEnvironment):
 * holds the configuration, creates sources, records the transformations a
 * program builds, and submits the job graph to the executor.
 *
 *   const env = StreamExecutionEnvironment.create({ parallelism: 2 });
 *   env.fromCollection(['a b', 'b'])
 *     .flatMap((line, out) => line.split(' ').forEach((w) => out.collect(w)))
 *     .keyBy((w) => w)
 *     .process(new CountWords())
 *     .print();
 *   await env.execute('word count');
 */
import { CollectionSource } from '../connectors/CollectionSource';
import { GeneratorSource, type GeneratorFunction, type GeneratorOptions } from '../connectors/GeneratorSource';
import type { Source } from '../connectors/Source';
import { createJobGraph, type JobGraph } from '../graph/JobGraph';
import { generateStreamGraph, type StreamGraph } from '../graph/StreamGraph';
import { SingleOutputStreamOperator } from './DataStream';
import type { CheckpointingMode } from '../checkpoint/BarrierHandler';
import type { CheckpointStorage } from '../checkpoint/CheckpointStorage';
import { FileSystemCheckpointStorage } from '../checkpoint/CheckpointStorage';
import { ConfigurationError } from '../errors';
import { validateRestartStrategy, type RestartStrategy } from '../recovery/RestartStrategies';
import {
  resolveCheckpointConfig,
  resolveConfig,
  type CheckpointOptions,
  type EnvironmentConfig,
  type EnvironmentOptions,
} from './EnvironmentConfig';
import type { JobClient, JobResult } from './JobClient';
import { getExecutor } from './PipelineExecutor';
import type { Transformation } from './Transformation';
import { WatermarkStrategy } from '../time/WatermarkStrategy';

export const DEFAULT_JOB_NAME = 'Weir Streaming Job';

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;

export class StreamExecutionEnvironment {
  private base: EnvironmentConfig;
  private sinks: Transformation[] = [];
  private nextId = 1;

  private constructor(options: EnvironmentOptions) {
    this.base = resolveConfig(options);
  }

  get config(): EnvironmentConfig {
    return this.base;
  }

  static create(options: EnvironmentOptions = {}): StreamExecutionEnvironment {
    return new StreamExecutionEnvironment(options);
  }

  get parallelism(): number {
    return this.config.parallelism;
  }

  /**
   * Takes a checkpoint every `intervalMs` (asynchronous barrier snapshots).
   * 'exactly-once' aligns barriers; 'at-least-once' does not (lower latency,
   * duplicates after a restore). Enables restarts (exponential delay) unless
   * a restart strategy is set.
   */
  enableCheckpointing(intervalMs: number, mode: CheckpointingMode = 'exactly-once', options: CheckpointOptions = {}): this {
    this.base = { ...this.base, checkpoint: resolveCheckpointConfig(intervalMs, mode, options) };
    return this;
  }

  /** What the job does after a failure; throws ConfigurationError naming a bad field of a hand-built strategy. */
  setRestartStrategy(strategy: RestartStrategy): this {
    this.base = { ...this.base, restartStrategy: validateRestartStrategy(strategy) };
    return this;
  }

  /** Where checkpoints are written: a directory (file system) or a CheckpointStorage. Memory by default. */
  setCheckpointStorage(storage: CheckpointStorage | string): this {
    const s = typeof storage === 'string' ? new FileSystemCheckpointStorage(storage) : storage;
    if (s == null || typeof s.writeFile !== 'function' || typeof s.readFile !== 'function') {
      throw new ConfigurationError('checkpointStorage', 'must be a directory or a CheckpointStorage');
    }
    this.base = { ...this.base, checkpointStorage: s };
    return this;
  }

  /** A bounded, non-parallel source over the given items; emits copies of them (see EnvironmentOptions.objectReuse). */
  fromCollection<T>(items: Iterable<T>, name = 'Collection Source'): SingleOutputStreamOperator<T> {
    if (items == null || typeof (items as Iterable<T>)[Symbol.iterator] !== 'function') {
      throw new TypeError('fromCollection() needs an iterable');
    }
    return this.fromSource(new CollectionSource([...items], { objectReuse: this.config.objectReuse }), name);
  }

  /** Record i is fn(i), for `count` records or forever; deterministic, so replayable from any offset. */
  fromGenerator<T>(
    count: number | 'unbounded',
    fn: GeneratorFunction<T>,
    options: GeneratorOptions = {},
    name = 'Generator Source',
  ): SingleOutputStreamOperator<T> {
    return this.fromSource(new GeneratorSource(count, fn, options), name);
  }

  /**
   * A stream read by `source`. With a WatermarkStrategy (Flink's
   * `fromSource(source, watermarkStrategy, name)`), each source subtask
   * assigns timestamps and makes watermarks itself, so event time starts at
   * the source: `env.fromSource(files, WatermarkStrategy.forBoundedOutOfOrderness(5000), 'orders')`.
   */
  fromSource<T>(source: Source<T, any>, name?: string): SingleOutputStreamOperator<T>;
  fromSource<T>(source: Source<T, any>, watermarkStrategy: WatermarkStrategy<T>, name?: string): SingleOutputStreamOperator<T>;
  fromSource<T>(source: Source<T, any>, strategyOrName?: WatermarkStrategy<T> | string, maybeName?: string): SingleOutputStreamOperator<T> {
    if (source == null || typeof source.createReader !== 'function' || typeof source.createSplits !== 'function') {
      throw new TypeError('fromSource() needs a Source (createSplits and createReader)');
    }
    const strategy = strategyOrName instanceof WatermarkStrategy ? strategyOrName : undefined;
    if (strategyOrName !== undefined && strategy === undefined && typeof strategyOrName !== 'string') {
      throw new TypeError('fromSource(source, strategy?, name?): the second argument must be a WatermarkStrategy or a name');
    }
    const name = (typeof strategyOrName === 'string' ? strategyOrName : maybeName) ?? 'Source';
    const t = this.addTransformation({
      kind: 'source',
      source,
      watermarks: strategy && { strategy, autoWatermarkIntervalMs: this.config.autoWatermarkIntervalMs },
      name: `Source: ${name}`,
      uid: undefined,
      parallelism: undefined,
      maxParallelism: undefined,
      chaining: 'head',
    });
    return new SingleOutputStreamOperator<T>(this, t);
  }

  /** @internal Registers a transformation, giving it the next id of this environment. */
  addTransformation<T extends Distribute<Transformation>>(t: T): T & { id: number } {
    return Object.assign(t, { id: this.nextId++ });
  }

  /** @internal */
  addSink(t: Transformation): void {
    this.sinks.push(t);
  }

  /** The logical graph of the sinks added so far (does not clear them). */
  getStreamGraph(jobName = DEFAULT_JOB_NAME): StreamGraph {
    return generateStreamGraph(jobName, this.sinks, this.config);
  }

  /** The chained job graph of the sinks added so far (does not clear them). */
  getJobGraph(jobName = DEFAULT_JOB_NAME): JobGraph {
    return createJobGraph(this.getStreamGraph(jobName));
  }

  /** Submits the job and returns at once. The sinks are cleared, so the environment can build the next job. */
  executeAsync(jobName = DEFAULT_JOB_NAME): JobClient {
    const jobGraph = this.getJobGraph(jobName);
    const executor = getExecutor(this.config);
    this.sinks = [];
    return executor.execute(jobGraph, this.config);
  }

  /** Runs the job to its end (bounded sources) and returns its result. */
  async execute(jobName = DEFAULT_JOB_NAME): Promise<JobResult> {
    return this.executeAsync(jobName).result();
  }
}
