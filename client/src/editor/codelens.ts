/** "Run Experiment" and "Validate" lenses on the first line of experiment config files. */
import * as path from "node:path";
import * as vscode from "vscode";
import { CONFIG_FILE, isConfigFolder } from "../core/config-folder";

export class ConfigCodeLens implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (document.uri.scheme !== "file" || !CONFIG_FILE.test(path.basename(document.uri.fsPath))) return [];
    if (!isConfigFolder(path.dirname(document.uri.fsPath))) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    return [
      new vscode.CodeLens(top, { title: "$(play) Run Experiment", command: "experimentManager.runExperiment", arguments: [document.uri] }),
      new vscode.CodeLens(top, { title: "Validate", command: "experimentManager.validateConfig", arguments: [document.uri] }),
    ];
  }
}
