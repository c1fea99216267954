/**
 * The RuntimeContext handed to rich functions: where the function runs, its
 * operator list state and, on keyed streams, its keyed state (scoped to the
 * key of the current record). A state descriptor with a time-to-live
 * (enableTimeToLive) gets a TTL state (lib/state/ttl) on `clock`, the
 * job's processing time.
 */
import type { RuntimeContext } from '../api/functions';
import { StateAccessError, type OperatorLocation } from '../errors';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import type { OperatorStateStore } from '../state/OperatorStateStore';
import type { StateDescriptor } from '../state/StateDescriptor';
import { TtlStateFactory } from '../state/ttl/TtlStateFactory';
import type { Clock } from '../time/Clock';

export function createRuntimeContext(
  location: OperatorLocation,
  maxParallelism: number,
  backend: HeapKeyedStateBackend | undefined,
  operatorState: OperatorStateStore,
  clock: Clock,
): RuntimeContext {
  const states = backend === undefined ? undefined : new TtlStateFactory(backend, clock);
  const state = (d: StateDescriptor): any => {
    if (states === undefined) {
      throw new StateAccessError(
        `keyed state '${d.name}' requested in operator '${location.operator}', which is not keyed: ` +
          `keyed state is only available after keyBy()`,
      );
    }
    return states.getState(d);
  };
  return {
    taskName: location.operator,
    operatorUid: location.uid,
    indexOfThisSubtask: location.subtaskIndex,
    numberOfParallelSubtasks: location.parallelism,
    maxNumberOfParallelSubtasks: maxParallelism,
    getState: state,
    getListState: state,
    getMapState: state,
    getReducingState: state,
    getAggregatingState: state,
    getOperatorListState: (d) => operatorState.getListState(d),
  };
}
