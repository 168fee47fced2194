import type { Snapshot } from "./system-sampler";

export interface Alert {
  timestamp: number;
  /** "cpu", "memory", "gpu_<i>". */
  resource: string;
  severity: "warning" | "critical";
  value: number;
  threshold: number;
  message: string;
}

export type Resource = "cpu" | "memory" | "gpu" | "event_loop";

class Stat {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  add(v: number): void {
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }
  get avg(): number {
    return this.count ? this.sum / this.count : 0;
  }
  json() {
    return { avg: r2(this.avg), max: r2(this.count ? this.max : 0), min: r2(this.count ? this.min : 0) };
  }
}

/**
 * Running statistics of one level (experiment, trial, trial run, epoch): constant memory, so a
 * week-long run at 1 Hz costs nothing more than a short one. `json()` is the original's
 * `get_performance_summary(level)` shape, plus process and event-loop figures.
 */
export class LevelSummary {
  private count = 0;
  private start: number | undefined;
  private end: number | undefined;
  private readonly cpu = new Stat();
  private readonly memory = new Stat();
  private peakMemoryGb = 0;
  private readonly processCpu = new Stat();
  private peakRssMb = 0;
  private readonly lag = new Stat();
  private lagMax = 0;
  private readonly gpuUtil = new Stat();
  private gpuPeakMemoryGb = 0;
  private gpuCount = 0;
  private alertsTotal = 0;
  private alertsCritical = 0;
  private readonly bottlenecks = new Map<Resource, number>();

  constructor(readonly level: string) {}

  get measurementCount(): number {
    return this.count;
  }

  add(s: Snapshot, primaryBottleneck?: Resource): void {
    this.count++;
    this.start ??= s.timestamp;
    this.end = s.timestamp;
    this.cpu.add(s.cpu_percent);
    this.memory.add(s.memory_percent);
    this.peakMemoryGb = Math.max(this.peakMemoryGb, s.memory_used_gb);
    this.processCpu.add(s.process_cpu_percent);
    this.peakRssMb = Math.max(this.peakRssMb, s.process_rss_mb);
    this.lag.add(s.event_loop_lag_ms);
    this.lagMax = Math.max(this.lagMax, s.event_loop_lag_max_ms);
    for (const g of s.gpus) {
      this.gpuUtil.add(g.utilization);
      this.gpuPeakMemoryGb = Math.max(this.gpuPeakMemoryGb, g.memoryUsedGb);
    }
    this.gpuCount = Math.max(this.gpuCount, s.gpus.length);
    if (primaryBottleneck) this.bottlenecks.set(primaryBottleneck, (this.bottlenecks.get(primaryBottleneck) ?? 0) + 1);
  }

  addAlert(alert: Alert): void {
    this.alertsTotal++;
    if (alert.severity === "critical") this.alertsCritical++;
  }

  /** `{}` when nothing was sampled, as the original. */
  json(): Record<string, unknown> {
    if (this.count === 0) return {};
    const out: Record<string, unknown> = {
      level: this.level,
      measurement_count: this.count,
      time_range: {
        start: new Date(this.start!).toISOString(),
        end: new Date(this.end!).toISOString(),
        duration_minutes: r2((this.end! - this.start!) / 60000),
      },
      cpu: this.cpu.json(),
      memory: { ...this.memory.json(), peak_gb: r2(this.peakMemoryGb) },
      process: { cpu: this.processCpu.json(), peak_rss_mb: r2(this.peakRssMb) },
      event_loop_lag_ms: { avg: r2(this.lag.avg), max: r2(this.lagMax) },
      alerts: {
        total: this.alertsTotal,
        critical: this.alertsCritical,
        warnings: this.alertsTotal - this.alertsCritical,
      },
    };
    if (this.gpuCount > 0) {
      out.gpu = {
        avg_utilization: r2(this.gpuUtil.avg),
        max_utilization: r2(this.gpuUtil.max),
        peak_memory_gb: r2(this.gpuPeakMemoryGb),
        gpu_count: this.gpuCount,
      };
    }
    if (this.bottlenecks.size > 0) {
      const distribution = Object.fromEntries(this.bottlenecks);
      const primary = [...this.bottlenecks].sort((a, b) => b[1] - a[1])[0][0];
      out.bottlenecks = { primary_bottleneck: primary, bottleneck_distribution: distribution };
    }
    return out;
  }
}

/**
 * The original's bottleneck scores, on what we sample: cpu/100, memory/100, max GPU
 * utilisation/100, and event-loop lag (100 ms = 1) in place of disk and network.
 */
export function bottleneckScores(s: Snapshot): Record<Resource, number> {
  return {
    cpu: s.cpu_percent / 100,
    memory: s.memory_percent / 100,
    gpu: s.gpus.length ? Math.max(...s.gpus.map((g) => g.utilization)) / 100 : 0,
    event_loop: Math.min(s.event_loop_lag_ms / 100, 1),
  };
}

export function primaryBottleneck(s: Snapshot): Resource {
  const scores = bottleneckScores(s);
  return (Object.keys(scores) as Resource[]).reduce((a, b) => (scores[b] > scores[a] ? b : a));
}

/** The original's recommendation rules (cpu > 0.8, memory > 0.8, gpu > 0.9), plus the event loop. */
export function recommendations(scores: Record<Resource, number>): string[] {
  const out: string[] = [];
  if (scores.cpu > 0.8)
    out.push(
      "CPU is the bottleneck: use fewer data-loading workers in this process, or move preprocessing out of the training loop.",
    );
  if (scores.memory > 0.8) out.push("Memory is nearly full: reduce the batch size or cache less data in memory.");
  if (scores.gpu > 0.9)
    out.push("The GPU is saturated: this is the expected state for training; consider mixed precision to go further.");
  if (scores.event_loop > 0.5)
    out.push(
      "The event loop is blocked for long stretches: move synchronous work out of the run's main loop (worker threads, async I/O).",
    );
  return out;
}

const r2 = (n: number) => Math.round(n * 100) / 100;
