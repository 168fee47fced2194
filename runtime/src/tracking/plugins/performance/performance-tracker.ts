import * as fs from "node:fs";
import * as path from "node:path";
import { Level, levelName } from "../../../common/enums";
import type { Environment } from "../../../env/environment";
import { Tracker, closeAll } from "../../tracker";
import type { ArtifactInfo, CheckpointInfo, LevelInfo, LifecycleContext, MetricPoint, TrackerLike } from "../../types";
import { describeValue } from "../../metric-value";
import { jsonReplacer } from "../../../common/non-finite";
import { LevelSummary, bottleneckScores, primaryBottleneck, recommendations, type Alert } from "./level-summary";
import { SystemSampler, type Snapshot } from "./system-sampler";

export interface PerformanceTrackerOptions {
  /** Seconds between samples. */
  monitoring_interval: number;
  enable_alerts: boolean;
  enable_bottleneck_detection: boolean;
  cpu_threshold: number;
  memory_threshold: number;
  gpu_threshold: number;
  history_size: number;
  /** Skip baseline snapshots at level starts. */
  lightweight_mode: boolean;
  /** Do not start the sampling timer (tests feed samples with `recordSample`). */
  test_mode: boolean;
}

export const PERFORMANCE_DEFAULTS: PerformanceTrackerOptions = {
  monitoring_interval: 1.0,
  enable_alerts: true,
  enable_bottleneck_detection: true,
  cpu_threshold: 90,
  memory_threshold: 90,
  gpu_threshold: 95,
  history_size: 1000,
  lightweight_mode: true,
  test_mode: false,
};

/** Where alert lines go: the environment's logger (so they reach the log file and the run's events). */
export interface AlertLog {
  warning(message: string): void;
  error(message: string): void;
}

/** Metric keys of the samples, so they chart like any other metric. */
export const PERF_KEYS = {
  cpu: "perf/cpu_percent",
  memory: "perf/memory_percent",
  memoryUsed: "perf/memory_used_gb",
  processCpu: "perf/process_cpu_percent",
  rss: "perf/process_rss_mb",
  heap: "perf/heap_used_mb",
  lag: "perf/event_loop_lag_ms",
  load: "perf/load_average_1m",
} as const;

/** Below the threshold by this much before the same alert can fire again. */
const REARM_MARGIN = 5;

/** State shared by a tracker and its children: one sampler, one alert state, one log. */
class Shared {
  readonly sampler: SystemSampler;
  private readonly armed = new Map<string, boolean>();
  private lastSnapshot: Snapshot | undefined;
  private lastAlerts: Alert[] = [];
  constructor(
    readonly options: PerformanceTrackerOptions,
    readonly log: AlertLog,
    gpuCommand?: string,
  ) {
    this.sampler = new SystemSampler(options.monitoring_interval * 1000, { gpuCommand });
  }

  /**
   * Alerts for one sample, each raised once per crossing (then re-armed when the value falls
   * REARM_MARGIN points below the threshold), so a saturated machine logs one line, not one a second.
   */
  alertsFor(s: Snapshot): Alert[] {
    if (!this.options.enable_alerts) return [];
    // Every tracker of the hierarchy sees the same sample: judge it (and log) once.
    if (s === this.lastSnapshot) return this.lastAlerts;
    this.lastSnapshot = s;
    const out: Alert[] = (this.lastAlerts = []);
    const check = (
      resource: string,
      value: number,
      threshold: number,
      label: string,
      critical: boolean,
      extra = "",
    ) => {
      const armed = this.armed.get(resource) ?? true;
      if (value > threshold && armed) {
        this.armed.set(resource, false);
        const severity = critical ? "critical" : "warning";
        const message = `PERFORMANCE ALERT: ${label} ${value.toFixed(1)}%${extra} is above the ${threshold}% threshold (${severity}).`;
        out.push({ timestamp: s.timestamp, resource, severity, value, threshold, message });
        if (critical) this.log.error(message);
        else this.log.warning(message);
      } else if (value < threshold - REARM_MARGIN) {
        this.armed.set(resource, true);
      }
    };
    const o = this.options;
    check("cpu", s.cpu_percent, o.cpu_threshold, "CPU usage", s.cpu_percent > 95);
    check(
      "memory",
      s.memory_percent,
      o.memory_threshold,
      "Memory usage",
      s.memory_percent > 95,
      ` (${s.memory_used_gb.toFixed(1)}GB)`,
    );
    for (const g of s.gpus)
      check(`gpu_${g.index}`, g.utilization, o.gpu_threshold, `GPU ${g.index} utilization`, false);
    return out;
  }
}

/**
 * Samples the run process and the machine (CPU, memory, event-loop lag, GPU through
 * `nvidia-smi` when present) every `monitoring_interval` seconds while an experiment, trial or
 * trial run is running, and:
 *
 *  - records each sample of a trial run as metric points under `perf/...` keys (step = sample
 *    index in the run, scope "run"), handed to `sink` when one is set, so they chart like any
 *    other metric once the runtime wires it;
 *  - raises the original's threshold alerts (CPU, memory: critical above 95%; GPU) as log lines
 *    `PERFORMANCE ALERT: ...`, once per crossing, and to `alertSink` when set;
 *  - writes the original's JSON files in its `<ws>/artifacts`: `level_creation_<level>.json`,
 *    `baseline_<level>.json` (unless lightweight_mode), `summary_<level>.json` at each
 *    experiment, trial, trial-run and epoch end, `custom_performance_metrics.json` (CUSTOM
 *    points, by name; the original stored the pair as the name), `checkpoint_performance.json`,
 *    `performance_params.json`, `artifact_performance.json`, and at the end of its level
 *    `performance_data.json`, `performance_alerts.json`, `bottleneck_analysis.json`,
 *    `overall_performance_summary.json`. Batch levels write nothing (one file per batch would
 *    cost more than the batch).
 *
 * One timer serves the whole hierarchy; its cost is measured in test/bench/trackers.ts.
 */
export class PerformanceTracker extends Tracker {
  /**
   * Where this tracker's samples go as metric points: the TrackerManager sets it (PointSource)
   * to route them to the environment's other trackers.
   */
  sink?: (point: MetricPoint) => void;
  /** Set by the runtime: alerts as they are raised (e.g. to the run's event stream). */
  alertSink?: (alert: Alert) => void;

  private readonly shared: Shared;
  private readonly isRoot: boolean;
  private readonly children: PerformanceTracker[] = [];
  private ownLevel: Level | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly summaries = new Map<Level, LevelSummary>();
  private readonly overall = new LevelSummary("overall");
  private readonly history: Snapshot[] = [];
  private readonly alerts: Alert[] = [];
  private readonly creations = new Map<Level, unknown[]>();
  private readonly custom: unknown[] = [];
  private readonly checkpoints: unknown[] = [];
  private readonly artifacts: unknown[] = [];
  private currentLevel: Level | undefined;
  private epoch: number | null = null;
  private sampleIndex = 0;

  constructor(
    workspace: string,
    options: Partial<PerformanceTrackerOptions> & { log?: AlertLog; gpuCommand?: string } = {},
    shared?: Shared,
  ) {
    super(workspace);
    this.isRoot = shared === undefined;
    if (shared) {
      this.shared = shared;
      return;
    }
    const opts = { ...PERFORMANCE_DEFAULTS, ...stripUndefined(options) };
    validate(opts);
    const log = options.log ?? {
      warning: (m: string) => process.stderr.write(`${m}\n`),
      error: (m: string) => process.stderr.write(`${m}\n`),
    };
    this.shared = new Shared(opts, log, options.gpuCommand);
  }

  static fromConfig(config: Record<string, unknown>, workspace: string, env?: Environment): PerformanceTracker {
    const options: Partial<PerformanceTrackerOptions> = {};
    for (const key of Object.keys(PERFORMANCE_DEFAULTS) as (keyof PerformanceTrackerOptions)[]) {
      if (config[key] !== undefined) (options as Record<string, unknown>)[key] = config[key];
    }
    return new PerformanceTracker(workspace, { ...options, log: env?.logger });
  }

  get options(): Readonly<PerformanceTrackerOptions> {
    return this.shared.options;
  }

  /** The shared sampler (benchmarks measure it). */
  get sampler(): SystemSampler {
    return this.shared.sampler;
  }

  createChild(workspace: string): TrackerLike {
    const child = new PerformanceTracker(workspace, {}, this.shared);
    // `sink` is the TrackerManager's to set (each environment routes to its own trackers).
    child.alertSink = this.alertSink;
    this.children.push(child);
    return child;
  }

  // ---- lifecycle -------------------------------------------------------------------------

  onCreate(level: Level, info: LevelInfo, ctx: LifecycleContext): void {
    this.currentLevel = level;
    if (level === Level.EXPERIMENT || level === Level.TRIAL || level === Level.TRIAL_RUN) this.ownLevel = level;
    if (level === Level.BATCH) return;
    const list = this.creations.get(level) ?? [];
    list.push({
      level: levelName(level),
      timestamp: new Date(ctx.time).toISOString(),
      id: `perf_${levelName(level)}_${ctx.time}`,
      info: plain(info),
    });
    this.creations.set(level, list);
    this.writeJson(`level_creation_${levelName(level)}.json`, list);
  }

  onStart(level: Level, info: LevelInfo, _ctx: LifecycleContext): void {
    this.currentLevel = level;
    if (level === Level.BATCH || level === Level.PIPELINE) return;
    if (level === Level.EPOCH) this.epoch = info.epochId ?? null;
    if (level === Level.TRIAL_RUN) this.sampleIndex = 0;
    this.summaries.set(level, new LevelSummary(levelName(level)));
    if (this.ownLevel === undefined && level !== Level.EPOCH) this.ownLevel = level;
    if (level === this.ownLevel) this.startSampling();
    if (!this.shared.options.lightweight_mode)
      this.writeJson(`baseline_${levelName(level)}.json`, this.shared.sampler.sample());
  }

  onEnd(level: Level, _info: LevelInfo, _ctx: LifecycleContext): void {
    if (level === Level.BATCH || level === Level.PIPELINE) return;
    const summary = this.summaries.get(level);
    if (summary) this.writeJson(`summary_${levelName(level)}.json`, summary.json());
    if (level === Level.EPOCH) this.epoch = null;
    if (level === this.ownLevel) {
      this.stopSampling();
      this.save();
    }
    this.currentLevel = undefined;
  }

  // ---- samples ---------------------------------------------------------------------------

  /** Folds one sample into this tracker's summaries, alerts and points (the timer calls it). */
  recordSample(snapshot: Snapshot): void {
    const detect = this.shared.options.enable_bottleneck_detection && this.overall.measurementCount + 1 >= 10;
    const primary = detect ? primaryBottleneck(snapshot) : undefined;
    for (const summary of this.summaries.values()) summary.add(snapshot, primary);
    this.overall.add(snapshot, primary);
    this.history.push(snapshot);
    if (this.history.length > this.shared.options.history_size) this.history.shift();
    for (const alert of this.shared.alertsFor(snapshot)) {
      this.alerts.push(alert);
      for (const summary of this.summaries.values()) summary.addAlert(alert);
      this.overall.addAlert(alert);
      this.alertSink?.(alert);
    }
    if (this.ownLevel === Level.TRIAL_RUN) this.emitPoints(snapshot);
    this.sampleIndex++;
  }

  private emitPoints(s: Snapshot): void {
    const sink = this.sink;
    if (!sink) return;
    const step = this.sampleIndex;
    const emit = (key: string, value: number) =>
      sink({ key, value, step, scope: "run", custom: true, epoch: this.epoch, batch: null, time: s.timestamp });
    emit(PERF_KEYS.cpu, s.cpu_percent);
    emit(PERF_KEYS.memory, s.memory_percent);
    emit(PERF_KEYS.memoryUsed, s.memory_used_gb);
    emit(PERF_KEYS.processCpu, s.process_cpu_percent);
    emit(PERF_KEYS.rss, s.process_rss_mb);
    emit(PERF_KEYS.heap, s.heap_used_mb);
    emit(PERF_KEYS.lag, s.event_loop_lag_ms);
    emit(PERF_KEYS.load, s.load_average[0] ?? 0);
    for (const g of s.gpus) {
      emit(`perf/gpu${g.index}_utilization`, g.utilization);
      emit(`perf/gpu${g.index}_memory_used_gb`, g.memoryUsedGb);
      emit(`perf/gpu${g.index}_temperature`, g.temperature);
    }
  }

  private startSampling(): void {
    if (this.unsubscribe || this.shared.options.test_mode) return;
    this.unsubscribe = this.shared.sampler.subscribe((s) => this.recordSample(s));
  }

  private stopSampling(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  // ---- other events ----------------------------------------------------------------------

  track(point: MetricPoint): void {
    if (!point.custom) return; // as the original: only CUSTOM metrics are performance data
    this.custom.push({
      timestamp: new Date(point.time).toISOString(),
      metric: point.key,
      value:
        typeof point.value === "number" || typeof point.value === "string" || typeof point.value === "boolean"
          ? point.value
          : describeValue(point.value),
      step: point.step,
      level: this.currentLevel === undefined ? null : levelName(this.currentLevel),
    });
    if (this.custom.length > this.shared.options.history_size) this.custom.shift();
  }

  logParams(params: Record<string, unknown>, ctx: LifecycleContext): void {
    const o = this.shared.options;
    this.writeJson("performance_params.json", {
      timestamp: new Date(ctx.time).toISOString(),
      monitoring_interval: o.monitoring_interval,
      enable_alerts: o.enable_alerts,
      enable_bottleneck_detection: o.enable_bottleneck_detection,
      lightweight_mode: o.lightweight_mode,
      thresholds: { cpu: o.cpu_threshold, memory: o.memory_threshold, gpu: o.gpu_threshold },
      user_params: plain(params),
    });
  }

  onCheckpoint(checkpoint: CheckpointInfo, ctx: LifecycleContext): void {
    this.checkpoints.push({
      timestamp: new Date(ctx.time).toISOString(),
      checkpoint_path: checkpoint.path,
      epoch: checkpoint.epoch,
      metrics: plain(checkpoint.metrics),
      performance: this.history[this.history.length - 1] ?? null,
    });
    this.writeJson("checkpoint_performance.json", this.checkpoints);
  }

  onAddArtifact(level: Level, artifact: ArtifactInfo, ctx: LifecycleContext): void {
    this.artifacts.push({
      timestamp: new Date(ctx.time).toISOString(),
      level: levelName(level),
      artifact_path: artifact.path,
      artifact_type: artifact.type,
    });
    this.writeJson("artifact_performance.json", this.artifacts);
  }

  // ---- output ----------------------------------------------------------------------------

  /** The original's `save()`: everything this level gathered, as JSON files. */
  save(): void {
    if (this.custom.length > 0) this.writeJson("custom_performance_metrics.json", this.custom);
    if (this.overall.measurementCount === 0 && this.alerts.length === 0) return;
    this.writeJson("performance_data.json", { history: this.history });
    this.writeJson("performance_alerts.json", this.alerts);
    const last = this.history[this.history.length - 1];
    if (this.shared.options.enable_bottleneck_detection && last) {
      const scores = bottleneckScores(last);
      const summary = this.overall.json();
      this.writeJson("bottleneck_analysis.json", {
        current_scores: scores,
        primary_bottleneck:
          (summary.bottlenecks as { primary_bottleneck?: string } | undefined)?.primary_bottleneck ??
          primaryBottleneck(last),
        bottleneck_distribution:
          (summary.bottlenecks as { bottleneck_distribution?: unknown } | undefined)?.bottleneck_distribution ?? {},
        recommendations: recommendations(scores),
      });
    }
    this.writeJson("overall_performance_summary.json", this.overall.json());
  }

  /** This level's summary so far (the original's `get_performance_summary`). */
  summary(level?: Level): Record<string, unknown> {
    return level === undefined ? this.overall.json() : (this.summaries.get(level)?.json() ?? {});
  }

  flush(): void {
    if (this.custom.length > 0) this.writeJson("custom_performance_metrics.json", this.custom);
  }

  close(): void {
    const first = closeAll(this.children);
    this.stopSampling();
    if (this.isRoot) this.shared.sampler.stop(); // also ends the nvidia-smi child
    this.flush();
    if (first) throw first;
  }

  private writeJson(name: string, data: unknown): void {
    const file = path.join(this.workspace, name);
    try {
      fs.mkdirSync(this.workspace, { recursive: true });
      fs.writeFileSync(file, `${JSON.stringify(data, jsonReplacer, 2)}\n`);
    } catch (error) {
      throw new Error(
        `PerformanceTracker cannot write ${file}: ${(error as Error).message}. Make the folder writable (or free disk space).`,
        { cause: error },
      );
    }
  }
}

function validate(o: PerformanceTrackerOptions): void {
  const num = (k: keyof PerformanceTrackerOptions, min: number, max = Infinity) => {
    const v = o[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
      throw new Error(
        `PerformanceTracker option '${k}' must be a number${max < Infinity ? ` from ${min} to ${max}` : ` of at least ${min}`} (got ${JSON.stringify(v)}).`,
      );
    }
  };
  num("monitoring_interval", 0.01);
  num("cpu_threshold", 0, 100);
  num("memory_threshold", 0, 100);
  num("gpu_threshold", 0, 100);
  num("history_size", 1);
  for (const k of ["enable_alerts", "enable_bottleneck_detection", "lightweight_mode", "test_mode"] as const) {
    if (typeof o[k] !== "boolean")
      throw new Error(`PerformanceTracker option '${k}' must be true or false (got ${JSON.stringify(o[k])}).`);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(o).filter(([k, v]) => v !== undefined && k !== "log" && k !== "gpuCommand"),
  ) as Partial<T>;
}

/** Level info and params as JSON can hold them (no models or tensors). */
function plain(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value ?? null, jsonReplacer));
  } catch {
    return describeValue(value);
  }
}
