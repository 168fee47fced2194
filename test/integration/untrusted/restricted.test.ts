// Restricted Mode: authoring help works, running is refused with a clear message.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { waitForDiagnostics } from "../../rig/host";
import { api, configUri, type RunCommandResult } from "../shared";

describe("Experiment Manager extension (untrusted workspace)", function () {
  this.timeout(60_000);

  it("the workspace is untrusted", () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it("diagnostics still appear for a broken config", async () => {
    const a = await api();
    await a.languageServerReady;
    const uri = configUri("broken");
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await waitForDiagnostics(uri, (d) => d.some((x) => x.message.includes("ToyPipelin")), 30_000);
  });

  it("refuses to run, says why, starts nothing", async () => {
    const a = await api();
    const result = (await vscode.commands.executeCommand<RunCommandResult>(
      "experimentManager.runExperiment",
      configUri("quick"),
    )) as RunCommandResult;
    assert.equal(result.started, false);
    assert.equal(result.reason, "untrusted");
    assert.equal(a.runs.all().length, 0);
    assert.ok(a.messages.some((m) => /Restricted Mode/.test(m.text) && /Trust/.test(m.text)));
  });

  it("refuses Resume Experiment too (it runs the workspace's code), starting nothing", async () => {
    const a = await api();
    const result = (await vscode.commands.executeCommand<RunCommandResult>(
      "experimentManager.resumeExperiment",
      configUri("failing"),
    )) as RunCommandResult;
    assert.equal(result.started, false);
    assert.equal(result.reason, "untrusted");
    assert.equal(a.runs.all().length, 0);
  });
});
