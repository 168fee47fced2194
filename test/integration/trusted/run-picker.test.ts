// "Run Experiment" with no config open asks which experiment to run (the workspace has many).
// A user who presses Escape in that pick changed their mind: nothing starts and no error says
// "No experiment config folder to run" (seen by hand in a new user's first hour, issue 12).
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { api, type RunCommandResult } from "../shared";

describe("The run picker (trusted)", function () {
  this.timeout(60_000);
  after(() => vscode.commands.executeCommand("notifications.clearAll"));

  for (const command of ["experimentManager.runExperiment", "experimentManager.validateConfig"]) {
    it(`${command}: Escape in the pick starts nothing and shows no error`, async () => {
      const a = await api();
      await vscode.commands.executeCommand("workbench.action.closeAllEditors");
      const before = a.messages.length;
      const runsBefore = a.runs.all().length;
      let settled = false;
      const pending = Promise.resolve(vscode.commands.executeCommand<RunCommandResult | undefined>(command)).finally(
        () => (settled = true),
      );
      // The pick opens once the workspace's trials.yaml files are found: close it (Escape) until
      // the command answers.
      const deadline = Date.now() + 30_000;
      while (!settled && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 300));
        await vscode.commands.executeCommand("workbench.action.closeQuickOpen");
      }
      assert.ok(settled, "the command answered after the pick was closed");
      const result = await pending;
      if (command === "experimentManager.runExperiment")
        assert.deepEqual(result, { started: false, reason: "cancelled" });
      else assert.equal(result, undefined);
      assert.equal(a.runs.all().length, runsBefore, "no process started");
      const said = a.messages.slice(before).filter((m) => m.severity === "error");
      assert.deepEqual(said, [], "no error for a dismissed pick");
    });
  }
});
