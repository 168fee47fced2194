import { dbRun } from "./helpers/db";
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { Level, Metric, RunStatus } from "../src/common/enums";
import { getRegistry } from "../src/registry/registry";
import { registerBuiltins } from "../src/builtins/register-builtins";
import { TrackerManager } from "../src/tracking/tracker-manager";
import { DBTracker } from "../src/tracking/db/db-tracker";
import { ResultsStore } from "../src/results/store";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "db-tracker-"));

function rows<T = Record<string, unknown>>(file: string, sql: string, ...args: unknown[]): T[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

interface Hierarchy {
  root: TrackerManager;
  file: string;
  ws: string;
  checkpointFile: string;
}

/**
 * experiment > trials a, b > runs (a: 2 repeats, b: 1 repeat that fails) > epochs with batches,
 * points at batch, epoch and run scope, params, checkpoints and artifacts at every level.
 */
async function trackHierarchy(ws: string, options: { recreate?: boolean } = {}): Promise<Hierarchy> {
  const root = TrackerManager.fromConfig(
    { trackers: [{ type: "DBTracker", name: "exp.db", recreate: options.recreate ?? false }] },
    ws,
  );
  root.onCreate(Level.EXPERIMENT, { name: "mnist", description: "a small sweep", configDir: "/configs/mnist" });
  root.onStart(Level.EXPERIMENT);
  root.logParams({ suite: "unit" });
  root.onAddArtifact(Level.EXPERIMENT, path.join(ws, "configs", "env.yaml"), "config");
  const checkpointFile = path.join(ws, "ckpt-a-0-final.bin");
  fs.writeFileSync(checkpointFile, "weights");
  for (const [trialName, repeats] of [
    ["a", 2],
    ["b", 1],
  ] as const) {
    const trial = root.createChild(path.join(ws, trialName));
    trial.onCreate(Level.TRIAL, trialName);
    trial.onStart(Level.TRIAL);
    for (let repeat = 0; repeat < repeats; repeat++) {
      const run = trial.createChild(path.join(ws, trialName, `${trialName}-${repeat}`));
      run.onCreate(Level.TRIAL_RUN, { repeat, seed: 42 + repeat });
      run.onStart(Level.TRIAL_RUN);
      run.logParams({ lr: 0.01 * (repeat + 1), model: { layers: [64, 32], act: "relu" }, trial: trialName });
      run.onCreate(Level.PIPELINE);
      run.onStart(Level.PIPELINE);
      const failing = trialName === "b";
      const epochs = failing ? 2 : 3;
      for (let e = 0; e < epochs; e++) {
        run.onCreate(Level.EPOCH, { epochId: e });
        run.onStart(Level.EPOCH, { epochId: e });
        for (let b = 0; b < 4; b++) {
          run.onCreate(Level.BATCH, { batchId: b });
          run.onStart(Level.BATCH, { batchId: b });
          run.trackDict({ [Metric.TRAIN_LOSS]: 1 / (e * 4 + b + 1) });
          run.onEnd(Level.BATCH);
        }
        run.trackDict({ [Metric.VAL_LOSS]: 0.5 - e * 0.1, [Metric.VAL_ACC]: 0.5 + e * 0.1 });
        run.track(Metric.CUSTOM, [
          ["lr_now", 0.001 * (e + 1)],
          ["phase", "warmup"],
        ]);
        if (!failing && e === 1)
          run.onCheckpoint({
            network: {},
            checkpointPath: path.join(ws, `ckpt-${trialName}-${repeat}-1.bin`),
            metrics: { val_loss: 0.4, note: "mid" },
          });
        run.onAddArtifact(Level.EPOCH, path.join(ws, `plot-${e}.png`), "figure");
        if (failing && e === 1) {
          run.onEnd(Level.EPOCH, { status: RunStatus.FAILED });
        } else {
          run.onEnd(Level.EPOCH);
        }
      }
      if (failing) {
        run.onEnd(Level.TRIAL_RUN, {
          status: RunStatus.FAILED,
          error: { message: "CUDA out of memory", stack: "Error: CUDA out of memory\n    at train (model.ts:10:5)" },
        });
        continue;
      }
      run.trackDict({ [Metric.TEST_ACC]: 0.9 + repeat * 0.01, [Metric.VAL_LOSS]: 0.25 });
      run.onCheckpoint(
        null,
        repeat === 0 ? checkpointFile : path.join(ws, "gone.bin"),
        { [Metric.VAL_LOSS]: 0.25, [Metric.TEST_ACC]: Infinity },
        { final: true },
      );
      run.onAddArtifact(
        Level.TRIAL_RUN,
        path.join(ws, trialName, `${trialName}-${repeat}`, "artifacts", "metrics.log"),
        "metrics",
      );
      run.onEnd(Level.PIPELINE);
      run.onEnd(Level.TRIAL_RUN, { status: repeat === 1 ? RunStatus.STOPPED : RunStatus.SUCCESS });
      await run.close(); // a run manager closing must not close the shared connection
    }
    trial.onAddArtifact(Level.TRIAL, path.join(ws, trialName, "summary.json"), "other");
    trial.onEnd(Level.TRIAL);
  }
  root.onEnd(Level.EXPERIMENT, { status: RunStatus.SUCCESS });
  assert.deepEqual(root.failureSummary(), []);
  const file = (root.trackers[0] as DBTracker).path;
  await root.close();
  return { root, file, ws, checkpointFile };
}

registerBuiltins();

test("DBTracker is the registered built-in, built from env.yaml into <workspace>/artifacts/<name>", () => {
  const ws = tmp();
  assert.equal(getRegistry().get("tracker", "DBTracker"), DBTracker);
  const tracker = DBTracker.fromConfig({ type: "DBTracker", name: "x.db" }, ws);
  assert.equal(tracker.path, path.join(ws, "artifacts", "x.db"));
  tracker.close();
  assert.throws(
    () => DBTracker.fromConfig({ type: "DBTracker", name: "" }, ws),
    /DBTracker 'name' must be the database file name.*artifacts.*tracker\.db/,
  );
  assert.throws(
    () => DBTracker.fromConfig({ type: "DBTracker", name: "y.db", flush_interval: 0 }, ws),
    /flush_interval/,
  );
  assert.throws(() => DBTracker.fromConfig({ type: "DBTracker", name: "y.db", recreate: "yes" }, ws), /recreate/);
});

test("a full hierarchy through a real TrackerManager: rows, statuses, no orphans", async () => {
  const { file, ws, checkpointFile } = await trackHierarchy(tmp());
  const db = new Database(file, { readonly: true });
  try {
    assert.deepEqual(db.pragma("foreign_key_check"), []);
    assert.equal(db.pragma("integrity_check", { simple: true }), "ok");

    const [experiment] = db.prepare("SELECT * FROM experiment").all() as ({
      start_time: number;
      end_time: number;
    } & Record<string, unknown>)[];
    assert.equal(experiment.title, "mnist");
    assert.equal(experiment.desc, "a small sweep");
    assert.equal(experiment.config_dir, "/configs/mnist");
    assert.equal(experiment.workspace, ws);
    assert.equal(experiment.status, "SUCCESS");
    assert.equal(experiment.pid, process.pid);
    assert.equal(experiment.host, os.hostname());
    assert.ok(experiment.end_time >= experiment.start_time);

    const trials = db.prepare("SELECT name, status, workspace FROM trial ORDER BY id").all();
    assert.deepEqual(trials, [
      { name: "a", status: "SUCCESS", workspace: path.join(ws, "a") },
      { name: "b", status: "SUCCESS", workspace: path.join(ws, "b") },
    ]);

    const runs = db
      .prepare(
        "SELECT r.repeat, r.seed, r.status, r.error_message, r.error_stack, t.name FROM trial_run r JOIN trial t ON t.id = r.trial_id ORDER BY r.id",
      )
      .all();
    assert.deepEqual(runs, [
      { repeat: 0, seed: 42, status: "SUCCESS", error_message: null, error_stack: null, name: "a" },
      { repeat: 1, seed: 43, status: "STOPPED", error_message: null, error_stack: null, name: "a" },
      {
        repeat: 0,
        seed: 42,
        status: "FAILED",
        error_message: "CUDA out of memory",
        error_stack: "Error: CUDA out of memory\n    at train (model.ts:10:5)",
        name: "b",
      },
    ]);

    // Epoch rows exist exactly for the epochs run; batches are counted, not rows.
    const epochs = db
      .prepare("SELECT run_id, idx, status, batch_count FROM epoch ORDER BY run_id, idx")
      .all() as Record<string, unknown>[];
    assert.deepEqual(
      epochs.map((e) => [e.run_id, e.idx, e.status, e.batch_count]),
      [
        [1, 0, "SUCCESS", 4],
        [1, 1, "SUCCESS", 4],
        [1, 2, "SUCCESS", 4],
        [2, 0, "SUCCESS", 4],
        [2, 1, "SUCCESS", 4],
        [2, 2, "SUCCESS", 4],
        [3, 0, "SUCCESS", 4],
        [3, 1, "FAILED", 4],
      ],
    );

    // Scopes: batch points with the global batch counter as step, epoch points with the epoch.
    const series = db
      .prepare("SELECT key, scope, count, min_step, max_step, custom FROM series WHERE run_id = 1 ORDER BY key, scope")
      .all();
    assert.deepEqual(series, [
      { key: "lr_now", scope: "epoch", count: 3, min_step: 0, max_step: 2, custom: 1 },
      { key: "phase", scope: "epoch", count: 0, min_step: null, max_step: null, custom: 1 },
      { key: "test_acc", scope: "run", count: 1, min_step: null, max_step: null, custom: 0 },
      { key: "train_loss", scope: "batch", count: 12, min_step: 0, max_step: 11, custom: 0 },
      { key: "val_acc", scope: "epoch", count: 3, min_step: 0, max_step: 2, custom: 0 },
      { key: "val_loss", scope: "epoch", count: 3, min_step: 0, max_step: 2, custom: 0 },
      { key: "val_loss", scope: "run", count: 1, min_step: null, max_step: null, custom: 0 },
    ]);
    const epochMetrics = db
      .prepare("SELECT epoch, key, value, step FROM epoch_metric WHERE run_id = 1 AND key = 'val_loss' ORDER BY epoch")
      .all();
    assert.deepEqual(epochMetrics, [
      { epoch: 0, key: "val_loss", value: 0.5, step: 0 },
      { epoch: 1, key: "val_loss", value: 0.4, step: 1 },
      { epoch: 2, key: "val_loss", value: 0.3, step: 2 },
    ]);
    const texts = db
      .prepare(
        "SELECT m.value, m.epoch FROM metric_text m JOIN series s ON s.id = m.series_id WHERE s.run_id = 1 ORDER BY m.id",
      )
      .all();
    assert.deepEqual(
      texts,
      [0, 1, 2].map((epoch) => ({ value: '"warmup"', epoch })),
    );

    // Times are stored per point and per row.
    const chunk = db
      .prepare(
        "SELECT c.first_time, c.last_time, c.n FROM chunk c JOIN series s ON s.id = c.series_id WHERE s.run_id = 1 AND s.key = 'train_loss'",
      )
      .get() as Record<string, number>;
    assert.equal(chunk.n, 12);
    assert.ok(chunk.first_time >= experiment.start_time && chunk.last_time <= experiment.end_time);

    const params = db.prepare("SELECT run_id, trial_id, key, value FROM param ORDER BY id").all() as Record<
      string,
      unknown
    >[];
    assert.deepEqual(params[0], { run_id: null, trial_id: null, key: "suite", value: '"unit"' });
    assert.deepEqual(
      params.filter((p) => p.run_id === 1).map((p) => [p.key, p.value]),
      [
        ["lr", "0.01"],
        ["model.layers", "[64,32]"],
        ["model.act", '"relu"'],
        ["trial", '"a"'],
      ],
    );

    const checkpoints = db.prepare("SELECT run_id, epoch, path, final, metrics FROM checkpoint ORDER BY id").all();
    assert.deepEqual(checkpoints, [
      {
        run_id: 1,
        epoch: 1,
        path: path.join(ws, "ckpt-a-0-1.bin"),
        final: 0,
        metrics: '{"val_loss":0.4,"note":"mid"}',
      },
      { run_id: 1, epoch: 2, path: checkpointFile, final: 1, metrics: '{"val_loss":0.25,"test_acc":"Infinity"}' },
      {
        run_id: 2,
        epoch: 1,
        path: path.join(ws, "ckpt-a-1-1.bin"),
        final: 0,
        metrics: '{"val_loss":0.4,"note":"mid"}',
      },
      {
        run_id: 2,
        epoch: 2,
        path: path.join(ws, "gone.bin"),
        final: 1,
        metrics: '{"val_loss":0.25,"test_acc":"Infinity"}',
      },
    ]);

    const artifacts = db
      .prepare("SELECT level, experiment_id, trial_id, run_id, epoch, type FROM artifact ORDER BY id")
      .all() as Record<string, unknown>[];
    assert.deepEqual(artifacts[0], {
      level: "experiment",
      experiment_id: 1,
      trial_id: null,
      run_id: null,
      epoch: null,
      type: "config",
    });
    assert.deepEqual(
      artifacts.filter((a) => a.run_id === 1).map((a) => [a.level, a.epoch, a.type]),
      [
        ["epoch", 0, "figure"],
        ["epoch", 1, "figure"],
        ["epoch", 2, "figure"],
        ["trial_run", null, "metrics"],
      ],
    );
    assert.deepEqual(
      artifacts.filter((a) => a.level === "trial").map((a) => [a.trial_id, a.run_id]),
      [
        [1, null],
        [2, null],
      ],
    );

    // The SQL views.
    const finals = db.prepare("SELECT key, value, scope FROM v_final_metric WHERE run_id = 1 ORDER BY key").all();
    assert.deepEqual(finals, [
      { key: "lr_now", value: 0.003, scope: "epoch" },
      { key: "test_acc", value: 0.9, scope: "run" },
      { key: "train_loss", value: 1 / 12, scope: "batch" },
      { key: "val_acc", value: 0.7, scope: "epoch" },
      { key: "val_loss", value: 0.25, scope: "run" },
    ]);
    const viewRows = db
      .prepare(
        "SELECT experiment, trial, repeat, epoch, value FROM v_epoch_metric WHERE key = 'val_acc' AND run_id = 3 ORDER BY epoch",
      )
      .all();
    assert.deepEqual(viewRows, [
      { experiment: "mnist", trial: "b", repeat: 0, epoch: 0, value: 0.5 },
      { experiment: "mnist", trial: "b", repeat: 0, epoch: 1, value: 0.6 },
    ]);
  } finally {
    db.close();
  }
});

test("the results API reads the hierarchy back", async () => {
  const { file, ws, checkpointFile } = await trackHierarchy(tmp());
  const store = new ResultsStore(file);
  try {
    const [experiment] = store.listExperiments();
    assert.equal(experiment.title, "mnist");
    assert.equal(experiment.desc, "a small sweep");
    assert.equal(experiment.status, "SUCCESS");
    assert.equal(experiment.trialCount, 2);
    assert.equal(experiment.runCount, 3);
    assert.deepEqual(
      store.listTrials(experiment.id).map((t) => [t.name, t.runCount]),
      [
        ["a", 2],
        ["b", 1],
      ],
    );

    const runs = store.listRuns({ experimentId: experiment.id });
    assert.deepEqual(
      runs.map((r) => [r.trialName, r.repeat, r.seed, r.status, r.epochCount]),
      [
        ["a", 0, 42, "SUCCESS", 3],
        ["a", 1, 43, "STOPPED", 3],
        ["b", 0, 42, "FAILED", 2],
      ],
    );
    assert.deepEqual(runs[0].params, { lr: 0.01, "model.layers": [64, 32], "model.act": "relu", trial: "a" });
    // Run scope wins over epoch scope for val_loss; batch-only keys give their last value.
    assert.deepEqual(runs[0].finalMetrics, {
      lr_now: 0.003,
      test_acc: 0.9,
      train_loss: 1 / 12,
      val_acc: 0.7,
      val_loss: 0.25,
    });
    assert.equal(runs[2].finalMetrics.val_loss, 0.4);
    assert.deepEqual(runs[2].error, {
      message: "CUDA out of memory",
      stack: "Error: CUDA out of memory\n    at train (model.ts:10:5)",
    });
    assert.equal(runs[0].workspace, path.join(ws, "a", "a-0"));
    assert.deepEqual(
      store.listRuns({ trialId: runs[2].trialId }).map((r) => r.id),
      [runs[2].id],
    );
    assert.deepEqual(store.getRun(runs[1].id), runs[1]);
    assert.equal(store.getRun(999), null);

    const epochs = store.listEpochs(runs[2].id);
    assert.deepEqual(
      epochs.map((e) => [e.idx, e.status, e.batchCount]),
      [
        [0, "SUCCESS", 4],
        [1, "FAILED", 4],
      ],
    );
    assert.deepEqual(epochs[1].metrics, { lr_now: 0.002, val_acc: 0.6, val_loss: 0.4 });

    assert.deepEqual(
      store.seriesKeys(runs[0].id).map((k) => `${k.key}/${k.scope}/${k.count}/${k.custom}`),
      [
        "lr_now/epoch/3/true",
        "test_acc/run/1/false",
        "train_loss/batch/12/false",
        "val_acc/epoch/3/false",
        "val_loss/epoch/3/false",
        "val_loss/run/1/false",
      ],
    );
    assert.deepEqual(
      store.textValues(runs[0].id, "phase").map((t) => [t.value, t.epoch, t.scope]),
      [
        ["warmup", 0, "epoch"],
        ["warmup", 1, "epoch"],
        ["warmup", 2, "epoch"],
      ],
    );

    const checkpoints = store.listCheckpoints(runs[0].id);
    assert.deepEqual(
      checkpoints.map((c) => [c.epoch, c.final, c.exists, c.metrics]),
      [
        [1, false, false, { val_loss: 0.4, note: "mid" }],
        [2, true, true, { val_loss: 0.25, test_acc: "Infinity" }],
      ],
    );
    assert.equal(checkpoints[1].path, checkpointFile);

    const artifacts = store.listArtifacts(runs[0].id);
    assert.deepEqual(
      artifacts.map((a) => [a.level, a.ownerId, a.epoch, a.type]),
      [
        ["epoch", runs[0].id, 0, "figure"],
        ["epoch", runs[0].id, 1, "figure"],
        ["epoch", runs[0].id, 2, "figure"],
        ["trial_run", runs[0].id, null, "metrics"],
      ],
    );
  } finally {
    store.close();
  }
});

test("reuse appends a new experiment to the same file; recreate starts over", async () => {
  const ws = tmp();
  const first = await trackHierarchy(ws);
  const second = await trackHierarchy(ws);
  assert.equal(first.file, second.file);
  assert.deepEqual(rows(first.file, "SELECT id, title FROM experiment ORDER BY id"), [
    { id: 1, title: "mnist" },
    { id: 2, title: "mnist" },
  ]);
  assert.deepEqual(rows(first.file, "SELECT count(*) AS n FROM trial_run"), [{ n: 6 }]);
  assert.deepEqual(rows(first.file, "PRAGMA foreign_key_check"), []);
  const uids = rows<{ uid: string }>(first.file, "SELECT uid FROM experiment").map((r) => r.uid);
  assert.notEqual(uids[0], uids[1]);

  await trackHierarchy(ws, { recreate: true });
  assert.deepEqual(rows(first.file, "SELECT id FROM experiment"), [{ id: 1 }]);
  assert.deepEqual(rows(first.file, "SELECT count(*) AS n FROM trial_run"), [{ n: 3 }]);
});

test("non-finite and non-numeric values: kept, typed, never a crash", async () => {
  const ws = tmp();
  const root = TrackerManager.fromConfig({ trackers: [{ type: "DBTracker", name: "v.db" }] }, ws);
  root.onCreate(Level.EXPERIMENT, "values");
  const trial = root.createChild(ws);
  trial.onCreate(Level.TRIAL, "t");
  const run = trial.createChild(ws);
  run.onCreate(Level.TRIAL_RUN, { repeat: 0 });
  run.onCreate(Level.EPOCH, 0);
  run.track(Metric.TRAIN_LOSS, 1.5);
  run.track(Metric.TRAIN_LOSS, NaN);
  run.track(Metric.TRAIN_LOSS, Infinity);
  run.track(Metric.TRAIN_LOSS, -Infinity);
  run.track(Metric.TRAIN_LOSS, true);
  run.track(Metric.TRAIN_LOSS, 7n);
  run.track(Metric.TRAIN_LOSS, "not a number");
  run.track(Metric.CONFUSION, { cat: { cat: 3, dog: 1 }, dog: { cat: 0, dog: 4 } });
  run.track(Metric.CUSTOM, ["shape", null]);
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  run.track(Metric.CUSTOM, ["cyclic", cyclic]);
  run.onEnd(Level.EPOCH);
  run.track(Metric.VAL_LOSS, NaN); // run scope: final metric NaN
  run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
  root.onEnd(Level.EXPERIMENT);
  assert.deepEqual(root.failureSummary(), []);
  const file = (root.trackers[0] as DBTracker).path;
  await root.close();

  const store = new ResultsStore(file);
  try {
    const runId = store.listRuns()[0].id;
    const loss = store.getSeries({ runId, key: "train_loss" });
    assert.deepEqual(loss.values, [1.5, null, null, null, 1, 7]);
    assert.deepEqual(loss.nonFinite, { 1: "NaN", 2: "Infinity", 3: "-Infinity" });
    assert.deepEqual(loss.steps, [0, 0, 0, 0, 0, 0]);
    const texts = store.textValues(runId);
    assert.deepEqual(
      texts.map((t) => [t.key, t.value]),
      [
        ["train_loss", "not a number"],
        ["confusion", { cat: { cat: 3, dog: 1 }, dog: { cat: 0, dog: 4 } }],
        ["shape", null],
        ["cyclic", { a: 1, self: "[circular]" }],
      ],
    );
    const run0 = store.getRun(runId)!;
    assert.ok(Number.isNaN(run0.finalMetrics.val_loss), "NaN survives as the final value");
    assert.equal(run0.finalMetrics.train_loss, 7);
    assert.equal(store.listEpochs(runId)[0].metrics.train_loss, 7, "the epoch row keeps the epoch's last value");
    const val = store.getSeries({ runId, key: "val_loss", scope: "run" });
    assert.deepEqual([val.values, val.nonFinite, val.steps], [[null], { 0: "NaN" }, [0]]);
  } finally {
    store.close();
  }
});

test("points tracked at experiment and trial level are kept under their owner, no phantom run", async () => {
  const ws = tmp();
  const root = TrackerManager.fromConfig({ trackers: [{ type: "DBTracker", name: "o.db" }] }, ws);
  root.onCreate(Level.EXPERIMENT, "owners");
  root.track(Metric.CUSTOM, ["setup_seconds", 2.5]);
  const trial = root.createChild(ws);
  trial.onCreate(Level.TRIAL, "t");
  trial.track(Metric.CUSTOM, ["trial_thing", 1]);
  root.onEnd(Level.EXPERIMENT);
  const file = (root.trackers[0] as DBTracker).path;
  await root.close();
  assert.deepEqual(rows(file, "SELECT key, experiment_id, trial_id, run_id, count FROM series ORDER BY id"), [
    { key: "setup_seconds", experiment_id: 1, trial_id: null, run_id: null, count: 1 },
    { key: "trial_thing", experiment_id: 1, trial_id: 1, run_id: null, count: 1 },
  ]);
  assert.deepEqual(rows(file, "SELECT count(*) AS n FROM trial_run"), [{ n: 0 }]);
  assert.deepEqual(
    rows(file, "SELECT status FROM trial"),
    [{ status: "ABORTED" }],
    "a trial never ended is ABORTED at close",
  );
});

test("tracking before any experiment is reported by the manager, not a crash", async () => {
  const ws = tmp();
  const errors: string[] = [];
  const manager = new TrackerManager(ws, { report: (m) => errors.push(m) });
  manager.addTracker(new DBTracker(ws, { name: "e.db" }), "DBTracker");
  manager.track(Metric.TRAIN_LOSS, 1);
  assert.match(errors[0], /no experiment was created yet/);
  await manager.close();
});

test("many points: chunks of 1024, partial chunk rewritten in place, flushes visible to a reader while running", async () => {
  const ws = tmp();
  const tracker = new DBTracker(ws, { name: "live.db" });
  const manager = new TrackerManager(ws);
  manager.addTracker(tracker, "DBTracker");
  manager.onCreate(Level.EXPERIMENT, "live");
  const trial = manager.createChild(ws);
  trial.onCreate(Level.TRIAL, "t");
  const r = trial.createChild(ws);
  r.onCreate(Level.TRIAL_RUN, { repeat: 0 });
  r.onCreate(Level.EPOCH, 0);
  r.onStart(Level.BATCH, 0);
  for (let i = 0; i < 2500; i++) r.track(Metric.TRAIN_LOSS, i, i);
  tracker.flush();
  const reader = new ResultsStore(tracker.path);
  try {
    const runId = reader.listRuns()[0].id;
    assert.equal(reader.listRuns()[0].status, "RUNNING");
    assert.equal(reader.getSeries({ runId, key: "train_loss" }).totalPoints, 2500);
    for (let i = 2500; i < 3000; i++) r.track(Metric.TRAIN_LOSS, i, i);
    tracker.flush();
    const all = reader.getSeries({ runId, key: "train_loss" });
    assert.deepEqual(
      all.values,
      Array.from({ length: 3000 }, (_, i) => i),
    );
    assert.deepEqual(rows(tracker.path, "SELECT seq, n FROM chunk ORDER BY seq"), [
      { seq: 0, n: 1024 },
      { seq: 1, n: 1024 },
      { seq: 2, n: 952 },
    ]);
  } finally {
    reader.close();
  }
  await manager.close();
});

test("a run's buffers are released at its end; points tracked afterwards continue its series from the file", async () => {
  const { root, tracker, run } = dbRun("resume.db", "resume");
  run.onCreate(Level.EPOCH, 0);
  run.onStart(Level.BATCH, 0);
  for (let i = 0; i < 1500; i++) run.track(Metric.TRAIN_LOSS, i, i);
  run.onEnd(Level.BATCH);
  run.onEnd(Level.EPOCH);
  for (const v of [10, 11, 12]) run.track(Metric.TEST_ACC, v);
  run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
  const owners = (tracker as unknown as { store: { rows: { owners: Map<string, unknown> } } }).store.rows.owners;
  assert.equal(owners.has(run.ids.run!), false, "the ended run's owner is released");

  // Late points (after the run ended) go on where the file left off.
  run.onStart(Level.EPOCH, 1);
  run.onStart(Level.BATCH, 0);
  for (let i = 1500; i < 2200; i++) run.track(Metric.TRAIN_LOSS, i, i);
  run.onEnd(Level.BATCH);
  run.onEnd(Level.EPOCH);
  run.track(Metric.TEST_ACC, 13);
  root.onEnd(Level.EXPERIMENT);
  await root.close();

  assert.deepEqual(
    rows(
      tracker.path,
      "SELECT c.seq, c.n FROM chunk c JOIN series s ON s.id = c.series_id WHERE s.key = 'train_loss' ORDER BY c.seq",
    ),
    [
      { seq: 0, n: 1024 },
      { seq: 1, n: 1024 },
      { seq: 2, n: 152 },
    ],
  );
  assert.deepEqual(rows(tracker.path, "SELECT key, count FROM series ORDER BY id"), [
    { key: "train_loss", count: 2200 },
    { key: "test_acc", count: 4 },
  ]);
  const store = new ResultsStore(tracker.path);
  try {
    assert.deepEqual(
      store.getSeries({ runId: 1, key: "train_loss" }).values,
      Array.from({ length: 2200 }, (_, i) => i),
    );
    const acc = store.getSeries({ runId: 1, key: "test_acc" });
    assert.deepEqual(
      [acc.steps, acc.values],
      [
        [0, 1, 2, 3],
        [10, 11, 12, 13],
      ],
    );
    assert.equal(store.getRun(1)!.finalMetrics.test_acc, 13);
  } finally {
    store.close();
  }
});
