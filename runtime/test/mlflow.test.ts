import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { Level, Metric, RunStatus } from "../src/common/enums";
import { TrackerManager } from "../src/tracking/tracker-manager";
import { MLflowTracker } from "../src/tracking/plugins/mlflow/mlflow-tracker";
import { dumpMetaYaml, mlflowKey, parseMetaYaml, pythonFloat } from "../src/tracking/plugins/mlflow/mlflow-format";
import { tempDirs } from "./helpers/env";
import { RecordingTracker } from "./helpers/recording-tracker";

const tmp = tempDirs("mlflow-test-");
const read = (...p: string[]) => fs.readFileSync(path.join(...p), "utf8");
const ls = (...p: string[]) => fs.readdirSync(path.join(...p)).sort();
/** Run folders of an experiment folder (not meta.yaml, not tags/). */
const runDirs = (...p: string[]) =>
  fs
    .readdirSync(path.join(...p), { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== "tags")
    .map((e) => e.name)
    .sort();

/** Runs one experiment: trial "trial_a" with two repeats of 2 epochs x 2 batches. */
function runExperiment(
  manager: TrackerManager,
  ws: string,
  statuses: RunStatus[] = [RunStatus.SUCCESS, RunStatus.FAILED],
) {
  manager.onCreate(Level.EXPERIMENT, { name: "exp", description: "what this experiment is about" });
  manager.onStart(Level.EXPERIMENT);
  manager.logParams({ dataset: "mnist" });
  const trial = manager.createChild(path.join(ws, "trial_a"));
  trial.onCreate(Level.TRIAL, "trial_a");
  trial.onStart(Level.TRIAL);
  statuses.forEach((status, i) => {
    const run = trial.createChild(path.join(ws, "trial_a", `trial_a-${i}`));
    run.onCreate(Level.TRIAL_RUN, { repeat: i, seed: 10 + i });
    run.onStart(Level.TRIAL_RUN);
    run.logParams({ lr: 0.001, "batch size": 32, layers: [64, 32] });
    for (let e = 0; e < 2; e++) {
      run.onStart(Level.EPOCH, e);
      for (let b = 0; b < 2; b++) {
        run.onStart(Level.BATCH, b);
        run.track(Metric.TRAIN_LOSS, 1 / (1 + e * 2 + b));
        run.onEnd(Level.BATCH);
      }
      run.trackDict({
        [Metric.VAL_ACC]: 0.5 + e / 4,
        [Metric.CUSTOM]: [
          ["acc/top5", 0.9],
          ["lr", 0.1],
        ],
      });
      run.track(Metric.CUSTOM, ["pair", e]);
      run.onEnd(Level.EPOCH);
    }
    run.track(Metric.TEST_ACC, 0.75);
    run.onEnd(
      Level.TRIAL_RUN,
      status === RunStatus.FAILED ? { status, error: { message: "CUDA out of memory" } } : { status },
    );
  });
  trial.onEnd(Level.TRIAL, { status: RunStatus.SUCCESS });
  manager.onEnd(Level.EXPERIMENT);
}

function metricLines(file: string): [number, string, number][] {
  return read(file)
    .trimEnd()
    .split("\n")
    .map((line) => {
      const parts = line.split(" ");
      assert.equal(parts.length, 3, `metric line "${line}" is "timestamp value step"`);
      assert.match(parts[0], /^\d{13}$/, "timestamp in ms");
      assert.match(parts[2], /^-?\d+$/, "integral step");
      return [Number(parts[0]), parts[1], Number(parts[2])];
    });
}

test("python float and yaml helpers print as Python and PyYAML do", () => {
  assert.deepEqual(
    [1, 0.5, 1e-5, 1e16, 1.5e-7, 1e15, -2, Number.NaN, Infinity, -Infinity, 0.1 + 0.2].map(pythonFloat),
    [
      "1.0",
      "0.5",
      "1e-05",
      "1e+16",
      "1.5e-07",
      "1000000000000000.0",
      "-2.0",
      "nan",
      "inf",
      "-inf",
      "0.30000000000000004",
    ],
  );
  const yaml = dumpMetaYaml({
    name: "yes",
    experiment_id: "0123",
    end_time: null,
    tags: [],
    status: 3,
    b: "it's: here",
  });
  assert.equal(yaml, "b: 'it''s: here'\nend_time: null\nexperiment_id: '0123'\nname: 'yes'\nstatus: 3\ntags: []\n");
  assert.deepEqual(parseMetaYaml(yaml), {
    b: "it's: here",
    end_time: null,
    experiment_id: "0123",
    name: "yes",
    status: 3,
    tags: "[]",
  });
  assert.equal(mlflowKey("loss/train"), "loss/train");
  assert.equal(mlflowKey("top 5 acc"), "top 5 acc");
  assert.equal(mlflowKey("a//b/../c#1"), "a/b/c_1");
  assert.equal(mlflowKey("/abs"), "abs");
  assert.equal(mlflowKey("..."), "_..");
  assert.equal(mlflowKey(""), "_");
});

test("file store: experiment, nested trial/run structure, params, metrics, tags and status as MLflow lays them out", async () => {
  const ws = tmp();
  const warnings: string[] = [];
  const manager = new TrackerManager(ws);
  const tracker = new MLflowTracker(ws, { name: "my experiment", warn: (m) => warnings.push(m) });
  manager.addTracker(tracker, "MLflowTracker");
  const before = Date.now();
  runExperiment(manager, ws);
  await manager.close();
  const after = Date.now();
  assert.equal(manager.hadFailures, false, manager.failureSummary().join("\n"));
  assert.deepEqual(warnings, []);

  const root = path.join(ws, "mlruns");
  // Root: .trash, the Default experiment 0, and ours.
  const entries = ls(root);
  assert.ok(entries.includes(".trash") && entries.includes("0"));
  const expId = entries.find((e) => e !== ".trash" && e !== "0")!;
  assert.match(expId, /^[1-9]\d{17}$/, "18-digit experiment id, as MLflow's file store makes them");
  assert.equal(entries.length, 3);

  const defaultMeta = parseMetaYaml(read(root, "0", "meta.yaml"));
  assert.equal(defaultMeta.name, "Default");
  assert.equal(defaultMeta.experiment_id, "0");
  assert.equal(read(root, "0", "meta.yaml").includes("experiment_id: '0'"), true, "ids are quoted strings");

  const expMetaText = read(root, expId, "meta.yaml");
  assert.deepEqual(
    expMetaText
      .trimEnd()
      .split("\n")
      .map((l) => l.split(":")[0]),
    ["artifact_location", "creation_time", "experiment_id", "last_update_time", "lifecycle_stage", "name"],
  );
  const expMeta = parseMetaYaml(expMetaText);
  assert.equal(expMeta.name, "my experiment");
  assert.equal(expMeta.experiment_id, expId);
  assert.equal(expMeta.lifecycle_stage, "active");
  assert.equal(expMeta.artifact_location, pathToFileURL(path.join(root, expId)).href);
  assert.ok((expMeta.creation_time as number) >= before && (expMeta.creation_time as number) <= after);
  assert.equal(expMeta.last_update_time, expMeta.creation_time);
  assert.equal(read(root, expId, "tags", "mlflow.note.content"), "what this experiment is about");

  // Runs: one trial (parent) and two nested repeats.
  const runIds = runDirs(root, expId);
  assert.equal(runIds.length, 3);
  const runs = runIds.map((id) => {
    const metaText = read(root, expId, id, "meta.yaml");
    const tags = Object.fromEntries(ls(root, expId, id, "tags").map((t) => [t, read(root, expId, id, "tags", t)]));
    return { id, metaText, meta: parseMetaYaml(metaText), tags };
  });
  for (const r of runs) {
    assert.match(r.id, /^[0-9a-f]{32}$/);
    assert.deepEqual(
      r.metaText
        .trimEnd()
        .split("\n")
        .map((l) => l.split(":")[0]),
      [
        "artifact_uri",
        "deleted_time",
        "end_time",
        "entry_point_name",
        "experiment_id",
        "lifecycle_stage",
        "run_id",
        "run_name",
        "run_uuid",
        "source_name",
        "source_type",
        "source_version",
        "start_time",
        "status",
        "tags",
        "user_id",
      ],
    );
    assert.equal(r.meta.run_id, r.id);
    assert.equal(r.meta.run_uuid, r.id);
    assert.equal(r.meta.experiment_id, expId);
    assert.equal(r.meta.lifecycle_stage, "active");
    assert.equal(r.meta.artifact_uri, pathToFileURL(path.join(root, expId, r.id, "artifacts")).href);
    assert.equal(r.meta.deleted_time, null);
    assert.equal(r.meta.source_type, 4);
    assert.equal(r.meta.entry_point_name, "");
    assert.match(r.metaText, /\ntags: \[\]\n/);
    assert.ok(typeof r.meta.user_id === "string" && r.meta.user_id !== "");
    assert.ok((r.meta.start_time as number) >= before && (r.meta.end_time as number) <= after);
    assert.ok((r.meta.end_time as number) >= (r.meta.start_time as number));
    assert.deepEqual(ls(root, expId, r.id).sort(), ["artifacts", "meta.yaml", "metrics", "params", "tags"]);
    assert.equal(r.tags["mlflow.runName"], r.meta.run_name);
    assert.equal(r.tags["mlflow.source.type"], "LOCAL");
    assert.equal(r.tags["mlflow.user"], r.meta.user_id);
  }
  const parent = runs.find((r) => r.meta.run_name === "trial_a")!;
  const children = runs
    .filter((r) => r !== parent)
    .sort((a, b) => String(a.meta.run_name).localeCompare(String(b.meta.run_name)));
  assert.equal(parent.tags["mlflow.parentRunId"], undefined);
  assert.equal(parent.tags["expman.level"], "trial");
  assert.equal(parent.meta.status, 3, "FINISHED");
  assert.deepEqual(
    children.map((c) => c.meta.run_name),
    ["trial_a-0", "trial_a-1"],
  );
  for (const [i, c] of children.entries()) {
    assert.equal(c.tags["mlflow.parentRunId"], parent.id);
    assert.equal(c.tags["expman.level"], "trial_run");
    assert.equal(c.tags["expman.repeat"], String(i));
    assert.equal(c.tags["expman.seed"], String(10 + i));
    assert.match(c.tags["expman.id"], /^[0-9a-f-]{36}$/);
  }
  // Status: SUCCESS -> FINISHED (3), FAILED -> FAILED (4) with the error kept.
  assert.equal(children[0].meta.status, 3);
  assert.equal(children[0].tags["expman.status"], "SUCCESS");
  assert.equal(children[1].meta.status, 4);
  assert.equal(children[1].tags["expman.status"], "FAILED");
  assert.equal(children[1].tags["expman.error"], "CUDA out of memory");

  // Params: one file per key, the value as text, no newline; experiment params on each run.
  const run0 = path.join(root, expId, children[0].id);
  assert.deepEqual(ls(run0, "params"), ["batch size", "dataset", "layers", "lr"]);
  assert.equal(read(run0, "params", "lr"), "0.001");
  assert.equal(read(run0, "params", "batch size"), "32");
  assert.equal(read(run0, "params", "layers"), "[64,32]");
  assert.equal(read(run0, "params", "dataset"), "mnist");

  // Metrics: "timestamp value step" lines, steps honoured, Python float spelling.
  assert.deepEqual(ls(run0, "metrics"), ["acc", "batch", "duration", "lr", "pair", "test_acc", "val_acc"]);
  assert.deepEqual(
    ls(run0, "metrics", "batch"),
    ["train_loss"],
    "batch-scope points as batch/<key>, apart from epoch points",
  );
  assert.deepEqual(ls(run0, "metrics", "acc"), ["top5"], "a '/' in a key nests a folder, as MLflow stores it");
  const trainLoss = metricLines(path.join(run0, "metrics", "batch", "train_loss"));
  assert.deepEqual(
    trainLoss.map(([, v, s]) => [v, s]),
    [
      ["1.0", 0],
      ["0.5", 1],
      ["0.3333333333333333", 2],
      ["0.25", 3],
    ],
  );
  assert.ok(trainLoss.every(([t]) => t >= before && t <= after));
  assert.deepEqual(
    metricLines(path.join(run0, "metrics", "val_acc")).map(([, v, s]) => [v, s]),
    [
      ["0.5", 0],
      ["0.75", 1],
    ],
  );
  assert.deepEqual(
    metricLines(path.join(run0, "metrics", "acc", "top5")).map(([, v, s]) => [v, s]),
    [
      ["0.9", 0],
      ["0.9", 1],
    ],
  );
  assert.deepEqual(
    metricLines(path.join(run0, "metrics", "pair")).map(([, v, s]) => [v, s]),
    [
      ["0.0", 0],
      ["1.0", 1],
    ],
  );
  assert.deepEqual(
    metricLines(path.join(run0, "metrics", "test_acc")).map(([, v, s]) => [v, s]),
    [["0.75", 2]],
    "final metrics at lastEpoch + 1",
  );
  const duration = metricLines(path.join(run0, "metrics", "duration"));
  assert.equal(duration.length, 1);
  assert.equal(duration[0][2], 2);
  assert.ok(Number(duration[0][1]) >= 0);
  // The trial run has its own duration; the trial holds no training metrics.
  assert.deepEqual(ls(root, expId, parent.id, "metrics"), ["duration"]);
});

test("a second experiment with the same name reuses the MLflow experiment", async () => {
  const ws = tmp();
  for (let i = 0; i < 2; i++) {
    const manager = new TrackerManager(ws);
    manager.addTracker(new MLflowTracker(ws, { name: "same" }));
    runExperiment(manager, ws, [RunStatus.STOPPED]);
    await manager.close();
  }
  const root = path.join(ws, "mlruns");
  const exps = ls(root).filter((e) => e !== ".trash" && e !== "0");
  assert.equal(exps.length, 1);
  assert.equal(runDirs(root, exps[0]).length, 4);
});

test("metrics are on disk at each epoch end", () => {
  const ws = tmp();
  const tracker = new MLflowTracker(ws, { name: "live" });
  const manager = new TrackerManager(ws);
  manager.addTracker(tracker);
  manager.onCreate(Level.EXPERIMENT, "live");
  const run = manager.createChild(path.join(ws, "t")).createChild(path.join(ws, "t", "t-0"));
  run.onCreate(Level.TRIAL_RUN);
  run.onStart(Level.EPOCH, 0);
  run.track(Metric.TRAIN_LOSS, 2);
  run.onEnd(Level.EPOCH);
  const root = path.join(ws, "mlruns");
  const exp = ls(root).find((e) => e !== ".trash" && e !== "0")!;
  const runId = runDirs(root, exp)[0];
  assert.deepEqual(
    metricLines(path.join(root, exp, runId, "metrics", "train_loss")).map(([, v, s]) => [v, s]),
    [["2.0", 0]],
  );
  // A run without a trial above it has no parent tag.
  assert.equal(fs.existsSync(path.join(root, exp, runId, "tags", "mlflow.parentRunId")), false);
});

test("bad input: non-numeric skipped with one warning, NaN/Inf kept, odd keys rewritten once, run not stopped", async () => {
  const ws = tmp();
  const warnings: string[] = [];
  const tracker = new MLflowTracker(ws, { name: "bad", warn: (m) => warnings.push(m) });
  const manager = new TrackerManager(ws);
  manager.addTracker(tracker);
  manager.onCreate(Level.EXPERIMENT, "bad");
  manager.track(Metric.TEST_ACC, 1); // experiment level: no run to hold it
  const run = manager.createChild(path.join(ws, "t")).createChild(path.join(ws, "t", "t-0"));
  run.onCreate(Level.TRIAL_RUN);
  run.onStart(Level.EPOCH, 0);
  run.track(Metric.VAL_LOSS, Number.NaN);
  run.track(Metric.VAL_ACC, Infinity);
  run.track(Metric.TRAIN_LOSS, "high");
  run.track(Metric.TRAIN_LOSS, "higher");
  run.track(Metric.CUSTOM, [
    ["with/slash and space", true],
    ["weird#name!", 3],
    ["none", null],
  ]);
  run.track(Metric.CUSTOM, ["weird#name!", 4]);
  run.onEnd(Level.EPOCH);
  run.onEnd(Level.TRIAL_RUN, { status: RunStatus.ABORTED });
  await manager.close();
  assert.equal(manager.hadFailures, false);
  const root = path.join(ws, "mlruns");
  const exp = ls(root).find((e) => e !== ".trash" && e !== "0")!;
  const runId = runDirs(root, exp)[0];
  const m = (k: string) => metricLines(path.join(root, exp, runId, "metrics", k)).map(([, v]) => v);
  assert.deepEqual(m("val_loss"), ["nan"]);
  assert.deepEqual(m("val_acc"), ["inf"]);
  assert.deepEqual(m("with/slash and space"), ["1.0"]);
  assert.deepEqual(m("weird_name_"), ["3.0", "4.0"]);
  assert.equal(fs.existsSync(path.join(root, exp, runId, "metrics", "train_loss")), false);
  assert.equal(parseMetaYaml(read(root, exp, runId, "meta.yaml")).status, 5, "ABORTED -> KILLED");
  assert.equal(warnings.length, 4, warnings.join("\n"));
  assert.ok(warnings.some((w) => /'test_acc' was tracked at experiment level/.test(w)));
  assert.ok(warnings.some((w) => /'train_loss' is not a number/.test(w)));
  assert.ok(warnings.some((w) => /'none' is not a number/.test(w)));
  assert.ok(warnings.some((w) => /'weird#name!' is not a valid MLflow name; it is logged as 'weird_name_'/.test(w)));
});

test("an unwritable store: a clear error at first use, reported once; the run and the other trackers go on", async () => {
  for (const blocker of ["mlruns", path.join("mlruns", ".trash")]) {
    const ws = tmp();
    fs.mkdirSync(path.dirname(path.join(ws, blocker)), { recursive: true });
    fs.writeFileSync(path.join(ws, blocker), "a file where a folder should be");
    const tracker = new MLflowTracker(ws, { name: "x" }); // never throws: building trackers must not stop the experiment
    const reports: string[] = [];
    const manager = new TrackerManager(ws, { report: (m) => reports.push(m) });
    manager.addTracker(tracker, "MLflowTracker");
    const other = new RecordingTracker(ws);
    manager.addTracker(other, "Other");
    runExperiment(manager, ws);
    await manager.close();
    assert.equal(reports.length, 1, reports.join("\n"));
    assert.match(reports[0], /MLflowTracker cannot create its file store at .*mlruns.*Make the folder writable/);
    assert.ok(
      other.points.some((p) => p.key === "test_acc"),
      "the other tracker saw the whole experiment",
    );
  }
});

test("fromConfig validates name and tracking_uri", () => {
  const ws = tmp();
  assert.throws(() => MLflowTracker.fromConfig({}, ws), /needs a 'name'/);
  assert.throws(() => MLflowTracker.fromConfig({ name: "x", tracking_uri: 5 }, ws), /must be a string URL/);
  assert.throws(
    () => MLflowTracker.fromConfig({ name: "x", tracking_uri: "databricks" }, ws),
    /neither an http\(s\) URL/,
  );
  const elsewhere = path.join(tmp(), "store");
  const t = MLflowTracker.fromConfig({ name: "x", tracking_uri: pathToFileURL(elsewhere).href }, ws);
  assert.equal(t.backend.location, elsewhere);
});

test("runs still open when the tracker closes (process exiting) end as KILLED, never RUNNING forever", async () => {
  const ws = tmp();
  const manager = new TrackerManager(ws);
  manager.addTracker(new MLflowTracker(ws, { name: "cut short" }));
  manager.onCreate(Level.EXPERIMENT, "cut short");
  const trial = manager.createChild(path.join(ws, "t"));
  trial.onCreate(Level.TRIAL, "t");
  const run = trial.createChild(path.join(ws, "t", "t-0"));
  run.onCreate(Level.TRIAL_RUN);
  run.onStart(Level.EPOCH, 0);
  run.track(Metric.TRAIN_LOSS, 1);
  await manager.close(); // no end events: the process is going down
  const root = path.join(ws, "mlruns");
  const exp = ls(root).find((e) => e !== ".trash" && e !== "0")!;
  const runs = runDirs(root, exp);
  assert.equal(runs.length, 2);
  for (const id of runs) {
    const meta = parseMetaYaml(read(root, exp, id, "meta.yaml"));
    assert.equal(meta.status, 5, "KILLED");
    assert.equal(typeof meta.end_time, "number");
    assert.equal(read(root, exp, id, "tags", "expman.status"), "ABORTED");
  }
  const runId = runs.find((id) => fs.existsSync(path.join(root, exp, id, "metrics", "train_loss")))!;
  assert.deepEqual(
    metricLines(path.join(root, exp, runId, "metrics", "train_loss")).map(([, v, s]) => [v, s]),
    [["1.0", 0]],
  );
});

test("file store: added artifacts (file or folder) are copied into the run's artifacts; a store under an 'artifacts' folder is warned about", async () => {
  const ws = tmp();
  const warnings: string[] = [];
  const manager = new TrackerManager(ws);
  manager.addTracker(new MLflowTracker(ws, { name: "arts", warn: (m) => warnings.push(m) }), "MLflowTracker");
  manager.onCreate(Level.EXPERIMENT, "arts");
  const run = manager.createChild(path.join(ws, "t")).createChild(path.join(ws, "t", "t-0"));
  run.onCreate(Level.TRIAL_RUN);
  fs.writeFileSync(path.join(ws, "metrics.log"), "epoch,loss\n0,1\n");
  fs.mkdirSync(path.join(ws, "plots", "sub"), { recursive: true });
  fs.writeFileSync(path.join(ws, "plots", "sub", "a.svg"), "<svg/>");
  run.onAddArtifact(Level.TRIAL_RUN, path.join(ws, "metrics.log"), "metrics");
  run.onAddArtifact(Level.TRIAL_RUN, path.join(ws, "plots"), "plots");
  manager.onAddArtifact(Level.EXPERIMENT, path.join(ws, "metrics.log")); // no run to hold it
  run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
  manager.onEnd(Level.EXPERIMENT);
  await manager.close();
  assert.equal(manager.hadFailures, false, manager.failureSummary().join("\n"));
  const root = path.join(ws, "mlruns");
  const exp = ls(root).find((e) => e !== ".trash" && e !== "0")!;
  const runId = runDirs(root, exp)[0];
  assert.equal(read(root, exp, runId, "artifacts", "metrics.log"), "epoch,loss\n0,1\n");
  assert.equal(read(root, exp, runId, "artifacts", "plots", "sub", "a.svg"), "<svg/>");
  assert.deepEqual(
    warnings.map((w) => /added at experiment level/.test(w)),
    [true],
  );

  const under = tmp();
  const warned: string[] = [];
  new MLflowTracker(under, {
    name: "x",
    trackingUri: pathToFileURL(path.join(under, "artifacts", "store")).href,
    warn: (m) => warned.push(m),
  });
  assert.equal(warned.length, 1);
  assert.match(warned[0], /lies under a folder named 'artifacts'; MLflow \(3\.x\) refuses to read runs there/);
  new MLflowTracker(under, { name: "x", warn: (m) => warned.push(m) });
  assert.equal(warned.length, 1, "the default store (<workspace>/mlruns) is not under 'artifacts'");
});
