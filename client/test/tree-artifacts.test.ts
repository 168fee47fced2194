// TreeModel over a real `expman serve` child: artifacts logged at experiment and trial level
// (not under a run) show in an Artifacts group of their experiment or trial; levels without
// such artifacts get no group.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { DBTracker, Level, RunStatus, TrackerManager } from "@expman/runtime";
import { QueryClient } from "../src/core/query-client";
import { TreeModel, type Query, type TreeNode } from "../src/core/tree-model";
import { node, repoRuntime } from "./helpers";

let ws: string;
let db: string;
let client: QueryClient;
let query: Query;

/** Two trials, one run each; the experiment and trial `a` log artifacts of their own, trial `b` none. */
async function writeDb(): Promise<string> {
  const root = new TrackerManager(ws);
  const tracker = new DBTracker(ws, { name: "experiment.db" });
  root.addTracker(tracker, "DBTracker");
  root.onCreate(Level.EXPERIMENT, "with-artifacts");
  root.onAddArtifact(Level.EXPERIMENT, path.join(ws, "summary.png"), "figure");
  for (const name of ["a", "b"]) {
    const trial = root.createChild(path.join(ws, name));
    trial.onCreate(Level.TRIAL, name);
    if (name === "a") trial.onAddArtifact(Level.TRIAL, path.join(ws, name, "config.yaml"), "config");
    const run = trial.createChild(path.join(ws, name, `${name}-0`));
    run.onCreate(Level.TRIAL_RUN, { repeat: 0 });
    run.onAddArtifact(Level.TRIAL_RUN, path.join(ws, name, "model.json"), "model");
    run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
    trial.onEnd(Level.TRIAL);
  }
  root.onEnd(Level.EXPERIMENT);
  await root.close();
  return tracker.path;
}

before(async () => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), "expman-tree-artifacts-"));
  db = await writeDb();
  client = new QueryClient({ node, runtime: repoRuntime });
  query = (m, p) => client.request(m, p);
});
after(() => {
  client.dispose();
  fs.rmSync(ws, { recursive: true, force: true });
});

describe("TreeModel: experiment- and trial-level artifacts", () => {
  it("an Artifacts group after the trials and after a trial's runs, listing its own artifacts only", async () => {
    const model = new TreeModel(query);
    const [exp] = await model.roots([db]);
    const children = await model.children(exp);
    assert.deepEqual(
      children.map((n) => [n.kind, model.present(n).label]),
      [
        ["trial", "a"],
        ["trial", "b"],
        ["artifacts", "Artifacts"],
      ],
    );
    const group = children[2];
    assert.equal(model.present(group).description, "1");
    const [figure] = await model.children(group);
    const p = model.present(figure);
    assert.deepEqual(
      [p.label, p.description, p.contextValue, p.collapsible],
      ["summary.png", "figure", "artifact", "none"],
    );
    assert.match(p.tooltip, /experiment artifact/);
    assert.equal((figure as Extract<TreeNode, { kind: "artifact" }>).artifact.path, path.join(ws, "summary.png"));

    const a = await model.children(children[0]);
    assert.deepEqual(
      a.map((n) => [n.kind, model.present(n).label]),
      [
        ["run", "a-0"],
        ["artifacts", "Artifacts"],
      ],
    );
    assert.deepEqual(
      (await model.children(a[1])).map((n) => [model.present(n).label, model.present(n).description]),
      [["config.yaml", "config"]],
    );
    // Trial b has only a run-level artifact: no group (that one belongs to the run).
    assert.deepEqual(
      (await model.children(children[1])).map((n) => n.kind),
      ["run"],
    );
  });

  it("when the artifacts cannot be listed, an error item says so and the trials still show", async () => {
    const failing: Query = (m, p) =>
      m === "artifacts.list" ? Promise.reject(new Error("artifacts.list: boom")) : query(m, p);
    const model = new TreeModel(failing);
    const [exp] = await model.roots([db]);
    const children = await model.children(exp);
    assert.deepEqual(
      children.map((n) => n.kind),
      ["trial", "trial", "message"],
    );
    assert.match(model.present(children[2]).tooltip, /boom/);
  });
});
