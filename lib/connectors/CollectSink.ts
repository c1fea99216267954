/**
 * Collects a stream's records into the JobResult (what executeAndCollect()
 * returns). Writers ship records to the sink's coordinator in the job master
 * in batches; the coordinator keeps them in arrival order, which preserves
 * the order of each subtask's output.
 */
import type { OperatorCoordinator, Sink, SinkInitContext, SinkWriter } from './Sink';

const BATCH = 1024;

interface CollectBatch {
  readonly records: unknown[];
}

export class CollectSink<T> implements Sink<T> {
  createWriter(ctx: SinkInitContext): SinkWriter<T> {
    let buffer: T[] = [];
    const ship = () => {
      if (buffer.length === 0) return;
      ctx.sendToCoordinator({ records: buffer } satisfies CollectBatch);
      buffer = [];
    };
    return {
      write(v) {
        buffer.push(v);
        if (buffer.length >= BATCH) ship();
      },
      flush: ship,
    };
  }

  createCoordinator(): OperatorCoordinator {
    const records: T[] = [];
    return {
      handleEvent(_subtask, event) {
        for (const r of (event as CollectBatch).records) records.push(r as T);
      },
      result: () => records,
    };
  }
}
