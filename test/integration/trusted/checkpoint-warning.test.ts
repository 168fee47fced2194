// Issue 12.5: a model that can be neither saved nor serialized gives a SUCCESS run without
// checkpoints; the run says "no checkpoint saved: <why>" in the tree, and the warning is stored
// with the run, so the tree read back from the database (as after a window reload) still has it.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { waitFor } from "../../rig/host";
import { api, configUri, runsOf, type RunCommandResult } from "../shared";

describe("Checkpoints that could not be saved (trusted)", function () {
  this.timeout(120_000);
  after(() => vscode.commands.executeCommand("notifications.clearAll"));

  it("the run shows 'no checkpoint saved: <why>' in the tree, read back from the store", async () => {
    const a = await api();
    const result = (await vscode.commands.executeCommand<RunCommandResult>(
      "experimentManager.runExperiment",
      configUri("nosave"),
    )) as RunCommandResult;
    assert.equal(result.started, true, JSON.stringify(result));
    const outcome = await a.runs.finished(result.runId!);
    assert.equal(outcome!.exitCode, 0, outcome!.stderrTail);
    assert.equal(outcome!.runs[0].status, "SUCCESS");
    // The query service's fresh read of the database, not the run's live events.
    a.resetServices();
    const run = await waitFor("the stored run with its warning", async () => {
      a.databases.invalidate();
      const [r] = await runsOf(a, "nosave-toy");
      return r?.run.status === "SUCCESS" ? r : undefined;
    });
    assert.match(run.run.warning ?? "", /^no checkpoint saved: /);
    const shown = a.tree.model.present(run);
    assert.match(`${shown.description ?? ""} ${shown.tooltip}`, /no checkpoint saved/);
    const checkpoints = (await a.tree.getChildren(run)).find((c) => c.kind === "checkpoints");
    assert.ok(checkpoints, "the run has its Checkpoints node");
    const saved = (await a.tree.getChildren(checkpoints)).filter((c) => c.kind === "checkpoint");
    assert.deepEqual(saved, [], "and nothing in it: no checkpoint was saved");
  });
});
