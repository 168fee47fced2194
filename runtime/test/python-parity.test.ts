/**
 * Behaviour of the Python original that ported pipelines and trackers rely on (issue 9, section 1).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { Level, Metric, RunStatus } from "../src/common/enums";
import { Callback } from "../src/pipeline/callback";
import { Pipeline, type MetricDict } from "../src/pipeline/pipeline";
import { EarlyStopping } from "../src/callbacks/early-stopping";
import { MetricsTracker } from "../src/callbacks/metrics-tracker";
import { CheckpointCallback } from "../src/callbacks/checkpoint";
import { Environment } from "../src/env/environment";
import { LogTracker } from "../src/tracking/log-tracker";
import { DBTracker } from "../src/tracking/db/db-tracker";
import { TrackerManager } from "../src/tracking/tracker-manager";
import { BUILTIN_TYPES } from "../src/builtins/catalog";
import { validateConfigSet } from "../src/config/validate";
import { runEnvironment, tempDir } from "./helpers/env";
import { REPO, expman, toyConfig } from "./helpers/cli";

test("epoch wrapper: metrics returned from the epoch function and set on this.epochMetrics are merged; callbacks see them; the caller gets the return value", async () => {
  const { env, recorder } = runEnvironment();
  const returned: unknown[] = [];
  const seen: string[] = [];
  const losses = [1.0, 0.5, 0.6, 0.7, 0.8, 0.9];
  class Returning extends Pipeline {
    @Pipeline.runWrapper
    async run(_config?: unknown) {
      for (let e = 0; e < losses.length; e++) {
        returned.push(await this.runEpoch(e, null));
        if (this.stopRequested) break;
      }
      return "trained";
    }
    // The original's pattern: return the metrics dict (val_loss), plus one set on the dict.
    @Pipeline.epochWrapper
    async runEpoch(e: number, _model: unknown) {
      this.epochMetrics[Metric.TRAIN_ACC] = e / 10;
      return { [Metric.VAL_LOSS]: losses[e], [Metric.TRAIN_LOSS]: losses[e] * 2 };
    }
  }
  class Spy extends Callback {
    override onEpochEnd(e: number, metrics: MetricDict) {
      seen.push(`${e}:${Object.keys(metrics).sort().join(",")}`);
      return false;
    }
  }
  const p = new Returning(env);
  const es = new EarlyStopping(env, { metric: "val_loss", patience: 2 });
  const mt = new MetricsTracker(env);
  p.registerCallback(new Spy(env));
  p.registerCallback(es);
  p.registerCallback(mt);
  const result = await p.run({});
  assert.equal(result, RunStatus.STOPPED, "EarlyStopping watched the returned val_loss and stopped the run");
  assert.equal(es.earlyStop, true);
  assert.equal(es.early_stop, true);
  assert.equal(es.bestEpoch, 1);
  assert.equal(returned.length, 4, "stopped after two epochs without improvement");
  assert.deepEqual(
    returned[0],
    { [Metric.VAL_LOSS]: 1.0, [Metric.TRAIN_LOSS]: 2.0 },
    "the epoch function's value reaches the caller",
  );
  assert.deepEqual(seen, [
    "0:train_acc,train_loss,val_loss",
    "1:train_acc,train_loss,val_loss",
    "2:train_acc,train_loss,val_loss",
    "3:train_acc,train_loss,val_loss",
  ]);
  // MetricsTracker wrote the returned metrics.
  const csv = fs.readFileSync(mt.filePath, "utf8").trim().split("\n");
  assert.equal(csv[0], "type,train_acc,val_loss,train_loss");
  assert.equal(csv[2], "EPOCH,0.1,0.5,1");
  // Trackers got them as epoch points.
  const valLoss = recorder.points.filter((pt) => pt.key === "val_loss").map((pt) => [pt.scope, pt.step, pt.value]);
  assert.deepEqual(valLoss, [
    ["epoch", 0, 1],
    ["epoch", 1, 0.5],
    ["epoch", 2, 0.6],
    ["epoch", 3, 0.7],
  ]);

  // A plain return value (not a metrics dict) is returned unchanged and tracked nowhere.
  const { env: env2, recorder: rec2 } = runEnvironment();
  class Plain extends Pipeline {
    @Pipeline.runWrapper
    run(_config?: unknown) {
      return this.runEpoch(0, null);
    }
    @Pipeline.epochWrapper
    runEpoch(_e: number, _m: unknown) {
      this.epochMetrics[Metric.TRAIN_LOSS] = 3;
      return { accuracy: 0.5, note: "not Metric keys" };
    }
  }
  assert.deepEqual(new Plain(env2).run({}), { accuracy: 0.5, note: "not Metric keys" });
  assert.deepEqual(
    rec2.points.map((pt) => pt.key),
    ["train_loss"],
  );
});

test("checkpoints reach trackers as onCheckpoint and onAddArtifact; the DBTracker stores each once", async () => {
  const ws = tempDir();
  const tm = new TrackerManager(ws, { report: (m) => assert.fail(m) });
  const seen: string[] = [];
  // A tracker written for the original: it only knows on_add_artifact.
  tm.addTracker(
    new (class extends LogTracker {
      override onAddArtifact(level: Level, artifact: { path: string; type: string }) {
        seen.push(`${Level[level]} ${path.basename(artifact.path)} ${artifact.type}`);
      }
    })(ws),
    "OriginalStyle",
  );
  const db = new DBTracker(ws, { name: "x.db" });
  tm.addTracker(db, "DBTracker");
  const root = new Environment(ws, {}, { trackerManager: tm });
  tm.onCreate(Level.EXPERIMENT, "e");
  const trial = root.createChild("t", { level: Level.TRIAL });
  trial.trackerManager.onCreate(Level.TRIAL, "t");
  const env = trial.createChild("t-0", { level: Level.TRIAL_RUN });
  env.trackerManager.onCreate(Level.TRIAL_RUN, { repeat: 0 });
  class Model {
    save(p: string) {
      fs.writeFileSync(p, "w");
    }
  }
  class P extends Pipeline {
    @Pipeline.runWrapper
    run(_config?: unknown) {
      for (let e = 0; e < 2; e++) this.runEpoch(e, null);
      this.runMetrics[Metric.NETWORK] = new Model();
    }
    @Pipeline.epochWrapper
    runEpoch(_e: number, _m: unknown) {
      this.epochMetrics[Metric.NETWORK] = new Model();
      this.epochMetrics[Metric.TRAIN_LOSS] = 1;
    }
  }
  const p = new P(env);
  p.registerCallback(new CheckpointCallback(env, 1));
  p.run({});
  env.trackerManager.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
  await tm.close();
  assert.deepEqual(seen, [
    "TRIAL_RUN checkpoint-0 checkpoint",
    "TRIAL_RUN checkpoint-1 checkpoint",
    "TRIAL_RUN checkpoint-final checkpoint",
  ]);
  const conn = new Database(db.path, { readonly: true });
  assert.equal((conn.prepare("SELECT count(*) AS n FROM checkpoint").get() as { n: number }).n, 3);
  assert.equal(
    (conn.prepare("SELECT count(*) AS n FROM artifact").get() as { n: number }).n,
    0,
    "not stored a second time as an artifact",
  );
  conn.close();
});

test("LogTracker: lines reach the file within a second during a long epoch; params, kwargs and metric lines in the original's format", async () => {
  const { dir, workspace } = toyConfig({
    epochs: 1,
    env: `workspace: ../ws\nimports:\n  - ./toy.js\ntrackers:\n  - type: LogTracker\n`,
  });
  // One epoch that lasts 5 s and says when it started: watch the log while it runs.
  const marker = path.join(dir, "epoch-started");
  const pipeline = fs
    .readFileSync(path.join(dir, "toy.js"), "utf8")
    .replace(
      "if (this.env.args.fail_in === e)",
      `this.epochMetrics[Metric.VAL_ACC] = 0.5; require("fs").writeFileSync(${JSON.stringify(marker)}, ""); await new Promise((r) => setTimeout(r, 5000)); if (this.env.args.fail_in === e)`,
    );
  fs.writeFileSync(path.join(dir, "toy.js"), pipeline);
  fs.writeFileSync(path.join(dir, "trials.yaml"), "- name: a\n  repeat: 1\n  settings: {}\n");
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, [path.join(REPO, "runtime", "bin", "expman.js"), "run", dir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = path.join(workspace, "artifacts", "experiment.log");
  const read = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "");
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  while (!fs.existsSync(marker) && child.exitCode === null) await sleep(50);
  assert.ok(fs.existsSync(marker), "the epoch started");
  // Within a second (plus slack for a loaded machine) of the epoch's start, its lines are in the file.
  const started = Date.now();
  while (!/Starting EPOCH/.test(read()) && Date.now() - started < 2500) await sleep(100);
  assert.match(read(), /Starting EPOCH/, "the epoch's lines are in the file while the epoch runs");
  assert.doesNotMatch(read(), /Ending EPOCH/, "(the epoch was still running)");
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  assert.equal(code, 0);
  const text = read();
  const body = text.split("\n").map((l) => l.replace(/^\S+ \S+ - /, ""));
  // The original's lines (LogTracker.on_start(TRIAL, trial_name=...), on_create(EPOCH, epoch_id=...),
  // log_params at the pipeline's level, `<metric>: <value> at step <n>`).
  for (const line of [
    "Creating EXPERIMENT",
    "Args: ('toy',)",
    "  Starting TRIAL",
    "  Kwargs: {'trial_name': 'a'}",
    "      Parameters:",
    "        epochs: 1",
    "        lr: 0.1",
    "        Creating EPOCH",
    "        Kwargs: {'epoch_id': 0}",
    "        train_loss: 1 at step 0",
    "        val_acc: 0.5 at step 0",
    "test_acc: 0.9",
  ]) {
    assert.ok(body.includes(line), `log has the line ${JSON.stringify(line)}:\n${body.join("\n")}`);
  }
});

test("DBTracker without a name writes the original's tracker.db; the catalog no longer requires it", async () => {
  const ws = tempDir();
  const t = DBTracker.fromConfig({ type: "DBTracker" }, ws);
  assert.equal(t.path, path.join(ws, "artifacts", "tracker.db"));
  t.close();
  const params = BUILTIN_TYPES.find((d) => d.name === "DBTracker")!.params!;
  assert.equal(params.name.required, undefined);
  assert.equal(params.name.default, "tracker.db");
  // And `expman ls --config` finds it.
  const { dir } = toyConfig({
    epochs: 1,
    env: `workspace: ../ws\nimports:\n  - ./toy.js\ntrackers:\n  - type: DBTracker\n`,
    trials: "- name: a\n  repeat: 1\n  settings: {}\n",
  });
  assert.equal(expman(["run", dir]).code, 0);
  const ls = expman(["ls", "--config", dir, "--json"]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.equal(JSON.parse(ls.stdout).length, 1);
});

test("built-in trackers and callbacks are registered as soon as the runtime is imported", () => {
  const dist = path.join(REPO, "runtime", "dist", "index.js");
  const r = spawnSync(
    process.execPath,
    [
      "-e",
      `const rt = require(${JSON.stringify(dist)}); const g = rt.getRegistry(); console.log(JSON.stringify(["DBTracker","LogTracker","PerformanceTracker"].map(n => g.has("tracker", n)).concat(["EarlyStopping","MetricsTracker","CheckpointCallback"].map(n => g.has("callback", n)))))`,
    ],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [true, true, true, true, true, true]);
});

test("MetricsTracker.onEnd works without a tracker manager", () => {
  const ws = tempDir();
  const env = { artifactDir: ws, logger: { info() {}, error() {} } } as unknown as Environment;
  const mt = new MetricsTracker(env);
  mt.onStart();
  mt.onEpochEnd(0, { [Metric.TRAIN_LOSS]: 0.5 });
  mt.onEnd({ [Metric.TEST_ACC]: 0.9 });
  assert.equal(
    fs.readFileSync(path.join(ws, "metrics.log"), "utf8"),
    "type,train_loss,test_acc\nEPOCH,0.5,0.9\nFINAL,0.5,0.9\n",
  );
});

test("Environment.setWorkspace(path, inner) as in the original: folders made, log moved, env.yaml saved", () => {
  const ws = tempDir();
  const env = new Environment(ws, { workspace: ws, debug: false });
  env.logger.info("before");
  const before = env.logger.file;
  env.setWorkspace("inner", true);
  assert.equal(env.workspace, path.join(ws, "inner"));
  for (const d of ["logs", "artifacts", "configs"]) assert.ok(fs.statSync(path.join(ws, "inner", d)).isDirectory(), d);
  assert.ok(fs.existsSync(path.join(ws, "inner", "configs", "env.yaml")));
  env.logger.info("after");
  assert.equal(env.logger.file, path.join(ws, "inner", "logs", path.basename(before)));
  assert.match(fs.readFileSync(env.logger.file, "utf8"), /INFO - after/);
  assert.doesNotMatch(fs.readFileSync(before, "utf8"), /after/);
  const abs = tempDir();
  env.set_workspace(abs);
  assert.equal(env.workspace, abs);
  assert.ok(fs.existsSync(path.join(abs, "configs", "env.yaml")));
  env.close();
});

test("EarlyStopping with min_delta and no min_delta_percent: a warning in validation (editor) and in the CLI", () => {
  const registry = { version: 1 as const, types: [...BUILTIN_TYPES, { name: "Toy", kind: "pipeline" as const }] };
  const files = (cb: string) => ({
    env: { path: "/c/env.yaml", text: "workspace: out\n" },
    experiment: { path: "/c/experiment.yaml", text: "name: e\ndesc: d\n" },
    base: {
      path: "/c/base.yaml",
      text: `pipeline:\n  type: Toy\n  callbacks:\n    - type: EarlyStopping\n      patience: 2\n${cb}`,
    },
    trials: { path: "/c/trials.yaml", text: "- name: a\n  repeat: 1\n  settings: {}\n" },
  });
  const ds = validateConfigSet(files("      min_delta: 0.01\n"), registry);
  const warn = ds.filter((d) => d.code === "changed-meaning");
  assert.equal(warn.length, 1);
  assert.equal(warn[0].severity, "warning");
  assert.equal(warn[0].path, "/c/base.yaml");
  assert.deepEqual(warn[0].range.start, { line: 5, character: 6 });
  assert.match(warn[0].message, /min_delta_percent/);
  assert.deepEqual(
    validateConfigSet(files("      min_delta: 0.01\n      min_delta_percent: 0\n"), registry).filter(
      (d) => d.code === "changed-meaning",
    ),
    [],
  );
  assert.deepEqual(
    validateConfigSet(files("      min_delta_percent: 1\n"), registry).filter((d) => d.code === "changed-meaning"),
    [],
  );

  const { dir } = toyConfig({
    epochs: 1,
    base: "pipeline:\n  type: Toy\n  epochs: 1\n  callbacks:\n    - type: EarlyStopping\n      patience: 2\n      min_delta: 0.01\n",
  });
  const v = expman(["validate", dir]);
  assert.match(v.stdout + v.stderr, /base\.yaml:7:7: warning: 'min_delta' without 'min_delta_percent'/);
  const r = expman(["run", dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout + r.stderr, /base\.yaml:7:7: warning: 'min_delta' without 'min_delta_percent'/);
});
