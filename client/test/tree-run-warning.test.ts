// A run's "no checkpoint saved: <why>" is stored with it (issue 12.5): after a reload, with no
// live state, the tree row still says it, from the run as the database returns it.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunSummary } from "@expman/runtime/contracts";
import { TreeModel, type TreeNode } from "../src/core/tree-model";

function runNode(warning: string | undefined): TreeNode {
  const run: RunSummary = {
    id: 1,
    uid: "u1",
    trialId: 1,
    experimentId: 1,
    trialName: "a",
    experimentTitle: "e",
    repeat: 0,
    seed: 1,
    status: "SUCCESS",
    startTime: 0,
    endTime: 1000,
    epochCount: 2,
    params: {},
    finalMetrics: {},
    error: null,
    workspace: null,
    ...(warning ? { warning } : {}),
  };
  return { kind: "run", id: "r1", db: "/d.db", run } as unknown as TreeNode;
}

describe("a run's stored warning in the tree", () => {
  const model = new TreeModel(async () => {
    throw new Error("not used");
  });

  it("shows 'no checkpoint saved' and the reason from the stored run, with no live state", () => {
    const item = model.present(runNode("no checkpoint saved: the model has no save(path) and is not JSON"));
    assert.match(item.description ?? "", /no checkpoint saved/);
    assert.match(item.tooltip, /\*\*Warning:\*\* no checkpoint saved: the model has no save\\\(path\\\)/);
  });

  it("says nothing of checkpoints for a run stored without a warning", () => {
    const item = model.present(runNode(undefined));
    assert.doesNotMatch(item.description ?? "", /checkpoint/);
    assert.doesNotMatch(item.tooltip, /Warning/);
  });
});
