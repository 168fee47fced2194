/**
 * Lenses on experiment config files: "Run Experiment" and "Validate" on the first line, and
 * "Run Trial" on each trial's `name:` in trials.yaml (runs only that trial).
 */
import * as path from "node:path";
import * as vscode from "vscode";
import { CONFIG_FILE, isConfigFolder } from "../core/config-folder";
import { trialLocations } from "../core/trial-names";

export class ConfigCodeLens implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const file = path.basename(document.uri.fsPath);
    if (document.uri.scheme !== "file" || !CONFIG_FILE.test(file)) return [];
    if (!isConfigFolder(path.dirname(document.uri.fsPath))) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const lenses = [
      new vscode.CodeLens(top, {
        title: "$(play) Run Experiment",
        command: "experimentManager.runExperiment",
        arguments: [document.uri],
      }),
      new vscode.CodeLens(top, {
        title: "Validate",
        command: "experimentManager.validateConfig",
        arguments: [document.uri],
      }),
    ];
    if (/^trials\.ya?ml$/i.test(file)) {
      for (const trial of trialLocations(document.getText())) {
        const at = new vscode.Range(trial.line, 0, trial.line, 0);
        lenses.push(
          new vscode.CodeLens(at, {
            title: `$(play) Run Trial '${trial.name}'`,
            command: "experimentManager.runTrial",
            arguments: [document.uri, trial.name],
          }),
        );
      }
    }
    return lenses;
  }
}
