/**
 * Monitoring and alerting: devices send heartbeats; an alert goes out when
 * a device has been silent for `timeoutMs` of processing time, and a
 * recovery notice when it reports again. A KeyedProcessFunction per device
 * keeps one processing-time timer, moved forward by every heartbeat
 * (delete the old one, register the new one) — Flink's classic "timeout"
 * pattern. Timers and state are checkpointed, so a restarted job still
 * alerts for devices that went silent before the failure.
 *
 *   node dist/scenarios/deviceAlerts.js [seconds] [timeoutMs]
 *
 * The demo's fleet: five sensors at 10 heartbeats/s in total; sensor-3
 * goes quiet after 1.5 s and comes back after 4 s.
 */
import {
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
  type KeyedProcessFunction,
  type OnTimerContext,
  type RuntimeContext,
  type ValueState,
  type Clock,
} from '../index';

export interface Heartbeat {
  readonly device: string;
  readonly seq: number;
}

export interface DeviceAlert {
  readonly device: string;
  readonly kind: 'SILENT' | 'RECOVERED';
  /** Processing time (ms) of the alert. */
  readonly at: number;
  /** Processing time (ms) of the device's last heartbeat before the alert. */
  readonly lastSeen: number;
}

interface DeviceState {
  readonly lastSeen: number;
  /** The registered timer, ms. */
  readonly timer: number;
  readonly silent: boolean;
}

/** One timer per device, always `timeoutMs` after its last heartbeat. */
export class SilenceDetector implements KeyedProcessFunction<string, Heartbeat, DeviceAlert> {
  private state!: ValueState<DeviceState>;

  constructor(
    private readonly timeoutMs: number,
    private readonly onHeartbeat?: (h: Heartbeat) => void,
  ) {}

  open(ctx: RuntimeContext): void {
    this.state = ctx.getState(new ValueStateDescriptor<DeviceState>('device'));
  }

  processElement(h: Heartbeat, ctx: KeyedProcessContext<string>, out: Collector<DeviceAlert>): void {
    this.onHeartbeat?.(h);
    const timers = ctx.timerService();
    const now = timers.currentProcessingTime();
    const s = this.state.value();
    if (s !== undefined) {
      timers.deleteProcessingTimeTimer(s.timer);
      if (s.silent) out.collect({ device: h.device, kind: 'RECOVERED', at: now, lastSeen: s.lastSeen });
    }
    const timer = now + this.timeoutMs;
    timers.registerProcessingTimeTimer(timer);
    this.state.update({ lastSeen: now, timer, silent: false });
  }

  onTimer(time: number, ctx: OnTimerContext<string>, out: Collector<DeviceAlert>): void {
    const s = this.state.value();
    if (s === undefined || s.timer !== time) return;
    out.collect({ device: ctx.getCurrentKey(), kind: 'SILENT', at: time, lastSeen: s.lastSeen });
    this.state.update({ ...s, silent: true });
  }
}

export interface FleetOptions {
  /** Heartbeats per second, all devices together. */
  readonly ratePerSecond: number;
  readonly devices: number;
  /** The device that goes quiet, and the heartbeat numbers (of the whole fleet) during which it is quiet. */
  readonly quiet: { readonly device: string; readonly fromSeq: number; readonly toSeq: number };
}

export const DEMO_FLEET: FleetOptions = { ratePerSecond: 10, devices: 5, quiet: { device: 'sensor-3', fromSeq: 15, toSeq: 40 } };

/** Builds the job; alerts go to `onAlert`. Unbounded: cancel it when done. */
export function deviceAlerts(
  onAlert: (a: DeviceAlert) => void,
  options: { timeoutMs: number; fleet?: FleetOptions; clock?: Clock; /** Sees every heartbeat the detector handles. */ onHeartbeat?: (h: Heartbeat) => void },
) {
  const fleet = options.fleet ?? DEMO_FLEET;
  const env = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 0, ...(options.clock ? { clock: options.clock } : {}) });
  env.enableCheckpointing(1_000);
  env
    .fromGenerator('unbounded', (seq): Heartbeat => ({ device: `sensor-${seq % fleet.devices}`, seq }), { ratePerSecond: fleet.ratePerSecond })
    .uid('heartbeats')
    .setParallelism(1)
    .filter((h) => !(h.device === fleet.quiet.device && h.seq >= fleet.quiet.fromSeq && h.seq < fleet.quiet.toSeq))
    .keyBy((h) => h.device)
    .process(new SilenceDetector(options.timeoutMs, options.onHeartbeat))
    .uid('silence')
    .sinkTo(onAlert, 'Alerts')
    .setParallelism(1);
  return env.executeAsync('Device alerts');
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 6);
  const timeoutMs = Number(process.argv[3] ?? 1_000);
  const start = Date.now();
  const t = (ms: number) => `+${((ms - start) / 1000).toFixed(1)}s`;
  console.log(`Watching ${DEMO_FLEET.devices} sensors for ${seconds} s; alert after ${timeoutMs} ms of silence.`);
  const job = deviceAlerts(
    (a) => console.log(`${t(a.at)}  ${a.kind.padEnd(9)} ${a.device} (last heartbeat ${t(a.lastSeen)})`),
    { timeoutMs },
  );
  await new Promise((r) => setTimeout(r, seconds * 1000));
  await job.cancel();
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
