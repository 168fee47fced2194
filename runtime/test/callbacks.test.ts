import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Metric, RunStatus } from "../src/common/enums";
import { EarlyStopping } from "../src/callbacks/early-stopping";
import { CheckpointCallback } from "../src/callbacks/checkpoint";
import { MetricsTracker } from "../src/callbacks/metrics-tracker";
import { Pipeline } from "../src/pipeline/pipeline";
import { runEnvironment } from "./helpers/env";

test("EarlyStopping, the original's worked example: patience 3, 1% — 1.0 then 1.1 x3 stops at the 4th epoch", () => {
  const { env } = runEnvironment();
  const es = new EarlyStopping(env, { metric: "val_loss", patience: 3, minDeltaPercent: 1 });
  es.onStart();
  const stops = [1.0, 1.1, 1.1, 1.1].map((v, e) => es.onEpochEnd(e, { [Metric.VAL_LOSS]: v }));
  assert.deepEqual(stops, [false, false, false, true]);
  assert.equal(es.counter, 3);
  assert.equal(es.stoppedEarly, true);
  assert.equal(es.bestEpoch, 0);
});

test("EarlyStopping thresholds are strict: 10% needs more than 10% improvement", () => {
  const { env } = runEnvironment();
  const es = new EarlyStopping(env, { metric: Metric.VAL_LOSS, patience: 5, minDeltaPercent: 10 });
  es.onStart();
  es.onEpochEnd(0, { [Metric.VAL_LOSS]: 1.0 });
  es.onEpochEnd(1, { [Metric.VAL_LOSS]: 0.95 });
  assert.equal(es.counter, 1, "5% is not enough");
  es.onEpochEnd(2, { [Metric.VAL_LOSS]: 0.9 });
  assert.equal(es.counter, 2, "exactly 10% is not more than 10%");
  es.onEpochEnd(3, { [Metric.VAL_LOSS]: 0.85 });
  assert.equal(es.counter, 0);
  assert.equal(es.bestMetric, 0.85);
});

test("EarlyStopping max mode, absolute min_delta, a best of 0, NaN and a missing metric", () => {
  const { env } = runEnvironment();
  const max = new EarlyStopping(env, { metric: "VAL_ACC", patience: 2, mode: "max", minDelta: 0.05 });
  max.onStart();
  max.onEpochEnd(0, { [Metric.VAL_ACC]: 0.5 });
  max.onEpochEnd(1, { [Metric.VAL_ACC]: 0.54 });
  assert.equal(max.counter, 1, "0.04 absolute is below min_delta 0.05");
  max.onEpochEnd(2, { [Metric.VAL_ACC]: 0.6 });
  assert.equal(max.counter, 0);

  const zero = new EarlyStopping(env, { metric: "val_loss", patience: 2 });
  zero.onStart();
  zero.onEpochEnd(0, { [Metric.VAL_LOSS]: 0 });
  assert.equal(zero.onEpochEnd(1, { [Metric.VAL_LOSS]: -0.1 }), false, "no division by zero from a best of 0");
  assert.equal(zero.counter, 0);
  zero.onEpochEnd(2, { [Metric.VAL_LOSS]: NaN });
  assert.equal(zero.counter, 1, "NaN is not an improvement");
  assert.equal(zero.onEpochEnd(3, { [Metric.TRAIN_LOSS]: 1 }), false, "a missing metric continues");
  assert.equal(zero.counter, 1);
});

test("EarlyStopping can watch a custom metric name", () => {
  const { env } = runEnvironment();
  const es = new EarlyStopping(env, { metric: "grad_norm", patience: 1 });
  es.onStart();
  es.onEpochEnd(0, {
    [Metric.CUSTOM]: [
      ["grad_norm", 1],
      ["lr", 0.1],
    ],
  });
  assert.equal(es.onEpochEnd(1, { [Metric.CUSTOM]: ["grad_norm", 2] }), true);
});

test("EarlyStopping rejects bad options with a clear message", () => {
  const { env } = runEnvironment();
  assert.throws(
    () => EarlyStopping.fromConfig({ metric: "val_loss" }, env),
    /EarlyStopping: option 'patience' is required/,
  );
  assert.throws(
    () => EarlyStopping.fromConfig({ patience: 2.5 }, env),
    /option 'patience' must be an integer, got the number 2.5/,
  );
  assert.throws(
    () => EarlyStopping.fromConfig({ patience: 2, mode: "maximize" }, env),
    /option 'mode' must be one of "min", "max"/,
  );
  assert.throws(() => EarlyStopping.fromConfig({ patience: 2, min_delta_percent: -1 }, env), /must be >= 0/);
  assert.throws(() => EarlyStopping.fromConfig({ patience: 2, pateince: 3 }, env), /unknown option 'pateince'/);
  assert.throws(() => EarlyStopping.fromConfig({ patience: 2, metric: "custom" }, env), /value metric/);
  const ok = EarlyStopping.fromConfig(
    { patience: 3, metric: "val_acc", mode: "max", min_delta_percent: 2 },
    env,
  ) as EarlyStopping;
  assert.equal(ok.metric, Metric.VAL_ACC);
  assert.equal(ok.minDeltaPercent, 2);
});

class Saver {
  saved: string[] = [];
  save(file: string) {
    fs.writeFileSync(file, JSON.stringify({ weights: [1, 2, 3] }));
    this.saved.push(path.basename(file));
  }
}

test("CheckpointCallback saves checkpoint-<k> every interval epochs and checkpoint-final, recorded with metrics", async () => {
  const { env, recorder } = runEnvironment();
  const model = new Saver();
  class Trains extends Pipeline {
    @Pipeline.runWrapper
    async run() {
      for (let e = 0; e < 7; e++) await this.runEpoch(e, model);
      this.runMetrics[Metric.NETWORK] = model;
      this.runMetrics[Metric.TEST_ACC] = 0.9;
    }
    @Pipeline.epochWrapper
    async runEpoch(e: number, m: Saver) {
      this.epochMetrics[Metric.NETWORK] = m;
      this.epochMetrics[Metric.VAL_LOSS] = 1 / (e + 1);
    }
  }
  const p = new Trains(env);
  p.registerCallback(CheckpointCallback.fromConfig({ interval: 3 }, env));
  await p.run();
  assert.deepEqual(model.saved, ["checkpoint-0", "checkpoint-1", "checkpoint-final"]);
  for (const f of model.saved) assert.ok(fs.existsSync(path.join(env.artifactDir, f)));
  assert.deepEqual(
    recorder.checkpoints.map((c) => [path.basename(c.path), c.epoch, c.final]),
    [
      ["checkpoint-0", 2, false],
      ["checkpoint-1", 5, false],
      ["checkpoint-final", 6, true],
    ],
  );
  assert.deepEqual(
    Object.keys(recorder.checkpoints[0].metrics),
    ["val_loss"],
    "the model object is not recorded as a metric",
  );
  assert.equal(recorder.checkpoints[0].metrics.val_loss, 1 / 3);
});

test("CheckpointCallback uses the pipeline's saveCheckpoint hook or model, warns once when there is nothing to save", async () => {
  const { env } = runEnvironment();
  const files: string[] = [];
  class Hooked extends Pipeline {
    saveCheckpoint(file: string) {
      files.push(path.basename(file));
    }
    @Pipeline.runWrapper
    async run() {
      for (let e = 0; e < 2; e++) await this.runEpoch(e, null);
    }
    @Pipeline.epochWrapper
    async runEpoch(_e: number, _m: unknown) {}
  }
  const p = new Hooked(env);
  p.registerCallback(new CheckpointCallback(env, 1));
  await p.run();
  assert.deepEqual(files, ["checkpoint-0", "checkpoint-1", "checkpoint-final"]);

  const { env: env2 } = runEnvironment();
  class Nothing extends Pipeline {
    @Pipeline.runWrapper
    async run() {
      for (let e = 0; e < 3; e++) await this.runEpoch(e, null);
    }
    @Pipeline.epochWrapper
    async runEpoch(_e: number, _m: unknown) {}
  }
  const q = new Nothing(env2);
  q.registerCallback(new CheckpointCallback(env2, 1));
  assert.equal(await q.run(), undefined, "the run still succeeds");
  const log = fs.readFileSync(env2.logger.file, "utf8");
  assert.equal(log.match(/no checkpoint saved: nothing to save/g)?.length, 1);
  assert.throws(() => CheckpointCallback.fromConfig({}, env2), /option 'interval' is required/);
  assert.throws(() => new CheckpointCallback(env2, 0), /interval must be an integer >= 1/);
});

test("a failing checkpoint save is logged and the run goes on", async () => {
  const { env } = runEnvironment();
  class BadModel {
    save() {
      throw new Error("disk full");
    }
  }
  class P extends Pipeline {
    @Pipeline.runWrapper
    async run() {
      for (let e = 0; e < 2; e++) await this.runEpoch(e, null);
    }
    @Pipeline.epochWrapper
    async runEpoch(_e: number, _m: unknown) {
      this.epochMetrics[Metric.NETWORK] = new BadModel();
    }
  }
  const p = new P(env);
  p.registerCallback(new CheckpointCallback(env, 1));
  await p.run();
  assert.equal(p.runStatus, RunStatus.SUCCESS);
  assert.match(fs.readFileSync(env.logger.file, "utf8"), /Failed to save checkpoint .*checkpoint-0: disk full/);
});

test("a Metric.NETWORK model without save(path) is saved as JSON when it serializes", async () => {
  const { env } = runEnvironment();
  class P extends Pipeline {
    @Pipeline.runWrapper
    async run() {
      for (let e = 0; e < 2; e++) await this.runEpoch(e, null);
    }
    @Pipeline.epochWrapper
    async runEpoch(e: number, _m: unknown) {
      this.epochMetrics[Metric.NETWORK] = { weights: [0.5, e], bias: 1 };
    }
  }
  const p = new P(env);
  p.registerCallback(new CheckpointCallback(env, 1));
  await p.run();
  assert.equal(p.runStatus, RunStatus.SUCCESS);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(env.artifactDir, "checkpoint-1"), "utf8")), {
    weights: [0.5, 1],
    bias: 1,
  });
  assert.ok(fs.existsSync(path.join(env.artifactDir, "checkpoint-final")));
  assert.doesNotMatch(fs.readFileSync(env.logger.file, "utf8"), /no checkpoint saved/);
});

test("a model that neither saves nor serializes: the run warns once 'no checkpoint saved: <why>'", async () => {
  const { env } = runEnvironment();
  class Net {
    self: unknown = this;
  }
  class P extends Pipeline {
    @Pipeline.runWrapper
    async run() {
      for (let e = 0; e < 3; e++) await this.runEpoch(e, null);
    }
    @Pipeline.epochWrapper
    async runEpoch(_e: number, _m: unknown) {
      this.epochMetrics[Metric.NETWORK] = new Net();
    }
  }
  const p = new P(env);
  p.registerCallback(new CheckpointCallback(env, 1));
  await p.run();
  assert.equal(p.runStatus, RunStatus.SUCCESS);
  assert.deepEqual(
    fs.readdirSync(env.artifactDir).filter((f) => f.startsWith("checkpoint")),
    [],
  );
  const log = fs.readFileSync(env.logger.file, "utf8");
  const warnings =
    log.match(
      /no checkpoint saved: the model in Metric\.NETWORK \(a Net\) has no save\(path\) method and is not JSON-serializable \([^)]*circular/gi,
    ) ?? [];
  assert.equal(warnings.length, 1, log);
});

test("MetricsTracker writes the original's CSV: header, EPOCH rows with nan, one FINAL row", async () => {
  const { env } = runEnvironment();
  class P extends Pipeline {
    @Pipeline.runWrapper
    async run() {
      for (let e = 0; e < 3; e++) await this.runEpoch(e, null);
      this.runMetrics[Metric.TEST_ACC] = 0.75;
    }
    @Pipeline.epochWrapper
    async runEpoch(e: number, _m: unknown) {
      this.epochMetrics[Metric.TRAIN_LOSS] = 1 - e / 10;
      if (e > 0) this.epochMetrics[Metric.VAL_LOSS] = 2 - e / 10;
      this.epochMetrics[Metric.CUSTOM] = [
        ["grad_norm", e],
        ["lr", 0.1],
      ];
      this.epochMetrics[Metric.CUSTOM_UNTRACKED] = [["debug", 99]];
      this.epochMetrics[Metric.NETWORK] = {};
    }
  }
  const p = new P(env);
  const mt = new MetricsTracker(env);
  p.registerCallback(mt);
  await p.run();
  const rows = fs
    .readFileSync(path.join(env.artifactDir, "metrics.log"), "utf8")
    .trim()
    .split("\n")
    .map((r) => r.split(","));
  assert.deepEqual(rows[0], ["type", "train_loss", "grad_norm", "lr", "val_loss", "test_acc"]);
  assert.deepEqual(
    rows.map((r) => r[0]),
    ["type", "EPOCH", "EPOCH", "EPOCH", "FINAL"],
  );
  assert.ok(
    rows.every((r) => r.length === rows[0].length),
    "every row has as many columns as the header",
  );
  assert.deepEqual(
    rows[1],
    ["EPOCH", "1", "0", "0.1", "1.9", "0.75"],
    "a final-only metric lands in the first EPOCH row, as the original",
  );
  assert.deepEqual(rows[3], ["EPOCH", "0.8", "2", "0.1", "nan", "nan"]);
  assert.deepEqual(rows[4], ["FINAL", "0.8", "2", "0.1", "1.8", "0.75"]);
  assert.ok(!rows[0].includes("debug"), "untracked custom metrics are not written");
  assert.equal(mt.getLatest("grad_norm"), 2);
});
