/**
 * Settings of the cluster commands (`weir coordinator`, `weir node`,
 * `weir cluster start` and the client commands), resolved from flags and the
 * environment — the way Kubernetes configures a container. Pure functions:
 * they read only what they are given (the environment, and a secret file).
 *
 * Guarantees: a flag wins over its environment variable; the cluster
 * secret never comes from a flag's value (it would show in `ps`), only from
 * WEIR_CLUSTER_SECRET or a file named by `--secret-file`, and it is at
 * least MIN_SECRET_BYTES long; every problem is a ClusterSettingsError
 * naming the flag or variable and what to do (the CLI exits 2 for it).
 *
 *   parseHostPort('10.0.0.5:6123')          // { host: '10.0.0.5', port: 6123 }
 *   clusterSecret({}, { WEIR_CLUSTER_SECRET: 'x'.repeat(32) })  // 'xxxx…'
 *
 * Also here: relativePathWarnings — a job's arguments go to the nodes as
 * they are (weir does not know which are paths, as in Flink), so `weir run
 * --coordinator` warns about each one that names a relative path existing
 * where the client runs: the nodes resolve it against their own directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { MIN_SECRET_BYTES } from '../cluster/Handshake';
import { ClusterSettingsError } from '../errors';

/** The environment variables the cluster commands read. */
export const CLUSTER_ENV = {
  SECRET: 'WEIR_CLUSTER_SECRET',
  COORDINATOR: 'WEIR_COORDINATOR',
  SLOTS: 'WEIR_SLOTS',
  HOST: 'WEIR_HOST',
  PORT: 'WEIR_PORT',
  NODE_ID: 'WEIR_NODE_ID',
  DATA_HOST: 'WEIR_DATA_HOST',
  DATA_PORT: 'WEIR_DATA_PORT',
} as const;

export type Env = Readonly<Record<string, string | undefined>>;

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * `host:port` (an IPv6 host in brackets: `[::1]:6123`) as its parts.
 * @throws ClusterSettingsError when there is no host or the port is not 1–65535
 */
export function parseHostPort(value: string, what: string): HostPort {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(value.trim()) ?? /^([^:\s]+):(\d+)$/.exec(value.trim());
  if (m === null) throw new ClusterSettingsError(what, `expected host:port (e.g. 127.0.0.1:6123), got '${value}'`);
  return { host: m[1], port: parsePort(m[2], what) };
}

/**
 * A TCP port, 0–65535 (0: any free one, for listening ports).
 * @throws ClusterSettingsError for anything else
 */
export function parsePort(value: string, what: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535) throw new ClusterSettingsError(what, `expected a port number 0–65535, got '${value}'`);
  return n;
}

function positive(value: string, what: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new ClusterSettingsError(what, `expected a whole number ≥ 1, got '${value}'`);
  return n;
}

/** The flag's value, else the variable's (empty counts as unset); `what` names the one used, for errors. */
function pick(flag: string | undefined, env: Env, name: string, flagName: string): { value: string; what: string } | undefined {
  if (flag !== undefined) return { value: flag, what: flagName };
  const v = env[name];
  return v === undefined || v === '' ? undefined : { value: v, what: name };
}

/**
 * The cluster secret: the contents of `secretFile` (trailing newline
 * dropped) when given, else WEIR_CLUSTER_SECRET.
 * @throws ClusterSettingsError when neither is there, the file cannot be read, or the secret is shorter than MIN_SECRET_BYTES
 */
export function clusterSecret(flags: { readonly secretFile?: string }, env: Env, read: (path: string) => string = (p) => fs.readFileSync(p, 'utf8')): string {
  let secret: string;
  let where: string;
  if (flags.secretFile !== undefined) {
    where = `--secret-file ${flags.secretFile}`;
    try {
      secret = read(flags.secretFile).replace(/\r?\n$/, '');
    } catch (e) {
      throw new ClusterSettingsError('--secret-file', `cannot read ${flags.secretFile}: ${(e as Error).message}`);
    }
  } else {
    const v = env[CLUSTER_ENV.SECRET];
    if (v === undefined || v === '') {
      throw new ClusterSettingsError(
        CLUSTER_ENV.SECRET,
        `no cluster secret: set ${CLUSTER_ENV.SECRET} (at least ${MIN_SECRET_BYTES} bytes, e.g. export ${CLUSTER_ENV.SECRET}=$(openssl rand -hex 32)) or give --secret-file <path>`,
      );
    }
    secret = v;
    where = CLUSTER_ENV.SECRET;
  }
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SECRET_BYTES) {
    throw new ClusterSettingsError(where, `the cluster secret must be at least ${MIN_SECRET_BYTES} bytes, got ${bytes} (generate one with: openssl rand -hex 32)`);
  }
  return secret;
}

/** A fresh random secret for a local cluster (64 hex digits). */
export function generateSecret(): string {
  return randomBytes(32).toString('hex');
}

/** Where a client command finds the coordinator: `--coordinator`, else WEIR_COORDINATOR. */
export function coordinatorAddress(flags: { readonly coordinator?: string }, env: Env): HostPort {
  const v = pick(flags.coordinator, env, CLUSTER_ENV.COORDINATOR, '--coordinator');
  if (v === undefined) throw new ClusterSettingsError('--coordinator', `which coordinator? Give --coordinator host:port or set ${CLUSTER_ENV.COORDINATOR}`);
  return parseHostPort(v.value, v.what);
}

export interface CoordinatorSettings {
  /** Interface to bind (127.0.0.1 unless told otherwise). */
  readonly host: string;
  /** Port to listen on (0: any free one). */
  readonly port: number;
}

/** `weir coordinator`'s address: --host/--port, else WEIR_HOST/WEIR_PORT, else 127.0.0.1 and any free port. */
export function coordinatorSettings(flags: { readonly host?: string; readonly port?: string }, env: Env): CoordinatorSettings {
  const host = pick(flags.host, env, CLUSTER_ENV.HOST, '--host');
  const port = pick(flags.port, env, CLUSTER_ENV.PORT, '--port');
  return { host: host?.value ?? '127.0.0.1', port: port === undefined ? 0 : parsePort(port.value, port.what) };
}

export interface NodeSettings {
  readonly coordinator: HostPort;
  readonly slots: number;
  readonly nodeId: string | undefined;
  /** Interface for data connections from other nodes (127.0.0.1 unless told otherwise). */
  readonly dataHost: string;
  readonly dataPort: number;
}

/** `weir node`'s settings: each flag, else its variable (WEIR_COORDINATOR, WEIR_SLOTS, WEIR_NODE_ID, WEIR_DATA_HOST, WEIR_DATA_PORT). */
export function nodeSettings(
  flags: { readonly coordinator?: string; readonly slots?: string; readonly nodeId?: string; readonly dataHost?: string; readonly dataPort?: string },
  env: Env,
): NodeSettings {
  const slots = pick(flags.slots, env, CLUSTER_ENV.SLOTS, '--slots');
  const dataPort = pick(flags.dataPort, env, CLUSTER_ENV.DATA_PORT, '--data-port');
  return {
    coordinator: coordinatorAddress(flags, env),
    slots: slots === undefined ? 1 : positive(slots.value, slots.what),
    nodeId: pick(flags.nodeId, env, CLUSTER_ENV.NODE_ID, '--node-id')?.value,
    dataHost: pick(flags.dataHost, env, CLUSTER_ENV.DATA_HOST, '--data-host')?.value ?? '127.0.0.1',
    dataPort: dataPort === undefined ? 0 : parsePort(dataPort.value, dataPort.what),
  };
}

/**
 * One warning for each job argument that is a relative path naming a file
 * or directory in `cwd` (the client's): on a cluster the job function runs
 * on the coordinator and the nodes, which resolve it against their own
 * working directories. Suggests the absolute path.
 */
export function relativePathWarnings(args: readonly string[], cwd: string, exists: (p: string) => boolean = fs.existsSync): string[] {
  const warnings: string[] = [];
  for (const arg of args) {
    if (arg === '' || arg.startsWith('-') || path.isAbsolute(arg)) continue;
    const absolute = path.resolve(cwd, arg);
    if (!exists(absolute)) continue;
    warnings.push(
      `argument '${arg}' is a relative path: the nodes resolve it against their own working directory, not ${cwd}; ` +
        `if the job should use what is here, pass ${absolute}`,
    );
  }
  return warnings;
}
