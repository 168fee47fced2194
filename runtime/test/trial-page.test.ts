/**
 * The tree at scale reads pages (issue 11.3): `trials.page` over a real `expman serve` orders
 * a sweep's trials best first by the watched metric (else by status, then name), pages them,
 * and `runs.list` pages a trial's runs; experiments report their runs by status.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { finalLoss, SWEEP_CONFIG, writeBigExperiment } from "./helpers/big-store";
import { tempDir } from "./helpers/env";
import { serve } from "./helpers/serve";
import { watchedMetric } from "../src/results/trial-page";
import type { TrialPage } from "../src/results/contract";

test("a 300-trial sweep: pages of 200 best first by val_loss, the second page the rest, no trial twice", async () => {
  const db = path.join(tempDir(), "sweep.db");
  writeBigExperiment(db, { trials: 300, repeats: 2 });
  const s = serve();
  try {
    const first = (await s.ask("trials.page", { db, experimentId: 1 })).result as TrialPage;
    assert.equal(first.total, 300);
    assert.deepEqual(first.order, { by: "metric", metric: { key: "val_loss", mode: "min", source: "EarlyStopping" } });
    assert.equal(first.trials.length, 200);
    const second = (await s.ask("trials.page", { db, experimentId: 1, offset: 200, limit: 200 })).result as TrialPage;
    assert.equal(second.trials.length, 100);
    const all = [...first.trials, ...second.trials];
    assert.equal(new Set(all.map((t) => t.id)).size, 300);
    // Each trial's best is the minimum of its runs' final val_loss (run index = (trial id - 1) * 2 + repeat).
    for (const t of all) {
      const expected = Math.min(finalLoss((t.id - 1) * 2), finalLoss((t.id - 1) * 2 + 1));
      assert.ok(Math.abs(t.best! - expected) < 1e-12, `${t.name}: best ${t.best} != ${expected}`);
      assert.equal(t.runCount, 2);
    }
    const bests = all.map((t) => t.best!);
    assert.deepEqual(
      bests,
      [...bests].sort((a, b) => a - b),
    );
    // Status counts: every 10th run FAILED.
    const failed = all.reduce((n, t) => n + (t.runStatusCounts.FAILED ?? 0), 0);
    assert.equal(failed, 60);
    // The experiment row says the same.
    const [experiment] = (await s.ask("experiments.list", { db })).result!;
    assert.deepEqual(experiment.runStatusCounts, { SUCCESS: 540, FAILED: 60 });
    // Runs of the trial in pages: the same runs as the whole list, in id order.
    const whole = (await s.ask("runs.list", { db, experimentId: 1 })).result as { id: number }[];
    const page = (await s.ask("runs.list", { db, experimentId: 1, offset: 150, limit: 200 })).result as {
      id: number;
      finalMetrics: Record<string, number>;
    }[];
    assert.deepEqual(
      page.map((r) => r.id),
      whole.slice(150, 350).map((r) => r.id),
    );
    assert.ok(page.every((r) => typeof r.finalMetrics.val_loss === "number"));
  } finally {
    s.stop();
  }
});

test("no watched metric: a sweep's trials by status (succeeded first), then name; a small non-sweep keeps trials.yaml order", async () => {
  const dir = tempDir();
  const sweep = path.join(dir, "status.db");
  writeBigExperiment(sweep, {
    trials: 12,
    repeats: 1,
    config: { ...SWEEP_CONFIG, base: { pipeline: { type: "Toy" } } },
    status: (i) => (i % 3 === 0 ? "FAILED" : i % 3 === 1 ? "QUEUED" : "SUCCESS"),
  });
  const plain = path.join(dir, "plain.db");
  writeBigExperiment(plain, { trials: 5, repeats: 1, config: { ...SWEEP_CONFIG, trials: [{ name: "a" }] } });
  const many = path.join(dir, "many.db");
  writeBigExperiment(many, {
    trials: 201,
    repeats: 1,
    epochs: 1,
    config: { ...SWEEP_CONFIG, trials: [{ name: "a" }] },
  });
  const s = serve();
  try {
    const page = (await s.ask("trials.page", { db: sweep, experimentId: 1 })).result as TrialPage;
    assert.deepEqual(page.order, { by: "status" });
    // The experiment ended, so its never-started (QUEUED) runs read ABORTED.
    const statuses = page.trials.map((t) => Object.keys(t.runStatusCounts)[0]);
    assert.deepEqual(statuses, [...Array(4).fill("SUCCESS"), ...Array(4).fill("ABORTED"), ...Array(4).fill("FAILED")]);
    const names = page.trials.slice(0, 4).map((t) => t.name);
    assert.deepEqual(names, [...names].sort(new Intl.Collator(undefined, { numeric: true }).compare));
    const planned = (await s.ask("trials.page", { db: plain, experimentId: 1 })).result as TrialPage;
    assert.deepEqual(planned.order, { by: "plan" });
    assert.deepEqual(
      planned.trials.map((t) => t.id),
      [1, 2, 3, 4, 5],
    );
    // More trials than a page, no sweep: best first all the same (by EarlyStopping's metric),
    // whatever page size is asked.
    for (const limit of [2, 400]) {
      const paged = (await s.ask("trials.page", { db: many, experimentId: 1, limit })).result as TrialPage;
      assert.equal(paged.order.by, "metric");
      assert.equal(paged.trials.length, Math.min(limit, 201));
    }
  } finally {
    s.stop();
  }
});

test("the watched metric: the sweep's own, its median_stop rule's, else EarlyStopping's (defaults val_loss, min)", () => {
  assert.deepEqual(watchedMetric({ trials: [{ name: "s", sweep: { metric: "val_acc", mode: "max", grid: {} } }] }), {
    key: "val_acc",
    mode: "max",
    source: "the sweep's metric",
  });
  assert.deepEqual(watchedMetric({ trials: [{ name: "s", sweep: { median_stop: { metric: "train_loss" } } }] }), {
    key: "train_loss",
    mode: "min",
    source: "the sweep's median_stop",
  });
  assert.deepEqual(watchedMetric({ base: { pipeline: { callbacks: [{ type: "EarlyStopping", patience: 2 }] } } }), {
    key: "val_loss",
    mode: "min",
    source: "EarlyStopping",
  });
  assert.equal(watchedMetric({ base: { pipeline: { callbacks: [{ type: "CheckpointCallback" }] } } }), undefined);
  assert.equal(watchedMetric(undefined), undefined);
});
