/**
 * Early termination of sweeps (issue 11.1): the MedianStop callback reads its peers from the
 * store and stops a run worse than the median of the finished runs at the same epoch. Real
 * runs of a real sweep through the CLI; the reason is stored and `expman show` prints it.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it, test } from "node:test";
import Database from "better-sqlite3";
import { MedianStop, median } from "../src/callbacks/median-stop";
import { expman, pipelineModule, toyConfig } from "./helpers/cli";
import { freshPgStore } from "./helpers/pg";
import { PgDb } from "../src/tracking/pg/pg-db";

// val_loss falls each epoch and is higher for a larger lr: with lr 0.5 the run is the worst.
const CURVE_PIPELINE = pipelineModule(`
class Curve extends Pipeline {
  static metrics = ["val_score"];
  static fromConfig(config, env) { return new Curve(env); }
  async run(config) {
    this.lr = config.lr;
    for (let e = 0; e < config.pipeline.epochs; e++) {
      await this.runEpoch(e);
      if (this.stopRequested) break;
    }
    return { status: "completed" };
  }
  async runEpoch(e) {
    this.epochMetrics[Metric.VAL_LOSS] = (1 + 4 * this.lr) / (e + 1);
    this.epochMetrics[Metric.CUSTOM] = [["val_score", this.lr]];
  }
}
Curve.prototype.run = Pipeline.runWrapper(Curve.prototype.run);
Curve.prototype.runEpoch = Pipeline.epochWrapper(Curve.prototype.runEpoch);
register("Curve")(Curve);
`);

function config(callback: string, lrs: number[], pgUrl?: string) {
  const cfg = toyConfig({
    env: pgUrl
      ? `workspace: ../ws\nimports:\n  - ./toy.js\ntrackers:\n  - type: DBTracker\n    url: "${pgUrl}"\n`
      : undefined,
    base: `seed: 1\nlr: 0.1\npipeline:\n  type: Curve\n  epochs: 5\n  callbacks:\n${callback}`,
    trials: `- name: s\n  repeat: 1\n  sweep:\n    params:\n      lr: [${lrs.join(", ")}]\n`,
  });
  fs.writeFileSync(path.join(cfg.dir, "toy.js"), CURVE_PIPELINE);
  return cfg;
}

type Row = { trial: string; status: string; error_message: string | null; epochs: number };
const ROWS = `SELECT t.name AS trial, r.status, r.error_message,
    (SELECT count(*) FROM epoch e WHERE e.run_id = r.id) AS epochs
  FROM trial_run r JOIN trial t ON t.id = r.trial_id ORDER BY r.run_index`;
/** The runs of a SQLite file or of a PostgreSQL store (its URL). */
function rows(target: string): Row[] {
  if (target.startsWith("postgresql://")) {
    const conn = new PgDb(target);
    try {
      return (conn.query(ROWS).rows as Row[]).map((r) => ({ ...r, epochs: Number(r.epochs) }));
    } finally {
      conn.close();
    }
  }
  const conn = new Database(target, { readonly: true });
  try {
    return conn.prepare(ROWS).all() as Row[];
  } finally {
    conn.close();
  }
}

describe("median", () => {
  it("is the middle value, or the mean of the two middle ones", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([7]), 7);
  });
  it("refuses options that cannot work", () => {
    const env = {} as never;
    assert.throws(() => new MedianStop(env, { mode: "up" as never }), /mode must be "min" or "max"/);
    assert.throws(() => new MedianStop(env, { warmupEpochs: -1 }), /warmup_epochs/);
    assert.throws(() => new MedianStop(env, { minFinished: 0 }), /min_finished/);
  });
});

for (const backend of ["SQLite", "PostgreSQL"] as const)
  test(`a sweep with MedianStop (${backend} store): the worst run stops after the warm-up once enough peers finished; the reason is stored and shown`, () => {
    const pg = backend === "PostgreSQL" ? freshPgStore("median") : undefined;
    try {
      const cfg = config(
        "    - type: MedianStop\n      metric: val_loss\n      warmup_epochs: 2\n      min_finished: 3\n",
        [0.01, 0.02, 0.03, 0.5, 0.015],
        pg?.url,
      );
      const v = expman(["validate", cfg.dir]);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      const r = expman(["run", cfg.dir]);
      assert.equal(r.code, 0, r.stderr);
      const got = rows(pg?.url ?? cfg.db);
      assert.deepEqual(
        got.map((x) => [x.trial, x.status, x.epochs]),
        [
          ["s[lr=0.01]", "SUCCESS", 5],
          ["s[lr=0.02]", "SUCCESS", 5], // one peer: too few to judge
          ["s[lr=0.03]", "SUCCESS", 5], // two peers: too few (min_finished 3)
          ["s[lr=0.5]", "STOPPED", 3], // epochs 0, 1 warm up; at epoch 2 it is worse than the median of 3
          ["s[lr=0.015]", "SUCCESS", 5], // better than the median of its 4 peers at every epoch
        ],
      );
      const stopped = got[3];
      assert.equal(
        stopped.error_message,
        "median_stop: val_loss 1 at epoch 2 is worse than the median 0.36 of 3 finished runs (mode min)",
      );
      assert.equal(got[0].error_message, null);
      const show = expman(["show", "s[lr=0.5]-0", "--config", cfg.dir]);
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /Status: STOPPED/);
      assert.match(show.stdout, /Stopped: median_stop: val_loss 1 at epoch 2 is worse than the median 0\.36 of 3/);
    } finally {
      pg?.drop();
    }
  });

test("MedianStop with mode max on a custom metric, and without enough finished peers it never stops", () => {
  const max = config(
    "    - type: MedianStop\n      metric: val_score\n      mode: max\n      warmup_epochs: 0\n      min_finished: 2\n",
    [0.3, 0.2, 0.1],
  );
  assert.equal(expman(["run", max.dir]).code, 0);
  assert.deepEqual(
    rows(max.db).map((x) => [x.trial, x.status, x.epochs]),
    [
      ["s[lr=0.3]", "SUCCESS", 5],
      ["s[lr=0.2]", "SUCCESS", 5],
      ["s[lr=0.1]", "STOPPED", 1], // val_score 0.1 < median 0.25 already at epoch 0
    ],
  );
  const few = config("    - type: MedianStop\n      min_finished: 5\n", [0.01, 0.5, 0.9]);
  assert.equal(expman(["run", few.dir]).code, 0);
  assert.ok(rows(few.db).every((x) => x.status === "SUCCESS" && x.epochs === 5));
});
