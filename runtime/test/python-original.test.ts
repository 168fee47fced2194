/**
 * Databases written by the Python original's DBTracker, read read-only by the results API,
 * `expman ls/show/export` and the query service (issue 9, section 2).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { openResults } from "../src/results/open";
import { PythonOriginalStore } from "../src/results/python-original";
import { QueryService } from "../src/cli/commands/serve";
import type { QueryMethod, QueryMethods } from "../src/results/contract";
import { REPO, expman } from "./helpers/cli";
import { tempDir } from "./helpers/env";

const SCHEMA = fs.readFileSync(path.join(__dirname, "fixtures", "python-original", "schema.sql"), "utf8");

/** The reference database the original wrote (shared/reference, read-only): copied before use. */
function referenceDb(): string | undefined {
  const candidates = [
    process.env.EXPMAN_PYTHON_REFERENCE_DB,
    path.resolve(REPO, "../shared/reference/python_original_experiment.db"),
    "/work/shared/reference/python_original_experiment.db",
  ];
  return candidates.find((f): f is string => typeof f === "string" && fs.existsSync(f));
}

function sha256(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

function sidecars(file: string): string[] {
  return ["-wal", "-shm", "-journal"].map((s) => file + s).filter((f) => fs.existsSync(f));
}

/**
 * A database in the original's schema, written as its DBTracker does (local ISO times, status
 * 'started', per_label_val JSON, phantom epoch and batch links), at <ws>/artifacts/tracker.db.
 */
function makeOriginalDb(): { file: string; ws: string } {
  const ws = tempDir("expman-pyorig-");
  const file = path.join(ws, "artifacts", "tracker.db");
  fs.mkdirSync(path.dirname(file));
  const db = new Database(file);
  // As the original's sqlite3 connections: foreign keys not enforced (it relies on that).
  db.pragma("foreign_keys = OFF");
  db.exec(SCHEMA);
  const t = (s: number) => `2026-11-26T02:07:${String(10 + s).padStart(2, "0")}.000000`;
  db.prepare("INSERT INTO EXPERIMENT (title, desc, start_time, update_time) VALUES ('mnist', '', ?, ?)").run(
    t(0),
    t(0),
  );
  db.prepare("INSERT INTO TRIAL (name, experiment_id, start_time, update_time) VALUES ('small_lr', 1, ?, ?)").run(
    t(0),
    t(0),
  );
  let metricId = 0;
  const metric = (type: string, v: unknown, perLabel: object | null = null) => {
    db.prepare("INSERT INTO METRIC (type, total_val, per_label_val) VALUES (?, ?, ?)").run(
      type,
      v as number,
      perLabel ? JSON.stringify(perLabel) : null,
    );
    return ++metricId;
  };
  for (const run of [1, 2]) {
    db.prepare("INSERT INTO TRIAL_RUN (trial_id, status, start_time, update_time) VALUES (1, 'started', ?, ?)").run(
      t(run),
      t(run),
    );
    for (let e = 0; e < 3; e++) {
      db.prepare("INSERT INTO EPOCH (idx, trial_run_id, time) VALUES (?, ?, ?)").run(e, run, t(run * 10 + e));
      for (let b = 0; b < 2; b++) {
        db.prepare("INSERT INTO BATCH (idx, epoch_idx, trial_run_id, time) VALUES (?, ?, ?, ?)").run(
          b,
          e,
          run,
          t(run * 10 + e),
        );
        db.prepare("INSERT INTO BATCH_METRIC VALUES (?, ?, ?, ?)").run(
          b,
          e,
          run,
          metric("train_loss", 1 / (e * 2 + b + 1)),
        );
      }
      // Epoch metrics after batches: the original files them under batch 2, which does not exist.
      db.prepare("INSERT INTO BATCH_METRIC VALUES (2, ?, ?, ?)").run(e, run, metric("val_loss", 0.5 - e / 10));
      // Per-label values on a properly linked epoch metric.
      db.prepare("INSERT INTO EPOCH_METRIC VALUES (?, ?, ?)").run(
        e,
        run,
        metric("val_acc", 0.8 + e / 100, { cat: 0.7 + e / 10, dog: 0.9 }),
      );
      db.prepare("INSERT INTO EPOCH_METRIC VALUES (?, ?, ?)").run(
        e,
        run,
        metric("confusion", 0, { cat: 3 - e, dog: e }),
      );
    }
    // Tracked after the loop: filed under epoch 3, which does not exist (test metrics).
    db.prepare("INSERT INTO EPOCH_METRIC VALUES (3, ?, ?)").run(run, metric("test_loss", 0.42));
    db.prepare("INSERT INTO RESULTS VALUES (?, ?)").run(run, t(run * 10 + 5));
    db.prepare("INSERT INTO RESULTS_METRIC VALUES (?, ?)").run(run, metric("test_acc", 0.9 + run / 100));
    db.prepare("INSERT INTO ARTIFACT (type, loc) VALUES ('unknown', ?)").run(
      path.join(ws, "small_lr", `small_lr-${run - 1}`, "artifacts", "checkpoint-0"),
    );
    db.prepare("INSERT INTO TRIAL_RUN_ARTIFACT VALUES (?, last_insert_rowid())").run(run);
    db.prepare("INSERT INTO ARTIFACT (type, loc) VALUES ('metrics', ?)").run(
      path.join(ws, "small_lr", `small_lr-${run - 1}`, "artifacts", "metrics.log"),
    );
    db.prepare("INSERT INTO TRIAL_RUN_ARTIFACT VALUES (?, last_insert_rowid())").run(run);
  }
  db.prepare("INSERT INTO ARTIFACT (type, loc) VALUES ('figure', ?)").run(path.join(ws, "artifacts", "summary.png"));
  db.prepare("INSERT INTO EXPERIMENT_ARTIFACT VALUES (1, last_insert_rowid())").run();
  db.prepare("INSERT INTO ARTIFACT (type, loc) VALUES ('config', ?)").run(
    path.join(ws, "small_lr", "configs", "experiment.yaml"),
  );
  db.prepare("INSERT INTO TRIAL_ARTIFACT VALUES (1, last_insert_rowid())").run();
  db.close();
  return { file, ws };
}

test("the reference database of the original reads back: counts match SQL on the file, which is left byte-for-byte unchanged", async (t) => {
  const source = referenceDb();
  if (!source) return t.skip("the original's reference database (shared/reference) is not on this machine");
  const dir = tempDir("expman-ref-");
  const file = path.join(dir, "python_original_experiment.db");
  fs.copyFileSync(source, file);
  fs.chmodSync(file, 0o644);
  const before = sha256(file);
  const sql = new Database(file, { readonly: true });
  const count = (q: string, ...args: unknown[]) => (sql.prepare(q).get(...args) as { n: number }).n;

  const store = openResults(file);
  assert.ok(store instanceof PythonOriginalStore);
  const experiments = store.listExperiments();
  assert.equal(experiments.length, count("SELECT count(*) AS n FROM EXPERIMENT"));
  assert.equal(experiments[0].title, "anchor_experiment");
  assert.equal(experiments[0].runCount, count("SELECT count(*) AS n FROM TRIAL_RUN"));
  assert.equal(store.listTrials(experiments[0].id).length, count("SELECT count(*) AS n FROM TRIAL"));
  const runs = store.listRuns();
  assert.equal(runs.length, count("SELECT count(*) AS n FROM TRIAL_RUN"));
  let batchPoints = 0;
  let epochPoints = 0;
  let runPoints = 0;
  for (const run of runs) {
    assert.equal(run.status, "FINISHED");
    assert.ok(run.notRecorded?.includes("status"));
    const epochs = store.listEpochs(run.id);
    assert.equal(epochs.length, count("SELECT count(*) AS n FROM EPOCH WHERE trial_run_id = ?", run.id));
    assert.equal(
      epochs.reduce((n, e) => n + e.batchCount, 0),
      count("SELECT count(*) AS n FROM BATCH WHERE trial_run_id = ?", run.id),
    );
    for (const k of store.seriesKeys(run.id)) {
      if (k.scope === "batch") batchPoints += k.count;
      else if (k.scope === "epoch") epochPoints += k.count;
      else runPoints += k.count;
    }
    // The original's epoch metrics (val_loss, val_acc) are filed under a batch that does not exist: they read as epoch metrics.
    const val = store.getSeries({ runId: run.id, key: "val_loss" });
    assert.equal(val.scope, "epoch");
    assert.deepEqual(
      val.steps,
      epochs.map((e) => e.idx),
    );
    assert.ok(Object.keys(epochs[0].metrics).includes("val_acc"));
  }
  const phantom = count(
    `SELECT count(*) AS n FROM BATCH_METRIC bm LEFT JOIN BATCH b ON b.idx = bm.batch_idx AND b.epoch_idx = bm.epoch_idx AND b.trial_run_id = bm.trial_run_id WHERE b.idx IS NULL`,
  );
  assert.ok(phantom > 0, "the reference file has the original's phantom-batch links");
  assert.equal(batchPoints, count("SELECT count(*) AS n FROM BATCH_METRIC") - phantom);
  assert.equal(epochPoints, phantom + count("SELECT count(*) AS n FROM EPOCH_METRIC"));
  assert.equal(runPoints, count("SELECT count(*) AS n FROM RESULTS_METRIC"));
  assert.equal(
    runs[0].finalMetrics.test_acc,
    (
      sql
        .prepare(
          "SELECT m.total_val AS v FROM RESULTS_METRIC rm JOIN METRIC m ON m.id = rm.metric_id WHERE rm.results_id = ? AND m.type = 'test_acc'",
        )
        .get(runs[0].id) as { v: number }
    ).v,
  );
  store.close();

  // The CLI on the same file.
  const ls = expman(["ls", "--db", file, "--json"]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.equal(JSON.parse(ls.stdout).length, runs.length);
  const show = expman(["show", "anchor_trial-1", "--db", file]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /Python original/);
  assert.match(show.stdout, /Not recorded by the original: status, repeat/);
  const csv = expman(["export", String(runs[0].id), "--db", file, "--key", "val_loss"])
    .stdout.trim()
    .split("\n");
  assert.equal(csv.length - 1, count("SELECT count(*) AS n FROM EPOCH WHERE trial_run_id = ?", runs[0].id));
  sql.close();

  assert.equal(sha256(file), before, "the file is unchanged");
  assert.deepEqual(sidecars(file), [], "no -wal, -shm or -journal left next to it");
  assert.equal(
    new Database(file, { readonly: true }).pragma("journal_mode", { simple: true }),
    "delete",
    "still in its rollback-journal mode (no WAL switch)",
  );
});

test("an original database made here: per-label values as one series per label, phantom links mapped, artifacts at every level, checkpoints from artifacts", () => {
  const { file, ws } = makeOriginalDb();
  const before = sha256(file);
  const store = openResults(file) as PythonOriginalStore;
  const [experiment] = store.listExperiments();
  assert.equal(experiment.workspace, ws);
  const runs = store.listRuns();
  assert.deepEqual(
    runs.map((r) => [r.trialName, r.repeat, r.workspace]),
    [
      ["small_lr", 0, path.join(ws, "small_lr", "small_lr-0")],
      ["small_lr", 1, path.join(ws, "small_lr", "small_lr-1")],
    ],
  );
  const keys = store
    .seriesKeys(runs[0].id)
    .map((k) => `${k.key}:${k.scope}:${k.count}${k.label ? `:${k.metric}[${k.label}]` : ""}`);
  assert.deepEqual(keys, [
    "confusion:epoch:3",
    "confusion/cat:epoch:3:confusion[cat]",
    "confusion/dog:epoch:3:confusion[dog]",
    "test_acc:run:1",
    "test_loss:run:1",
    "train_loss:batch:6",
    "val_acc:epoch:3",
    "val_acc/cat:epoch:3:val_acc[cat]",
    "val_acc/dog:epoch:3:val_acc[dog]",
    "val_loss:epoch:3",
  ]);
  const cat = store.getSeries({ runId: runs[0].id, key: "val_acc/cat" });
  assert.deepEqual(cat.steps, [0, 1, 2]);
  assert.deepEqual(
    cat.values.map((v) => Math.round(v! * 100) / 100),
    [0.7, 0.8, 0.9],
  );
  assert.deepEqual(
    store.getSeries({ runId: runs[0].id, key: "train_loss" }).steps,
    [0, 1, 2, 3, 4, 5],
    "batch order stands in for the missing step",
  );
  assert.equal(
    runs[0].finalMetrics.test_loss,
    0.42,
    "a metric linked to an epoch that does not exist (after the loop) is a run metric",
  );
  assert.deepEqual(
    store.listEpochs(runs[0].id).map((e) => [e.idx, e.batchCount, e.metrics.val_loss]),
    [
      [0, 2, 0.5],
      [1, 2, 0.4],
      [2, 2, 0.3],
    ],
  );
  assert.deepEqual(
    store.listExperimentArtifacts(experiment.id).map((a) => [a.level, a.type, path.basename(a.path)]),
    [["experiment", "figure", "summary.png"]],
  );
  assert.deepEqual(
    store.listTrialArtifacts(store.listTrials(experiment.id)[0].id).map((a) => [a.level, a.type]),
    [["trial", "config"]],
  );
  assert.deepEqual(
    store.listArtifacts(runs[1].id).map((a) => [a.level, path.basename(a.path)]),
    [
      ["trial_run", "checkpoint-0"],
      ["trial_run", "metrics.log"],
    ],
  );
  assert.deepEqual(
    store.listCheckpoints(runs[1].id).map((c) => [path.basename(c.path), c.final, c.exists]),
    [["checkpoint-0", false, false]],
  );
  store.close();

  // The query service answers the same, with per-label keys for the panel.
  const service = new QueryService();
  const call = <M extends QueryMethod>(method: M, params: object) =>
    service.handle({ jsonrpc: "2.0", id: 1, method, params }) as { result: QueryMethods[M]["result"] };
  assert.equal(call("experiments.list", { db: file }).result[0].origin, "python-original");
  assert.equal(
    call("series.get", { db: file, runId: runs[1].id, key: "confusion/dog" }).result.values.join(","),
    "0,1,2",
  );
  assert.equal(call("artifacts.list", { db: file, experimentId: experiment.id }).result[0].type, "figure");
  assert.equal(call("artifacts.list", { db: file, trialId: 1 }).result[0].type, "config");
  service.close();

  // show lists the artifacts of every level: the run's, its trial's, its experiment's.
  const show = expman(["show", "small_lr-1", "--db", file]);
  assert.equal(show.code, 0, show.stderr);
  const section = (title: string) => {
    const lines = show.stdout.split("\n");
    const at = lines.indexOf(title);
    assert.ok(at >= 0, `${title} in:\n${show.stdout}`);
    const end = lines.findIndex((l, i) => i > at && l === "");
    return lines.slice(at + 1, end < 0 ? undefined : end).map((l) => l.trim().replace(ws, "<ws>"));
  };
  assert.deepEqual(section("Artifacts:"), [
    "unknown: <ws>/small_lr/small_lr-1/artifacts/checkpoint-0",
    "metrics: <ws>/small_lr/small_lr-1/artifacts/metrics.log",
  ]);
  assert.deepEqual(section("Artifacts of trial small_lr:"), ["config: <ws>/small_lr/configs/experiment.yaml"]);
  assert.deepEqual(section("Artifacts of experiment mnist:"), ["figure: <ws>/artifacts/summary.png"]);

  // ls says what the original did not record instead of a status it never wrote.
  const ls = expman(["ls", "--db", file]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.deepEqual(
    ls.stdout
      .split("\n")
      .filter((l) => /^\d+\s/.test(l))
      .map((l) => l.split(/\s{2,}/).slice(2, 5)),
    [
      ["small_lr", "0", "not recorded"],
      ["small_lr", "1", "not recorded"],
    ],
  );
  assert.match(
    ls.stdout,
    /Runs from a database of the Python original \(read-only\): status, repeat, end time, step, seed, error, params not recorded; its runs are numbered in the order they were written\./,
  );

  // Export: each label is its own key.
  const csv = expman(["export", "small_lr-0", "--db", file, "--key", "val_acc/dog"]);
  assert.equal(csv.code, 0, csv.stderr);
  assert.deepEqual(
    csv.stdout
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split(",").slice(0, 4).join(",")),
    ["val_acc/dog,epoch,0,0.9", "val_acc/dog,epoch,1,0.9", "val_acc/dog,epoch,2,0.9"],
  );
  assert.equal(sha256(file), before);
  assert.deepEqual(sidecars(file), []);
});

test("a DBTracker pointed at the original's database refuses it before writing anything (no WAL switch)", async () => {
  const { file } = makeOriginalDb();
  const before = sha256(file);
  const { DBTracker } = await import("../src/tracking/db/db-tracker");
  assert.throws(
    () => new DBTracker(path.dirname(path.dirname(file)), { name: "tracker.db" }),
    /not an expman tracking database.*database of the Python original.*read-only/,
  );
  assert.equal(sha256(file), before);
  assert.deepEqual(sidecars(file), []);
  assert.equal(new Database(file, { readonly: true }).pragma("journal_mode", { simple: true }), "delete");
});

test("a reader that stays open follows a run the original is still writing (new epochs and metrics appear)", () => {
  const { file } = makeOriginalDb();
  const store = openResults(file) as PythonOriginalStore;
  const run = store.listRuns()[0];
  assert.equal(store.listEpochs(run.id).length, 3);
  assert.equal(store.getSeries({ runId: run.id, key: "val_acc" }).steps.length, 3);
  // The original's process goes on: epoch 3 with its metric (as its DBTracker writes them).
  const writer = new Database(file);
  writer.pragma("foreign_keys = OFF");
  writer.prepare("INSERT INTO EPOCH (idx, trial_run_id, time) VALUES (3, ?, '2026-11-26T02:08:00.000000')").run(run.id);
  const m = writer
    .prepare("INSERT INTO METRIC (type, total_val, per_label_val) VALUES ('val_acc', 0.95, NULL)")
    .run().lastInsertRowid;
  writer.prepare("INSERT INTO EPOCH_METRIC VALUES (3, ?, ?)").run(run.id, m);
  writer.close();
  assert.equal(store.listEpochs(run.id).length, 4);
  const val = store.getSeries({ runId: run.id, key: "val_acc" });
  assert.deepEqual(val.steps, [0, 1, 2, 3]);
  assert.equal(val.values[3], 0.95);
  store.close();
});
