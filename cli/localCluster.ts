/**
 * `weir cluster start`: a local cluster of child processes — one
 * `weir coordinator` and n `weir node`s, each started with this process's
 * Node executable, exec arguments and script (so it works as well from the
 * built package as from TypeScript under a test runner). It prints how to
 * reach the cluster and stays in the foreground until Ctrl-C or SIGTERM,
 * which stops every child (SIGTERM, then SIGKILL after STOP_GRACE_MS).
 *
 * Guarantees: the cluster secret is WEIR_CLUSTER_SECRET (or --secret-file)
 * when given, else a fresh random one, printed once as an `export` line
 * (and as `secret` in the JSON). A child that dies on its own is reported
 * (a line on stderr; with --json also an `exited` event on stdout) and not
 * restarted — fault experiments look at exactly that. Children run in
 * their own process group with an IPC channel to this process: a terminal's
 * Ctrl-C reaches only this process, which stops them in order, and a
 * launcher killed with -9 still takes its children down with it (they stop
 * when the channel closes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import { CLUSTER_ENV, clusterSecret, generateSecret, parsePort } from '../lib/cli/clusterSettings';
import { EXIT_CODES, positiveInt, type CliIo, type CommandContext } from '../lib/cli/weirProgram';
import { settingsFailure } from './serverCommands';

/** Time the children get to stop after SIGTERM before they are killed, in ms. */
export const STOP_GRACE_MS = 10_000;

interface StartFlags {
  nodes: number;
  slots?: number;
  port?: string;
  host?: string;
  json?: boolean;
  secretFile?: string;
}

/** One child process and what it said when it was ready. */
export interface Child {
  readonly role: 'coordinator' | 'node';
  readonly name: string;
  readonly process: ChildProcess;
  /** Its first JSON line on stdout (listening / registered). */
  readonly ready: Promise<Record<string, unknown>>;
  /** Resolves once it exited: its code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Adds `weir cluster start`. */
export function registerClusterCommands(program: Command, { io, setExitCode }: CommandContext): void {
  const cluster = program.command('cluster').summary('run a local cluster of child processes (weir cluster start --help)');
  cluster
    .command('start')
    .summary('start a coordinator and n nodes as child processes; Ctrl-C stops them all')
    .description(
      'Start a local cluster: a coordinator and --nodes node processes on this machine, bound to 127.0.0.1 unless --host says otherwise. ' +
        'It prints the coordinator\'s address and the cluster secret to use, then stays in the foreground: Ctrl-C or SIGTERM stops every process. ' +
        'A process that dies on its own is reported and not restarted.\n\n' +
        'The cluster secret is WEIR_CLUSTER_SECRET (or the contents of --secret-file) when set, else a random one that is printed.',
    )
    .requiredOption('--nodes <n>', 'number of node processes', positiveInt('number of nodes'))
    .addOption(new Option('--slots <n>', 'task slots per node (default 1)').argParser(positiveInt('number of slots')))
    .addOption(new Option('--port <port>', 'coordinator port (default 0: any free port, printed)'))
    .addOption(new Option('--host <host>', 'interface for the coordinator and the nodes\' data ports (default 127.0.0.1)'))
    .addOption(new Option('--secret-file <path>', 'read the cluster secret from this file'))
    .addOption(
      new Option(
        '--json',
        'print JSON lines on stdout: {"event":"started","coordinator":{host,port,pid},"nodes":[{nodeId,pid,dataPort}],"secret"?} once every node registered; ' +
          '{"event":"exited",…} for a child that died; {"event":"stopped"} at the end',
      ),
    )
    .addHelpText(
      'after',
      `
Example:
  weir cluster start --nodes 2 --slots 2
  # in another terminal, with the printed export lines:
  weir run --coordinator 127.0.0.1:<port> --checkpoint-dir /tmp/weir-checkpoints --checkpoint-interval 1000 dist/job.js
  weir nodes --coordinator 127.0.0.1:<port>`,
    )
    .action(async (flags: StartFlags) => setExitCode(await startLocalCluster(flags, io)));
}

async function startLocalCluster(flags: StartFlags, io: CliIo): Promise<number> {
  let secret: string;
  let generated = false;
  let port: number;
  try {
    port = flags.port === undefined ? 0 : parsePort(flags.port, '--port');
    const given = flags.secretFile !== undefined || (process.env[CLUSTER_ENV.SECRET] ?? '') !== '';
    secret = given ? clusterSecret(flags, process.env) : generateSecret();
    generated = !given;
  } catch (e) {
    return settingsFailure('cluster start', e, io);
  }
  const host = flags.host ?? '127.0.0.1';
  const slots = flags.slots ?? 1;
  const children: Child[] = [];
  let stopping = false;

  const stopAll = async (): Promise<void> => {
    stopping = true;
    // Nodes first: the coordinator then sees them leave instead of restarting jobs onto nothing.
    const nodes = children.filter((c) => c.role === 'node');
    const coordinator = children.filter((c) => c.role === 'coordinator');
    await stopChildren(nodes);
    await stopChildren(coordinator);
  };

  const spawnChild = (role: Child['role'], name: string, args: string[]): Child => {
    const child = startChild(role, name, args, secret);
    children.push(child);
    void child.exited.then(({ code, signal }) => {
      if (stopping) return;
      const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
      io.stderr.write(`weir cluster: ${role === 'node' ? `node '${name}'` : 'the coordinator'} (pid ${child.process.pid}) ${how}; not restarted\n`);
      if (flags.json) io.stdout.write(`${JSON.stringify({ event: 'exited', role, name, pid: child.process.pid, code, signal })}\n`);
    });
    return child;
  };

  let interrupted: () => void = () => {};
  const signalled = new Promise<void>((resolve) => (interrupted = resolve));
  const removeInt = io.onInterrupt(() => interrupted());
  const removeTerm = io.onTerminate(() => interrupted());
  try {
    const coordinator = spawnChild('coordinator', 'coordinator', ['coordinator', '--json', '--host', host, '--port', String(port)]);
    const listening = await Promise.race([coordinator.ready, signalled.then(() => undefined)]);
    if (listening === undefined) return finish(EXIT_CODES.INTERRUPTED);
    const address = `${String(listening.host)}:${String(listening.port)}`;
    const nodes = Array.from({ length: flags.nodes }, (_, i) =>
      spawnChild('node', `node-${i + 1}`, ['node', '--json', '--coordinator', address, '--slots', String(slots), '--node-id', `node-${i + 1}`, '--data-host', host]),
    );
    const registered = await Promise.race([Promise.all(nodes.map((n) => n.ready)), signalled.then(() => undefined)]);
    if (registered === undefined) return finish(EXIT_CODES.INTERRUPTED);

    if (flags.json) {
      io.stdout.write(
        `${JSON.stringify({
          event: 'started',
          coordinator: { host: listening.host, port: listening.port, pid: coordinator.process.pid },
          nodes: registered.map((r, i) => ({ nodeId: r.nodeId, pid: nodes[i].process.pid, dataPort: r.dataPort, slots })),
          ...(generated ? { secret } : {}),
        })}\n`,
      );
    } else {
      io.stdout.write(
        `Local cluster: coordinator ${address} (pid ${coordinator.process.pid}), ${flags.nodes} node(s) × ${slots} slot(s) ` +
          `(pids ${nodes.map((n) => n.process.pid).join(', ')})\n` +
          `To use it from another shell:\n` +
          (generated ? `  export ${CLUSTER_ENV.SECRET}=${secret}\n` : `  (the cluster secret is your ${CLUSTER_ENV.SECRET})\n`) +
          `  export ${CLUSTER_ENV.COORDINATOR}=${address}\n` +
          `  weir run --coordinator ${address} <job-module> [args...]\n` +
          `  weir nodes      weir list      weir health\n` +
          `Ctrl-C stops the cluster.\n`,
      );
    }
    await signalled;
    return finish(0);
  } catch (e) {
    io.stderr.write(`weir cluster start: ${(e as Error).message}\n`);
    return finish(EXIT_CODES.FAILED);
  } finally {
    removeInt();
    removeTerm();
  }

  async function finish(code: number): Promise<number> {
    if (!flags.json) io.stderr.write('weir cluster: stopping…\n');
    await stopAll();
    if (flags.json) io.stdout.write(`${JSON.stringify({ event: 'stopped' })}\n`);
    return code;
  }
}

/** The environment of a child: ours without the cluster settings that would clash between children (ports, node id), plus the secret. */
export function childEnv(secret: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, [CLUSTER_ENV.SECRET]: secret };
  for (const k of Object.values(CLUSTER_ENV)) if (k !== CLUSTER_ENV.SECRET) delete env[k];
  return env;
}

/** Spawns `weir <args>` the way this process was started; `ready` resolves with its first JSON line on stdout. */
export function startChild(role: Child['role'], name: string, args: string[], secret: string): Child {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...args], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: childEnv(secret),
    detached: true,
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const event = JSON.parse(line) as Record<string, unknown>;
        if (event.event === 'listening' || event.event === 'registered') resolve(event);
      } catch {
        // not a JSON line: ignore
      }
    });
    child.once('error', (e) => reject(new Error(`cannot start the ${role} '${name}': ${e.message}`)));
    void exited.then(({ code, signal }) => reject(new Error(`the ${role} '${name}' exited before it was ready (${signal ?? `code ${code}`}); its messages are above`)));
  });
  ready.catch(() => {});
  // The IPC channel is only there to tell the child when we are gone; it must not keep us alive.
  child.channel?.unref();
  return { role, name, process: child, ready, exited };
}

/** SIGTERM to each child still running, SIGKILL after STOP_GRACE_MS; resolves once all exited. */
export async function stopChildren(children: readonly Child[]): Promise<void> {
  await Promise.all(
    children.map(async (c) => {
      if (c.process.exitCode !== null || c.process.signalCode !== null) return;
      c.process.kill('SIGTERM');
      const timer = setTimeout(() => c.process.kill('SIGKILL'), STOP_GRACE_MS);
      await c.exited;
      clearTimeout(timer);
    }),
  );
}
