// QueryClient (a real `expman serve` child) and TreeModel on databases written by real runs:
// the tree's levels, what its items say, a corrupt database as an error item beside a good one.
import * as assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { QueryErrorCode } from "@expman/runtime/contracts";
import { LiveRuns } from "../src/core/live-runs";
import { QueryClient, QueryError } from "../src/core/query-client";
import { RunProcess } from "../src/core/run-process";
import { TreeModel, formatValue, keyMetrics, runIcon, type Query, type TreeNode } from "../src/core/tree-model";
import { runColor } from "../src/core/run-colors";
import { QueryDataSource } from "../src/core/metrics-data-source";
import { node, repoRuntime, tempWorkspace } from "./helpers";

let ws: string;
let client: QueryClient;
let query: Query;
let quickDb: string;
let failingDb: string;
const corruptDb = () => path.join(ws, "corrupt", "artifacts", "experiment.db");

before(async () => {
  ws = tempWorkspace();
  for (const name of ["quick", "failing"]) {
    const p = new RunProcess({ node, runtime: repoRuntime, configDir: path.join(ws, "configs", name) });
    p.start();
    await p.done;
  }
  quickDb = path.join(ws, "runs", "quick", "artifacts", "experiment.db");
  failingDb = path.join(ws, "runs", "failing", "artifacts", "experiment.db");
  client = new QueryClient({ node, runtime: repoRuntime });
  query = (m, p) => client.request(m, p);
});
after(() => {
  client.dispose();
  fs.rmSync(ws, { recursive: true, force: true });
});

describe("QueryClient", () => {
  it("answers typed requests from the query service", async () => {
    const experiments = await client.request("experiments.list", { db: quickDb });
    assert.equal(experiments.length, 1);
    assert.equal(experiments[0].title, "quick-toy");
  });

  it("a corrupt file is an error for that request only, naming the file", async () => {
    await assert.rejects(client.request("experiments.list", { db: corruptDb() }), (e: QueryError) => {
      assert.equal(e.code, QueryErrorCode.DB_UNREADABLE);
      assert.ok(e.message.includes(corruptDb()), e.message);
      return true;
    });
    assert.equal((await client.request("experiments.list", { db: quickDb })).length, 1);
  });

  it("a Node that does not exist fails the request with a clear error", async () => {
    const bad = new QueryClient({ node: "/nonexistent/bin/node", runtime: repoRuntime });
    await assert.rejects(
      bad.request("experiments.list", { db: quickDb }),
      /could not start \('\/nonexistent\/bin\/node' not found\)/,
    );
    bad.dispose();
  });

  it("restarts the service after it died", async (t) => {
    const c = new QueryClient({ node, runtime: repoRuntime });
    t.after(() => c.dispose()); // also when an assertion fails: a live service keeps the run open
    await c.request("experiments.list", { db: quickDb });
    const internals = c as unknown as { child?: ChildProcess };
    const dead = internals.child!;
    // Wait for the death to be seen (the client's exit handler was added first, so it has run
    // when ours does), not a fixed time: a request written before that goes to the dead child
    // and fails, which is the one failed request a crash costs by design.
    const exited = new Promise((r) => dead.once("exit", r));
    process.kill(dead.pid!, "SIGKILL");
    await exited;
    assert.equal(internals.child, undefined, "the client let go of the dead service");
    assert.equal((await c.request("experiments.list", { db: quickDb })).length, 1);
    const current = () => internals.child; // read again: the request started a new one
    assert.notEqual(current()?.pid, dead.pid, "a new service answered");
  });
});

describe("TreeModel", () => {
  it("experiments > trials > runs > epochs and checkpoints, with status and key metrics", async () => {
    const model = new TreeModel(query);
    const roots = await model.roots([quickDb]);
    assert.equal(roots.length, 1);
    const exp = roots[0];
    assert.equal(model.present(exp).label, "quick-toy");
    assert.match(model.present(exp).description!, /1 run · succeeded/);
    assert.equal(model.present(exp).contextValue, "experiment.config");
    const [trial] = await model.children(exp);
    assert.equal(model.present(trial).label, "only");
    const [run] = await model.children(trial);
    const p = model.present(run);
    assert.equal(p.label, "only-0");
    assert.equal(p.icon.id, "pass");
    // Same colour as the run's line in the metrics panel (both from runColor(run id)).
    assert.ok(run.kind === "run");
    assert.equal(p.icon.color, runColor(run.run.id).themeColor);
    assert.match(p.description!, /^succeeded · val_acc 0\.9375 · test_acc 0\.9$/);
    assert.match(p.tooltip, /\| train\\_loss \| 0\.125 \|/);
    const [epochs, checkpoints] = await model.children(run);
    assert.deepEqual(
      (await model.children(epochs)).map((n) => model.present(n).label),
      ["epoch 0", "epoch 1", "epoch 2"],
    );
    const cps = await model.children(checkpoints);
    assert.deepEqual(
      cps.map((n) => model.present(n).label),
      ["checkpoint-0", "checkpoint-1", "checkpoint-2", "checkpoint-final"],
    );
    const final = cps.at(-1)!;
    assert.match(model.present(final).description!, /^final/);
    assert.equal(model.present(final).contextValue, "checkpoint");
  });

  it("run icons: the status glyph in the run's chart colour; consecutive runs differ", () => {
    assert.deepEqual(runIcon(7, "FAILED"), { id: "error", color: runColor(7).themeColor });
    assert.equal(runIcon(3, "RUNNING").id, "sync~spin");
    assert.equal(runIcon(3, "ABORTED").id, "stop-circle");
    assert.equal(runIcon(3, "SKIPPED").id, "circle-slash");
    const colours = [1, 2, 3, 4, 5, 6].map((id) => runIcon(id, "SUCCESS").color);
    assert.equal(new Set(colours).size, 6, colours.join(", "));
    // The webview reads the same theme colour as a CSS variable.
    assert.equal(runColor(2).cssVar, `--vscode-${runIcon(2, "SUCCESS").color.replace(".", "-")}`);
  });

  it("a failed run shows the error; a corrupt database is an error item, the good ones still list", async () => {
    const model = new TreeModel(query);
    const roots = await model.roots([corruptDb(), failingDb, quickDb], ws);
    assert.deepEqual(
      roots.map((r) => r.kind),
      ["message", "experiment", "experiment"],
    );
    const bad = roots[0] as Extract<TreeNode, { kind: "message" }>;
    assert.equal(bad.label, "experiment.db: cannot open");
    assert.ok(bad.detail.startsWith(corruptDb()));
    assert.match(model.present(roots[1]).description!, /runs[\\/]failing[\\/]artifacts[\\/]experiment\.db/);
    const [trial] = await model.children(roots[1]);
    const [run] = await model.children(trial);
    const p = model.present(run);
    assert.equal(p.icon.id, "error");
    assert.match(p.description!, /^failed/);
    assert.match(p.tooltip, /toy failure at epoch 1/);
  });

  it("a locked database is an error item saying so; the others still list", async () => {
    const locked = path.join(ws, "locked.db");
    fs.copyFileSync(quickDb, locked);
    // Another process holding an exclusive lock (here: this test process, through better-sqlite3).
    const Database = (await import("better-sqlite3")).default;
    const holder = new Database(locked);
    holder.pragma("locking_mode = EXCLUSIVE");
    holder.exec("BEGIN EXCLUSIVE");
    try {
      const model = new TreeModel(query);
      const roots = await model.roots([locked, quickDb]);
      assert.deepEqual(
        roots.map((r) => r.kind),
        ["message", "experiment"],
      );
      const item = roots[0] as Extract<TreeNode, { kind: "message" }>;
      assert.equal(item.label, "locked.db: cannot open");
      assert.match(item.detail, /locked by another process/);
      assert.match(model.present(item).tooltip, /locked\.db/);
    } finally {
      holder.close();
    }
  });

  it("a missing checkpoint file is marked", async () => {
    const model = new TreeModel(query);
    const [exp] = await model.roots([quickDb]);
    const [trial] = await model.children(exp);
    const [run] = await model.children(trial);
    const [, checkpoints] = await model.children(run);
    const [first] = await model.children(checkpoints);
    fs.rmSync((first as Extract<TreeNode, { kind: "checkpoint" }>).checkpoint.path);
    const [again] = await model.children(checkpoints);
    assert.equal(model.present(again).contextValue, "checkpoint.missing");
    assert.match(model.present(again).description!, /missing/);
  });

  it("live events override a RUNNING status from the database", () => {
    const live = new LiveRuns();
    const model = new TreeModel(query, live);
    const run = {
      id: 1,
      uid: "u1",
      trialName: "t",
      repeat: 0,
      status: "RUNNING",
      finalMetrics: {},
      params: {},
      epochCount: 0,
      startTime: 0,
      endTime: null,
      seed: 0,
      error: null,
    } as never;
    const node: TreeNode = { kind: "run", id: "x", db: "d", run };
    assert.equal(model.present(node).icon.id, "sync~spin");
    live.apply({
      v: 1,
      t: 0,
      kind: "progress",
      ids: { run: "u1" },
      trial: "t",
      repeat: 0,
      repeats: 1,
      epoch: 4,
      epochs: 10,
      runIndex: 0,
      plannedRuns: 1,
    });
    assert.equal(model.present(node).description, "epoch 5/10");
    live.apply({
      v: 1,
      t: 0,
      kind: "lifecycle",
      phase: "end",
      level: "trial_run",
      ids: { run: "u1" },
      status: "ABORTED",
    });
    assert.equal(model.present(node).description, "aborted");
    assert.equal(model.present(node).icon.id, "stop-circle");
  });

  it("formats values and picks key metrics", () => {
    assert.equal(formatValue(0.123456), "0.1235");
    assert.equal(formatValue(3), "3");
    assert.equal(formatValue(1e-5), "1.000e-5");
    assert.equal(keyMetrics({ zeta: 1, train_loss: 0.5, val_acc: 0.9 }), "val_acc 0.9 · train_loss 0.5");
    assert.equal(keyMetrics({ zeta: 1, alpha: 2 }), "zeta 1 · alpha 2");
  });
});

describe("QueryDataSource (the metrics panel's data)", () => {
  it("lists runs of an experiment or by id, series keys, series and checkpoints", async () => {
    const source = new QueryDataSource({
      query,
      defaultDb: async () => quickDb,
      onRunEvent: () => ({ dispose() {} }),
      revealCheckpoint: () => undefined,
    });
    const runs = await source.listRuns({ kind: "experiment", experimentId: 1 });
    assert.equal(runs.length, 1);
    assert.deepEqual(
      (await source.listRuns({ kind: "runs", runIds: [runs[0].id, 999] })).map((r) => r.id),
      [runs[0].id],
    );
    const keys = await source.seriesKeys(runs[0].id);
    assert.ok(keys.some((k) => k.key === "train_loss" && k.scope === "epoch"));
    const series = await source.getSeries({ runId: runs[0].id, key: "train_loss", scope: "epoch" });
    assert.deepEqual(series.values, [0.5, 0.25, 0.125]);
    assert.equal((await source.listCheckpoints(runs[0].id)).length, 4);
    assert.equal(await source.describe({ kind: "experiment", experimentId: 1 }), "Metrics: quick-toy");
    assert.equal(await source.describe({ kind: "runs", runIds: [runs[0].id] }), "Metrics: only-0");
  });
});
