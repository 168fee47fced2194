/**
 * "no checkpoint saved: <why>" stays with the run (issue 12.5): a model that neither saves nor
 * serializes gives a SUCCESS run whose warning is stored in the database (schema 9), so readers
 * after the run (the results API behind the tree, `expman show`) still say it; a run that
 * saved its checkpoints has none.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { ResultsStore } from "../src/results/store";
import { expman, TOY_PIPELINE, toyConfig } from "./helpers/cli";

test("a run that could save no checkpoint keeps its warning in the store; show prints it", () => {
  const cfg = toyConfig({ epochs: 2, trials: "- name: a\n  repeat: 1\n  settings: {}\n" });
  // The toy model without save(path), and circular: it cannot be written as JSON either.
  const unsaveable = TOY_PIPELINE.replace(
    'class ToyModel { constructor(){ this.w = 1; } save(p){ require("fs").writeFileSync(p, JSON.stringify({ w: this.w })); } }',
    "class ToyModel { constructor(){ this.w = 1; this.self = this; } }",
  );
  assert.notEqual(unsaveable, TOY_PIPELINE);
  fs.writeFileSync(path.join(cfg.dir, "toy.js"), unsaveable);
  const run = expman(["run", cfg.dir]);
  assert.equal(run.code, 0, run.stderr);

  const store = new ResultsStore(cfg.db);
  try {
    const [r] = store.listRuns();
    assert.equal(r.status, "SUCCESS");
    assert.match(r.warning ?? "", /^no checkpoint saved: /);
    assert.deepEqual(store.listCheckpoints(r.id), []);
    assert.equal(store.getRun(r.id)?.warning, r.warning);
  } finally {
    store.close();
  }
  const show = expman(["show", "a-0", "--db", cfg.db]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^Warning: no checkpoint saved: /m);
});

test("a run that saved its checkpoints has no warning", () => {
  const cfg = toyConfig({ epochs: 2, trials: "- name: a\n  repeat: 1\n  settings: {}\n" });
  assert.equal(expman(["run", cfg.dir]).code, 0);
  const store = new ResultsStore(cfg.db);
  try {
    const [r] = store.listRuns();
    assert.equal(r.warning, undefined);
    assert.ok(store.listCheckpoints(r.id).length > 0);
  } finally {
    store.close();
  }
  assert.doesNotMatch(expman(["show", "a-0", "--db", cfg.db]).stdout, /Warning:/);
});
