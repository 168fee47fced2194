// A new user's first steps in the real editor: the first config file gets completion alone; New Experiment writes a pipeline and four
// configs with their name, Run trains it (the bundled runtime: the workspace installs none), the
// tree shows its runs, the metrics panel opens on it; the run picker skips the run's config
// copies; Open Run Config shows the merged settings; Run Trial runs one trial only.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { waitFor } from "../../rig/host";
import { api, isExperimentRow, roots, runsOf, type RunCommandResult } from "../shared";

const root = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

describe("A new user's first experiment (trusted)", function () {
  this.timeout(120_000);
  // Toasts with buttons stay: clear them so later UI checks see their own notifications.
  after(() => vscode.commands.executeCommand("notifications.clearAll"));

  it("the first config file of a new experiment gets completion before the other three exist", async () => {
    const dir = path.join(root(), "configs", "rig-lone");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "base.yaml");
    fs.writeFileSync(file, "");
    try {
      const doc = await vscode.workspace.openTextDocument(file);
      await vscode.window.showTextDocument(doc);
      // Only the language server's items count (VS Code adds words of other open YAML files as Text).
      const labels = await waitFor("the server's completion in a lone, empty base.yaml", async () => {
        const list = await vscode.commands.executeCommand<vscode.CompletionList>(
          "vscode.executeCompletionItemProvider",
          doc.uri,
          new vscode.Position(0, 0),
        );
        const own = (list?.items ?? []).filter((i) => i.kind === vscode.CompletionItemKind.Property);
        const l = own.map((i) => (typeof i.label === "string" ? i.label : i.label.label));
        return l.includes("pipeline") ? l : undefined;
      });
      assert.ok(labels.includes("seed"), labels.join(", "));
    } finally {
      await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("New Experiment writes the files with the user's name and opens trials.yaml with its lenses", async () => {
    const result = (await vscode.commands.executeCommand("experimentManager.newExperiment", "rig-first")) as {
      created: string[];
    };
    const rel = result.created.map((f) => path.relative(root(), f).split(path.sep).join("/")).sort();
    assert.deepEqual(rel, [
      "configs/rig-first/base.yaml",
      "configs/rig-first/env.yaml",
      "configs/rig-first/experiment.yaml",
      "configs/rig-first/trials.yaml",
      "pipelines/rig-first.ts",
    ]);
    await waitFor("trials.yaml in the editor", () =>
      vscode.window.activeTextEditor?.document.fileName.endsWith(path.join("rig-first", "trials.yaml")),
    );
    const uri = vscode.window.activeTextEditor!.document.uri;
    const lenses = await waitFor("Run lenses", async () => {
      const l = (await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", uri)) ?? [];
      return l.some((x) => x.command?.command === "experimentManager.runTrial") ? l : undefined;
    });
    const titles = lenses.map((l) => l.command?.title ?? "");
    assert.ok(titles.some((t) => /Run Experiment/.test(t)));
    assert.deepEqual(
      titles.filter((t) => /Run Trial/.test(t)),
      ["$(play) Run Trial 'small_lr'", "$(play) Run Trial 'big_lr'"],
    );
    const again = (await vscode.commands.executeCommand("experimentManager.newExperiment", "rig-first")) as {
      created: string[];
      reason?: string;
    };
    assert.deepEqual([again.created.length, again.reason], [0, "exists"], "nothing is overwritten");
  });

  it("Run trains it to SUCCESS; the tree lists its runs; Open Metrics opens its chart", async () => {
    const a = await api();
    const cfg = vscode.Uri.file(path.join(root(), "configs", "rig-first", "trials.yaml"));
    const result = (await vscode.commands.executeCommand<RunCommandResult>(
      "experimentManager.runExperiment",
      cfg,
    )) as RunCommandResult;
    assert.equal(result.started, true, JSON.stringify(result));
    const outcome = await a.runs.finished(result.runId!);
    assert.equal(outcome!.exitCode, 0, outcome!.stderrTail);
    assert.deepEqual(
      outcome!.runs.map((r) => r.status),
      ["SUCCESS", "SUCCESS", "SUCCESS"],
    );
    await roots(a, "rig-first in the tree", (n) => n.some((x) => isExperimentRow(x, "rig-first")));
    const runs = await runsOf(a, "rig-first");
    assert.equal(runs.length, 3);
    await vscode.commands.executeCommand("experimentManager.openMetrics", runs[0]);
    await waitFor("a metrics tab", () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .some((t) => t.input instanceof vscode.TabInputWebview && /^Metrics: /.test(t.label)),
    );
  });

  it("Open Run Config opens the settings the run used: base.yaml merged with its trial's", async () => {
    const a = await api();
    const big = (await runsOf(a, "rig-first")).find((r) => r.run.trialName === "big_lr")!;
    const file = (await vscode.commands.executeCommand("experimentManager.openRunConfig", big)) as string;
    const text = fs.readFileSync(file, "utf8");
    assert.match(text, /lr: 0\.3/, "the trial's lr");
    assert.match(text, /CheckpointCallback/, "base.yaml's callbacks");
  });

  it("Run Trial runs only that trial", async () => {
    const a = await api();
    const cfg = vscode.Uri.file(path.join(root(), "configs", "rig-first", "trials.yaml"));
    const result = (await vscode.commands.executeCommand<RunCommandResult>(
      "experimentManager.runTrial",
      cfg,
      "big_lr",
    )) as RunCommandResult;
    assert.equal(result.started, true, JSON.stringify(result));
    const outcome = await a.runs.finished(result.runId!);
    assert.equal(outcome!.exitCode, 0, outcome!.stderrTail);
    assert.deepEqual(
      outcome!.runs.map((r) => `${r.trial}:${r.status}`),
      ["big_lr:SUCCESS"],
    );
  });

  it("the run's copies of the configs (runs/rig-first/configs) are not offered by Run", async () => {
    const copy = path.join(root(), "runs", "rig-first", "configs", "trials.yaml");
    assert.ok(fs.existsSync(copy), "the runtime keeps a copy");
    const result = (await vscode.commands.executeCommand<RunCommandResult>(
      "experimentManager.runExperiment",
      vscode.Uri.file(copy),
    )) as RunCommandResult;
    assert.deepEqual([result.started, result.reason], [false, "no-config"]);
    await vscode.workspace.openTextDocument(vscode.Uri.file(copy));
    const lenses =
      (await vscode.commands.executeCommand<vscode.CodeLens[]>(
        "vscode.executeCodeLensProvider",
        vscode.Uri.file(copy),
      )) ?? [];
    assert.equal(
      lenses.filter((l) => l.command?.command?.startsWith("experimentManager.")).length,
      0,
      "no Run lens on a copy",
    );
  });
});
