/**
 * Tracker benchmark: metric points per second through each of the TensorBoard, MLflow (file
 * store and REST against a local server) and Performance trackers alone, and the sampling cost
 * of the PerformanceTracker.
 *
 *   npx tsx test/bench/trackers.ts [points=1000000]
 *
 * Points go through tracker.track() as the TrackerManager hands them over (already flattened,
 * step resolved), with the flushes a run makes (an epoch end every 10,000 points) and a final
 * close, so the figures include the file writes. Prints figures; asserts nothing.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { Level } from "../../runtime/src/common/enums";
import type { LifecycleContext, MetricPoint, TrackerLike } from "../../runtime/src/tracking/types";
import { TensorBoardTracker } from "../../runtime/src/tracking/plugins/tensorboard/tensorboard-tracker";
import { MLflowTracker } from "../../runtime/src/tracking/plugins/mlflow/mlflow-tracker";
import { PerformanceTracker } from "../../runtime/src/tracking/plugins/performance/performance-tracker";
import { SystemSampler } from "../../runtime/src/tracking/plugins/performance/system-sampler";

const TOTAL = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const PER_EPOCH = 10_000;
const KEYS = ["train_loss", "train_acc", "learning_rate", "val_loss"];

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

function ctx(level: Level, epoch: number | null = null): LifecycleContext {
  return { ids: { experiment: "e", trial: "t", run: "r" }, level, time: Date.now(), epoch, batch: null };
}

/** Builds points ahead of time so the loop measures the tracker, not the point factory. */
function makePoints(n: number): MetricPoint[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    key: KEYS[i % KEYS.length],
    value: 1 / (1 + i),
    step: i >> 2,
    scope: "batch" as const,
    custom: i % 8 === 0,
    epoch: Math.floor(i / PER_EPOCH),
    batch: i % PER_EPOCH,
    time: now + i,
  }));
}

/** root -> trial -> run, as the TrackerManager builds them; returns the run-level tracker. */
function runLevel(root: TrackerLike, ws: string): TrackerLike {
  root.onCreate(Level.EXPERIMENT, { name: "bench" }, ctx(Level.EXPERIMENT));
  root.onStart(Level.EXPERIMENT, {}, ctx(Level.EXPERIMENT));
  const trial = root.createChild(path.join(ws, "trial"));
  trial.onCreate(Level.TRIAL, { name: "trial" }, ctx(Level.TRIAL));
  trial.onStart(Level.TRIAL, {}, ctx(Level.TRIAL));
  const run = trial.createChild(path.join(ws, "trial", "trial-0"));
  run.onCreate(Level.TRIAL_RUN, { repeat: 0 }, ctx(Level.TRIAL_RUN));
  run.onStart(Level.TRIAL_RUN, {}, ctx(Level.TRIAL_RUN));
  return run;
}

async function measure(label: string, build: (ws: string) => TrackerLike, points: MetricPoint[]): Promise<void> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), "bench-trackers-"));
  const root = build(ws);
  const run = runLevel(root, ws);
  const start = process.hrtime.bigint();
  for (let i = 0; i < points.length; i++) {
    run.track(points[i]);
    if ((i + 1) % PER_EPOCH === 0) {
      const epoch = (i + 1) / PER_EPOCH - 1;
      run.onEnd(Level.EPOCH, { epochId: epoch }, ctx(Level.EPOCH, epoch));
    }
  }
  run.onEnd(Level.TRIAL_RUN, { status: 1 }, ctx(Level.TRIAL_RUN));
  await root.flush();
  await root.close();
  const s = seconds(start);
  console.log(
    `${label.padEnd(34)} ${fmt(points.length / s).padStart(12)} points/s   (${fmt(points.length)} points in ${s.toFixed(2)} s, ${diskUse(ws)})`,
  );
  fs.rmSync(ws, { recursive: true, force: true });
}

function diskUse(dir: string): string {
  let bytes = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else bytes += fs.statSync(p).size;
    }
  };
  walk(dir);
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB on disk`;
}

/** A minimal MLflow REST server: accepts and counts; runs in this process, so it shares the CPU. */
async function startServer(): Promise<{ url: string; stop: () => Promise<void>; metrics: () => number }> {
  let metrics = 0;
  let runs = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const endpoint = req.url!.replace(/^\/api\/2\.0\/mlflow\//, "").split("?")[0];
      res.setHeader("Content-Type", "application/json");
      if (endpoint === "experiments/get-by-name") {
        res.statusCode = 404;
        return res.end(JSON.stringify({ error_code: "RESOURCE_DOES_NOT_EXIST" }));
      }
      if (endpoint === "experiments/create") return res.end(JSON.stringify({ experiment_id: "1" }));
      if (endpoint === "runs/create") return res.end(JSON.stringify({ run: { info: { run_id: `run${runs++}` } } }));
      if (endpoint === "runs/log-batch") metrics += (JSON.parse(Buffer.concat(chunks).toString()).metrics ?? []).length;
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise((r) => server.close(() => r())),
    metrics: () => metrics,
  };
}

/**
 * CPU of the PerformanceTracker's timer at the default 1 s interval. Idle-process CPU is tiny
 * and noisy on a shared machine, so this runs in a fresh process (no benchmark garbage left to
 * collect) and alternates windows with and without sampling, reporting medians.
 */
async function samplingCost(): Promise<void> {
  const sampler = new SystemSampler(1000, { gpu: false });
  const n = 20_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sampler.sample();
  const perSampleUs = (seconds(t0) * 1e6) / n;
  console.log(
    `PerformanceTracker sample()              ${perSampleUs.toFixed(1)} µs per sample (CPU times, memory, rusage, loop-delay histogram)`,
  );

  const idle = async (ms: number) => {
    const c0 = process.cpuUsage();
    const w0 = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, ms));
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e6 / seconds(w0);
  };
  const windowMs = 4000;
  const rounds = 3;
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), "bench-perf-"));
  const perf = new PerformanceTracker(ws, { log: { warning() {}, error() {} } }); // defaults: 1 s, GPU if nvidia-smi exists
  let samples = 0;
  const run = runLevel(perf, ws);
  run.onEnd(Level.TRIAL_RUN, {}, ctx(Level.TRIAL_RUN)); // sampling off until we start it below
  const off: number[] = [];
  const on: number[] = [];
  await idle(1000); // let start-up settle
  for (let r = 0; r < rounds; r++) {
    off.push(await idle(windowMs));
    const unsubscribe = perf.sampler.subscribe((s) => {
      samples++;
      (run as PerformanceTracker).recordSample(s);
    });
    on.push(await idle(windowMs));
    unsubscribe();
  }
  perf.close();
  fs.rmSync(ws, { recursive: true, force: true });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(off);
  const withSampler = median(on);
  console.log(
    `PerformanceTracker at the default 1 s     ${(100 * (withSampler - base)).toFixed(3)}% of one core above idle ` +
      `(median ${(100 * withSampler).toFixed(3)}% with vs ${(100 * base).toFixed(3)}% without, ${rounds} x ${windowMs / 1000} s windows, ${samples} samples)`,
  );
}

async function main(): Promise<void> {
  console.log(
    `Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${fmt(TOTAL)} points per tracker\n`,
  );
  const points = makePoints(TOTAL);
  await measure(
    "TensorBoardTracker (event files)",
    (ws) => new TensorBoardTracker(ws, { name: "bench", warn: () => {} }),
    points,
  );
  await measure(
    "MLflowTracker (file store mlruns/)",
    (ws) => new MLflowTracker(ws, { name: "bench", warn: () => {} }),
    points,
  );
  const server = await startServer();
  const restPoints = points.slice(0, Math.min(points.length, 200_000));
  await measure(
    "MLflowTracker (REST, 127.0.0.1)",
    (ws) => new MLflowTracker(ws, { name: "bench", trackingUri: server.url, warn: (m) => console.error(m) }),
    restPoints,
  );
  console.log(`${"".padEnd(34)} server received ${fmt(server.metrics())} metrics (+ durations)`);
  await server.stop();
  await measure(
    "PerformanceTracker (track, test_mode)",
    (ws) => new PerformanceTracker(ws, { test_mode: true }),
    points,
  );
  // Sampling cost in a fresh process, so the garbage of the runs above does not count.
  spawnSync(process.execPath, ["--import", "tsx", __filename, "--sampling-only"], { stdio: "inherit" });
}

if (process.argv.includes("--sampling-only")) void samplingCost();
else void main();
