/**
 * `connect` for DataStream and KeyedStream: checks the other stream and
 * makes ConnectedStreams, keyed on both inputs (KeyedConnectedStreams) when
 * both sides are KeyedStreams; with a BroadcastStream, a
 * BroadcastConnectedStream (keyed when the first side is a KeyedStream). One function for both stream classes, so
 * neither needs to know how the other is keyed.
 */
import { GraphValidationError } from '../errors';
import { BroadcastConnectedStream, BroadcastStream, KeyedBroadcastConnectedStream } from './BroadcastStream';
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
  other: DataStream<B> | KeyedStream<B, any> | BroadcastStream<B>,
  operator: string,
): ConnectedStreams<A, B> | BroadcastConnectedStream<A, B> {
  if (!(other instanceof DataStream) && !(other instanceof KeyedStream) && !(other instanceof BroadcastStream)) {
    throw new GraphValidationError('INVALID_ARGUMENT', `connect() needs a DataStream, KeyedStream or BroadcastStream, got ${other === null ? 'null' : typeof other}`, operator);
  }
  if (other.env !== env) throw new GraphValidationError('INVALID_ARGUMENT', 'connect() needs a stream of the same environment', operator);
  if (other instanceof BroadcastStream) {
    return first.keySelector !== undefined
      ? new KeyedBroadcastConnectedStream<A, B, any>(env, first, other)
      : new BroadcastConnectedStream<A, B>(env, first, other);
  }
  const second: ConnectedInput =
    other instanceof KeyedStream ? { transformation: other.transformation, keySelector: other.keySelector } : { transformation: other.transformation, keySelector: undefined };
  return first.keySelector !== undefined && second.keySelector !== undefined
    ? new KeyedConnectedStreams<A, B, any>(env, first, second)
    : new ConnectedStreams<A, B>(env, first, second);
}
