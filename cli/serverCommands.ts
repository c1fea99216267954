/**
 * `weir coordinator` and `weir node`: the two long-running cluster
 * processes. Each starts, prints one line once it is usable (listening;
 * registered), then runs until SIGTERM or SIGINT, closes cleanly and ends
 * the process with exit code 0 (a second signal while closing ends it at
 * once with 130).
 *
 * Settings come from flags, else the environment (lib/cli/clusterSettings:
 * WEIR_HOST, WEIR_PORT, WEIR_COORDINATOR, WEIR_SLOTS, WEIR_NODE_ID,
 * WEIR_DATA_HOST, WEIR_DATA_PORT), the cluster secret only from
 * WEIR_CLUSTER_SECRET or --secret-file. Missing or bad settings exit 2.
 * Started by `weir cluster start` (an IPC channel to it), the process also
 * stops when that parent goes away, so a killed launcher leaves no orphans.
 */
import { Option, type Command } from 'commander';
import { clusterSecret, coordinatorSettings, nodeSettings } from '../lib/cli/clusterSettings';
import { EXIT_CODES, type CliIo, type CommandContext } from '../lib/cli/weirProgram';
import { ClusterSettingsError, ConfigurationError, describe } from '../lib/errors';
import { createDefaultLogger, type Logger } from '../lib/monitoring/Logger';
import { Coordinator } from '../actors/cluster/Coordinator';
import { Node } from '../actors/cluster/Node';

interface CoordinatorFlags {
  host?: string;
  port?: string;
  json?: boolean;
  secretFile?: string;
}

interface NodeFlags {
  coordinator?: string;
  slots?: string;
  nodeId?: string;
  dataHost?: string;
  dataPort?: string;
  json?: boolean;
  secretFile?: string;
}

export const SECRET_HELP = 'The cluster secret (at least 16 bytes) comes from WEIR_CLUSTER_SECRET, or from a file given with --secret-file — never from a flag value, which would show in `ps`.';

/** Adds `weir coordinator` and `weir node`. */
export function registerServerCommands(program: Command, { io, setExitCode }: CommandContext): void {
  program
    .command('coordinator')
    .summary('run a cluster coordinator (job masters, node registry) until SIGTERM/Ctrl-C')
    .description(
      'Run a coordinator: nodes register with it and clients (weir run --coordinator, list, cancel, ...) submit and manage jobs through it. ' +
        'It prints where it listens, then runs until SIGTERM or Ctrl-C, which cancels its jobs and exits 0.\n\n' +
        SECRET_HELP,
    )
    .addOption(new Option('--host <host>', 'interface to listen on (env WEIR_HOST; default 127.0.0.1, loopback only: use 0.0.0.0 to accept other hosts)'))
    .addOption(new Option('--port <port>', 'port to listen on (env WEIR_PORT; default 0: any free port, printed)'))
    .addOption(new Option('--secret-file <path>', 'read the cluster secret from this file (default: env WEIR_CLUSTER_SECRET)'))
    .addOption(new Option('--json', 'print {"event":"listening","host":…,"port":…} (and {"event":"stopped"}) as JSON lines on stdout'))
    .addHelpText(
      'after',
      `
Example:
  export WEIR_CLUSTER_SECRET=$(openssl rand -hex 32)
  weir coordinator --port 6123
  weir node --coordinator 127.0.0.1:6123 --slots 2      (in another terminal, same secret)`,
    )
    .action(async (flags: CoordinatorFlags) => setExitCode(await runCoordinator(flags, io)));

  program
    .command('node')
    .summary('run a cluster node (task slots) registered with a coordinator, until SIGTERM/Ctrl-C')
    .description(
      'Run a node: it offers task slots to the coordinator, which places job subtasks on it; nodes exchange records over their data ports. ' +
        'It prints a line once registered, then runs until SIGTERM or Ctrl-C (its subtasks stop; the coordinator restores their jobs elsewhere). ' +
        'While the coordinator is unreachable it keeps trying to register.\n\n' +
        SECRET_HELP,
    )
    .addOption(new Option('--coordinator <host:port>', 'the coordinator (env WEIR_COORDINATOR)'))
    .addOption(new Option('--slots <n>', 'task slots offered (env WEIR_SLOTS; default 1)'))
    .addOption(new Option('--node-id <id>', 'this node\'s id, unique in the cluster (env WEIR_NODE_ID; default <hostname>-<pid>)'))
    .addOption(new Option('--data-host <host>', 'interface for data connections from other nodes, also what they are told to connect to (env WEIR_DATA_HOST; default 127.0.0.1)'))
    .addOption(new Option('--data-port <port>', 'port for data connections (env WEIR_DATA_PORT; default 0: any free port)'))
    .addOption(new Option('--secret-file <path>', 'read the cluster secret from this file (default: env WEIR_CLUSTER_SECRET)'))
    .addOption(new Option('--json', 'print {"event":"registered","nodeId":…,"dataPort":…} (and {"event":"stopped"}) as JSON lines on stdout'))
    .action(async (flags: NodeFlags) => setExitCode(await runNode(flags, io)));
}

/** The engine's logger for a server process: lifecycle ('info') unless WEIR_LOG_LEVEL says otherwise; silent under tests. */
function serverLogger(): Logger {
  return createDefaultLogger(process.env.WEIR_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'));
}

/** Prints a settings problem and returns the exit code for it; anything else is rethrown. */
export function settingsFailure(command: string, e: unknown, io: CliIo): number {
  if (e instanceof ClusterSettingsError || e instanceof ConfigurationError) {
    io.stderr.write(`weir ${command}: ${e.message}\n`);
    return EXIT_CODES.USAGE;
  }
  throw e;
}

async function runCoordinator(flags: CoordinatorFlags, io: CliIo): Promise<number> {
  let settings;
  let secret;
  try {
    settings = coordinatorSettings(flags, process.env);
    secret = clusterSecret(flags, process.env);
  } catch (e) {
    return settingsFailure('coordinator', e, io);
  }
  let coordinator: Coordinator;
  try {
    coordinator = await Coordinator.start({ secret, host: settings.host, port: settings.port, logger: serverLogger() });
  } catch (e) {
    io.stderr.write(`weir coordinator: cannot listen on ${settings.host}:${settings.port}: ${describe(e)}\n`);
    return EXIT_CODES.USAGE;
  }
  const where = `${coordinator.host}:${coordinator.port}`;
  io.stdout.write(
    flags.json
      ? `${JSON.stringify({ event: 'listening', host: coordinator.host, port: coordinator.port, pid: process.pid })}\n`
      : `weir coordinator listening on ${where} (nodes: weir node --coordinator ${where}); SIGTERM or Ctrl-C stops it\n`,
  );
  return untilStopped(io, flags.json === true, () => coordinator.close());
}

async function runNode(flags: NodeFlags, io: CliIo): Promise<number> {
  let settings;
  let secret;
  try {
    settings = nodeSettings(flags, process.env);
    secret = clusterSecret(flags, process.env);
  } catch (e) {
    return settingsFailure('node', e, io);
  }
  let node: Node;
  try {
    node = await Node.start({
      coordinator: settings.coordinator,
      secret,
      slots: settings.slots,
      dataHost: settings.dataHost,
      dataPort: settings.dataPort,
      ...(settings.nodeId === undefined ? {} : { nodeId: settings.nodeId }),
      logger: serverLogger(),
    });
  } catch (e) {
    if (e instanceof ConfigurationError) return settingsFailure('node', e, io);
    io.stderr.write(`weir node: cannot listen for data connections on ${settings.dataHost}:${settings.dataPort}: ${describe(e)}\n`);
    return EXIT_CODES.USAGE;
  }
  const { host, port } = settings.coordinator;
  if (!flags.json) io.stderr.write(`weir node '${node.nodeId}': registering with the coordinator at ${host}:${port}…\n`);
  void node.registered.then(() =>
    io.stdout.write(
      flags.json
        ? `${JSON.stringify({ event: 'registered', nodeId: node.nodeId, dataPort: node.dataPort, slots: settings.slots, pid: process.pid })}\n`
        : `weir node '${node.nodeId}' registered with ${host}:${port}: ${settings.slots} slot(s), data port ${settings.dataHost}:${node.dataPort}; SIGTERM or Ctrl-C stops it\n`,
    ),
  );
  // A refused secret never becomes right by retrying: say so and end (exit 3), so a supervisor shows why.
  const refused = node.refused.then(async (e) => {
    io.stderr.write(`weir node '${node.nodeId}': the coordinator at ${host}:${port} refused this node: ${e.message}\n`);
    await node.close();
    return EXIT_CODES.UNREACHABLE;
  });
  // Fault experiments (weir chaos): SIGUSR2 cuts this node's data connections to the other nodes.
  const cut = () => node.cutDataConnections();
  process.on('SIGUSR2', cut);
  const stopped = untilStopped(io, flags.json === true, () => {
    process.off('SIGUSR2', cut);
    return node.close();
  });
  return Promise.race([stopped, refused]);
}

/**
 * Waits for SIGTERM or SIGINT (or the launching parent going away), runs
 * `close`, and ends the process with 0 — explicitly, so that no socket a
 * peer keeps open holds a stopped server alive. A second signal while
 * closing exits with 130 at once.
 */
function untilStopped(io: CliIo, json: boolean, close: () => Promise<void>): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return io.exit(EXIT_CODES.INTERRUPTED);
      stopping = true;
      close().then(
        () => {
          if (json) io.stdout.write(`${JSON.stringify({ event: 'stopped' })}\n`);
          resolve(0);
          io.exit(0);
        },
        (e: unknown) => {
          io.stderr.write(`weir: error while stopping: ${describe(e)}\n`);
          resolve(EXIT_CODES.INTERNAL);
          io.exit(EXIT_CODES.INTERNAL);
        },
      );
    };
    io.onInterrupt(stop);
    io.onTerminate(stop);
    // Launched by `weir cluster start`: its IPC channel closes when it dies, even by kill -9.
    if (process.send !== undefined) process.once('disconnect', stop);
  });
}
