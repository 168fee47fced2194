import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Level, Metric, RunStatus } from "../src/common/enums";
import { TrackerManager } from "../src/tracking/tracker-manager";
import { DBTracker } from "../src/tracking/db/db-tracker";
import { QueryHandler, queryErrorOf, QueryErrorCode } from "../src/results/index";

async function makeDb(ws: string, title: string, options: { recreate?: boolean } = {}): Promise<string> {
  const root = new TrackerManager(ws);
  const tracker = new DBTracker(ws, { name: "q.db", recreate: options.recreate });
  root.addTracker(tracker, "DBTracker");
  root.onCreate(Level.EXPERIMENT, title);
  const trial = root.createChild(ws);
  trial.onCreate(Level.TRIAL, "t");
  const run = trial.createChild(ws);
  run.onCreate(Level.TRIAL_RUN, { repeat: 0, seed: 3 });
  run.logParams({ lr: 0.1 });
  run.onCreate(Level.EPOCH, 0);
  run.track(Metric.VAL_LOSS, 0.5);
  run.onCheckpoint(null, path.join(ws, "c.bin"), { val_loss: 0.5 });
  run.onEnd(Level.EPOCH);
  run.onAddArtifact(Level.TRIAL_RUN, path.join(ws, "m.log"), "metrics");
  run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
  root.onEnd(Level.EXPERIMENT);
  await root.close();
  return tracker.path;
}

test("every QueryMethods method answers through the handler", async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), "query-"));
  const db = await makeDb(ws, "first");
  const q = new QueryHandler();
  try {
    assert.deepEqual(q.handle("db.open", { path: db }), { path: db, schemaVersion: 1 });
    const [experiment] = q.handle("experiments.list", { db });
    assert.equal(experiment.title, "first");
    assert.equal(q.handle("trials.list", { db, experimentId: experiment.id })[0].name, "t");
    const [run] = q.handle("runs.list", { db, experimentId: experiment.id });
    assert.deepEqual([run.seed, run.status, run.params, run.finalMetrics], [3, "SUCCESS", { lr: 0.1 }, { val_loss: 0.5 }]);
    assert.equal(q.handle("run.get", { db, runId: run.id })!.id, run.id);
    assert.deepEqual(q.handle("epochs.list", { db, runId: run.id })[0].metrics, { val_loss: 0.5 });
    assert.deepEqual(q.handle("series.keys", { db, runId: run.id }).map((k) => k.key), ["val_loss"]);
    assert.deepEqual(q.handle("series.get", { db, runId: run.id, key: "val_loss" }).values, [0.5]);
    assert.equal(q.handle("checkpoints.list", { db, runId: run.id })[0].path, path.join(ws, "c.bin"));
    assert.equal(q.handle("artifacts.list", { db, runId: run.id })[0].type, "metrics");

    // A run that recreates the file: the handler reopens instead of reading the deleted one.
    await makeDb(ws, "second", { recreate: true });
    assert.deepEqual(q.handle("experiments.list", { db }).map((e) => e.title), ["second"]);

    assert.deepEqual(q.handle("db.close", { db }), { closed: true });
    assert.deepEqual(q.handle("db.close", { db }), { closed: false });
  } finally {
    q.closeAll();
  }
});

test("errors map to the query service's codes, with the file named", async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), "query-"));
  const q = new QueryHandler();
  const missing = path.join(ws, "missing.db");
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return queryErrorOf(error);
    }
    throw new Error("expected an error");
  };
  const notFound = code(() => q.handle("experiments.list", { db: missing }));
  assert.equal(notFound.code, QueryErrorCode.DB_NOT_FOUND);
  assert.match(notFound.message, new RegExp(missing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  const junk = path.join(ws, "junk.db");
  fs.writeFileSync(junk, "junk ".repeat(500));
  assert.equal(code(() => q.handle("db.open", { path: junk })).code, QueryErrorCode.DB_UNREADABLE);
  const db = await makeDb(ws, "x");
  assert.equal(code(() => q.handle("series.get", { db, runId: 1, key: "nope" })).code, QueryErrorCode.NOT_FOUND);
  assert.equal(code(() => q.handle("epochs.list", { db } as never)).code, -32602);
  assert.equal(code(() => q.handle("nope" as never, { db } as never)).code, -32602);
  q.closeAll();
});
