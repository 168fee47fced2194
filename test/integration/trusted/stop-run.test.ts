// Stop Run stops one run (the experiment goes on); Validate runs the full check (imports loaded)
// only in a trusted workspace: here it does, which proves the Restricted Mode suite's marker.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { waitFor } from "../../rig/host";
import { api, configUri, runsOf, type RunCommandResult } from "../shared";

describe("Stop Run and Stop Experiment (trusted)", function () {
  this.timeout(120_000);
  // Toasts with buttons stay: clear them so later UI checks see their own notifications.
  after(() => vscode.commands.executeCommand("notifications.clearAll"));

  it("Stop Run on a run in the tree: that run ends ABORTED, the next run of the experiment still runs", async () => {
    const a = await api();
    const result = (await vscode.commands.executeCommand<RunCommandResult>(
      "experimentManager.runExperiment",
      configUri("stoppable"),
    )) as RunCommandResult;
    assert.equal(result.started, true, JSON.stringify(result));
    const managed = a.runs.get(result.runId!)!;
    await waitFor("two epochs of the long run", () => (managed.process.lastProgress?.epoch ?? -1) >= 1, 30_000);
    const long = await waitFor(
      "the running long-0 in the tree",
      async () => {
        a.databases.invalidate();
        const rs = await runsOf(a, "stoppable-toy");
        return rs.find((r) => r.run.trialName === "long" && a.tree.model.present(r).icon.id === "sync~spin");
      },
      20_000,
      250,
    );
    assert.equal(await vscode.commands.executeCommand("experimentManager.stopRun", long), true);
    const outcome = await a.runs.finished(result.runId!);
    assert.equal(outcome!.stopped, false, "the experiment was not stopped");
    assert.equal(outcome!.exitCode, 0, outcome!.stderrTail);
    assert.deepEqual(
      outcome!.runs.map((r) => r.status),
      ["ABORTED", "SUCCESS"],
    );
    a.databases.invalidate();
    const rs = await runsOf(a, "stoppable-toy");
    assert.deepEqual(rs.map((r) => `${r.run.trialName}:${r.run.status}`).sort(), ["long:ABORTED", "short:SUCCESS"]);
  });

  it("Stop Experiment from a running run's menu stops the whole experiment and drops its later runs", async () => {
    const a = await api();
    const result = (await vscode.commands.executeCommand<RunCommandResult>(
      "experimentManager.runExperiment",
      configUri("stoppable"),
    )) as RunCommandResult;
    const managed = a.runs.get(result.runId!)!;
    await waitFor("an epoch", () => (managed.process.lastProgress?.epoch ?? -1) >= 0, 30_000);
    const long = await waitFor(
      "the running long-0 in the tree",
      async () => {
        a.databases.invalidate();
        const rs = await runsOf(a, "stoppable-toy");
        return rs.find((r) => r.run.trialName === "long" && r.run.status === "RUNNING");
      },
      20_000,
      250,
    );
    assert.equal(await vscode.commands.executeCommand("experimentManager.stopExperiment", long), true);
    const outcome = await a.runs.finished(result.runId!);
    assert.equal(outcome!.stopped, true);
    assert.equal(outcome!.exitCode, 130, outcome!.stderrTail);
    assert.deepEqual(
      outcome!.runs.map((r) => r.status),
      ["ABORTED"],
      "the short run never started",
    );
  });

  it("Validate in a trusted workspace loads the imports: modules (the marker file appears)", async () => {
    const marker = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "imported.marker");
    fs.rmSync(marker, { force: true });
    const result = (await vscode.commands.executeCommand("experimentManager.validateConfig", configUri("marker"))) as {
      ok: boolean;
      mode: string;
      errors: string[];
    };
    assert.equal(result.mode, "full");
    assert.equal(result.ok, true, result.errors.join("\n"));
    assert.ok(fs.existsSync(marker), "expman validate loaded pipelines/marker.ts");
  });
});

describe("A Python pipeline (trusted)", function () {
  this.timeout(60_000);
  after(() => vscode.commands.executeCommand("notifications.clearAll"));

  it("Run says plainly that the pipeline is a Python class and how to run it, and starts nothing", async () => {
    const a = await api();
    const before = a.runs.all().length;
    const result = (await vscode.commands.executeCommand<RunCommandResult>(
      "experimentManager.runExperiment",
      configUri("python"),
    )) as RunCommandResult;
    assert.equal(result.started, false);
    assert.equal(result.reason, "python-pipeline");
    assert.equal(a.runs.all().length, before, "no process started");
    const message = await waitFor("the Python message", () =>
      a.messages.find((m) => /Python/.test(m.text) && /python-toy/.test(m.text)),
    );
    assert.match(message.text, /py_toy\.py/);
    assert.match(message.text, /Experiment\.create\(/);
    assert.match(message.text, /experimentManager\.python\.runCommand/, "says which setting runs it");
  });
});
