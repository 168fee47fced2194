import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { expman, pipelineModule, toyConfig } from "./helpers/cli";

// Resume (issue 10.4): `expman run <dir> --resume` continues the latest experiment of the
// folder; SUCCESS/STOPPED runs are kept, the others run again, from their last checkpoint when
// the pipeline implements resume(checkpointPath); a changed config is refused with a diff.

/**
 * A pipeline that checkpoints {w, epoch} every epoch, fails once at `fail_once_at` (a marker
 * file makes the second attempt pass), and continues after the epoch of a checkpoint it resumes.
 */
const RESUMABLE = pipelineModule(`
const fs = require("fs");
class Model { constructor(w, epoch) { this.w = w; this.epoch = epoch; } save(p) { fs.writeFileSync(p, JSON.stringify({ w: this.w, epoch: this.epoch })); } }
class Resumable extends Pipeline {
  static fromConfig(config, env) { return new Resumable(env); }
  resume(checkpointPath) {
    const saved = JSON.parse(fs.readFileSync(checkpointPath, "utf8"));
    this.model = new Model(saved.w, saved.epoch);
    this.firstEpoch = saved.epoch + 1;
  }
  async run(config) {
    const p = config.pipeline;
    this.model ??= new Model(1, -1);
    const first = this.firstEpoch ?? 0;
    this.env.trackerManager.logParams({ first_epoch: first });
    for (let e = first; e < p.epochs; e++) {
      await this.runEpoch(e);
      if (this.stopRequested) break;
    }
    this.runMetrics[Metric.CUSTOM] = [["first_epoch", first]];
  }
  async runEpoch(e) {
    const marker = this.env.args.fail_once_marker;
    if (marker && this.env.args.fail_once_at === e && !fs.existsSync(marker)) {
      fs.writeFileSync(marker, "failed once");
      throw new Error("transient failure in epoch " + e);
    }
    this.model.w *= 0.5;
    this.model.epoch = e;
    this.epochMetrics[Metric.TRAIN_LOSS] = this.model.w;
    this.epochMetrics[Metric.NETWORK] = this.model;
  }
}
Resumable.prototype.run = Pipeline.runWrapper(Resumable.prototype.run);
Resumable.prototype.runEpoch = Pipeline.epochWrapper(Resumable.prototype.runEpoch);
register("Resumable")(Resumable);
`);

function setup(): ReturnType<typeof toyConfig> & { marker: string } {
  const root = toyConfig({
    base: "seed: 5\npipeline:\n  type: Resumable\n  epochs: 6\n  callbacks:\n    - type: CheckpointCallback\n      interval: 1\n",
    env: "workspace: ../ws\nimports:\n  - ./resumable.js\ntrackers:\n  - type: DBTracker\n    name: experiment.db\n",
  });
  const marker = path.join(path.dirname(root.dir), "failed-once");
  fs.writeFileSync(path.join(root.dir, "resumable.js"), RESUMABLE);
  fs.writeFileSync(
    path.join(root.dir, "trials.yaml"),
    `- name: ok\n  repeat: 2\n  settings: {}\n- name: flaky\n  repeat: 1\n  settings: {}\n  args:\n    fail_once_at: 3\n    fail_once_marker: ${JSON.stringify(marker)}\n`,
  );
  return { ...root, marker };
}

type Row = {
  trial: string;
  repeat: number;
  seed: number;
  status: string;
  end_time: number;
  epochs: number;
  losses: number;
};
function runs(dbFile: string): Row[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db
      .prepare(
        `SELECT t.name AS trial, r.repeat, r.seed, r.status, r.end_time, (SELECT count(*) FROM epoch e WHERE e.run_id = r.id) AS epochs,
           (SELECT coalesce(sum(s.count), 0) FROM series s WHERE s.run_id = r.id AND s.key = 'train_loss') AS losses
         FROM trial_run r JOIN trial t ON t.id = r.trial_id ORDER BY r.id`,
      )
      .all() as Row[];
  } finally {
    db.close();
  }
}

function count(dbFile: string, sql: string): number {
  const db = new Database(dbFile, { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

test("--resume: kept runs stay as they were, the failed run continues from its last checkpoint, in the same experiment", () => {
  const cfg = setup();
  const first = expman(["run", cfg.dir]);
  assert.equal(first.code, 1, first.stderr);
  const before = runs(cfg.db);
  assert.deepEqual(
    before.map((r) => [r.trial, r.repeat, r.status, r.epochs]),
    [
      ["ok", 0, "SUCCESS", 6],
      ["ok", 1, "SUCCESS", 6],
      ["flaky", 0, "FAILED", 4],
    ],
  );

  const r = expman(["run", cfg.dir, "--resume"]);
  assert.equal(r.code, 0, r.stderr);
  const after = runs(cfg.db);
  assert.equal(count(cfg.db, "SELECT count(*) AS n FROM experiment"), 1, "the same experiment, no new one");
  assert.deepEqual(after.slice(0, 2), before.slice(0, 2), "SUCCESS runs untouched (same end time, epochs, points)");
  assert.deepEqual([after[2].status, after[2].seed, after[2].epochs], ["SUCCESS", 5, 6]);
  const show = JSON.parse(expman(["show", "flaky-0", "--db", cfg.db, "--json"]).stdout);
  assert.equal(show.run.params.first_epoch, 3, "continued after the checkpoint of epoch 2, not from epoch 0");
  assert.equal(show.run.finalMetrics.train_loss, 0.5 ** 6, "the model state came back from the checkpoint");
  assert.equal(count(cfg.db, "SELECT count(*) AS n FROM experiment WHERE status = 'SUCCESS'"), 1);
  assert.equal(count(cfg.db, "SELECT count(*) AS n FROM trial WHERE status = 'SUCCESS'"), 2);

  const again = expman(["run", cfg.dir, "--resume"]);
  assert.equal(again.code, 0);
  assert.match(again.stderr, /nothing to resume: all 3 run\(s\) of experiment 'toy' \(id 1\) ended SUCCESS or STOPPED/);
});

test("--resume with --jobs: an interrupted experiment's ABORTED and never-started runs run again in workers", () => {
  const cfg = setup();
  fs.writeFileSync(cfg.marker, "no failure this time");
  const r1 = expman(["run", cfg.dir]);
  assert.equal(r1.code, 0, r1.stderr);
  const kept = runs(cfg.db)[0];
  // The plan as a Ctrl-C leaves it: one run ABORTED part-way, one never started (QUEUED).
  const db = new Database(cfg.db);
  db.prepare("UPDATE trial_run SET status = 'ABORTED' WHERE id = 2").run();
  db.prepare("UPDATE trial_run SET status = 'QUEUED' WHERE id = 3").run();
  db.prepare("DELETE FROM checkpoint WHERE run_id IN (2, 3)").run();
  db.close();
  const r = expman(["run", cfg.dir, "--resume", "--jobs", "2"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[run 2\/3\] ok-1 started \(worker pid \d+\)/);
  assert.doesNotMatch(r.stderr, /ok-0 started/, "the SUCCESS run is kept");
  const after = runs(cfg.db);
  assert.deepEqual(
    after.map((x) => [x.trial, x.repeat, x.status, x.epochs, x.losses]),
    [
      ["ok", 0, "SUCCESS", 6, 6],
      ["ok", 1, "SUCCESS", 6, 6],
      ["flaky", 0, "SUCCESS", 6, 6],
    ],
    "runs started over have their earlier attempt's points replaced, not doubled",
  );
  assert.deepEqual(after[0], kept);
  assert.equal(count(cfg.db, "SELECT count(*) AS n FROM experiment"), 1);
});

test("--resume refuses a changed config with a diff, and says when there is nothing to resume; nothing is written", () => {
  const cfg = setup();
  const never = expman(["run", cfg.dir, "--resume"]);
  assert.equal(never.code, 2);
  assert.match(
    never.stderr,
    /holds no experiment run from .*config: nothing to resume\. Run it without --resume first/,
  );

  assert.equal(expman(["run", cfg.dir]).code, 1);
  const before = runs(cfg.db);
  fs.writeFileSync(
    path.join(cfg.dir, "base.yaml"),
    fs.readFileSync(path.join(cfg.dir, "base.yaml"), "utf8").replace("epochs: 6", "epochs: 8"),
  );
  const changed = expman(["run", cfg.dir, "--resume"]);
  assert.equal(changed.code, 2);
  assert.match(changed.stderr, /changed since this experiment was planned[\s\S]*base\.yaml: pipeline\.epochs: 6 -> 8/);
  assert.deepEqual(runs(cfg.db), before, "nothing written");
  assert.equal(count(cfg.db, "SELECT count(*) AS n FROM experiment"), 1);
});
