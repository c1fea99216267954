/**
 * kill -9: the crash-recovery job runs in a child process that is killed
 * with SIGKILL at random moments, several times, each time after it
 * completed a checkpoint of its own; every new process resumes from the
 * newest retained checkpoint. After a last run to the end, the committed
 * output holds every payment exactly once with the balances of a
 * sequential reference, the final keyed state equals the reference totals,
 * and nothing is left over: no in-progress files, no checkpoints of the
 * dead runs. The kill delays come from a printed seed; replay with
 * CRASH_SEED=<seed> npx jest scenarios/crashRecovery.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileSystemCheckpointStorage, listRetainedCheckpoints, loadCheckpoint, readCommittedLines, readKeyedState } from '../index';
import { seededRandom } from '../lib/testing/random';
import type { Balance, Payment } from './crashRecovery';

const FILES = 4;
const PER_FILE = 40_000;
const KILLS = 4;
const SCENARIO = path.join(__dirname, 'crashRecovery.ts');
const REGISTER_TS = path.join(__dirname, 'support', 'registerTs.js');

/** Payment j of file f; every account belongs to one file, so its payments are read in file order. */
function payment(f: number, j: number): Payment {
  return { seq: f * PER_FILE + j, account: `f${f}-a${(j * 7) % 13}`, amount: ((j * 31) % 200) - 50 };
}

interface Run {
  readonly child: ChildProcess;
  readonly started: Promise<{ jobId: string }>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function start(dirs: { input: string; output: string; checkpoints: string }): Run {
  const child = spawn(process.execPath, ['-r', REGISTER_TS, SCENARIO, dirs.input, dirs.output, dirs.checkpoints], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'test' },
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  const started = new Promise<{ jobId: string }>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      for (const line of stdout.split('\n')) {
        if (line.includes('"started"')) resolve(JSON.parse(line) as { jobId: string });
      }
    });
    void exited.then((e) => reject(new Error(`the job process exited before it started (${e.code ?? e.signal}): ${e.stderr}`)));
  });
  return { child, started, exited };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once the job `jobId` has a completed checkpoint in `dir`, or false if the process ended first. */
async function firstCheckpointOf(dir: string, jobId: string, run: Run): Promise<boolean> {
  let ended = false;
  void run.exited.then(() => (ended = true));
  while (!ended) {
    try {
      if ((await listRetainedCheckpoints(dir)).some((c) => c.jobId === jobId)) return true;
    } catch {
      // a checkpoint directory deleted while it was listed (subsumed, or claimed): look again
    }
    await sleep(5);
  }
  return false;
}

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-kill9-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

test('killed with SIGKILL at random moments and resumed from the retained checkpoint each time: output and state exact, nothing left over', async () => {
  const seed = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31);
  console.log(`kill -9 test seed: ${seed} (replay: CRASH_SEED=${seed} npx jest scenarios/crashRecovery.test.ts)`);
  const random = seededRandom(seed);
  const dirs = { input: path.join(root, 'in'), output: path.join(root, 'out'), checkpoints: path.join(root, 'checkpoints') };
  fs.mkdirSync(dirs.input);
  for (let f = 0; f < FILES; f++) {
    const lines = Array.from({ length: PER_FILE }, (_, j) => JSON.stringify(payment(f, j)));
    fs.writeFileSync(path.join(dirs.input, `payments-${f}.jsonl`), lines.join('\n') + '\n');
  }

  let kills = 0;
  let finishedEarly = false;
  for (let k = 0; k < KILLS && !finishedEarly; k++) {
    const run = start(dirs);
    const { jobId } = await run.started;
    if (!(await firstCheckpointOf(dirs.checkpoints, jobId, run))) {
      finishedEarly = true; // it ran to the end before its first checkpoint was seen
    } else {
      await sleep(Math.floor(random() * 300));
      run.child.kill('SIGKILL');
    }
    const exit = await run.exited;
    if (exit.signal === 'SIGKILL') kills++;
    else {
      expect(exit).toMatchObject({ code: 0 });
      finishedEarly = true;
    }
  }
  expect(kills).toBeGreaterThan(0);

  if (!finishedEarly) {
    const last = start(dirs);
    const exit = await last.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
  }

  // Every payment once, each account's balances in file order, as the reference computes them.
  const expected = new Map<string, number[]>();
  const totals = new Map<string, number>();
  for (let f = 0; f < FILES; f++) {
    for (let j = 0; j < PER_FILE; j++) {
      const p = payment(f, j);
      const t = (totals.get(p.account) ?? 0) + p.amount;
      totals.set(p.account, t);
      expected.set(p.account, [...(expected.get(p.account) ?? []), t]);
    }
  }
  const lines = readCommittedLines(dirs.output).map((l) => JSON.parse(l) as Balance);
  const seqs = lines.map((b) => b.seq).sort((a, b) => a - b);
  expect(seqs).toEqual(Array.from({ length: FILES * PER_FILE }, (_, i) => i));
  const got = new Map<string, number[]>();
  for (const b of [...lines].sort((x, y) => x.seq - y.seq)) got.set(b.account, [...(got.get(b.account) ?? []), b.balance]);
  expect(new Map([...got].sort())).toEqual(new Map([...expected].sort()));

  // Nothing left over: no in-progress sink files; only the last run's final checkpoint.
  expect(fs.readdirSync(dirs.output).filter((n) => n.startsWith('.'))).toEqual([]);
  const retained = await listRetainedCheckpoints(dirs.checkpoints);
  expect(retained).toHaveLength(1);
  expect(fs.readdirSync(dirs.checkpoints)).toEqual([retained[0].jobId]);
  expect(fs.readdirSync(path.join(dirs.checkpoints, retained[0].jobId))).toEqual([path.basename(path.dirname(retained[0].location))]);

  // The final checkpoint's keyed state is the reference's totals.
  const final = await loadCheckpoint(new FileSystemCheckpointStorage(dirs.checkpoints), retained[0].location);
  expect(new Map([...readKeyedState(final.state, 'balances', 'balance')].sort())).toEqual(new Map([...totals].sort()));
}, 120_000);
