/**
 * The state types of this process: classes whose instances may be stored in
 * state and come back from a checkpoint as instances of the same class
 * (Flink's registered POJO types, in small). A registration binds a class to
 * a name; the name, not the class, is written into checkpoints, so it must
 * stay stable across versions of the program, and every process that
 * restores the state must register the same name.
 *
 *   class Account { constructor(public owner = '', public balance = 0) {} deposit(n: number) { ... } }
 *   registerStateType(Account, { name: 'Account' });
 *
 * By default an instance is stored as its own enumerable fields and
 * restored as `Object.create(Account.prototype)` with those fields (the
 * constructor is not called). A class with `#private` fields, or one whose
 * constructor sets up more than its fields, gives `toData` and `fromData`.
 * Only exact instances match: a subclass needs its own registration.
 * The registry is process-wide, like a class path; registering the same
 * class under the same name again is allowed (the latest toData/fromData
 * apply).
 */
import { StateTypeError } from '../errors';

/** A class: anything with a prototype that instances are created from. */
export type StateTypeClass<T extends object = object> = abstract new (...args: any[]) => T;

export interface StateTypeOptions<T extends object = any, D = any> {
  /** The name written into checkpoints (default: the class's name). Keep it stable. */
  readonly name?: string;
  /** The instance as data (anything that may be stored in state); with `fromData`. */
  readonly toData?: (value: T) => D;
  /** The instance back from what `toData` returned; with `toData`. */
  readonly fromData?: (data: D) => T;
}

/** A class, or a class with its options: what a state descriptor's `types` lists. */
export type StateTypeDeclaration = StateTypeClass | ({ readonly type: StateTypeClass } & StateTypeOptions);

export interface StateType {
  readonly name: string;
  readonly prototype: object;
  readonly className: string;
  readonly toData?: (value: any) => unknown;
  readonly fromData?: (data: any) => unknown;
}

/** Names starting with this are the engine's own (Buffer, -0, ...). */
export const RESERVED_TYPE_PREFIX = 'weir:';

const byName = new Map<string, StateType>();
const byPrototype = new Map<object, StateType>();

/**
 * Registers `type` so its instances round-trip through checkpoints.
 * Throws StateTypeError when the name is empty or reserved, when the name is
 * taken by another class, when the class is registered under another name,
 * or when only one of toData/fromData is given.
 */
export function registerStateType<T extends object, D = unknown>(type: StateTypeClass<T>, options: StateTypeOptions<T, D> = {}): void {
  if (typeof type !== 'function' || typeof type.prototype !== 'object' || type.prototype === null) {
    throw new StateTypeError(`registerStateType needs a class, got ${typeof type}`);
  }
  const name = options.name ?? type.name;
  const what = `state type '${name}' (class ${type.name || '<anonymous>'})`;
  if (typeof name !== 'string' || name.length === 0) {
    throw new StateTypeError(`registerStateType: the class has no name; give one: registerStateType(C, { name: '...' })`);
  }
  if (name.startsWith(RESERVED_TYPE_PREFIX)) throw new StateTypeError(`${what}: names starting with '${RESERVED_TYPE_PREFIX}' are reserved`);
  if ((options.toData === undefined) !== (options.fromData === undefined)) {
    throw new StateTypeError(`${what}: give both toData and fromData, or neither`);
  }
  for (const f of ['toData', 'fromData'] as const) {
    if (options[f] !== undefined && typeof options[f] !== 'function') throw new StateTypeError(`${what}: ${f} must be a function`);
  }
  const builtIn = builtInAncestor(type.prototype as object);
  if (builtIn !== undefined && options.toData === undefined) {
    throw new StateTypeError(`${what} extends ${builtIn}, whose contents are not fields: give toData and fromData`);
  }
  const proto = type.prototype as object;
  const sameName = byName.get(name);
  const sameClass = byPrototype.get(proto);
  if (sameName !== undefined && sameName.prototype !== proto) {
    throw new StateTypeError(`${what}: the name '${name}' is already registered for class ${sameName.className}`);
  }
  if (sameClass !== undefined && sameClass.name !== name) {
    throw new StateTypeError(`${what}: the class is already registered as '${sameClass.name}'`);
  }
  // Registering again (a descriptor built in every open()) keeps the name and takes the latest functions.
  const t: StateType = { name, prototype: proto, className: type.name || '<anonymous>', toData: options.toData, fromData: options.fromData };
  byName.set(name, t);
  byPrototype.set(proto, t);
}

/** Built-ins whose contents live in internal slots, not in fields a default registration could copy. */
const BUILT_INS: ReadonlyMap<object, string> = new Map(
  [Array, Map, Set, Date, RegExp, Error, ArrayBuffer, DataView, Promise, WeakMap, WeakSet, WeakRef, Number, String, Boolean, Uint8Array]
    .map((c): [object, string] => [c.prototype as object, c.name])
    .concat([[Object.getPrototypeOf(Int8Array.prototype) as object, 'a typed array']]),
);

function builtInAncestor(proto: object): string | undefined {
  for (let p = Object.getPrototypeOf(proto) as object | null; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    const name = BUILT_INS.get(p);
    if (name !== undefined) return name;
  }
  return undefined;
}

/** Registers what a state descriptor's `types` lists. */
export function registerStateTypes(declarations: readonly StateTypeDeclaration[]): void {
  for (const d of declarations) {
    if (typeof d === 'function') registerStateType(d);
    else if (typeof d === 'object' && d !== null) registerStateType(d.type, d);
    else throw new StateTypeError(`a state descriptor's types lists classes or { type, name?, toData?, fromData? }, got ${typeof d}`);
  }
}

/** The registered type whose instances have exactly this prototype. */
export function stateTypeOfPrototype(proto: object): StateType | undefined {
  return byPrototype.get(proto);
}

/** The registered type of a name read from a checkpoint. */
export function stateTypeNamed(name: string): StateType | undefined {
  return byName.get(name);
}
