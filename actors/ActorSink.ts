/**
 * A sink that dispatches every record, as a message, to a given actor.
 * `toMessage` shapes the message (the record itself by default). Dispatch
 * is fire-and-forget, as nact's is: the receiving actor's mailbox holds
 * what it has not processed yet.
 */
import { dispatch, type Ref } from 'nact';
import type { Sink, SinkWriter } from '../lib/connectors/Sink';

export class ActorSink<T, M = T> implements Sink<T> {
  constructor(
    private readonly target: Ref<M>,
    private readonly toMessage: (record: T, subtaskIndex: number) => M = (r) => r as unknown as M,
  ) {}

  createWriter(ctx: { indexOfSubtask: number }): SinkWriter<T> {
    const { target, toMessage } = this;
    const subtask = ctx.indexOfSubtask;
    return { write: (record) => dispatch(target, toMessage(record, subtask)) };
  }
}
