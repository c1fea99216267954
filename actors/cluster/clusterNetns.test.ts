/**
 * A cluster across network namespaces: two namespaces joined by a veth
 * pair, the coordinator and node n1 in one, node n2 in the other, each
 * bound to its veth address (--host, --data-host), and the client in the
 * second — so every byte between n2 and the rest crosses the veth link.
 * The keyed window fixture job with exactly-once checkpoints must write
 * exact output over a link shaped as a slow network: rate-limited (tc tbf),
 * and — where the kernel has sch_netem — with 20 ms delay and 1% loss.
 *
 * Needs root and `ip netns` (and sch_netem for the netem test); without
 * them the tests are skipped (test.skip) with the reason printed, never
 * passed silently. Namespaces are removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCommittedLines } from '../../lib/connectors/FileSink';
import { expectedLines } from './fixtures/windowedCounts';
import { killAll, listNodes, startNode, weir, type Proc } from './fixtures/processes';

const FIXTURE = path.join(__dirname, 'fixtures', 'windowedCounts.ts');
const RECORDS = 20_000;
const tag = `weir${process.pid}`;
const NS_A = `${tag}-a`;
const NS_B = `${tag}-b`;
const DEV_A = `${tag}a`.slice(-15);
const DEV_B = `${tag}b`.slice(-15);
// A /24 unlikely to be in use, varied per run so parallel runs do not collide.
const NET = `10.${200 + (process.pid % 50)}.${(process.pid >> 6) % 250}`;
const ADDR_A = `${NET}.1`;
const ADDR_B = `${NET}.2`;

function sh(args: readonly string[]): string {
  return execFileSync(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** Why namespaces cannot be used here, or undefined when they can. */
function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  try {
    sh(['ip', 'netns', 'add', `${tag}-probe`]);
    sh(['ip', 'netns', 'del', `${tag}-probe`]);
    return undefined;
  } catch (e) {
    return `\`ip netns\` is unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** Why `tc netem` cannot shape a link here (probed on the loopback of a scratch namespace), or undefined when it can. */
function netemMissing(): string | undefined {
  const probe = `${tag}-netem`;
  try {
    sh(['ip', 'netns', 'add', probe]);
    sh(['ip', 'netns', 'exec', probe, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']);
    return undefined;
  } catch (e) {
    return `tc netem is unavailable (${(e as Error & { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message}: the kernel lacks sch_netem)`;
  } finally {
    try {
      sh(['ip', 'netns', 'del', probe]);
    } catch {
      // never created
    }
  }
}

const unavailable = netnsUnavailable();
const netemUnavailable = unavailable ?? netemMissing();
if (unavailable !== undefined) console.warn(`SKIPPED clusterNetns.test.ts: ${unavailable}`);
else if (netemUnavailable !== undefined) console.warn(`SKIPPED the netem test of clusterNetns.test.ts: ${netemUnavailable}`);
const netnsTest = unavailable === undefined ? test : test.skip;
const netemTest = netemUnavailable === undefined ? test : test.skip;

let dir: string;

beforeAll(() => {
  if (unavailable !== undefined) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-netns-'));
  sh(['ip', 'netns', 'add', NS_A]);
  sh(['ip', 'netns', 'add', NS_B]);
  sh(['ip', 'link', 'add', DEV_A, 'type', 'veth', 'peer', 'name', DEV_B]);
  sh(['ip', 'link', 'set', DEV_A, 'netns', NS_A]);
  sh(['ip', 'link', 'set', DEV_B, 'netns', NS_B]);
  for (const [ns, dev, addr] of [
    [NS_A, DEV_A, ADDR_A],
    [NS_B, DEV_B, ADDR_B],
  ]) {
    sh(['ip', '-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev]);
    sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }
});

afterEach(async () => {
  await killAll();
  if (unavailable !== undefined) return;
  for (const [ns, dev] of [
    [NS_A, DEV_A],
    [NS_B, DEV_B],
  ]) {
    try {
      sh(['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', dev, 'root']);
    } catch {
      // no qdisc set
    }
  }
});

afterAll(() => {
  if (unavailable === undefined) {
    for (const ns of [NS_A, NS_B]) {
      try {
        sh(['ip', 'netns', 'del', ns]); // removes the veth pair with it
      } catch {
        // already gone
      }
    }
  }
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

/** Shapes both ends of the link with `tc qdisc add dev <veth> root <qdisc…>`. */
function shape(...qdisc: string[]): void {
  sh(['ip', 'netns', 'exec', NS_A, 'tc', 'qdisc', 'add', 'dev', DEV_A, 'root', ...qdisc]);
  sh(['ip', 'netns', 'exec', NS_B, 'tc', 'qdisc', 'add', 'dev', DEV_B, 'root', ...qdisc]);
}

/** Starts the coordinator and n1 in namespace A, n2 in B; runs the fixture from B; checks the output. */
async function runAcrossNamespaces(name: string): Promise<void> {
  const inA = ['ip', 'netns', 'exec', NS_A];
  const inB = ['ip', 'netns', 'exec', NS_B];
  const coordinator = weir('coordinator', ['coordinator', '--json', '--host', ADDR_A], {}, inA);
  const listening = await coordinator.waitFor('listening', (e) => e.event === 'listening');
  expect(listening.host).toBe(ADDR_A);
  const address = `${ADDR_A}:${listening.port}`;
  const nodes: Proc[] = [startNode(address, 'n1', 1, {}, ['--data-host', ADDR_A], inA), startNode(address, 'n2', 1, {}, ['--data-host', ADDR_B], inB)];
  await Promise.all(nodes.map((n) => n.waitFor('registered', (e) => e.event === 'registered')));
  const out = path.join(dir, `out-${name}`);
  const started = Date.now();
  const run = weir('run', ['run', '--coordinator', address, '-p', '2', '--checkpoint-dir', path.join(dir, `checkpoints-${name}`), '--checkpoint-interval', '200', '--json', FIXTURE, String(RECORDS), out], {}, inB);
  const { code } = await run.exited;
  expect({ code, result: run.events.at(-1), stderr: run.stderr }).toMatchObject({ code: 0, result: { status: 'FINISHED', restarts: 0 } });
  expect(readCommittedLines(out).sort()).toEqual(expectedLines(RECORDS));
  console.log(`${name}: the job ran ${Date.now() - started} ms across the namespaces`);
  // The nodes announced (and were reached at) their veth addresses.
  const listed = await listNodes(address, inB);
  expect(listed.map((n) => [n.nodeId, n.dataHost]).sort()).toEqual([
    ['n1', ADDR_A],
    ['n2', ADDR_B],
  ]);
}

netnsTest('nodes in two network namespaces joined by veth, over a rate-limited link: the job output is exact', async () => {
  shape('tbf', 'rate', '20mbit', 'burst', '32kbit', 'latency', '100ms');
  await runAcrossNamespaces('tbf');
});

netemTest('nodes in two network namespaces joined by veth, with 20 ms delay and 1% loss (tc netem) on the link: the job output is exact', async () => {
  shape('netem', 'delay', '20ms', 'loss', '1%');
  await runAcrossNamespaces('netem');
});
