/**
 * Prints every record on its own line (Flink's print()): strings as they are,
 * other values as JSON. With parallelism above 1 each line starts with the
 * 1-based subtask number, "2> ...", as in Flink.
 */
import { inspect } from 'node:util';
import type { Sink, SinkInitContext, SinkWriter } from './Sink';

export interface LineWriter {
  write(line: string): unknown;
}

export class PrintSink<T> implements Sink<T> {
  constructor(private readonly identifier?: string, private readonly out: LineWriter = process.stdout) {}

  createWriter(ctx: SinkInitContext): SinkWriter<T> {
    const parts: string[] = [];
    if (this.identifier) parts.push(this.identifier);
    if (ctx.parallelism > 1) parts.push(String(ctx.indexOfSubtask + 1));
    const prefix = parts.length > 0 ? `${parts.join(':')}> ` : '';
    return { write: (v) => void this.out.write(`${prefix}${formatRecord(v)}\n`) };
  }
}

export function formatRecord(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    const s = JSON.stringify(v);
    if (s !== undefined) return s;
  } catch {
    // bigint or a cycle: fall through
  }
  return inspect(v, { breakLength: Infinity, compact: true, depth: 4 });
}
