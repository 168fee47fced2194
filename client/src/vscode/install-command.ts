/**
 * "Install Runtime in Workspace": installs the runtime tarball shipped in the extension into
 * the project with the user's npm (core/install-runtime.ts), with progress, npm's output in a
 * channel, and a message that says what happened or why it failed (offline included).
 */
import * as path from "node:path";
import * as vscode from "vscode";
import { findRuntimeTarball, installRuntime, type InstallResult } from "../core/install-runtime";
import type { Ctx } from "./ctx";

export interface InstallCommandResult {
  started: boolean;
  reason?: "untrusted" | "no-tarball" | "node-missing";
  result?: InstallResult;
}

let output: vscode.OutputChannel | undefined;

export async function installInWorkspace(ctx: Ctx, root: string): Promise<InstallCommandResult> {
  const tarball = findRuntimeTarball(path.join(ctx.extension.extensionPath, "client", "out"));
  if (!tarball) {
    void ctx.notify(
      "error",
      "This build of the extension carries no runtime tarball (client/out/expman-runtime-*.tgz); build it with `npm run package`.",
    );
    return { started: false, reason: "no-tarball" };
  }
  let node: string;
  try {
    node = (await ctx.checkNode()).path;
  } catch (e) {
    void ctx.explainSetupError(e);
    return { started: false, reason: "node-missing" };
  }
  if (!output) {
    output = vscode.window.createOutputChannel("Experiment Manager: Install Runtime");
    ctx.extension.subscriptions.push(output);
  }
  const channel = output;
  channel.appendLine(`── ${new Date().toLocaleString()} · npm install ${path.basename(tarball)} in ${root}`);
  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Installing the Experiment Manager runtime (${path.basename(tarball)}) in ${path.basename(root)}`,
    },
    () => installRuntime({ node, project: root, tarball, onOutput: (t) => channel.append(t) }),
  );
  channel.appendLine(`── ${result.ok ? "installed" : `failed: ${result.message}`}`);
  if (result.ok) {
    // The workspace copy is used from now on (runs, queries).
    ctx.resetServices();
    void ctx.notify("info", result.message);
  } else {
    void ctx
      .notify("error", `Install Runtime in Workspace failed: ${result.message}`, "Show Output")
      .then((c) => c && channel.show(true));
  }
  return { started: true, result };
}
