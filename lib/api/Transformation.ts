/**
 * Transformations: what the DataStream API records as a program is written
 * (Flink's Transformation classes). Sources, one- and two-input operators
 * and sinks become stream nodes; partition, union and side-output transformations are
 * virtual and become edge properties when the StreamGraph is generated.
 */
import type { Source } from '../connectors/Source';
import type { Sink } from '../connectors/Sink';
import type { PartitionerSpec } from '../operators/partitioners';
import type { OperatorFactory, TwoInputOperatorFactory } from '../operators/StreamOperator';
import type { KeySelector } from './functions';
import type { OutputTag } from './OutputTag';
import type { WatermarkStrategy } from '../time/WatermarkStrategy';

/** A source's watermarking: the strategy, and the processing time (ms) between periodic watermarks (0: none). */
export interface SourceWatermarks {
  readonly strategy: WatermarkStrategy<any>;
  readonly autoWatermarkIntervalMs: number;
}

export type ChainingStrategy = 'always' | 'head' | 'never';

interface Base {
  readonly id: number;
  name: string;
  uid: string | undefined;
  /** Explicit parallelism; undefined means the environment's default. */
  parallelism: number | undefined;
  maxParallelism: number | undefined;
  chaining: ChainingStrategy;
  /** Runs at parallelism 1 only (windowAll); setting another is a GraphValidationError. */
  nonParallel?: boolean;
}

export interface SourceTransformation extends Base {
  readonly kind: 'source';
  readonly source: Source<any, any>;
  /** fromSource(source, strategy): the source assigns timestamps and emits watermarks itself. */
  readonly watermarks?: SourceWatermarks;
}

export interface OneInputTransformation extends Base {
  readonly kind: 'one-input';
  readonly input: Transformation;
  readonly operatorFactory: OperatorFactory;
  /** Set on keyed operators: the key their state is scoped to. */
  readonly stateKeySelector: KeySelector<any> | undefined;
}

/**
 * An operator with two logical inputs (Flink's TwoInputTransformation):
 * records of `input1` reach its processElement1, those of `input2`
 * processElement2. Keyed when both state key selectors are set (both inputs
 * hash-partitioned into the same key space); keyed state is then shared by
 * the two inputs. A keyed stream connected with a broadcast stream sets
 * only `stateKeySelector1`: input 2 is broadcast and has no key.
 */
export interface TwoInputTransformation extends Base {
  readonly kind: 'two-input';
  readonly input1: Transformation;
  readonly input2: Transformation;
  readonly operatorFactory: TwoInputOperatorFactory;
  readonly stateKeySelector1: KeySelector<any> | undefined;
  readonly stateKeySelector2: KeySelector<any> | undefined;
}

export interface SinkTransformation extends Base {
  readonly kind: 'sink';
  readonly input: Transformation;
  readonly sink: Sink<any>;
  readonly operatorFactory: OperatorFactory;
}

export interface PartitionTransformation extends Base {
  readonly kind: 'partition';
  readonly input: Transformation;
  readonly partitioner: PartitionerSpec;
}

export interface UnionTransformation extends Base {
  readonly kind: 'union';
  readonly inputs: readonly Transformation[];
}

/** The records an operator (or source) emits with `tag`: an edge property, like a partitioner. */
export interface SideOutputTransformation extends Base {
  readonly kind: 'side-output';
  readonly input: Transformation;
  readonly tag: OutputTag<any>;
}

export type Transformation =
  | SourceTransformation
  | OneInputTransformation
  | TwoInputTransformation
  | SinkTransformation
  | PartitionTransformation
  | UnionTransformation
  | SideOutputTransformation;
