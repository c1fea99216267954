/**
 * The seam between the API and a runtime. lib/ builds and validates the job
 * graph; an executor runs it. The package entry point installs the actor
 * executor as the default, so lib/ never depends on actors/.
 */
import { ConfigurationError } from '../errors';
import type { JobGraph } from '../graph/JobGraph';
import type { EnvironmentConfig } from './EnvironmentConfig';
import type { JobClient } from './JobClient';

export interface PipelineExecutor {
  execute(jobGraph: JobGraph, config: EnvironmentConfig): JobClient;
}

let defaultExecutor: PipelineExecutor | undefined;

export function setDefaultExecutor(executor: PipelineExecutor): void {
  defaultExecutor = executor;
}

export function getExecutor(config: EnvironmentConfig): PipelineExecutor {
  const e = config.executor ?? defaultExecutor;
  if (e === undefined) {
    throw new ConfigurationError('executor', "no runtime installed: import the engine from 'weir' (the package entry point)");
  }
  return e;
}
