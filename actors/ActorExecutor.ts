/**
 * The executor that runs job graphs on nact actors in this process (the
 * embedded default). Each job's master is spawned under the environment's
 * `parent` actor when one is given — the engine then lives inside the
 * caller's actor system — or under an actor system of its own, which is
 * stopped when the job ends. Job status and checkpoint history are published
 * as live sharedb documents (see `documents`), kept for the 100 most
 * recently ended jobs.
 */
import { start, stop, type Ref } from 'nact';
import type { EnvironmentConfig } from '../lib/api/EnvironmentConfig';
import type { JobClient } from '../lib/api/JobClient';
import type { PipelineExecutor } from '../lib/api/PipelineExecutor';
import { ConfigurationError } from '../lib/errors';
import type { JobGraph } from '../lib/graph/JobGraph';
import { JobDocuments } from '../lib/monitoring/JobDocuments';
import { startJob } from './JobMaster';

/** Ended jobs whose documents are kept. */
const RETAINED_JOBS = 100;

export class ActorExecutor implements PipelineExecutor {
  private docs: JobDocuments | undefined;
  private readonly ended: string[] = [];

  /** The live job and checkpoint documents of every job this executor ran (an embedded sharedb). */
  get documents(): JobDocuments {
    return (this.docs ??= new JobDocuments());
  }

  execute(jobGraph: JobGraph, config: EnvironmentConfig): JobClient {
    const documents = this.documents;
    if (config.parent !== undefined && !isActorRef(config.parent)) {
      throw new ConfigurationError('parent', 'must be a nact actor or actor system reference');
    }
    const system = config.parent === undefined ? start() : undefined;
    const client = startJob({
      parent: (config.parent as Ref<unknown> | undefined) ?? system!,
      jobGraph,
      config,
      documents,
      onTerminated: () => {
        if (system) setImmediate(() => stop(system));
        this.jobEnded(client.jobId);
      },
    });
    return client;
  }

  /** Keeps the documents of the newest ended jobs only. */
  private jobEnded(jobId: string): void {
    this.ended.push(jobId);
    while (this.ended.length > RETAINED_JOBS) this.documents.forget(this.ended.shift()!).catch(() => {});
  }
}

function isActorRef(v: unknown): v is Ref<unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as { type?: unknown; system?: { name?: unknown } };
  return (r.type === 'actor' || r.type === 'system') && typeof r.system?.name === 'string';
}
