// The tree at scale (issue 11.3) over a real `expman serve` and real SQLite stores written by
// the store's own writer: launches of one folder grouped by date and time, a sweep's trials
// best first and paged ("Show 200 more"), a trial's runs paged, and refreshes that name the
// rows that changed instead of reloading the tree.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { ExperimentSummary } from "@expman/runtime/contracts";
import { writeBigExperiment } from "../../runtime/test/helpers/big-store";
import { QueryClient } from "../src/core/query-client";
import {
  groupLaunches,
  launchLabel,
  PAGE_SIZE,
  TreeModel,
  experimentNodeOf,
  type Query,
  type TreeNode,
} from "../src/core/tree-model";
import { diffRoots, LoadedTree } from "../src/core/tree-refresh";
import { node, repoRuntime } from "./helpers";

let dir: string;
let client: QueryClient;
let query: Query;
let sweepDb: string;
let repeatsDb: string;
let launchesDb: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "expman-tree-scale-"));
  sweepDb = path.join(dir, "sweep.db");
  writeBigExperiment(sweepDb, { trials: 450, repeats: 1, epochs: 1 });
  repeatsDb = path.join(dir, "repeats.db");
  writeBigExperiment(repeatsDb, { trials: 1, repeats: 250, epochs: 1, configDir: "/x/configs/seeds" });
  launchesDb = path.join(dir, "launches.db");
  for (let i = 0; i < 3; i++)
    writeBigExperiment(launchesDb, {
      trials: 2,
      repeats: 1,
      epochs: 1,
      configDir: "/x/configs/again",
      title: "again",
      time: Date.UTC(2026, 10, 30, 10 + i),
      // The latest launch was interrupted: one run never started.
      status: (k) => (i === 2 && k === 1 ? "QUEUED" : "SUCCESS"),
    });
  writeBigExperiment(launchesDb, { trials: 1, repeats: 1, epochs: 1, configDir: "/x/configs/once", title: "once" });
  client = new QueryClient({ node, runtime: repoRuntime });
  query = (m, p) => client.request(m, p);
});
after(() => {
  client.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const kinds = (nodes: TreeNode[]) => nodes.map((n) => n.kind);

describe("launches of one folder", () => {
  it("group under the experiment's name with one row per launch (date and time), newest first and expanded", async () => {
    const model = new TreeModel(query);
    const roots = await model.roots([launchesDb]);
    assert.deepEqual(kinds(roots), ["experiment", "group"], "'once' launched last, alone; 'again' three times");
    const group = roots[1] as Extract<TreeNode, { kind: "group" }>;
    const p = model.present(group);
    assert.equal(p.label, "again");
    assert.match(p.description!, /^3 launches · latest succeeded /);
    const launches = await model.children(group);
    assert.deepEqual(
      launches.map((l) => model.present(l).label),
      [12, 11, 10].map((h) => launchLabel(Date.UTC(2026, 10, 30, h))),
    );
    assert.deepEqual(
      launches.map((l) => model.present(l).collapsible),
      ["expanded", "collapsed", "collapsed"],
    );
    // Resume: on the latest launch (one run never started) and on the group that stands for it.
    assert.equal(model.present(launches[0]).contextValue, "experiment.config.resumable");
    assert.equal(model.present(launches[1]).contextValue, "experiment.config");
    assert.equal(p.contextValue, "experiment.config.resumable");
    const latest = experimentNodeOf(group);
    assert.equal(latest.kind === "experiment" && latest.experiment.id, 3);
    // Below a launch: its own trials.
    const trials = await model.children(launches[0]);
    assert.deepEqual(kinds(trials), ["trial", "trial"]);
    assert.equal(model.present(roots[0]).label, "once");
  });

  it("grouping is by folder (by title when the folder is unknown); one launch stays one row", () => {
    const e = (id: number, title: string, configDir: string | null, startTime: number): ExperimentSummary => ({
      id,
      uid: `u${id}`,
      title,
      desc: "",
      startTime,
      endTime: null,
      status: "SUCCESS",
      trialCount: 1,
      runCount: 1,
      configDir,
      workspace: null,
    });
    const rows = groupLaunches("db", [
      e(1, "a", "/a", 1),
      e(2, "a", "/other/a", 2),
      e(3, "p", null, 3),
      e(4, "p", null, 4),
    ]);
    assert.deepEqual(
      rows.map((r) => [
        r.kind,
        r.kind === "group" ? r.launches.map((l) => l.id) : r.kind === "experiment" ? r.experiment.id : 0,
      ]),
      [
        ["group", [4, 3]],
        ["experiment", 2],
        ["experiment", 1],
      ],
    );
  });
});

describe("a sweep of 450 trials", () => {
  it("shows 200 trials best first by the watched metric, then 'Show 200 more' pages in the rest", async () => {
    const model = new TreeModel(query);
    const [exp] = await model.roots([sweepDb]);
    let children = await model.children(exp);
    assert.equal(children.length, PAGE_SIZE + 1);
    const more = children[PAGE_SIZE];
    assert.equal(more.kind, "more");
    assert.equal(model.present(more).label, "Show 200 more");
    assert.equal(model.present(more).description, "200 of 450 trials");
    const bests = children.flatMap((c) => (c.kind === "trial" && "best" in c.trial ? [c.trial.best!] : []));
    assert.equal(bests.length, PAGE_SIZE);
    assert.deepEqual(
      bests,
      [...bests].sort((a, b) => a - b),
    );
    const first = model.present(children[0]);
    assert.match(first.description!, /^1 run · best val_loss /);
    assert.match(first.tooltip, /best first by val\\_loss \\\(min, from EarlyStopping\\\)/);

    model.showMore(exp.id);
    children = await model.children(exp);
    assert.equal(children.length, 401);
    assert.equal(model.present(children[400]).label, "Show 50 more");
    model.showMore(exp.id);
    children = await model.children(exp);
    assert.equal(children.length, 450);
    assert.ok(children.every((c) => c.kind === "trial"));
    assert.equal(new Set(children.map((c) => c.id)).size, 450);
  });

  it("a trial of 250 runs shows 200, then the other 50", async () => {
    const model = new TreeModel(query);
    const [exp] = await model.roots([repeatsDb]);
    const [trial] = await model.children(exp);
    let runs = await model.children(trial);
    assert.deepEqual(kinds(runs.slice(-2)), ["run", "more"]);
    assert.equal(model.present(runs[200]).description, "200 of 250 runs");
    model.showMore(trial.id);
    runs = await model.children(trial);
    assert.equal(runs.length, 250);
    assert.deepEqual(
      runs.map((r) => (r.kind === "run" ? r.run.repeat : -1)),
      Array.from({ length: 250 }, (_, i) => i),
    );
  });
});

describe("refreshing the rows that changed", () => {
  it("the same roots change nothing; new figures refresh that row only; a new launch reloads the roots", async () => {
    const model = new TreeModel(query);
    const loaded = new LoadedTree();
    const roots = await model.roots([launchesDb]);
    loaded.record(undefined, roots);
    const group = roots[1];
    const launches = await model.children(group);
    loaded.record(group, launches);
    const trials = await model.children(launches[0]);
    loaded.record(launches[0], trials);
    const runs = await model.children(trials[0]);
    loaded.record(trials[0], runs);

    assert.deepEqual(diffRoots(roots, await model.roots([launchesDb])), { structural: false, changed: [] });
    // Rows are found by what they show: a run by its uid, an experiment by its uid (its launch row and its group).
    const run = runs[0] as Extract<TreeNode, { kind: "run" }>;
    assert.deepEqual(
      loaded.runRows(run.run.uid).map((n) => n.id),
      [run.id],
    );
    const latest = launches[0] as Extract<TreeNode, { kind: "experiment" }>;
    assert.deepEqual(
      loaded
        .experimentRows(latest.experiment.uid)
        .map((n) => n.id)
        .sort(),
      [group.id, latest.id].sort(),
    );

    // The latest launch ends differently (as a resume would leave it): that row changes, nothing is structural.
    const db = new (await import("better-sqlite3")).default(launchesDb);
    db.prepare("UPDATE trial_run SET status = 'SUCCESS' WHERE status = 'QUEUED'").run();
    db.close();
    const after = diffRoots(roots, await model.roots([launchesDb]));
    assert.equal(after.structural, false);
    assert.deepEqual(
      after.changed.map((c) => c.old.id),
      [group.id],
    );
    // Another launch of 'once' turns its row into a group: the roots reload.
    writeBigExperiment(launchesDb, { trials: 1, repeats: 1, epochs: 1, configDir: "/x/configs/once", title: "once" });
    assert.equal(diffRoots(roots, await model.roots([launchesDb])).structural, true);
  });
});
