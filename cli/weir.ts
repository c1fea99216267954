#!/usr/bin/env node
/**
 * The `weir` executable (package.json `bin`). It lives outside lib/ because
 * it installs the actor runtime — by importing the package entry point, as a
 * job module importing 'weir-stream' does — and lib/ never imports actors/.
 * Everything else is in lib/cli: the commands (weirProgram), the job-module
 * loader (JobModule), the embedded run (JobRun) and the summary both run
 * modes print (RunSummary); the cluster commands, which run actors, are
 * here beside it (serverCommands, localCluster, clientCommands,
 * chaosCommand) and handed to the program as extensions. cli/jobs/ holds a
 * job module shipped to try them on (windowedCounts, for `weir chaos`).
 */
import '../index';
import { EXIT_CODES, runCli } from '../lib/cli/weirProgram';
import { registerServerCommands } from './serverCommands';
import { registerClusterCommands } from './localCluster';
import { registerClientCommands, runOnCluster } from './clientCommands';
import { registerChaosCommand } from './chaosCommand';

// A reader that went away (`weir run --help | head`) ends the output, not the process with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

runCli(process.argv.slice(2), undefined, {
  register(program, context) {
    registerServerCommands(program, context);
    registerClusterCommands(program, context);
    registerClientCommands(program, context);
    registerChaosCommand(program, context);
  },
  runOnCluster,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error('weir: unexpected error:', e);
    process.exitCode = EXIT_CODES.INTERNAL;
  },
);
