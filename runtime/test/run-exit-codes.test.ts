/**
 * `expman run` tells the truth: failed means a non-zero exit, the reason on screen and in the
 * store. Real CLI processes on real databases.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { expman, pipelineModule, toyConfig } from "./helpers/cli";

/** A toy config whose pipeline is `body` (a class Bad registered as "Bad"). */
function badConfig(body: string, extraEnv = ""): ReturnType<typeof toyConfig> {
  const cfg = toyConfig({
    env: `workspace: ../ws\nimports:\n  - ./bad.js\ntrackers:\n  - type: DBTracker\n    name: experiment.db\n${extraEnv}`,
    base: "pipeline:\n  type: Bad\n  epochs: 3\n",
    trials: "- name: t\n  repeat: 1\n  settings: {}\n",
  });
  fs.writeFileSync(path.join(cfg.dir, "bad.js"), pipelineModule(body));
  return cfg;
}

function storedRun(file: string): {
  status: string;
  error_message: string | null;
  exp_status: string;
  exp_error: string | null;
} {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare(
        "SELECT r.status, r.error_message, e.status AS exp_status, e.error_message AS exp_error FROM trial_run r JOIN trial t ON t.id = r.trial_id JOIN experiment e ON e.id = t.experiment_id",
      )
      .get() as never;
  } finally {
    db.close();
  }
}

const EPOCHS = `
class Bad extends Pipeline {
  static fromConfig(config, env) { return new Bad(env); }
  async run(config) { for (let e = 0; e < config.pipeline.epochs; e++) { await this.runEpoch(e); await new Promise((r) => setTimeout(r, 150)); } }
  async runEpoch(e) { this.epochMetrics[Metric.TRAIN_LOSS] = 1 / (e + 1); %BODY% }
}
Bad.prototype.run = Pipeline.runWrapper(Bad.prototype.run);
Bad.prototype.runEpoch = Pipeline.epochWrapper(Bad.prototype.runEpoch);
register("Bad")(Bad);
`;

test("an error thrown in a timer (outside any awaited call): exit 1, the message on screen, the run stored FAILED with it", () => {
  const { dir, db } = badConfig(
    EPOCHS.replace("%BODY%", `if (e === 1) setTimeout(() => { throw new Error("boom in a timer"); }, 10);`),
  );
  const r = expman(["run", dir]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /uncaught error in the pipeline.*boom in a timer/);
  const row = storedRun(db);
  assert.equal(row.status, "FAILED");
  assert.match(row.error_message ?? "", /boom in a timer/);
  assert.equal(row.exp_status, "FAILED");
});

test("a promise rejected where nothing awaits it: exit 1, stored FAILED with the message", () => {
  const { dir, db } = badConfig(
    EPOCHS.replace("%BODY%", `if (e === 1) Promise.reject(new Error("rejected nowhere"));`),
  );
  const r = expman(["run", dir]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /rejected nowhere/);
  const row = storedRun(db);
  assert.equal(row.status, "FAILED");
  assert.match(row.error_message ?? "", /rejected nowhere/);
});

test("a tracker that fails: exit 1, 'tracker failure' on screen, the experiment stored FAILED naming it", () => {
  const tracker = `
class Flaky extends rt.Tracker { createChild() { return this; } track() { throw new Error("flaky tracker lost a point"); } }
register("Flaky")(Flaky);
`;
  const { dir, db } = badConfig(EPOCHS.replace("%BODY%", "") + tracker, "  - type: Flaky\n");
  const r = expman(["run", dir]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /error: tracker failure: Flaky.*flaky tracker lost a point/);
  const row = storedRun(db);
  assert.equal(row.status, "SUCCESS", "the run itself trained fine");
  assert.equal(row.exp_status, "FAILED");
  assert.match(row.exp_error ?? "", /Flaky.*flaky tracker lost a point/);
});

// The coordinator's own tracker failing (here at the experiment's start, which only it announces):
// the experiment ends the same way whether its runs ran inline or in worker processes.
for (const mode of [[], ["--jobs", "2"]]) {
  test(`a tracker failing in the coordinator (${mode.join(" ") || "inline"}): exit 1, the experiment stored FAILED naming it`, () => {
    const tracker = `
class StartFails extends rt.Tracker {
  createChild() { return this; }
  onStart(level) { if (level === rt.Level.EXPERIMENT) throw new Error("cannot announce the experiment"); }
}
register("StartFails")(StartFails);
`;
    const { dir, db } = badConfig(EPOCHS.replace("%BODY%", "") + tracker, "  - type: StartFails\n");
    const r = expman(["run", dir, ...mode]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error: tracker failure: StartFails.*cannot announce the experiment/);
    const row = storedRun(db);
    assert.equal(row.status, "SUCCESS", "the run itself trained fine");
    assert.equal(row.exp_status, "FAILED");
    assert.match(row.exp_error ?? "", /Tracker failure: StartFails.*cannot announce the experiment/);
  });
}

test("a database with corrupt pages: exit 1 naming the file as damaged, not SUCCESS having tracked nothing", () => {
  const cfg = badConfig(
    EPOCHS.replace(
      "%BODY%",
      `for (let i = 0; i < 5000; i++) this.env.trackerManager.track(Metric.CUSTOM, ["x", i], e * 5000 + i);`,
    ),
  );
  assert.equal(expman(["run", cfg.dir]).code, 0);
  // Scribble over every page but the header page.
  const fd = fs.openSync(cfg.db, "r+");
  const size = fs.fstatSync(fd).size;
  const junk = Buffer.alloc(4096, 0xa5);
  for (let off = 4096; off < size; off += 4096) fs.writeSync(fd, junk, 0, junk.length, off);
  fs.closeSync(fd);
  const r = expman(["run", cfg.dir]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /experiment\.db/);
  assert.match(r.stderr, /damaged|corrupt|malformed/i);
  assert.doesNotMatch(r.stdout, /SUCCESS/);
});
