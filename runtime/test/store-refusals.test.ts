import { test } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { Level, Metric } from "../src/common/enums";
import { ResultsStore } from "../src/results/store";
import { flattenParams } from "../src/tracking/db/values";
import { dbRun } from "./helpers/db";

test("params that flatten to one key are refused naming both; distinct ones flatten as before", () => {
  assert.deepEqual(flattenParams({ a: { b: 1 }, c: [1, 2] }), { "a.b": 1, c: [1, 2] });
  assert.throws(() => flattenParams({ "a.b": 1, a: { b: 2 } }), /"a\.b" and "a" > "b" both flatten to the key 'a\.b'/);
});

test("a custom metric named like a standard one is refused (one failure, named), not merged into its series", async () => {
  const failures: string[] = [];
  const { root, tracker, run } = dbRun("custom.db");
  root.report = (m) => failures.push(m);
  run.onCreate(Level.EPOCH, 0);
  run.track(Metric.TRAIN_LOSS, 0.5);
  run.track(Metric.CUSTOM, ["train_loss", 99]);
  run.onEnd(Level.EPOCH);
  run.onEnd(Level.TRIAL_RUN);
  await root.close();
  assert.match(failures.join("\n"), /custom metric 'train_loss' has the name of a standard metric/);
  const store = new ResultsStore(tracker.path);
  try {
    assert.deepEqual(store.getSeries({ runId: 1, key: "train_loss" }).values, [0.5], "one value per step");
  } finally {
    store.close();
  }
});

test("a damaged chunk names the file, run, series and chunk instead of 'Invalid typed array length'", async () => {
  const { root, tracker, run } = dbRun("damaged.db");
  for (let e = 0; e < 3; e++) {
    run.onCreate(Level.EPOCH, e);
    run.track(Metric.TRAIN_LOSS, 1 / (e + 1));
    run.onEnd(Level.EPOCH);
  }
  run.onEnd(Level.TRIAL_RUN);
  await root.close();
  const db = new Database(tracker.path);
  db.prepare("UPDATE chunk SET vals = x'0102', enc = 0").run();
  db.close();
  const store = new ResultsStore(tracker.path);
  try {
    assert.throws(
      () => store.getSeries({ runId: 1, key: "train_loss" }),
      (e: Error) => e.message.includes(tracker.path) && /run 1, series 'train_loss' \(epoch\), chunk 0/.test(e.message),
    );
  } finally {
    store.close();
  }
});
