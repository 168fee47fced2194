import { test } from "node:test";
import assert from "node:assert/strict";
import { diffRunConfigs } from "../src/results/settings-diff";
import { ResultsStore } from "../src/results/store";
import { normalizeTags, RunNotesError } from "../src/tracking/db/run-notes";
import type { RunSummary } from "../src/results/contract";
import { expman, toyConfig } from "./helpers/cli";

const TRIALS = `- name: a
  repeat: 1
  settings:
    lr: 0.1
  args:
    custom_arg: 42
- name: b
  repeat: 1
  settings:
    lr: 0.2
- name: sw
  repeat: 1
  settings:
    lr: 0
  sweep:
    method: grid
    params:
      lr: [0.3, 0.4]
`;

function ls(workspace: string): RunSummary[] {
  const r = expman(["ls", "--workspace", workspace, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("expman note / tag: set, print, change and clear a run's note and tags; bad input is refused and changes nothing", () => {
  const { dir, workspace, db } = toyConfig({ epochs: 2, trials: TRIALS });
  assert.equal(expman(["run", dir]).code, 0);

  let r = expman(["note", "a-0", "--db", db, "--", "-3 dB baseline, *not* bold"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Note of run \d+ \(a-0\) saved/);
  assert.equal(expman(["note", "a-0", "--db", db]).stdout, "-3 dB baseline, *not* bold\n");
  r = expman(["tag", "a-0", "best", "paper,final", "--db", db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Tags of run \d+ \(a-0\): best final paper/);
  assert.equal(expman(["tag", "a-0", "--remove", "paper", "--db", db]).code, 0);
  assert.equal(expman(["tag", "a-0", "--db", db]).stdout, "best final\n");

  // Refused with the reason, exit code 2 (usage), nothing written.
  r = expman(["tag", "a-0", "bad!tag", "--db", db]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /tag 'bad!tag' has characters a tag cannot hold/);
  r = expman(["note", "a-0", "x", "--clear", "--db", db]);
  assert.equal(r.code, 2);
  r = expman(["tag", "999", "x", "--db", db]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /No run '999'/);

  const runs = ls(workspace);
  const a = runs.find((x) => x.trialName === "a")!;
  const b = runs.find((x) => x.trialName === "b")!;
  assert.equal(a.note, "-3 dB baseline, *not* bold");
  assert.deepEqual(a.tags, ["best", "final"]);
  assert.equal(b.note, "");
  assert.deepEqual(b.tags, []);

  // --set replaces; --clear removes the note.
  assert.equal(expman(["tag", "a-0", "--set", "only", "--db", db]).code, 0);
  assert.equal(expman(["note", "a-0", "--clear", "--db", db]).code, 0);
  const again = ls(workspace).find((x) => x.trialName === "a")!;
  assert.equal(again.note, "");
  assert.deepEqual(again.tags, ["only"]);
});

test("runs carry each metric's min and max (same scope as the final value), for the table's min / max / best", () => {
  const { dir, workspace } = toyConfig({ epochs: 3, trials: TRIALS });
  assert.equal(expman(["run", dir]).code, 0);
  for (const run of ls(workspace)) {
    assert.ok(Object.keys(run.finalMetrics).length > 0);
    for (const [key, last] of Object.entries(run.finalMetrics)) {
      const range = run.metricRanges?.[key];
      assert.ok(range, `${key} has a range`);
      assert.ok(range[0] <= last && last <= range[1], `${key}: ${range} holds ${last}`);
    }
  }
});

test("run config: each run's merged settings, args and files as planned (sweep trials included); two runs diff by path", () => {
  const { dir, db } = toyConfig({ epochs: 2, trials: TRIALS });
  assert.equal(expman(["run", dir]).code, 0);
  const store = new ResultsStore(db);
  try {
    const runs = store.listRuns();
    const byTrial = (name: string) => runs.find((r) => r.trialName === name)!;
    const a = store.runConfig(byTrial("a").id)!;
    const b = store.runConfig(byTrial("b").id)!;
    assert.equal(a.trial, "a");
    assert.equal(a.settings.lr, 0.1);
    assert.equal(a.settings.seed, 100, "base.yaml is merged under the trial's settings");
    assert.deepEqual(a.args, { custom_arg: 42 });
    const sweepRuns = runs.filter((r) => r.trialName.startsWith("sw"));
    assert.equal(sweepRuns.length, 2);
    assert.deepEqual(
      sweepRuns.map((r) => store.runConfig(r.id)!.settings.lr),
      [0.3, 0.4],
    );

    const { differences, same } = diffRunConfigs(a, b);
    assert.deepEqual(differences, [
      { path: "settings: lr", a: 0.1, b: 0.2 },
      { path: "args: custom_arg", a: 42 },
    ]);
    assert.ok(same > 5, `settings in common: ${same}`);
    assert.equal(store.runConfig(99_999), null);
  } finally {
    store.close();
  }
});

test("tags are normalised (split, unique, sorted) and checked", () => {
  assert.deepEqual(normalizeTags(["b a", "a,c", " "]), ["a", "b", "c"]);
  assert.deepEqual(normalizeTags(["lr=0.1", "ré", "v1.2/x:y+z"]), ["lr=0.1", "ré", "v1.2/x:y+z"]);
  assert.throws(() => normalizeTags(["<script>"]), RunNotesError);
  assert.throws(() => normalizeTags(["x".repeat(101)]), /longer than 100/);
});
