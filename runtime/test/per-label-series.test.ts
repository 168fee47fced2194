/**
 * Per-label series carry their label as its own field through the results API (series.keys,
 * series.get, expman export), so a metric or label holding `/` and, in the original's
 * databases, a total whose name equals `<metric>/<label>` stay apart. Unlabelled series read
 * exactly as before (no metric/label fields, five CSV columns).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { Level, Metric, RunStatus } from "../src/common/enums";
import { DBTracker } from "../src/tracking/db/db-tracker";
import { ResultsStore } from "../src/results/store";
import { openResults } from "../src/results/open";
import { QueryService } from "../src/cli/commands/serve";
import type { QueryMethod, QueryMethods } from "../src/results/contract";
import { dbRun } from "./helpers/db";
import { expman } from "./helpers/cli";
import { tempDir } from "./helpers/env";

const SCHEMA = fs.readFileSync(path.join(__dirname, "fixtures", "python-original", "schema.sql"), "utf8");

function rpc<M extends QueryMethod>(service: QueryService, method: M, params: object): QueryMethods[M]["result"] {
  const answer = service.handle({ jsonrpc: "2.0", id: 1, method, params }) as {
    result?: unknown;
    error?: { message: string };
  };
  if (answer.error) throw new Error(answer.error.message);
  return answer.result as QueryMethods[M]["result"];
}

/** CSV rows of `expman export` as objects by header (no quoted cells in these tests). */
function csvRows(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split("\n");
  const names = header.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [names[i], v])));
}

test("a metric named 'a/b' with labels (one holding '/') keeps metric and label apart in keys, series and export; unlabelled series unchanged", async () => {
  const { root, run } = dbRun("labels.db");
  for (let e = 0; e < 2; e++) {
    run.onCreate(Level.EPOCH, e);
    run.track(Metric.CUSTOM, ["a/b", { x: 0.5 + e, "y/z": 10 + e }]);
    run.track(Metric.TRAIN_LOSS, 1 / (e + 1));
    run.onEnd(Level.EPOCH);
  }
  run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
  root.onEnd(Level.EXPERIMENT);
  const file = (root.trackers[0] as DBTracker).path;
  await root.close();

  const store = new ResultsStore(file);
  const runId = store.listRuns()[0].id;
  const keys = store.seriesKeys(runId);
  assert.deepEqual(
    keys.map((k) => [k.key, k.metric, k.label]),
    [
      ["a/b/x", "a/b", "x"],
      ["a/b/y/z", "a/b", "y/z"],
      ["train_loss", undefined, undefined],
    ],
  );
  assert.ok(!("metric" in keys[2]) && !("label" in keys[2]), "an unlabelled key has no metric/label fields");
  const yz = store.getSeries({ runId, key: "a/b/y/z", label: "y/z" });
  assert.deepEqual([yz.metric, yz.label, yz.values], ["a/b", "y/z", [10, 11]]);
  assert.throws(() => store.getSeries({ runId, key: "a/b/y/z", label: "z" }), /no series 'a\/b\/y\/z' with label 'z'/);
  const loss = store.getSeries({ runId, key: "train_loss" });
  assert.ok(!("metric" in loss) && !("label" in loss));
  store.close();

  // The query service passes the label both ways.
  const service = new QueryService();
  const served = rpc(service, "series.keys", { db: file, runId }) as { key: string; metric?: string; label?: string }[];
  assert.deepEqual(
    served.find((k) => k.key === "a/b/x"),
    { ...keys[0] },
  );
  const x = rpc(service, "series.get", { db: file, runId, key: "a/b/x", label: "x" });
  assert.deepEqual([x.metric, x.label, x.values], ["a/b", "x", [0.5, 1.5]]);
  service.close();

  // Export: --key by metric name gives its labels; metric and label columns only when labelled.
  const csv = expman(["export", String(runId), "--db", file, "--key", "a/b"]);
  assert.equal(csv.code, 0, csv.stderr);
  const rows = csvRows(csv.stdout);
  assert.equal(csv.stdout.split("\n")[0], "key,scope,step,value,time,metric,label");
  assert.deepEqual(
    rows.map((r) => [r.key, r.metric, r.label, r.value]),
    [
      ["a/b/x", "a/b", "x", "0.5"],
      ["a/b/x", "a/b", "x", "1.5"],
      ["a/b/y/z", "a/b", "y/z", "10"],
      ["a/b/y/z", "a/b", "y/z", "11"],
    ],
  );
  const plain = expman(["export", String(runId), "--db", file, "--key", "train_loss"]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout.split("\n")[0], "key,scope,step,value,time", "an unlabelled export keeps its five columns");
  const json = expman(["export", String(runId), "--db", file, "--format", "json"]);
  assert.equal(json.code, 0, json.stderr);
  const series = JSON.parse(json.stdout).series as { key: string; metric?: string; label?: string }[];
  assert.deepEqual(
    series.map((s) => [s.key, s.metric, s.label]),
    [
      ["a/b/x", "a/b", "x"],
      ["a/b/y/z", "a/b", "y/z"],
      ["train_loss", undefined, undefined],
    ],
  );
});

test("our store: a total named 'a/b/x' and metric 'a/b' with label 'x' join to one key text but are two series (its key index holds the label); the total wins the summaries", async () => {
  const { root, run } = dbRun("collide.db");
  for (let e = 0; e < 3; e++) {
    run.onCreate(Level.EPOCH, e);
    run.track(Metric.CUSTOM, ["a/b/x", 100 + e]);
    run.track(Metric.CUSTOM, ["a/b", { x: e / 10 }]);
    // The brief's pair too: metric 'x' with label 'a/b' joins to 'x/a/b', its own series.
    run.track(Metric.CUSTOM, ["x", { "a/b": -e }]);
    run.onEnd(Level.EPOCH);
  }
  run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
  root.onEnd(Level.EXPERIMENT);
  const file = (root.trackers[0] as DBTracker).path;
  await root.close();

  const db = new Database(file, { readonly: true });
  const rows = db.prepare("SELECT key, label, count FROM series WHERE run_id IS NOT NULL ORDER BY key, label").all();
  assert.deepEqual(rows, [
    { key: "a/b/x", label: null, count: 3 },
    { key: "a/b/x", label: "x", count: 3 },
    { key: "x/a/b", label: "a/b", count: 3 },
  ]);
  assert.deepEqual(
    db.prepare("SELECT key, value FROM v_final_metric ORDER BY key").all(),
    [
      { key: "a/b/x", value: 102 },
      { key: "x/a/b", value: -2 },
    ],
    "the SQL view's final value of 'a/b/x' is the total's",
  );
  db.close();

  const store = new ResultsStore(file);
  try {
    const runId = store.listRuns()[0].id;
    assert.deepEqual(store.getSeries({ runId, key: "a/b/x" }).values, [100, 101, 102], "without a label: the total");
    assert.deepEqual(store.getSeries({ runId, key: "a/b/x", label: "x" }).values, [0, 0.1, 0.2]);
    assert.equal(store.getRun(runId)!.finalMetrics["a/b/x"], 102);
    assert.deepEqual(
      store.listEpochs(runId).map((e) => e.metrics["a/b/x"]),
      [100, 101, 102],
      "the epoch list holds totals, not a label's values under the same key",
    );
  } finally {
    store.close();
  }
});

test("an original database where a total named 'acc/cat' collides with label 'cat' of 'acc': two series, addressed by label; the total wins the summaries", () => {
  const ws = tempDir("expman-labels-");
  const file = path.join(ws, "tracker.db");
  const db = new Database(file);
  db.pragma("foreign_keys = OFF");
  db.exec(SCHEMA);
  const t = (s: number) => `2026-11-26T02:07:${String(10 + s).padStart(2, "0")}.000000`;
  db.prepare("INSERT INTO EXPERIMENT (title, desc, start_time, update_time) VALUES ('x', '', ?, ?)").run(t(0), t(0));
  db.prepare("INSERT INTO TRIAL (name, experiment_id, start_time, update_time) VALUES ('t', 1, ?, ?)").run(t(0), t(0));
  db.prepare("INSERT INTO TRIAL_RUN (trial_id, status, start_time, update_time) VALUES (1, 'started', ?, ?)").run(
    t(0),
    t(0),
  );
  const metric = (type: string, v: number, perLabel: object | null = null) =>
    db
      .prepare("INSERT INTO METRIC (type, total_val, per_label_val) VALUES (?, ?, ?)")
      .run(type, v, perLabel ? JSON.stringify(perLabel) : null).lastInsertRowid;
  for (let e = 0; e < 3; e++) {
    db.prepare("INSERT INTO EPOCH (idx, trial_run_id, time) VALUES (?, 1, ?)").run(e, t(e));
    db.prepare("INSERT INTO EPOCH_METRIC VALUES (?, 1, ?)").run(
      e,
      metric("acc", 0.5, { cat: 0.1 * (e + 1), "d/g": 0.9 }),
    );
    db.prepare("INSERT INTO EPOCH_METRIC VALUES (?, 1, ?)").run(e, metric("acc/cat", 100 + e));
  }
  db.close();

  const store = openResults(file);
  const runId = store.listRuns()[0].id;
  assert.deepEqual(
    store.seriesKeys(runId).map((k) => [k.key, k.metric, k.label, k.count]),
    [
      ["acc", undefined, undefined, 3],
      ["acc/cat", undefined, undefined, 3],
      ["acc/cat", "acc", "cat", 3],
      ["acc/d/g", "acc", "d/g", 3],
    ],
  );
  assert.deepEqual(store.getSeries({ runId, key: "acc/cat" }).values, [100, 101, 102], "without a label: the total");
  const label = store.getSeries({ runId, key: "acc/cat", label: "cat" });
  assert.deepEqual(
    [label.metric, label.label, label.values.map((v) => Math.round(v! * 10) / 10)],
    ["acc", "cat", [0.1, 0.2, 0.3]],
  );
  assert.equal(store.getRun(runId)!.finalMetrics["acc/cat"], 102, "the total's last value, not the label's");
  assert.equal(store.listEpochs(runId)[2].metrics["acc/cat"], 102);
  store.close();

  const csv = expman(["export", "1", "--db", file, "--key", "acc/cat"]);
  assert.equal(csv.code, 0, csv.stderr);
  assert.deepEqual(
    csvRows(csv.stdout).map((r) => [r.key, r.metric, r.label, Math.round(Number(r.value) * 10) / 10]),
    [
      ["acc/cat", "acc/cat", "", 100],
      ["acc/cat", "acc/cat", "", 101],
      ["acc/cat", "acc/cat", "", 102],
      ["acc/cat", "acc", "cat", 0.1],
      ["acc/cat", "acc", "cat", 0.2],
      ["acc/cat", "acc", "cat", 0.3],
    ],
  );
});
