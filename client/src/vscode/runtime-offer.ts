/**
 * When TypeScript reports that `@expman/runtime` cannot be found (the project does not install
 * it; runs still work with the extension's copy), offer "Install Runtime in Workspace" once per
 * session, saying why the editor shows type errors in a pipeline that runs fine.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import { findWorkspaceRuntime } from "../core/runtime-locator";
import type { Ctx } from "./ctx";

const MISSING = /Cannot find module '@expman\/runtime(\/[^']*)?'|Cannot find name '@expman\/runtime'/;

export function offerInstallOnMissingTypes(ctx: Ctx): vscode.Disposable {
  let offered = false;
  return vscode.languages.onDidChangeDiagnostics((e) => {
    if (offered) return;
    for (const uri of e.uris) {
      if (uri.scheme !== "file" || !/\.(m|c)?[jt]sx?$/.test(uri.fsPath)) continue;
      const diagnostics = vscode.languages.getDiagnostics(uri);
      if (!diagnostics.some((d) => MISSING.test(d.message))) continue;
      const root = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath;
      if (!root || findWorkspaceRuntime(path.dirname(uri.fsPath))) continue;
      offered = true;
      const errors = diagnostics.filter((d) => d.severity === vscode.DiagnosticSeverity.Error).length;
      void ctx
        .notify(
          "info",
          `${vscode.workspace.asRelativePath(uri)} imports @expman/runtime, which is not installed in this workspace, so TypeScript shows ${errors} error${errors === 1 ? "" : "s"} there (runs still work with the extension's copy). Install the runtime in the workspace?`,
          "Install Runtime in Workspace",
        )
        .then((choice) => choice && vscode.commands.executeCommand("experimentManager.installRuntime"));
      return;
    }
  });
}
