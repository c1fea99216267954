/**
 * Deep copy of a state value, used when a value held by a live snapshot is
 * handed out for update. Primitives are returned as they are; arrays, plain
 * objects, Maps, Sets and Dates are copied structurally; other class
 * instances keep their prototype. Functions and symbols are shared.
 */
export function copyValue<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyValue(v[i]);
    return out as T;
  }
  if (v instanceof Map) {
    const out = new Map();
    for (const [k, x] of v) out.set(k, copyValue(x));
    return out as T;
  }
  if (v instanceof Set) {
    const out = new Set();
    for (const x of v) out.add(copyValue(x));
    return out as T;
  }
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (ArrayBuffer.isView(v)) return (v as unknown as { slice(): T }).slice();
  const out = Object.create(Object.getPrototypeOf(v)) as Record<string, unknown>;
  for (const k of Object.keys(v)) {
    const x = copyValue((v as Record<string, unknown>)[k]);
    // An own "__proto__" key (JSON.parse makes them) is data; plain assignment would set the prototype.
    if (k === '__proto__') Object.defineProperty(out, k, { value: x, writable: true, enumerable: true, configurable: true });
    else out[k] = x;
  }
  return out as T;
}
