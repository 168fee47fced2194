// The Experiment Manager extension in a real VS Code (code-server), trusted workspace:
// language server features, running, stopping, failing, refusing, and the tree.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { completionLabels, waitFor, waitForDiagnostics } from "../../rig/host";
import { api, configUri, isExperimentRow, recordTiming, roots, runsOf, type RunCommandResult } from "../shared";

const run = (arg: unknown) =>
  vscode.commands.executeCommand<RunCommandResult>(
    "experimentManager.runExperiment",
    arg,
  ) as Thenable<RunCommandResult>;

describe("Experiment Manager extension (trusted)", function () {
  this.timeout(90_000);

  it("activates and registers its commands", async () => {
    const a = await api();
    recordTiming("activationMs", a.activationMs);
    const all = await vscode.commands.getCommands(true);
    for (const id of [
      "runExperiment",
      "stopRun",
      "stopExperiment",
      "refresh",
      "openMetrics",
      "openCheckpoint",
      "revealCheckpoint",
      "copyCheckpointPath",
      "openRunLog",
      "openRunConfig",
    ]) {
      assert.ok(all.includes(`experimentManager.${id}`), `experimentManager.${id} is registered`);
    }
  });

  it("loads no native module into the extension host", async () => {
    const ext = vscode.extensions.getExtension("expman.experiment-manager")!;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const cache = (require("node:module") as { _cache?: Record<string, unknown> })._cache ?? {};
    const ours = Object.keys(cache).filter((k) => k.startsWith(ext.extensionPath));
    assert.ok(
      ours.some((k) => k.endsWith("extension.js")),
      "the extension bundle is in the module cache",
    );
    assert.deepEqual(
      ours.filter((k) => k.endsWith(".node") || k.includes("better-sqlite3")),
      [],
    );
  });

  it("shows diagnostics for a broken config", async () => {
    const a = await api();
    await a.languageServerReady;
    const uri = configUri("broken");
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const diags = await waitForDiagnostics(
      uri,
      (d) => d.some((x) => x.message.includes("ToyPipelin")) && d.some((x) => x.message.includes("val_los")),
      30_000,
    );
    assert.ok(
      diags.every(
        (d) => d.severity === vscode.DiagnosticSeverity.Error || d.severity === vscode.DiagnosticSeverity.Warning,
      ),
    );
  });

  it("completes registered pipeline types after `type:`", async () => {
    const uri = configUri("quick");
    const doc = await vscode.workspace.openTextDocument(uri);
    const line = doc
      .getText()
      .split("\n")
      .findIndex((l) => l.trim().startsWith("type: ToyPipeline"));
    const labels = await waitFor("completion items", async () => {
      const l = await completionLabels(uri, new vscode.Position(line, doc.lineAt(line).text.indexOf("type:") + 6));
      return l.includes("ToyPipeline") ? l : undefined;
    });
    assert.ok(labels.includes("ToyPipeline"));
  });

  it("refuses to run a config folder with errors, listing them, without starting a process", async () => {
    const a = await api();
    const before = a.runs.all().length;
    const result = await run(configUri("broken"));
    assert.equal(result.started, false);
    assert.equal(result.reason, "config-errors");
    assert.ok(
      result.errors!.some((e) => /base\.yaml:\d+:\d+: error: .*ToyPipelin/.test(e)),
      result.errors!.join("\n"),
    );
    assert.equal(a.runs.all().length, before, "no run was queued");
    assert.ok(a.messages.some((m) => m.severity === "error" && m.text.includes("config error")));
  });

  it("runs an experiment; the tree shows the run succeeded with its epochs and checkpoints", async () => {
    const a = await api();
    const t0 = Date.now();
    const result = await run(configUri("quick"));
    assert.equal(result.started, true, JSON.stringify(result));
    const managed = a.runs.get(result.runId!)!;
    const outcome = await a.runs.finished(result.runId!);
    recordTiming("runCommandToFirstEpochMs", managed.startedAt! - t0 + (managed.firstEpochMs ?? NaN));
    assert.equal(outcome!.exitCode, 0, outcome!.stderrTail);
    await roots(a, "the quick-toy experiment in the tree", (n) => n.some((x) => isExperimentRow(x, "quick-toy")));
    const [r] = await runsOf(a, "quick-toy");
    assert.ok(r, "a run node");
    assert.equal(r.run.status, "SUCCESS");
    assert.match(a.tree.model.present(r).description ?? "", /succeeded/);
    const [epochs, checkpoints] = await a.tree.getChildren(r);
    const epochNodes = await a.tree.getChildren(epochs);
    assert.deepEqual(
      epochNodes.map((n) => a.tree.model.present(n).label),
      ["epoch 0", "epoch 1", "epoch 2"],
    );
    const cps = await a.tree.getChildren(checkpoints);
    const labels = cps.map((n) => a.tree.model.present(n).label);
    assert.ok(labels.includes("checkpoint-0") && labels.includes("checkpoint-final"), labels.join(", "));
    // Checkpoint actions: copy its path, open it.
    const cp = cps.find((n) => n.kind === "checkpoint" && !n.checkpoint.final)!;
    const copied = await vscode.commands.executeCommand<string>("experimentManager.copyCheckpointPath", cp);
    assert.ok(cp.kind === "checkpoint" && copied === cp.checkpoint.path && fs.existsSync(copied));
    // A headless browser may never answer a clipboard read (permission prompt): check it when it does.
    const pasted = await Promise.race([
      vscode.env.clipboard.readText(),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000)),
    ]);
    if (pasted !== undefined) assert.equal(pasted, copied);
    await vscode.commands.executeCommand("experimentManager.openCheckpoint", cp);
    await waitFor(
      "the checkpoint open in an editor",
      () => vscode.window.activeTextEditor?.document.uri.fsPath === copied,
    );
    const log = await vscode.commands.executeCommand<string>("experimentManager.openRunLog", r);
    assert.ok(log && fs.existsSync(log), "the run log opens");
    assert.ok(a.messages.some((m) => m.text.includes("'quick-toy' finished")));
  });

  it("experiment.log opens in the runtime's log language (grammar contributed)", async () => {
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const doc = await vscode.workspace.openTextDocument(
      vscode.Uri.file(path.join(root, "runs", "quick", "artifacts", "experiment.log")),
    );
    assert.equal(doc.languageId, "expman-log");
    assert.ok((await vscode.languages.getLanguages()).includes("expman-log"));
  });

  it("opens the metrics panel of a run (tree) and of a finished experiment (run manager)", async () => {
    const a = await api();
    const [r] = await runsOf(a, "quick-toy");
    const metricsTabs = () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .filter((t) => t.input instanceof vscode.TabInputWebview && /metrics/i.test(t.input.viewType));
    await vscode.commands.executeCommand("experimentManager.openMetrics", r);
    await waitFor("a metrics tab for the run", () => metricsTabs().some((t) => t.label === "Metrics: only-0"));
    const uid = a.runs.all().find((m) => m.name === "quick-toy")?.process.experimentUid;
    assert.ok(uid, "the run manager knows the experiment uid");
    await vscode.commands.executeCommand("experimentManager.openMetrics", { experimentUid: uid });
    await waitFor("a metrics tab for the experiment", () =>
      metricsTabs().some((t) => t.label === "Metrics: quick-toy"),
    );
  });

  it("stops a run: it ends ABORTED, the tree shows it live and then aborted", async () => {
    const a = await api();
    const result = await run(configUri("slow"));
    assert.equal(result.started, true, JSON.stringify(result));
    const managed = a.runs.get(result.runId!)!;
    await waitFor("two epochs", () => (managed.process.lastProgress?.epoch ?? -1) >= 1, 30_000);
    // Live: the tree shows the running run with its epoch.
    const live = await waitFor(
      "the running run in the tree",
      async () => {
        a.databases.invalidate();
        const [r] = await runsOf(a, "slow-toy");
        const d = r && a.tree.model.present(r);
        return d && /epoch \d+\/400/.test(d.description ?? "") ? d : undefined;
      },
      20_000,
      250,
    );
    assert.equal(live.icon.id, "sync~spin");
    // What the status bar's "Click to stop" calls: Stop Experiment with the managed run's id.
    assert.equal(await vscode.commands.executeCommand("experimentManager.stopExperiment", result.runId), true);
    const outcome = await a.runs.finished(result.runId!);
    assert.equal(outcome!.stopped, true);
    assert.equal(outcome!.exitCode, 130, outcome!.stderrTail);
    const [r] = await runsOf(a, "slow-toy");
    assert.equal(r.run.status, "ABORTED");
    assert.match(a.tree.model.present(r).description ?? "", /aborted/);
  });

  it("a pipeline that throws: the run shows FAILED with the error, and a message offers its log", async () => {
    const a = await api();
    const result = await run(configUri("failing"));
    const outcome = await a.runs.finished(result.runId!);
    assert.equal(outcome!.exitCode, 1);
    assert.equal(outcome!.runs[0].status, "FAILED");
    assert.match(outcome!.runs[0].error!.message, /toy failure at epoch 1/);
    const [r] = await runsOf(a, "failing-toy");
    assert.equal(r.run.status, "FAILED");
    assert.match(r.run.error?.message ?? "", /toy failure/);
    assert.match(a.tree.model.present(r).tooltip, /toy failure/);
    await waitFor("the failure message", () =>
      a.messages.find((m) => m.severity === "error" && /FAILED: .*toy failure/.test(m.text)),
    );
  });

  it("a corrupt database shows as an error item naming the file; the others still work", async () => {
    const a = await api();
    const nodes = await roots(
      a,
      "root items",
      (n) => n.some((x) => x.kind === "message") && n.some((x) => isExperimentRow(x)),
    );
    const bad = nodes.find((n) => n.kind === "message")!;
    assert.equal(bad.kind, "message");
    assert.match(bad.label, /experiment\.db: cannot open/);
    assert.ok(bad.kind === "message" && bad.db?.includes(path.join("corrupt", "artifacts")), JSON.stringify(bad));
    assert.ok(nodes.filter((n) => isExperimentRow(n)).length >= 3);
  });

  it("Node missing: a clear message, no crash, nothing started", async () => {
    const a = await api();
    const config = vscode.workspace.getConfiguration("experimentManager");
    await config.update("nodePath", "/nonexistent/bin/node", vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor(
        "the setting to apply",
        () => vscode.workspace.getConfiguration("experimentManager").get("nodePath") === "/nonexistent/bin/node",
      );
      const result = await run(configUri("quick"));
      assert.equal(result.started, false);
      assert.equal(result.reason, "node-missing");
      await waitFor("the Node message", () =>
        a.messages.find((m) => m.severity === "error" && /Node\.js was not found.*nodePath/.test(m.text)),
      );
    } finally {
      await config.update("nodePath", undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor("the tree to work again", async () => (await a.tree.getChildren()).some((n) => isExperimentRow(n)));
  });
});
