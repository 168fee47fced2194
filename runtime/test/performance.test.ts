import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Level, Metric, RunStatus } from "../src/common/enums";
import { TrackerManager } from "../src/tracking/tracker-manager";
import type { MetricPoint, TrackerLike } from "../src/tracking/types";
import { PerformanceTracker } from "../src/tracking/plugins/performance/performance-tracker";
import { GpuMonitor } from "../src/tracking/plugins/performance/gpu-monitor";
import type { Snapshot } from "../src/tracking/plugins/performance/system-sampler";
import { tempDirs } from "./helpers/env";
import { RecordingTracker } from "./helpers/recording-tracker";
import { waitFor } from "./helpers/wait";

const tmp = tempDirs("perf-test-");
const readJson = (...p: string[]) => JSON.parse(fs.readFileSync(path.join(...p), "utf8"));

function snapshot(over: Partial<Snapshot> = {}): Snapshot {
  return {
    timestamp: Date.now(),
    cpu_percent: 20,
    memory_percent: 40,
    memory_used_gb: 8,
    memory_available_gb: 12,
    process_cpu_percent: 5,
    process_rss_mb: 100,
    heap_used_mb: 20,
    event_loop_lag_ms: 1,
    event_loop_lag_max_ms: 3,
    load_average: [0.5, 0.4, 0.3],
    gpus: [],
    ...over,
  };
}

/** A tracker that records the points it receives, at every level. */
function pointRecorder(ws: string, points: MetricPoint[]): TrackerLike {
  const t: TrackerLike = {
    workspace: ws,
    track: (p) => points.push(p),
    onCreate() {},
    onStart() {},
    onEnd() {},
    logParams() {},
    onCheckpoint() {},
    onAddArtifact() {},
    createChild: () => t,
    flush() {},
    close() {},
  };
  return t;
}

/** Builds root -> trial -> run managers with a PerformanceTracker. */
function hierarchy(options: ConstructorParameters<typeof PerformanceTracker>[1]) {
  const ws = tmp();
  const log: string[] = [];
  const root = new PerformanceTracker(ws, {
    ...options,
    log: { warning: (m) => log.push(`WARNING ${m}`), error: (m) => log.push(`ERROR ${m}`) },
  });
  const points: MetricPoint[] = [];
  const manager = new TrackerManager(ws);
  manager.addTracker(root, "PerformanceTracker");
  // The samples reach the environment's other trackers through the manager (PointSource.sink).
  manager.addTracker(pointRecorder(ws, points), "Recorder");
  manager.onCreate(Level.EXPERIMENT, "exp");
  manager.onStart(Level.EXPERIMENT);
  const trial = manager.createChild(path.join(ws, "t"));
  trial.onCreate(Level.TRIAL, "t");
  trial.onStart(Level.TRIAL);
  const run = trial.createChild(path.join(ws, "t", "t-0"));
  run.onCreate(Level.TRIAL_RUN, { repeat: 0 });
  run.onStart(Level.TRIAL_RUN);
  const trackers = [root, trial.trackers[0] as PerformanceTracker, run.trackers[0] as PerformanceTracker];
  /** What the sampling timer does: every running level's tracker gets the sample. */
  const feed = (s: Snapshot) => trackers.forEach((t) => t.recordSample(s));
  return { ws, log, root, points, manager, trial, run, trackers, feed };
}

test("samples become perf/* metric points of the run (step = sample index), summaries per level, alerts once per crossing", async () => {
  const h = hierarchy({ test_mode: true });
  h.run.onStart(Level.EPOCH, 0);
  h.feed(snapshot({ cpu_percent: 30 }));
  h.feed(snapshot({ cpu_percent: 97 })); // critical CPU alert
  h.feed(snapshot({ cpu_percent: 98 })); // still high: no second alert
  h.run.onEnd(Level.EPOCH);
  h.run.onStart(Level.EPOCH, 1);
  h.feed(snapshot({ cpu_percent: 50 })); // re-armed
  h.feed(snapshot({ cpu_percent: 92, memory_percent: 96, memory_used_gb: 30.04 })); // CPU warning, memory critical
  h.feed(snapshot({ gpus: [{ index: 0, utilization: 99, memoryUsedGb: 10, memoryTotalGb: 16, temperature: 70 }] }));
  h.run.track(Metric.CUSTOM, [
    ["throughput", 1200],
    ["samples/s", 64],
  ]);
  h.run.track(Metric.TRAIN_LOSS, 0.5); // not CUSTOM: not performance data (as the original)
  h.run.onEnd(Level.EPOCH);
  h.run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
  h.trial.onEnd(Level.TRIAL);
  h.manager.onEnd(Level.EXPERIMENT);
  await h.manager.close();
  assert.equal(h.manager.hadFailures, false, h.manager.failureSummary().join("\n"));

  // Alerts: log lines, once per crossing, critical as ERROR.
  assert.deepEqual(h.log, [
    "ERROR PERFORMANCE ALERT: CPU usage 97.0% is above the 90% threshold (critical).",
    "WARNING PERFORMANCE ALERT: CPU usage 92.0% is above the 90% threshold (warning).",
    "ERROR PERFORMANCE ALERT: Memory usage 96.0% (30.0GB) is above the 90% threshold (critical).",
    "WARNING PERFORMANCE ALERT: GPU 0 utilization 99.0% is above the 95% threshold (warning).",
  ]);

  // Points: only the run-level tracker emits them (so each sample is stored once, in its run),
  // 8 keys per sample plus 3 per GPU, and they never come back to the PerformanceTracker.
  const perf = h.points.filter((p) => p.key.startsWith("perf/"));
  const keys = [...new Set(perf.map((p) => p.key))].sort();
  assert.deepEqual(keys, [
    "perf/cpu_percent",
    "perf/event_loop_lag_ms",
    "perf/gpu0_memory_used_gb",
    "perf/gpu0_temperature",
    "perf/gpu0_utilization",
    "perf/heap_used_mb",
    "perf/load_average_1m",
    "perf/memory_percent",
    "perf/memory_used_gb",
    "perf/process_cpu_percent",
    "perf/process_rss_mb",
  ]);
  const cpu = h.points.filter((p) => p.key === "perf/cpu_percent");
  assert.deepEqual(
    cpu.map((p) => [p.step, p.value, p.epoch]),
    [
      [0, 30, 0],
      [1, 97, 0],
      [2, 98, 0],
      [3, 50, 1],
      [4, 92, 1],
      [5, 20, 1],
    ],
  );
  assert.ok(perf.every((p) => p.scope === "run" && p.custom && typeof p.value === "number"));
  assert.equal(perf.length, 6 * 8 + 3);

  const runDir = path.join(h.ws, "t", "t-0", "artifacts");
  const rootDir = path.join(h.ws, "artifacts");
  const runSummary = readJson(runDir, "summary_trial_run.json");
  assert.equal(runSummary.measurement_count, 6);
  assert.deepEqual(runSummary.cpu, { avg: 64.5, max: 98, min: 20 });
  assert.equal(runSummary.memory.max, 96);
  assert.equal(runSummary.memory.peak_gb, 30.04);
  assert.deepEqual(runSummary.alerts, { total: 4, critical: 2, warnings: 2 });
  assert.deepEqual(runSummary.gpu, { avg_utilization: 99, max_utilization: 99, peak_memory_gb: 10, gpu_count: 1 });
  assert.ok(runSummary.time_range.start <= runSummary.time_range.end);
  // The epoch summary covers the last epoch only (written at each epoch end, as the original).
  assert.equal(readJson(runDir, "summary_epoch.json").measurement_count, 3);
  // Every level's tracker saw the same samples and counted the same alerts (logged once).
  assert.equal(readJson(path.join(h.ws, "t", "artifacts"), "summary_trial.json").measurement_count, 6);
  assert.deepEqual(readJson(rootDir, "summary_experiment.json").alerts, { total: 4, critical: 2, warnings: 2 });

  assert.deepEqual(
    readJson(runDir, "level_creation_trial_run.json").map((e: { level: string }) => e.level),
    ["trial_run"],
  );
  // CUSTOM lists: one entry per name (the original stored the whole pair as the name).
  assert.deepEqual(
    readJson(runDir, "custom_performance_metrics.json").map((e: { metric: string; value: number; level: string }) => [
      e.metric,
      e.value,
    ]),
    [
      ["throughput", 1200],
      ["samples/s", 64],
    ],
  );
  assert.equal(readJson(runDir, "performance_alerts.json").length, 4);
  assert.equal(readJson(runDir, "performance_data.json").history.length, 6);
  assert.equal(readJson(runDir, "overall_performance_summary.json").measurement_count, 6);
  assert.equal(fs.existsSync(path.join(runDir, "baseline_trial_run.json")), false, "lightweight mode: no baselines");
});

test("bottlenecks are named after 10 samples; baselines written when not lightweight", async () => {
  const h = hierarchy({ test_mode: true, lightweight_mode: false, enable_alerts: false });
  for (let i = 0; i < 12; i++) h.feed(snapshot({ memory_percent: 85, cpu_percent: 10 }));
  h.run.onEnd(Level.TRIAL_RUN);
  await h.manager.close();
  const runDir = path.join(h.ws, "t", "t-0", "artifacts");
  const analysis = readJson(runDir, "bottleneck_analysis.json");
  assert.equal(analysis.primary_bottleneck, "memory");
  assert.deepEqual(analysis.bottleneck_distribution, { memory: 3 });
  assert.match(analysis.recommendations.join(" "), /Memory is nearly full/);
  const baseline = readJson(runDir, "baseline_trial_run.json");
  assert.ok(baseline.memory_percent > 0 && baseline.memory_percent <= 100, "a real sample");
  assert.deepEqual(h.log, []);
});

test("real sampling: the timer samples this machine while a run is running and stops at the end", async () => {
  const h = hierarchy({ monitoring_interval: 0.02 });
  const runTracker = h.trackers[2];
  await waitFor("three samples", () => h.points.filter((p) => p.key === "perf/cpu_percent").length >= 3);
  assert.equal(runTracker.sampler.running, true);
  const byKey = (k: string) => h.points.filter((p) => p.key === k).map((p) => p.value as number);
  for (const v of [...byKey("perf/cpu_percent"), ...byKey("perf/memory_percent")])
    assert.ok(v >= 0 && v <= 100, String(v));
  for (const v of byKey("perf/process_rss_mb")) assert.ok(v > 1);
  for (const v of byKey("perf/event_loop_lag_ms")) assert.ok(v >= 0);
  h.run.onEnd(Level.TRIAL_RUN);
  h.trial.onEnd(Level.TRIAL);
  h.manager.onEnd(Level.EXPERIMENT);
  await h.manager.close();
  assert.equal(runTracker.sampler.running, false);
  assert.ok(readJson(h.ws, "t", "t-0", "artifacts", "summary_trial_run.json").measurement_count >= 3);
});

test("GPU: readings come from a long-lived nvidia-smi child (a stand-in script here); absent nvidia-smi is no error", async () => {
  const dir = tmp();
  const fake = path.join(dir, "nvidia-smi");
  // Prints two GPUs every interval, as `nvidia-smi --query-gpu=... --format=csv,noheader,nounits -lms=N` does.
  fs.writeFileSync(
    fake,
    `#!/bin/sh\necho "$@" > "${dir}/args"\nwhile true; do echo "0, 87, 4096, 16384, 65"; echo "1, [N/A], 1024, 8192, 50"; sleep 0.05; done\n`,
    { mode: 0o755 },
  );
  const gpu = new GpuMonitor(fake);
  gpu.start(100);
  await waitFor("GPU readings", () => gpu.readings().length === 2);
  assert.deepEqual(gpu.readings(), [
    { index: 0, utilization: 87, memoryUsedGb: 4, memoryTotalGb: 16, temperature: 65 },
    { index: 1, utilization: 0, memoryUsedGb: 1, memoryTotalGb: 8, temperature: 50 },
  ]);
  assert.equal(
    fs.readFileSync(path.join(dir, "args"), "utf8").trim(),
    "--query-gpu=index,utilization.gpu,memory.used,memory.total,temperature.gpu --format=csv,noheader,nounits -lms=100",
  );
  gpu.stop();

  const missing = new GpuMonitor(path.join(dir, "no-such-nvidia-smi"));
  missing.start(100);
  await waitFor("spawn error", () => !missing.available);
  assert.deepEqual(missing.readings(), []);

  // Through the tracker: GPU points in the run.
  const ws = tmp();
  const root = new PerformanceTracker(ws, {
    monitoring_interval: 0.05,
    gpuCommand: fake,
    log: { warning() {}, error() {} },
  });
  const points: MetricPoint[] = [];
  const manager = new TrackerManager(ws);
  manager.addTracker(root);
  manager.addTracker(pointRecorder(ws, points));
  const run = manager.createChild(path.join(ws, "r"));
  run.onCreate(Level.TRIAL_RUN);
  run.onStart(Level.TRIAL_RUN);
  await waitFor("GPU points", () => points.some((p) => p.key === "perf/gpu1_memory_used_gb"));
  run.onEnd(Level.TRIAL_RUN);
  await manager.close();
  assert.ok(points.filter((p) => p.key === "perf/gpu0_utilization").every((p) => p.value === 87));
});

test("options are checked with clear messages; an unwritable folder is reported once and the run goes on", async () => {
  const ws = tmp();
  assert.throws(
    () => PerformanceTracker.fromConfig({ monitoring_interval: 0 }, ws),
    /'monitoring_interval' must be a number of at least 0.01/,
  );
  assert.throws(
    () => PerformanceTracker.fromConfig({ cpu_threshold: 120 }, ws),
    /'cpu_threshold' must be a number from 0 to 100/,
  );
  assert.throws(
    () => PerformanceTracker.fromConfig({ enable_alerts: "yes" }, ws),
    /'enable_alerts' must be true or false/,
  );
  const t = PerformanceTracker.fromConfig({ monitoring_interval: 2, history_size: 5 }, ws);
  assert.equal(t.options.monitoring_interval, 2);
  assert.equal(t.options.history_size, 5);
  assert.equal(t.options.lightweight_mode, true);

  const bad = tmp();
  fs.writeFileSync(path.join(bad, "artifacts"), "a file where the folder should be");
  const reports: string[] = [];
  const manager = new TrackerManager(bad, { report: (m) => reports.push(m) });
  manager.addTracker(new PerformanceTracker(bad, { test_mode: true }), "PerformanceTracker");
  const other = new RecordingTracker(bad);
  manager.addTracker(other, "Other");
  manager.onCreate(Level.EXPERIMENT, "x");
  manager.onStart(Level.EXPERIMENT);
  manager.track(Metric.CUSTOM, ["a", 1]);
  manager.onEnd(Level.EXPERIMENT);
  await manager.close();
  assert.equal(reports.length, 1);
  assert.match(
    reports[0],
    /PerformanceTracker cannot write .*level_creation_experiment\.json.*Make the folder writable/,
  );
  assert.deepEqual(
    other.points.map((p) => p.key),
    ["a"],
  );
});
