/**
 * The messages between the engine's actors (a closed set per actor, as
 * discriminated unions), and typed actor references. Commands are
 * imperative, events past tense.
 */
import { dispatch, type Ref } from 'nact';
import type { ExecutionVertex, SubtaskId } from '../lib/graph/ExecutionGraph';
import type { SubtaskMetrics } from '../lib/operators/StreamTask';
import type { ChannelBuffer } from '../lib/transport/ChannelBuffer';

/** A nact ref that remembers its message type (nact's Ref<T> does not check T). */
export type TRef<M> = Ref<M> & { readonly __msg?: (m: M) => void };

export function tell<M>(ref: TRef<M>, msg: NoInfer<M>): void {
  dispatch(ref as Ref<M>, msg);
}

export type SubtaskMsg =
  | { readonly type: 'Deploy'; readonly resolve: (id: SubtaskId) => TRef<SubtaskMsg> }
  | { readonly type: 'DeliverBuffer'; readonly channel: number; readonly buffer: ChannelBuffer }
  | { readonly type: 'GrantCredit'; readonly channel: number; readonly credits: number }
  | { readonly type: 'FlushOutputs' }
  | { readonly type: 'Continue' }
  | { readonly type: 'WaitEnded'; readonly error?: unknown };

export type JobMasterMsg =
  | { readonly type: 'StartJob' }
  | { readonly type: 'SubtaskFinished'; readonly subtask: SubtaskId; readonly metrics: SubtaskMetrics }
  | { readonly type: 'SubtaskFailed'; readonly subtask: string; readonly error: unknown }
  | { readonly type: 'OperatorEventSent'; readonly operatorUid: string; readonly subtaskIndex: number; readonly event: unknown }
  | { readonly type: 'CancelJob' };

export function subtaskActorName(ev: ExecutionVertex | { vertexId: number; index: number }): string {
  const id = 'id' in ev ? ev.id : ev;
  return `v${id.vertexId}-${id.index}`;
}
