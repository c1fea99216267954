/**
 * The alerting scenario on a manual clock: a device that stops reporting
 * raises exactly one SILENT alert `timeoutMs` after its last heartbeat and
 * one RECOVERED notice when it reports again; devices that keep reporting
 * raise none.
 */
import { ManualClock } from '../lib/testing/ManualClock';
import { deviceAlerts, type DeviceAlert } from './deviceAlerts';

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}

test('one SILENT alert after the timeout, one RECOVERED when the device reports again, none for the others', async () => {
  const clock = new ManualClock(0);
  const alerts: DeviceAlert[] = [];
  let seen = 0;
  const quiet = (n: number) => n % 4 === 2 && n >= 20 && n < 60;
  /** Heartbeats 0..n that reach the detector. */
  const delivered = (n: number) => Array.from({ length: n + 1 }, (_, i) => i).filter((i) => !quiet(i)).length;
  // 100 heartbeats/s: heartbeat n at n × 10 ms; sensor-2 sends every 40 ms and is quiet for heartbeats 20..59.
  const job = deviceAlerts((a) => void alerts.push(a), {
    timeoutMs: 100,
    clock,
    fleet: { ratePerSecond: 100, devices: 4, quiet: { device: 'sensor-2', fromSeq: 20, toSeq: 60 } },
    onHeartbeat: () => void seen++,
  });
  try {
    // Each step waits until the detector handled the heartbeat, so it sees the time the heartbeat was sent.
    await until(() => seen === 1);
    for (let n = 1; n <= 80; n++) {
      clock.advance(10);
      await until(() => seen === delivered(n));
    }
    await until(() => alerts.length === 2);
    // sensor-2's last heartbeat before the gap is n = 18 (180 ms); it reports again at n = 62 (620 ms).
    expect(alerts).toEqual([
      { device: 'sensor-2', kind: 'SILENT', at: 280, lastSeen: 180 },
      { device: 'sensor-2', kind: 'RECOVERED', at: 620, lastSeen: 180 },
    ]);
  } finally {
    await job.cancel();
  }
});
