/**
 * The executor that runs job graphs on nact actors in this process (the
 * embedded default). Each job's master is spawned under the environment's
 * `parent` actor when one is given — the engine then lives inside the
 * caller's actor system — or under an actor system of its own, which is
 * stopped when the job ends. Job status and checkpoint history are published
 * as live sharedb documents (see `documents`).
 */
import { start, stop, type Ref } from 'nact';
import type { EnvironmentConfig } from '../lib/api/EnvironmentConfig';
import type { JobClient } from '../lib/api/JobClient';
import type { PipelineExecutor } from '../lib/api/PipelineExecutor';
import { ConfigurationError } from '../lib/errors';
import type { JobGraph } from '../lib/graph/JobGraph';
import { JobDocuments } from '../lib/monitoring/JobDocuments';
import { startJob } from './JobMaster';

export class ActorExecutor implements PipelineExecutor {
  private docs: JobDocuments | undefined;

  /** The live job and checkpoint documents of every job this executor ran (an embedded sharedb). */
  get documents(): JobDocuments {
    return (this.docs ??= new JobDocuments());
  }

  execute(jobGraph: JobGraph, config: EnvironmentConfig): JobClient {
    const documents = this.documents;
    if (config.parent !== undefined) {
      if (!isActorRef(config.parent)) {
        throw new ConfigurationError('parent', 'must be a nact actor or actor system reference');
      }
      return startJob({ parent: config.parent, jobGraph, config, documents });
    }
    const system = start();
    return startJob({ parent: system, jobGraph, config, documents, onTerminated: () => setImmediate(() => stop(system)) });
  }
}

function isActorRef(v: unknown): v is Ref<unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as { type?: unknown; system?: { name?: unknown } };
  return (r.type === 'actor' || r.type === 'system') && typeof r.system?.name === 'string';
}
