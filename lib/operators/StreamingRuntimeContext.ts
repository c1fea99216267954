/**
 * The RuntimeContext handed to rich functions: where the function runs, its
 * operator list state and, on keyed streams, its keyed state (scoped to the
 * key of the current record).
 */
import type { RuntimeContext } from '../api/functions';
import { StateAccessError, type OperatorLocation } from '../errors';
import type { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import type { OperatorStateStore } from '../state/OperatorStateStore';
import type { StateDescriptor } from '../state/StateDescriptor';

export function createRuntimeContext(
  location: OperatorLocation,
  maxParallelism: number,
  backend: HeapKeyedStateBackend | undefined,
  operatorState: OperatorStateStore,
): RuntimeContext {
  const state = (d: StateDescriptor): any => {
    if (backend === undefined) {
      throw new StateAccessError(
        `keyed state '${d.name}' requested in operator '${location.operator}', which is not keyed: ` +
          `keyed state is only available after keyBy()`,
      );
    }
    return backend.getState(d);
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
