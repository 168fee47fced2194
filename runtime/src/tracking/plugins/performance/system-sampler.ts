import * as os from "node:os";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { GpuMonitor, type GpuReading } from "./gpu-monitor";

/** One sample of the machine and this process. Field names follow the original's snapshot. */
export interface Snapshot {
  /** ms since the Unix epoch. */
  timestamp: number;
  /** Whole machine, percent of all cores, since the previous sample. */
  cpu_percent: number;
  memory_percent: number;
  memory_used_gb: number;
  memory_available_gb: number;
  /** This process, percent of one core (as psutil's Process.cpu_percent). */
  process_cpu_percent: number;
  process_rss_mb: number;
  heap_used_mb: number;
  /** Event-loop delay over the interval: mean and max, ms. */
  event_loop_lag_ms: number;
  event_loop_lag_max_ms: number;
  load_average: number[];
  gpus: GpuReading[];
}

export type SampleListener = (snapshot: Snapshot) => void;

const GB = 1024 ** 3;
const MB = 1024 ** 2;

/**
 * Samples at a fixed interval while anyone listens, one timer for the whole tracker hierarchy.
 * Each sample reads kernel counters that are already there (CPU times, free memory, rusage, an
 * event-loop histogram): a few tens of microseconds, so the default 1 s interval costs far below
 * 1% CPU. The timer is unref'd: sampling never keeps a finished process alive.
 */
export class SystemSampler {
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<SampleListener>();
  private lastCpu = cpuTimes();
  private lastProcess = process.cpuUsage();
  private lastTime = process.hrtime.bigint();
  private histogram: IntervalHistogram | undefined;
  readonly gpu: GpuMonitor;
  private readonly gpuEnabled: boolean;

  constructor(
    readonly intervalMs: number,
    options: { gpuCommand?: string; gpu?: boolean } = {},
  ) {
    this.gpu = new GpuMonitor(options.gpuCommand);
    this.gpuEnabled = options.gpu !== false;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  subscribe(listener: SampleListener): () => void {
    this.listeners.add(listener);
    if (!this.timer) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Takes a sample now (also what the timer calls). */
  sample(): Snapshot {
    const now = process.hrtime.bigint();
    const elapsedUs = Number(now - this.lastTime) / 1000;
    this.lastTime = now;
    const cpu = cpuTimes();
    const idle = cpu.idle - this.lastCpu.idle;
    const total = cpu.total - this.lastCpu.total;
    this.lastCpu = cpu;
    const proc = process.cpuUsage(this.lastProcess);
    this.lastProcess = process.cpuUsage();
    const totalMem = os.totalmem();
    const freeMem = os.freemem();
    const mem = process.memoryUsage();
    let lag = 0;
    let lagMax = 0;
    if (this.histogram) {
      // The histogram holds ns; an idle loop reads as the timer resolution, which is not lag.
      lag = Number.isFinite(this.histogram.mean) ? this.histogram.mean / 1e6 : 0;
      lagMax = this.histogram.max / 1e6;
      this.histogram.reset();
    }
    return {
      timestamp: Date.now(),
      cpu_percent: total > 0 ? round2(100 * (1 - idle / total)) : 0,
      memory_percent: round2((100 * (totalMem - freeMem)) / totalMem),
      memory_used_gb: round3((totalMem - freeMem) / GB),
      memory_available_gb: round3(freeMem / GB),
      process_cpu_percent: elapsedUs > 0 ? round2((100 * (proc.user + proc.system)) / elapsedUs) : 0,
      process_rss_mb: round2(mem.rss / MB),
      heap_used_mb: round2(mem.heapUsed / MB),
      event_loop_lag_ms: round3(lag),
      event_loop_lag_max_ms: round3(lagMax),
      load_average: os.loadavg().map(round2),
      gpus: this.gpu.readings(),
    };
  }

  private start(): void {
    this.lastCpu = cpuTimes();
    this.lastProcess = process.cpuUsage();
    this.lastTime = process.hrtime.bigint();
    this.histogram = monitorEventLoopDelay({ resolution: 20 });
    this.histogram.enable();
    if (this.gpuEnabled) this.gpu.start(this.intervalMs);
    this.timer = setInterval(() => {
      const snapshot = this.sample();
      for (const listener of [...this.listeners]) {
        try {
          listener(snapshot);
        } catch {
          /* a listener's failure is its own; sampling goes on */
        }
      }
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.histogram?.disable();
    this.histogram = undefined;
    this.gpu.stop();
  }
}

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const round3 = (n: number) => Math.round(n * 1000) / 1000;
