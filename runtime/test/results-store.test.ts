import { dbRun } from "./helpers/db";
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { Level, Metric, RunStatus } from "../src/common/enums";
import { TrackerManager } from "../src/tracking/tracker-manager";
import { DBTracker } from "../src/tracking/db/db-tracker";
import { openForWriting } from "../src/tracking/db/connection";
import { ResultsNotFoundError, ResultsStore, TrackingDbError, recoverStale } from "../src/results/store";
import type { Series } from "../src/results/contract";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "results-"));

/** A database with one run; `fill` tracks into the run's manager (inside epoch 0, batch 0). */
async function withRun(fill: (run: TrackerManager) => void): Promise<{ file: string; runId: number }> {
  const { root, tracker, run } = dbRun("r.db", "series");
  run.onCreate(Level.EPOCH, 0);
  run.onCreate(Level.BATCH, 0);
  fill(run);
  run.onEnd(Level.BATCH);
  run.onEnd(Level.EPOCH);
  run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
  root.onEnd(Level.EXPERIMENT);
  assert.deepEqual(root.failureSummary(), []);
  await root.close();
  return { file: tracker.path, runId: 1 };
}

function assertStepOrder(series: Series): void {
  for (let i = 1; i < series.steps.length; i++)
    assert.ok(series.steps[i] >= series.steps[i - 1], `steps out of order at ${i}`);
}

test("a 1,000,000-point series: whole, and downsampled to 2,000 buckets with its single spike kept", async () => {
  const N = 1_000_000;
  const spike = 777_777;
  const { file, runId } = await withRun((run) => {
    for (let i = 0; i < N; i++) run.track(Metric.TRAIN_LOSS, i === spike ? 1000 : Math.cos(i / 5000), i);
  });
  const store = new ResultsStore(file);
  try {
    const whole = store.getSeries({ runId, key: "train_loss" });
    assert.equal(whole.totalPoints, N);
    assert.equal(whole.steps.length, N);
    assert.equal(whole.downsampled, false);
    assert.equal(whole.values[spike], 1000);
    assert.equal(whole.steps[N - 1], N - 1);

    const reduced = store.getSeries({ runId, key: "train_loss", buckets: 2000 });
    assert.equal(reduced.downsampled, true);
    assert.equal(reduced.totalPoints, N);
    assert.ok(reduced.steps.length <= 3 * 2000, `${reduced.steps.length} points for 2000 buckets`);
    assert.ok(reduced.steps.length >= 2000);
    const at = reduced.steps.indexOf(spike);
    assert.ok(at >= 0, "the spike's step is kept");
    assert.equal(reduced.values[at], 1000);
    assert.equal(Math.max(...(reduced.values as number[])), 1000);
    assert.equal(reduced.steps.at(-1), N - 1, "the last point is kept");
    assert.equal(reduced.values.length, reduced.times.length);
    assertStepOrder(reduced);

    for (const buckets of [1, 7, 100]) {
      const r = store.getSeries({ runId, key: "train_loss", buckets });
      assert.ok(
        r.steps.length <= 3 * buckets && r.steps.length >= 1,
        `${buckets} buckets gave ${r.steps.length} points`,
      );
      assert.ok(r.values.includes(1000));
    }
  } finally {
    store.close();
  }
});

test("zoom (minStep/maxStep) and live deltas (afterStep), whole and reduced", async () => {
  const { file, runId } = await withRun((run) => {
    for (let i = 0; i < 10_000; i++) run.track(Metric.TRAIN_LOSS, i * 2, i);
  });
  const store = new ResultsStore(file);
  try {
    const zoom = store.getSeries({ runId, key: "train_loss", minStep: 2500, maxStep: 2600 });
    assert.deepEqual(
      zoom.steps,
      Array.from({ length: 101 }, (_, i) => 2500 + i),
    );
    assert.deepEqual(
      zoom.values,
      zoom.steps.map((s) => s * 2),
    );
    assert.equal(zoom.totalPoints, 101);

    const zoomReduced = store.getSeries({ runId, key: "train_loss", minStep: 1000, maxStep: 5999, buckets: 10 });
    assert.ok(zoomReduced.steps.every((s) => s >= 1000 && s <= 5999));
    assert.equal(zoomReduced.totalPoints, 5000);
    assert.ok(
      zoomReduced.steps.includes(1000) && zoomReduced.steps.includes(5999),
      "range ends survive (min and max of monotone data)",
    );

    const after = store.getSeries({ runId, key: "train_loss", afterStep: 9990 });
    assert.deepEqual(after.steps, [9991, 9992, 9993, 9994, 9995, 9996, 9997, 9998, 9999]);
    assert.deepEqual(store.getSeries({ runId, key: "train_loss", afterStep: 9999 }).steps, []);

    const small = store.getSeries({ runId, key: "train_loss", minStep: 0, maxStep: 9, buckets: 2000 });
    assert.equal(small.downsampled, false, "fewer points than buckets: nothing to reduce");
    assert.deepEqual(small.steps, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  } finally {
    store.close();
  }
});

test("afterStep follows a run that is still writing", async () => {
  const { root, tracker, run } = dbRun("live.db", "live");
  const store = new ResultsStore(tracker.path);
  try {
    let last = -Infinity;
    const seen: number[] = [];
    for (let epoch = 0; epoch < 5; epoch++) {
      run.onCreate(Level.EPOCH, epoch);
      for (let b = 0; b < 300; b++) {
        run.onStart(Level.BATCH, b);
        run.track(Metric.TRAIN_LOSS, epoch * 300 + b);
        run.onEnd(Level.BATCH);
      }
      run.onEnd(Level.EPOCH); // flushes
      const delta = store.getSeries({ runId: 1, key: "train_loss", afterStep: last });
      seen.push(...delta.steps);
      last = delta.steps.at(-1) ?? last;
      assert.equal(delta.steps.length, 300);
    }
    assert.deepEqual(
      seen,
      Array.from({ length: 1500 }, (_, i) => i),
    );
    assert.equal(store.getRun(1)!.status, "RUNNING");
  } finally {
    store.close();
    await root.close();
  }
});

test("downsampling keeps NaN and ±Infinity, handles out-of-order steps and run-scope points without step", async () => {
  const { file, runId } = await withRun((run) => {
    for (let i = 0; i < 5000; i++) run.track(Metric.VAL_LOSS, i === 1234 ? NaN : i === 4321 ? -Infinity : 1, i);
    for (const s of [5, 3, 9, 1, 7]) run.track(Metric.CUSTOM, ["shuffled", s * 10], s);
  });
  const store = new ResultsStore(file);
  try {
    const r = store.getSeries({ runId, key: "val_loss", buckets: 50 });
    assert.equal(r.downsampled, true);
    const nanAt = r.steps.indexOf(1234);
    const infAt = r.steps.indexOf(4321);
    assert.ok(nanAt >= 0 && infAt >= 0);
    assert.equal(r.values[nanAt], null);
    assert.equal(r.nonFinite![nanAt], "NaN");
    assert.equal(r.nonFinite![infAt], "-Infinity");
    assertStepOrder(r);

    const shuffled = store.getSeries({ runId, key: "shuffled" });
    assert.deepEqual(shuffled.steps, [5, 3, 9, 1, 7], "whole series in arrival order");
    const reduced = store.getSeries({ runId, key: "shuffled", buckets: 1 });
    assert.deepEqual(
      [reduced.steps, reduced.values],
      [
        [1, 7, 9],
        [10, 70, 90],
      ],
      "min, last, max of the one bucket, in step order",
    );
    const few = store.getSeries({ runId, key: "shuffled", buckets: 10 });
    assert.deepEqual(
      [few.steps, few.downsampled],
      [[5, 3, 9, 1, 7], false],
      "no more points than buckets: all of them, as they are",
    );
  } finally {
    store.close();
  }
});

test("run scope: final metrics prefer run, then epoch, then batch scope; steps of step-less points are their index", async () => {
  const { root, run } = dbRun("f.db", "finals");
  run.onCreate(Level.EPOCH, 0);
  run.onStart(Level.BATCH, 0);
  run.trackDict({ [Metric.TRAIN_LOSS]: 3, [Metric.VAL_LOSS]: 30, [Metric.TEST_ACC]: 300 });
  run.onEnd(Level.BATCH);
  run.trackDict({ [Metric.VAL_LOSS]: 2, [Metric.TEST_ACC]: 200 });
  run.onEnd(Level.EPOCH);
  run.track(Metric.TEST_ACC, 100);
  run.track(Metric.TEST_ACC, 101);
  run.onEnd(Level.TRIAL_RUN);
  const file = (root.trackers[0] as DBTracker).path;
  await root.close();
  const store = new ResultsStore(file);
  try {
    assert.deepEqual(store.getRun(1)!.finalMetrics, { train_loss: 3, val_loss: 2, test_acc: 101 });
    const runScope = store.getSeries({ runId: 1, key: "test_acc", scope: "run" });
    assert.deepEqual(
      [runScope.steps, runScope.values],
      [
        [0, 1],
        [100, 101],
      ],
    );
    assert.equal(
      store.getSeries({ runId: 1, key: "test_acc" }).scope,
      "run",
      "without scope: the scope with the most points",
    );
  } finally {
    store.close();
  }
});

test("unknown runs and series give NOT_FOUND errors that list what exists", async () => {
  const { file, runId } = await withRun((run) => run.track(Metric.TRAIN_LOSS, 1));
  const store = new ResultsStore(file);
  try {
    assert.throws(
      () => store.getSeries({ runId, key: "val_loss" }),
      (e: unknown) => e instanceof ResultsNotFoundError && /Its keys: train_loss/.test(e.message),
    );
    assert.throws(() => store.getSeries({ runId, key: "train_loss", scope: "run" }), ResultsNotFoundError);
    assert.throws(() => store.getSeries({ runId: 42, key: "train_loss" }), /Run 42 does not exist/);
    assert.deepEqual(store.listEpochs(42), []);
    assert.deepEqual(store.listTrials(42), []);
  } finally {
    store.close();
  }
});

test("opening: missing, not a database, empty, foreign, locked: TrackingDbError naming the file and why", () => {
  const dir = tmp();
  const cases: [string, (file: string) => void, string, RegExp][] = [
    ["missing.db", () => {}, "DB_NOT_FOUND", /does not exist/],
    [
      "junk.db",
      (f) => fs.writeFileSync(f, "not sqlite ".repeat(100)),
      "DB_UNREADABLE",
      /not a SQLite database or is corrupt/,
    ],
    ["empty.db", (f) => fs.writeFileSync(f, ""), "DB_UNREADABLE", /is empty/],
    [
      "foreign.db",
      (f) => {
        const d = new Database(f);
        d.exec("CREATE TABLE x (a)");
        d.close();
      },
      "DB_UNREADABLE",
      /not an expman tracking database/,
    ],
    [
      "newer.db",
      (f) => {
        const d = new Database(f);
        d.pragma("user_version = 77");
        d.exec("CREATE TABLE x (a)");
        d.close();
      },
      "DB_NEWER",
      /newer than this expman/,
    ],
  ];
  for (const [name, make, code, message] of cases) {
    const file = path.join(dir, name);
    make(file);
    assert.throws(
      () => new ResultsStore(file),
      (e: unknown) =>
        e instanceof TrackingDbError && e.code === code && e.message.includes(file) && message.test(e.message),
      name,
    );
  }
  const locked = path.join(dir, "locked.db");
  const writer = openForWriting(locked);
  try {
    writer.pragma("locking_mode = EXCLUSIVE");
    writer.prepare("INSERT INTO experiment (uid, title, start_time) VALUES ('u', 't', 1)").run();
    assert.throws(
      () => new ResultsStore(locked, { timeoutMs: 50 }),
      (e: unknown) =>
        e instanceof TrackingDbError &&
        e.code === "DB_LOCKED" &&
        e.message.includes(locked) &&
        /locked by another process/.test(e.message),
    );
  } finally {
    writer.close();
  }
  const store = new ResultsStore(locked);
  assert.equal(store.listExperiments().length, 1);
  store.close();
});

test("a RUNNING experiment whose writer died reads ABORTED (same host only); recoverStale writes it", async () => {
  const { root, tracker, run } = dbRun("s.db", "stale");
  run.onCreate(Level.EPOCH, 0);
  tracker.flush();

  // While this (live) process writes, everything reads RUNNING.
  let store = new ResultsStore(tracker.path);
  assert.equal(store.listExperiments()[0].status, "RUNNING");
  assert.equal(store.listRuns()[0].status, "RUNNING");
  assert.equal(store.listEpochs(1)[0].status, "RUNNING");
  store.close();
  assert.deepEqual(
    recoverStale(tracker.path),
    { experiments: 0, trials: 0, runs: 0, epochs: 0 },
    "a live writer is not recovered",
  );

  // Pretend the writer was a process that has exited.
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  const deadPid = Number(dead.stdout);
  const raw = new Database(tracker.path);
  raw.prepare("UPDATE experiment SET pid = ?").run(deadPid);
  raw.close();
  store = new ResultsStore(tracker.path);
  assert.equal(store.listExperiments()[0].status, "ABORTED");
  assert.equal(store.listRuns()[0].status, "ABORTED");
  assert.equal(store.listEpochs(1)[0].status, "ABORTED");
  store.close();

  // On another host we cannot tell: it stays RUNNING.
  const other = new Database(tracker.path);
  other.prepare("UPDATE experiment SET host = 'some-other-host'").run();
  other.close();
  store = new ResultsStore(tracker.path);
  assert.equal(store.listRuns()[0].status, "RUNNING");
  store.close();
  assert.equal(recoverStale(tracker.path).runs, 0);

  const back = new Database(tracker.path);
  back.prepare("UPDATE experiment SET host = ?").run(os.hostname());
  back.close();
  assert.deepEqual(recoverStale(tracker.path), { experiments: 1, trials: 1, runs: 1, epochs: 1 });
  const check = new Database(tracker.path, { readonly: true });
  assert.deepEqual(check.prepare("SELECT status FROM trial_run").get(), { status: "ABORTED" });
  check.close();
  await root.close();
});

test("a long-lived store follows a file that a run recreated, and says so when it is gone", async () => {
  const ws = tmp();
  const make = async (title: string, recreate: boolean) => {
    const root = new TrackerManager(ws);
    const tracker = new DBTracker(ws, { name: "re.db", recreate });
    root.addTracker(tracker, "DBTracker");
    root.onCreate(Level.EXPERIMENT, title);
    root.onEnd(Level.EXPERIMENT);
    await root.close();
    return tracker.path;
  };
  const file = await make("first", false);
  const store = new ResultsStore(file);
  try {
    assert.deepEqual(
      store.listExperiments().map((e) => e.title),
      ["first"],
    );
    await make("second", false);
    assert.deepEqual(
      store.listExperiments().map((e) => e.title),
      ["first", "second"],
    );
    await make("third", true);
    assert.deepEqual(
      store.listExperiments().map((e) => e.title),
      ["third"],
    );
    fs.rmSync(file);
    assert.throws(
      () => store.listExperiments(),
      (e: unknown) => e instanceof TrackingDbError && e.code === "DB_NOT_FOUND" && e.message.includes(file),
    );
  } finally {
    store.close();
  }
});
