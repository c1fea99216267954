/**
 * A stable fingerprint of a job graph: what every process that rebuilds a
 * job from its module must agree on before subtasks are deployed across
 * processes (DESIGN §10: job code is never sent, every node imports the
 * same module). The fingerprint is the sha256 (hex) of a canonical
 * description:
 *
 * - per operator, in topological order: uid, name, kind, parallelism,
 *   max parallelism, chaining strategy, and the chain (job vertex) it sits in;
 * - every stream edge: source and target uid, partitioner kind, side-output
 *   tag, logical input of a two-input operator;
 * - the code version: the weir package version and the sha256 of the job
 *   module's code — the module file and the local files it imports, each
 *   also by name so a difference can be named (given by the caller).
 *
 * Guarantees: the description holds only strings, numbers and arrays in a
 * fixed order (no ids that depend on how many environments a process built
 * before, no functions, no object-key order), so two processes importing
 * the same module at the same options get the same fingerprint; changing a
 * uid, a name, a parallelism, an edge, a partitioner, the chaining or the
 * code changes it. Functions (key selectors, user functions) are covered by
 * the module hash only: the job module and the files it imports outside
 * node_modules (packages are covered by their own versions only).
 *
 *   const a = describeJobGraph(jobGraph, { weirVersion: '0.1.0', moduleSha256 });
 *   jobFingerprint(a);                 // '3f1c…' (64 hex digits)
 *   firstDifference(a, b);             // "operator 'sum': parallelism 2 here, 4 there", or undefined
 */
import { createHash } from 'node:crypto';
import type { JobGraph } from './JobGraph';

/** The code a job graph was built from. */
export interface CodeVersion {
  /** The weir package version (package.json `version`). */
  readonly weirVersion: string;
  /** sha256 hex over the job module's code: the module file and the local files it imports (moduleFiles). */
  readonly moduleSha256: string;
  /** sha256 hex of each file in moduleSha256, by path relative to the module's directory (absent: the module file only). */
  readonly moduleFiles?: Readonly<Record<string, string>>;
}

export interface OperatorDescription {
  readonly uid: string;
  readonly name: string;
  readonly kind: 'source' | 'operator' | 'sink';
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly chaining: string;
  /** The uid of the head of the chain (job vertex) the operator runs in. */
  readonly chainHead: string;
}

export interface EdgeDescription {
  readonly source: string;
  readonly target: string;
  /** forward, rebalance, shuffle, broadcast or hash. */
  readonly partitioner: string;
  readonly outputTag?: string;
  readonly typeNumber?: number;
}

/** What the fingerprint is computed from; compare two with firstDifference(). */
export interface JobGraphDescription {
  /** Version of this description's shape: a change of shape changes every fingerprint. */
  readonly format: 1;
  readonly operators: readonly OperatorDescription[];
  readonly edges: readonly EdgeDescription[];
  readonly code: CodeVersion;
}

/** The canonical description of `graph` built from `code`. Pure; never reads files. */
export function describeJobGraph(graph: JobGraph, code: CodeVersion): JobGraphDescription {
  const uidOf = new Map<number, string>();
  for (const v of graph.vertices) for (const n of v.nodes) uidOf.set(n.id, n.uid);
  const operators: OperatorDescription[] = [];
  const edges: EdgeDescription[] = [];
  for (const v of graph.vertices) {
    const head = v.nodes[0].uid;
    for (const n of v.nodes) {
      operators.push({
        uid: n.uid,
        name: n.name,
        kind: n.kind,
        parallelism: n.parallelism,
        maxParallelism: n.maxParallelism,
        chaining: n.chaining,
        chainHead: head,
      });
      for (const e of n.outEdges) {
        edges.push({
          source: n.uid,
          target: uidOf.get(e.targetId) ?? `#${e.targetId}`,
          partitioner: e.partitioner.kind,
          ...(e.outputTag === undefined ? {} : { outputTag: e.outputTag }),
          ...(e.typeNumber === undefined ? {} : { typeNumber: e.typeNumber }),
        });
      }
    }
  }
  // Edges sorted by their own content: independent of the order a program connected them in.
  edges.sort((a, b) => compareStrings(edgeKey(a), edgeKey(b)));
  return { format: 1, operators, edges, code: { weirVersion: code.weirVersion, moduleSha256: code.moduleSha256, ...(code.moduleFiles === undefined ? {} : { moduleFiles: code.moduleFiles }) } };
}

/** sha256 hex (64 characters) of the description's canonical JSON. */
export function jobFingerprint(description: JobGraphDescription): string {
  return createHash('sha256').update(canonicalJson(description)).digest('hex');
}

/**
 * The first way `here` differs from `there`, as a sentence naming the
 * operator or edge and both values (`here` first); undefined when they are
 * equal. Checked in the order a reader would want: code version, the set of
 * operators, each operator's fields, then the edges.
 */
export function firstDifference(here: JobGraphDescription, there: JobGraphDescription): string | undefined {
  if (here.format !== there.format) return `description format ${here.format} here, ${there.format} there`;
  if (here.code.weirVersion !== there.code.weirVersion) {
    return `weir version ${here.code.weirVersion} here, ${there.code.weirVersion} there`;
  }
  if (here.code.moduleSha256 !== there.code.moduleSha256) {
    const a = here.code.moduleFiles ?? {};
    const b = there.code.moduleFiles ?? {};
    const file = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().find((f) => a[f] !== b[f]);
    const which = file === undefined ? 'job module contents differ' : a[file] === undefined || b[file] === undefined ? `the job module imports ${file} ${a[file] === undefined ? 'there, not here' : 'here, not there'}` : `job module file ${file} differs`;
    return `${which} (sha256 ${here.code.moduleSha256.slice(0, 12)}… here, ${there.code.moduleSha256.slice(0, 12)}… there)`;
  }
  const thereByUid = new Map(there.operators.map((o) => [o.uid, o]));
  const hereUids = new Set(here.operators.map((o) => o.uid));
  const onlyHere = here.operators.find((o) => !thereByUid.has(o.uid));
  if (onlyHere) return `operator uid '${onlyHere.uid}' (${onlyHere.name}) exists here, not there`;
  const onlyThere = there.operators.find((o) => !hereUids.has(o.uid));
  if (onlyThere) return `operator uid '${onlyThere.uid}' (${onlyThere.name}) exists there, not here`;
  const fields: readonly (keyof OperatorDescription)[] = ['name', 'kind', 'parallelism', 'maxParallelism', 'chaining', 'chainHead'];
  for (const [i, a] of here.operators.entries()) {
    const b = thereByUid.get(a.uid)!;
    for (const f of fields) {
      if (a[f] !== b[f]) return `operator '${a.uid}': ${f} ${JSON.stringify(a[f])} here, ${JSON.stringify(b[f])} there`;
    }
    if (there.operators[i].uid !== a.uid) {
      return `operator order differs at position ${i + 1}: '${a.uid}' here, '${there.operators[i].uid}' there`;
    }
  }
  const thereEdges = new Set(there.edges.map(edgeKey));
  const hereEdges = new Set(here.edges.map(edgeKey));
  const edgeOnlyHere = here.edges.find((e) => !thereEdges.has(edgeKey(e)));
  if (edgeOnlyHere) return `edge ${describeEdge(edgeOnlyHere)} exists here, not there`;
  const edgeOnlyThere = there.edges.find((e) => !hereEdges.has(edgeKey(e)));
  if (edgeOnlyThere) return `edge ${describeEdge(edgeOnlyThere)} exists there, not here`;
  if (here.edges.length !== there.edges.length) return `${here.edges.length} edges here, ${there.edges.length} there`;
  return undefined;
}

function describeEdge(e: EdgeDescription): string {
  const extra = [e.outputTag === undefined ? '' : ` side output '${e.outputTag}'`, e.typeNumber === undefined ? '' : ` into input ${e.typeNumber}`].join('');
  return `'${e.source}' → '${e.target}' (${e.partitioner}${extra})`;
}

function edgeKey(e: EdgeDescription): string {
  return JSON.stringify([e.source, e.target, e.partitioner, e.outputTag ?? null, e.typeNumber ?? null]);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with object keys sorted at every level, so equal descriptions give equal bytes. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
