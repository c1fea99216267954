/**
 * The package entry point ('weir-stream'): the DataStream API, state descriptors,
 * connectors and errors, with the actor runtime installed as the default
 * executor. The test kit is at 'weir-stream/testing'.
 */
import { ActorExecutor } from './actors/ActorExecutor';
import { setDefaultExecutor } from './lib/api/PipelineExecutor';

setDefaultExecutor(new ActorExecutor());

export { StreamExecutionEnvironment, DEFAULT_JOB_NAME } from './lib/api/StreamExecutionEnvironment';
export { DataStream, SingleOutputStreamOperator, DataStreamSink } from './lib/api/DataStream';
export { KeyedStream, type KeyedAggregate } from './lib/api/KeyedStream';
export { ConnectedStreams, KeyedConnectedStreams, type KeySpec } from './lib/api/ConnectedStreams';
export { IntervalJoin, IntervalJoined } from './lib/api/IntervalJoin';
export type { ProcessJoinContext, ProcessJoinFunction } from './lib/api/ProcessJoinFunction';
export { IntervalJoinTimestampError } from './lib/errors';
export type { CoFlatMapFunction, CoMapFunction, CoProcessContext, CoProcessFunction, KeyedCoProcessFunction } from './lib/api/coFunctions';
export { BroadcastStream, BroadcastConnectedStream, KeyedBroadcastConnectedStream } from './lib/api/BroadcastStream';
export type {
  BaseBroadcastContext,
  BroadcastContext,
  BroadcastProcessFunction,
  KeyedBroadcastContext,
  KeyedBroadcastOnTimerContext,
  KeyedBroadcastProcessFunction,
  KeyedReadOnlyBroadcastContext,
  KeyedStateFunction,
  ReadOnlyBroadcastContext,
} from './lib/api/broadcastFunctions';
export type { BroadcastState, ReadOnlyBroadcastState } from './lib/state/BroadcastState';
export {
  AsyncDataStream,
  type AsyncFunction,
  type AsyncFunctionContext,
  type AsyncResult,
  type AsyncWaitOptions,
  type RichAsyncFunction,
} from './lib/api/AsyncDataStream';
export type { EnvironmentOptions, CheckpointOptions, CheckpointRetention, RestoreMode } from './lib/api/EnvironmentConfig';
export type { Logger } from './lib/monitoring/Logger';
export { OutputTag } from './lib/api/OutputTag';
export type { JobClient, JobResult, JobStatus, OperatorResult, CheckpointStats, RestartRecord } from './lib/api/JobClient';
export { RestartStrategies, type RestartStrategy } from './lib/recovery/RestartStrategies';
export type { CheckpointingMode } from './lib/checkpoint/BarrierHandler';
export { CheckpointFailure, type CheckpointFailureReason } from './lib/checkpoint/CheckpointCoordinator';
export { FileSystemCheckpointStorage, MemoryCheckpointStorage, type CheckpointStorage, type StateHandleRef } from './lib/checkpoint/CheckpointStorage';
export type { CheckpointMetadata, OperatorMetadata, SubtaskMetadata } from './lib/checkpoint/CheckpointMetadata';
export {
  listRetainedCheckpoints,
  loadCheckpoint,
  readKeyedState,
  resolveSnapshotPath,
  type LoadedCheckpoint,
  type RetainedCheckpoint,
  type SnapshotPath,
} from './lib/checkpoint/CheckpointLoader';
export { JobDocuments, type CheckpointRecord, type JobDocument, type CheckpointsDocument } from './lib/monitoring/JobDocuments';
export { operatorResult } from './lib/api/JobClient';
export type { PipelineExecutor } from './lib/api/PipelineExecutor';
export type {
  Collector,
  FilterFunction,
  FlatMapFunction,
  KeyedProcessContext,
  KeyedProcessFunction,
  KeySelector,
  MapFunction,
  OnTimerContext,
  ProcessContext,
  ProcessFunction,
  ReduceFunction,
  RichFunction,
  RuntimeContext,
  TimeDomain,
  TimerService,
} from './lib/api/functions';
export { WindowedStream } from './lib/api/WindowedStream';
export { AllWindowedStream } from './lib/api/AllWindowedStream';
export { CoGroupedStreams, JoinedStreams, type CoGroupFunction, type JoinFunction } from './lib/api/CoGroupedStreams';
export type { KeyedStateStore, ProcessAllWindowFunction, ProcessWindowContext, ProcessWindowFunction } from './lib/api/windowFunctions';
export type { WindowAssigner, WindowAssignerContext, MergingWindowAssigner } from './lib/windowing/assigners/WindowAssigner';
export { TumblingEventTimeWindows } from './lib/windowing/assigners/TumblingEventTimeWindows';
export { SlidingEventTimeWindows } from './lib/windowing/assigners/SlidingEventTimeWindows';
export { EventTimeSessionWindows } from './lib/windowing/assigners/EventTimeSessionWindows';
export { TumblingProcessingTimeWindows } from './lib/windowing/assigners/TumblingProcessingTimeWindows';
export { SlidingProcessingTimeWindows } from './lib/windowing/assigners/SlidingProcessingTimeWindows';
export { ProcessingTimeSessionWindows } from './lib/windowing/assigners/ProcessingTimeSessionWindows';
export { GlobalWindows } from './lib/windowing/assigners/GlobalWindows';
export type { Trigger, TriggerContext, OnMergeContext, TriggerResult } from './lib/windowing/triggers/Trigger';
export { EventTimeTrigger } from './lib/windowing/triggers/EventTimeTrigger';
export { ProcessingTimeTrigger } from './lib/windowing/triggers/ProcessingTimeTrigger';
export { CountTrigger } from './lib/windowing/triggers/CountTrigger';
export { ContinuousEventTimeTrigger } from './lib/windowing/triggers/ContinuousEventTimeTrigger';
export { ContinuousProcessingTimeTrigger } from './lib/windowing/triggers/ContinuousProcessingTimeTrigger';
export { PurgingTrigger } from './lib/windowing/triggers/PurgingTrigger';
export { NeverTrigger } from './lib/windowing/triggers/NeverTrigger';
export type { Evictor, EvictorContext, TimestampedValue } from './lib/windowing/evictors/Evictor';
export { CountEvictor } from './lib/windowing/evictors/CountEvictor';
export { TimeEvictor } from './lib/windowing/evictors/TimeEvictor';
export { DeltaEvictor } from './lib/windowing/evictors/DeltaEvictor';
export { TimeWindow } from './lib/windowing/windows/TimeWindow';
export { GlobalWindow } from './lib/windowing/windows/GlobalWindow';
export type { Window } from './lib/windowing/windows/Window';
export { WindowAssignmentError } from './lib/errors';
export { Watermark, type WatermarkStatus } from './lib/time/Watermark';
export { WatermarkStrategy, type TimestampAssigner } from './lib/time/WatermarkStrategy';
export type { WatermarkGenerator, WatermarkGeneratorContext, WatermarkOutput } from './lib/time/WatermarkGenerator';
export { TimestampAssignmentError } from './lib/errors';
export {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  type AggregateFunction,
  type StateDescriptorOptions,
} from './lib/state/StateDescriptor';
export {
  StateTtlConfig,
  StateTtlConfigBuilder,
  type StateTtlSettings,
  type TtlStateVisibility,
  type TtlUpdateType,
} from './lib/state/ttl/StateTtlConfig';
export { registerStateType, type StateTypeClass, type StateTypeDeclaration, type StateTypeOptions } from './lib/state/StateTypeRegistry';
export type { AggregatingState, ListState, MapState, ReducingState, ValueState } from './lib/state/KeyedState';
export type { Key } from './lib/state/KeyGroup';
export type { Source, SourceReader, SourceSplit, SourceReaderContext, ReaderOutput, InputStatus, Boundedness } from './lib/connectors/Source';
export type { Sink, SinkWriter, SinkFunction, SinkInitContext, OperatorCoordinator } from './lib/connectors/Sink';
export { CollectionSource } from './lib/connectors/CollectionSource';
export { GeneratorSource } from './lib/connectors/GeneratorSource';
export { PrintSink } from './lib/connectors/PrintSink';
export { CollectSink } from './lib/connectors/CollectSink';
export { FileSink, readCommittedLines, type FileSinkOptions } from './lib/connectors/FileSink';
export { FileSource, type FileSourceOptions } from './lib/connectors/FileSource';
export type { MalformedRecord, MalformedRecordPolicy } from './lib/connectors/FileSourceReader';
export type { FileSourceSplit, FileSplit, FileDiscoverySplit } from './lib/connectors/FileSourceSplit';
export { JsonLinesFormat } from './lib/connectors/JsonLinesFormat';
export { CsvFormat, type CsvFormatOptions } from './lib/connectors/CsvFormat';
export type { FileRecordFormat, RecordDecoder, DecoderOutput } from './lib/connectors/FileRecordFormat';
export type { TwoPhaseCommitSink, PrecommittingSinkWriter, Committer, TwoPhaseCommitSinkInitContext } from './lib/connectors/TwoPhaseCommitSink';
export { ActorExecutor } from './actors/ActorExecutor';
export type { Clock } from './lib/time/Clock';
export {
  WeirError,
  GraphValidationError,
  ConfigurationError,
  UserFunctionError,
  AsyncUserFunctionError,
  KeyGroupMismatchError,
  InvalidKeyError,
  StateAccessError,
  CorruptStateError,
  CheckpointStorageError,
  RestoreError,
  type RestoreErrorCode,
  JobCancelledError,
  JobExecutionError,
} from './lib/errors';
export { ActorSource, pushTo, type IngressMsg, type IngressReply } from './actors/ActorSource';
export {
  ActorSink,
  acknowledge,
  isSinkDelivery,
  type ActorSinkOptions,
  type ActorSinkWriterMetrics,
  type SinkAcknowledgement,
  type SinkDelivery,
} from './actors/ActorSink';
export type { IngressOptions } from './lib/connectors/IngressBuffer';
export { IngressOverflowError, InvalidIngressMessageError, ActorSinkDeliveryError } from './lib/errors';
export { AsyncTimeoutError } from './lib/errors';
export { StateSerializationError, StateTypeError, UnknownStateTypeError, type StateValueLocation } from './lib/errors';
export { ConnectorError, MalformedRecordError, FileChangedError, FileReadError } from './lib/errors';
