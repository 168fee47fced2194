// Resume Experiment from the tree (issue 10.4) in the real editor: the menu's condition on the
// latest launch that failed, `expman run --resume` through the command (the failed run runs
// again in the same launch, no new launch), and a config changed since that launch refused
// with what changed.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as vscode from "vscode";
import { waitFor } from "../../rig/host";
import { api, configUri, latestLaunch, launchesOf, isExperimentRow, type RunCommandResult } from "../shared";

describe("Resume Experiment (trusted)", function () {
  this.timeout(180_000);

  it("re-runs the failed run of the latest launch in that launch; a changed config is refused with the diff", async () => {
    const a = await api();
    const first = await vscode.commands.executeCommand<RunCommandResult>(
      "experimentManager.runExperiment",
      configUri("failing"),
    );
    assert.equal((await a.runs.finished(first.runId!))!.exitCode, 1);
    const launch = await waitFor("failing-toy's latest launch, resumable", async () => {
      a.databases.invalidate();
      const l = await latestLaunch(a, "failing-toy");
      return l && /\.resumable/.test(a.tree.model.present(l).contextValue) ? l : undefined;
    });
    const launches = async () =>
      (await a.tree.getChildren()).filter((n) => isExperimentRow(n, "failing-toy")).flatMap(launchesOf).length;
    const count = await launches();

    const resumed = await vscode.commands.executeCommand<RunCommandResult>(
      "experimentManager.resumeExperiment",
      launch,
    );
    assert.equal(resumed.started, true, JSON.stringify(resumed));
    const outcome = (await a.runs.finished(resumed.runId!))!;
    assert.equal(outcome.exitCode, 1, "the pipeline fails again, in the resumed run");
    assert.deepEqual(
      outcome.runs.map((r) => [r.trial, r.repeat, r.status]),
      [["only", 0, "FAILED"]],
    );
    a.databases.invalidate();
    assert.equal(await launches(), count, "resumed in the same launch, no new one");

    const base = configUri("failing").fsPath;
    const text = fs.readFileSync(base, "utf8");
    fs.writeFileSync(base, text.replace("lr: 0.1", "lr: 0.3"));
    try {
      const refused = await vscode.commands.executeCommand<RunCommandResult>(
        "experimentManager.resumeExperiment",
        launch,
      );
      assert.equal(refused.started, true, JSON.stringify(refused));
      const no = (await a.runs.finished(refused.runId!))!;
      assert.equal(no.exitCode, 2);
      await waitFor("the refusal, with what changed", () =>
        a.messages.find(
          (m) => m.severity === "error" && /did not start: The config in .* changed since .*lr/s.test(m.text),
        ),
      );
    } finally {
      fs.writeFileSync(base, text);
    }
  });
});
