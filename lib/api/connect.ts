/**
 * `connect` for DataStream and KeyedStream: checks the other stream and
 * makes ConnectedStreams, keyed on both inputs (KeyedConnectedStreams) when
 * both sides are KeyedStreams. One function for both stream classes, so
 * neither needs to know how the other is keyed.
 */
import { GraphValidationError } from '../errors';
import { ConnectedStreams, KeyedConnectedStreams, type ConnectedInput } from './ConnectedStreams';
import { DataStream } from './DataStream';
import { KeyedStream } from './KeyedStream';
import type { StreamExecutionEnvironment } from './StreamExecutionEnvironment';

/**
 * ConnectedStreams of `first` and `other`.
 * @throws GraphValidationError (INVALID_ARGUMENT) when `other` is not a DataStream or KeyedStream of `env`
 */
export function connectStreams<A, B>(
  env: StreamExecutionEnvironment,
  first: ConnectedInput,
  other: DataStream<B> | KeyedStream<B, any>,
  operator: string,
): ConnectedStreams<A, B> {
  if (!(other instanceof DataStream) && !(other instanceof KeyedStream)) {
    throw new GraphValidationError('INVALID_ARGUMENT', `connect() needs a DataStream or KeyedStream, got ${other === null ? 'null' : typeof other}`, operator);
  }
  if (other.env !== env) throw new GraphValidationError('INVALID_ARGUMENT', 'connect() needs a stream of the same environment', operator);
  const second: ConnectedInput =
    other instanceof KeyedStream ? { transformation: other.transformation, keySelector: other.keySelector } : { transformation: other.transformation, keySelector: undefined };
  return first.keySelector !== undefined && second.keySelector !== undefined
    ? new KeyedConnectedStreams<A, B, any>(env, first, second)
    : new ConnectedStreams<A, B>(env, first, second);
}
