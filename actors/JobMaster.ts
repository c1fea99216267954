/**
 * The job master actor (Flink's JobMaster): deploys one subtask actor per
 * execution vertex as its children, hosts the sinks' operator coordinators,
 * collects the subtasks' end-of-job metrics, and ends the job: finished when
 * every subtask finished, failed when a subtask's failure reaches it through
 * supervision, cancelled on request. Whatever the end, every subtask actor is
 * stopped (leaves first: nact's stop(parent) does not stop descendants).
 */
import { spawn, stop, type Ref } from 'nact';
import { v7 as uuidv7 } from 'uuid';
import type { EnvironmentConfig } from '../lib/api/EnvironmentConfig';
import type { JobClient, JobResult, JobStatus, OperatorResult } from '../lib/api/JobClient';
import { JobCancelledError, JobExecutionError } from '../lib/errors';
import type { OperatorCoordinator } from '../lib/connectors/Sink';
import { createExecutionGraph, type SubtaskId } from '../lib/graph/ExecutionGraph';
import type { JobGraph } from '../lib/graph/JobGraph';
import type { SubtaskMetrics } from '../lib/operators/StreamTask';
import { subtaskActorName, tell, type JobMasterMsg, type SubtaskMsg, type TRef } from './protocol';
import { spawnSubtask } from './SubtaskActor';

export interface JobMasterOptions {
  readonly parent: Ref<any>;
  readonly jobGraph: JobGraph;
  readonly config: EnvironmentConfig;
  /** Called once, after every actor of the job was stopped. */
  readonly onTerminated?: () => void;
}

/** Spawns a job master for the graph and starts it; the returned client follows the job. */
export function startJob(options: JobMasterOptions): JobClient {
  const master = new JobMaster(options);
  const ref = spawn(
    options.parent,
    (state: undefined, msg: JobMasterMsg) => {
      master.handle(msg);
      return state;
    },
    `job-${master.jobId}`,
    {
      onCrash: (msg, err, ctx, child) => {
        if (child !== undefined) {
          tell(ctx.self as TRef<JobMasterMsg>, { type: 'SubtaskFailed', subtask: (child as { name: string }).name, error: err });
          return ctx.stopChild;
        }
        master.fail(err);
        return ctx.resume;
      },
    },
  ) as TRef<JobMasterMsg>;
  master.self = ref;
  tell(ref, { type: 'StartJob' });
  return master.client;
}

class JobMaster {
  readonly jobId = uuidv7();
  self!: TRef<JobMasterMsg>;
  readonly client: JobClient;
  private status: JobStatus = 'CREATED';
  private readonly startedAt: number;
  private subtasks = new Map<string, TRef<SubtaskMsg>>();
  private readonly finished = new Map<string, SubtaskMetrics>();
  private readonly coordinators = new Map<string, OperatorCoordinator>();
  private readonly result: Promise<JobResult>;
  private settle!: { resolve: (r: JobResult) => void; reject: (e: unknown) => void };
  private readonly terminated: Promise<void>;
  private markTerminated!: () => void;

  constructor(private readonly options: JobMasterOptions) {
    this.startedAt = options.config.clock.now();
    this.result = new Promise<JobResult>((resolve, reject) => (this.settle = { resolve, reject }));
    this.result.catch(() => {}); // callers observe it through client.result()
    this.terminated = new Promise((resolve) => (this.markTerminated = resolve));
    const name = options.jobGraph.jobName;
    this.client = {
      jobId: this.jobId,
      jobName: name,
      status: () => this.status,
      result: () => this.result,
      cancel: async () => {
        if (this.status === 'CREATED' || this.status === 'RUNNING') tell(this.self, { type: 'CancelJob' });
        await this.terminated;
      },
    };
  }

  handle(msg: JobMasterMsg): void {
    switch (msg.type) {
      case 'StartJob':
        return this.deploy();
      case 'SubtaskFinished':
        return this.subtaskFinished(msg.subtask, msg.metrics);
      case 'SubtaskFailed':
        return this.fail(msg.error);
      case 'OperatorEventSent': {
        if (this.status !== 'RUNNING') return;
        const c = this.coordinators.get(msg.operatorUid);
        if (c === undefined) throw new Error(`operator event for '${msg.operatorUid}', which has no coordinator`);
        c.handleEvent(msg.subtaskIndex, msg.event);
        return;
      }
      case 'CancelJob':
        if (this.status !== 'RUNNING' && this.status !== 'CREATED') return;
        this.status = 'CANCELLING';
        this.terminate('CANCELED', () => this.settle.reject(new JobCancelledError(this.options.jobGraph.jobName)));
        return;
    }
  }

  private deploy(): void {
    const { jobGraph, config } = this.options;
    const graph = createExecutionGraph(jobGraph);
    for (const v of jobGraph.vertices) {
      for (const n of v.nodes) {
        const c = n.sink?.createCoordinator?.();
        if (c) this.coordinators.set(n.uid, c);
      }
    }
    for (const ev of graph.subtasks) {
      this.subtasks.set(subtaskActorName(ev), spawnSubtask(this.self, { descriptor: ev, config, jobMaster: this.self }));
    }
    const resolve = (id: SubtaskId) => {
      const ref = this.subtasks.get(subtaskActorName(id));
      if (ref === undefined) throw new Error(`no subtask ${subtaskActorName(id)}`);
      return ref;
    };
    this.status = 'RUNNING';
    for (const ref of this.subtasks.values()) tell(ref, { type: 'Deploy', resolve });
  }

  private subtaskFinished(id: SubtaskId, metrics: SubtaskMetrics): void {
    if (this.status !== 'RUNNING') return;
    this.finished.set(subtaskActorName(id), metrics);
    if (this.finished.size < this.subtasks.size) return;
    const result = this.buildResult();
    this.terminate('FINISHED', () => this.settle.resolve(result));
  }

  /** The first failure fails the job; later ones (from the same cascade) are ignored. */
  fail(error: unknown): void {
    if (this.status !== 'RUNNING' && this.status !== 'CREATED') return;
    this.terminate('FAILED', () => this.settle.reject(new JobExecutionError(this.options.jobGraph.jobName, error)));
  }

  private terminate(status: JobStatus, settle: () => void): void {
    for (const ref of this.subtasks.values()) stop(ref);
    this.subtasks = new Map();
    stop(this.self);
    this.status = status;
    this.options.onTerminated?.();
    this.markTerminated();
    settle();
  }

  private buildResult(): JobResult {
    const { jobGraph, config } = this.options;
    const subtasks = [...this.finished.values()];
    const operators: OperatorResult[] = [];
    for (const v of jobGraph.vertices) {
      for (const n of v.nodes) {
        let recordsIn = 0;
        let recordsOut = 0;
        for (const s of subtasks) {
          for (const m of s.operators) {
            if (m.nodeId === n.id) {
              recordsIn += m.recordsIn;
              recordsOut += m.recordsOut;
            }
          }
        }
        operators.push({ uid: n.uid, name: n.name, parallelism: n.parallelism, recordsIn, recordsOut });
      }
    }
    const sinkResults: Record<string, unknown> = {};
    for (const [uid, c] of this.coordinators) if (c.result) sinkResults[uid] = c.result();
    return {
      jobId: this.jobId,
      jobName: jobGraph.jobName,
      status: 'FINISHED',
      durationMs: config.clock.now() - this.startedAt,
      operators,
      subtasks,
      sinkResults,
    };
  }
}
