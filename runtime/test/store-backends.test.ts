import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { Level, Metric, RunStatus } from "../src/common/enums";
import { registerBuiltins } from "../src/builtins/register-builtins";
import { TrackerManager } from "../src/tracking/tracker-manager";
import { ResultsStore } from "../src/results/store";
import { openStoreForReading } from "../src/tracking/db/connection";
import { MIGRATIONS, SCHEMA_VERSION } from "../src/tracking/db/schema";
import { missingPgMigrations, PG_MIGRATIONS } from "../src/tracking/pg/schema";
import { BACKENDS, makeStore, readerSnapshot, type StoreUnderTest } from "./helpers/store-backends";

/**
 * One store suite, two backends: every case runs against the SQLite file and against a real
 * PostgreSQL server (test/services/postgres.sh), through the same DBTracker and ResultsStore.
 */

registerBuiltins();

/** A small experiment with everything a store keeps: 2 trials, 3 runs, epochs, batches, text, params, checkpoints, artifacts, a failure. */
async function trackExperiment(store: StoreUnderTest, options: { batchPoints?: number } = {}): Promise<void> {
  const ws = store.ws;
  const root = TrackerManager.fromConfig({ trackers: [store.tracker] }, ws);
  root.onCreate(Level.EXPERIMENT, { name: "mnist", description: "a small sweep", configDir: "/configs/mnist" });
  root.onStart(Level.EXPERIMENT);
  root.logParams({ suite: "store" });
  root.onAddArtifact(Level.EXPERIMENT, path.join(ws, "env.yaml"), "config");
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
      run.logParams({ lr: 0.01 * (repeat + 1), model: { layers: [64, 32] }, trial: trialName });
      const failing = trialName === "b";
      const batches = options.batchPoints ?? 4;
      for (let e = 0; e < 3; e++) {
        run.onCreate(Level.EPOCH, { epochId: e });
        run.onStart(Level.EPOCH, { epochId: e });
        for (let b = 0; b < batches; b++) {
          run.onCreate(Level.BATCH, { batchId: b });
          run.onStart(Level.BATCH, { batchId: b });
          run.trackDict({ [Metric.TRAIN_LOSS]: b === 1 && e === 0 ? NaN : 1 / (e * batches + b + 1) });
          run.onEnd(Level.BATCH);
        }
        run.trackDict({ [Metric.VAL_LOSS]: 0.5 - e * 0.1, [Metric.VAL_ACC]: e === 2 ? Infinity : 0.5 + e * 0.1 });
        run.track(Metric.CUSTOM, [
          ["lr_now", 0.001 * (e + 1)],
          ["phase", e === 0 ? "warmup" : { name: "main", e }],
        ]);
        if (e === 1)
          run.onCheckpoint({
            network: {},
            checkpointPath: path.join(ws, `ckpt-${trialName}-${repeat}-1.bin`),
            metrics: { val_loss: 0.4 },
          });
        run.onAddArtifact(Level.EPOCH, path.join(ws, `plot-${e}.png`), "figure");
        run.onEnd(Level.EPOCH);
        if (failing && e === 1) break;
      }
      if (failing) {
        run.onEnd(Level.TRIAL_RUN, {
          status: RunStatus.FAILED,
          error: { message: "CUDA out of memory", stack: "at x" },
        });
        continue;
      }
      run.trackDict({ [Metric.TEST_ACC]: 0.9 + repeat * 0.01 });
      run.onEnd(Level.TRIAL_RUN, { status: repeat === 1 ? RunStatus.STOPPED : RunStatus.SUCCESS });
      await run.close();
    }
    trial.onEnd(Level.TRIAL);
  }
  root.onEnd(Level.EXPERIMENT, { status: RunStatus.SUCCESS });
  assert.deepEqual(root.failureSummary(), []);
  await root.close();
}

test("both stores have the same schema versions: every SQLite migration has its PostgreSQL twin", () => {
  assert.deepEqual(missingPgMigrations(), []);
  assert.deepEqual(
    PG_MIGRATIONS.map((m) => m.version),
    MIGRATIONS.map((m) => m.version),
  );
  assert.equal(PG_MIGRATIONS[PG_MIGRATIONS.length - 1].version, SCHEMA_VERSION);
});

test("the same experiment tracked into SQLite and into PostgreSQL reads back identically", async () => {
  const stores = BACKENDS.map((b) => makeStore(b));
  try {
    const snaps = [];
    for (const store of stores) {
      await trackExperiment(store);
      snaps.push(
        readerSnapshot(store.target, { ignore: ["uid", "startTime", "endTime", "time", "times"], ws: store.ws }),
      );
    }
    const [sqlite, pg] = snaps as { runs: unknown[] }[][];
    assert.equal(sqlite.length, 1);
    assert.equal(sqlite[0].runs.length, 3);
    assert.deepEqual(pg, sqlite);
  } finally {
    for (const s of stores) s.dispose();
  }
});

test("the SQL views (one definition, ../db/views.ts) read the same rows in SQLite and PostgreSQL", async () => {
  const queries = [
    "SELECT experiment, trial, repeat, seed, status, error_message FROM v_run ORDER BY trial, repeat",
    "SELECT trial, repeat, epoch, key, value, step FROM v_epoch_metric ORDER BY trial, repeat, epoch, key",
    `SELECT v.trial, v.repeat, f.key, f.value, f.step, f.scope FROM v_final_metric f JOIN v_run v ON v.run_id = f.run_id
     ORDER BY v.trial, v.repeat, f.key`,
  ];
  const stores = BACKENDS.map((b) => makeStore(b, "views"));
  try {
    const results = [];
    for (const store of stores) {
      await trackExperiment(store);
      const db = openStoreForReading(store.target);
      try {
        results.push(queries.map((q) => db.prepare(q).all()));
      } finally {
        db.close();
      }
    }
    const [sqlite, pg] = results;
    assert.equal(sqlite[0].length, 3, "v_run: the three runs");
    assert.ok(sqlite[1].length > 0 && sqlite[2].length > 0, "epoch and final values");
    assert.deepEqual(pg, sqlite);
  } finally {
    for (const s of stores) s.dispose();
  }
});

for (const backend of BACKENDS) {
  test(`[${backend}] hierarchy, statuses, params, points, text, checkpoints and artifacts as tracked`, async () => {
    const store = makeStore(backend);
    try {
      await trackExperiment(store);
      const results = ResultsStore.open(store.target);
      try {
        assert.equal(results.schemaVersion, SCHEMA_VERSION);
        const [experiment] = results.listExperiments();
        assert.equal(experiment.title, "mnist");
        assert.equal(experiment.desc, "a small sweep");
        assert.equal(experiment.status, "SUCCESS");
        assert.deepEqual(
          results.listTrials(experiment.id).map((t) => [t.name, t.runCount]),
          [
            ["a", 2],
            ["b", 1],
          ],
        );
        const runs = results.listRuns({ experimentId: experiment.id } as never);
        assert.deepEqual(
          runs.map((r) => [r.trialName, r.repeat, r.seed, r.status]),
          [
            ["a", 0, 42, "SUCCESS"],
            ["a", 1, 43, "STOPPED"],
            ["b", 0, 42, "FAILED"],
          ],
        );
        assert.equal(runs[2].error?.message, "CUDA out of memory");
        assert.deepEqual(runs[1].params, { lr: 0.02, "model.layers": [64, 32], trial: "a" });
        const loss = results.getSeries({ runId: runs[0].id, key: Metric.TRAIN_LOSS });
        assert.equal(loss.totalPoints, 12);
        assert.equal(loss.values[1], null, "NaN is kept (sent as null, listed in nonFinite)");
        assert.equal(loss.nonFinite?.[1], "NaN");
        assert.equal(loss.values[11], 1 / 12);
        const acc = results.getSeries({ runId: runs[0].id, key: Metric.VAL_ACC });
        assert.equal(acc.nonFinite?.[2], "Infinity");
        assert.deepEqual(
          results.listEpochs(runs[0].id).map((e) => [e.idx, e.status, e.batchCount, e.metrics.val_loss]),
          [
            [0, "SUCCESS", 4, 0.5],
            [1, "SUCCESS", 4, 0.4],
            [2, "SUCCESS", 4, 0.3],
          ],
        );
        assert.deepEqual(
          results.textValues(runs[0].id).map((t) => t.value),
          ["warmup", { name: "main", e: 1 }, { name: "main", e: 2 }],
        );
        assert.equal(results.listCheckpoints(runs[0].id).length, 1);
        assert.equal(results.listArtifacts(runs[0].id).length, 3);
        assert.equal(runs[0].finalMetrics[Metric.TEST_ACC], 0.9);
      } finally {
        results.close();
      }
    } finally {
      store.dispose();
    }
  });

  test(`[${backend}] a series over many chunks reads whole, zoomed and downsampled`, async () => {
    const store = makeStore(backend);
    try {
      await trackExperiment(store, { batchPoints: 1500 });
      const results = ResultsStore.open(store.target);
      try {
        const run = results.listRuns({} as never)[0];
        const whole = results.getSeries({ runId: run.id, key: Metric.TRAIN_LOSS });
        assert.equal(whole.totalPoints, 4500);
        assert.equal(whole.steps.length, 4500);
        assert.deepEqual(whole.steps.slice(0, 3), [0, 1, 2]);
        assert.equal(whole.values[4499], 1 / 4500);
        const zoom = results.getSeries({ runId: run.id, key: Metric.TRAIN_LOSS, minStep: 2000, maxStep: 2099 });
        assert.deepEqual(
          zoom.steps,
          Array.from({ length: 100 }, (_, i) => 2000 + i),
        );
        const reduced = results.getSeries({ runId: run.id, key: Metric.TRAIN_LOSS, buckets: 100 });
        assert.equal(reduced.downsampled, true);
        assert.ok(reduced.steps.length <= 300 && reduced.steps.length >= 100, `${reduced.steps.length} points`);
        assert.equal(reduced.steps[reduced.steps.length - 1], 4499, "the last point survives reduction");
      } finally {
        results.close();
      }
    } finally {
      store.dispose();
    }
  });
}
