/**
 * "New Experiment": asks for a name and writes a first experiment into the workspace folder
 * (core/scaffold.ts), then opens its trials.yaml (Run lenses on it) beside the pipeline.
 * Writes files only; runs nothing, so it works in Restricted Mode too.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import { checkExperimentName, writeScaffold } from "../core/scaffold";
import type { Ctx } from "./ctx";

export interface NewExperimentResult {
  created: string[];
  reason?: "no-folder" | "cancelled" | "exists";
}

export async function newExperiment(ctx: Ctx, givenName?: unknown): Promise<NewExperimentResult> {
  const root = ctx.workspaceRoots[0];
  if (!root) {
    void ctx.notify("info", "Open a folder first (File > Open Folder): New Experiment writes its files there.");
    return { created: [], reason: "no-folder" };
  }
  const name =
    typeof givenName === "string"
      ? givenName
      : await vscode.window.showInputBox({
          title: "New Experiment",
          prompt: "A name for the experiment: it names configs/<name>/ and pipelines/<name>.ts",
          value: "my-experiment",
          validateInput: (v) => checkExperimentName(v.trim()),
        });
  if (name === undefined) return { created: [], reason: "cancelled" };
  const result = writeScaffold(root, name.trim());
  if ("error" in result) {
    void ctx.notify("error", `New Experiment: ${result.error}`);
    return { created: [], reason: "exists" };
  }
  const trials = result.written.find((f) => path.basename(f) === "trials.yaml")!;
  const pipeline = result.written.find((f) => f.endsWith(".ts"))!;
  await vscode.window.showTextDocument(vscode.Uri.file(pipeline), {
    preview: false,
    viewColumn: vscode.ViewColumn.Two,
    preserveFocus: true,
  });
  await vscode.window.showTextDocument(vscode.Uri.file(trials), { preview: false, viewColumn: vscode.ViewColumn.One });
  void ctx.notify(
    "info",
    `Created '${name.trim()}': ${result.written.map((f) => vscode.workspace.asRelativePath(f)).join(", ")}. Click Run Experiment above trials.yaml to train it.`,
  );
  return { created: result.written };
}
