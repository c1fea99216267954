/**
 * What two busy processes get from this machine: an allocation-heavy loop
 * shaped like a keyed sum (an object per record, a copy, a Map of 10,000
 * string keys updated with a new object) run in one child process alone,
 * then in two child processes at once. If the two cores were independent
 * each copy would keep its rate; the ratio says how much two node
 * processes slow each other before any engine code runs.
 */
import { spawn } from 'node:child_process';
import type { CaseResult, Measurement } from './harness';

const N = 30_000_000;

/** The loop, run in a child: prints records/s and its CPU seconds. */
function loop(n: number): void {
  const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
  const m = new Map<string, { key: string; amount: number }>();
  const run = (count: number) => {
    let s = 0;
    for (let i = 0; i < count; i++) {
      const r = { key: keys[(i * 7919) % 10_000], amount: i % 10 };
      const c = { key: r.key, amount: r.amount * 2 };
      const prev = m.get(c.key);
      const next = prev === undefined ? { key: c.key, amount: c.amount } : { key: c.key, amount: prev.amount + c.amount };
      m.set(c.key, next);
      s += next.amount & 1;
    }
    return s;
  };
  run(2_000_000);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  run(n);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ rate: n / seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
}

function child(): Promise<{ rate: number; cpuSeconds: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [__filename, 'loop'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { rate: number; cpuSeconds: number }) : reject(new Error(`loop child exited ${code}`))));
  });
}

export async function run(): Promise<CaseResult> {
  const alone = await child();
  const [a, b] = await Promise.all([child(), child()]);
  const m = (label: string, r: { rate: number }): Measurement => ({ label, records: N, seconds: N / r.rate, recordsPerSecond: r.rate });
  return {
    name: 'machine: two busy processes against one',
    measurements: [m('one process alone', alone), m('two at once: first', a), m('two at once: second', b)],
    ratios: {
      'rate of each of two / alone (mean)': (a.rate + b.rate) / 2 / alone.rate,
      'CPU for the same work, each of two / alone (mean)': (a.cpuSeconds + b.cpuSeconds) / 2 / alone.cpuSeconds,
    },
    targets: {},
  };
}

if (require.main === module) {
  if (process.argv[2] === 'loop') loop(N);
  else void run().then((r) => console.log(JSON.stringify(r, null, 2)));
}
