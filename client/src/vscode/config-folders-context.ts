/**
 * Keeps the context key `experimentManager.hasConfigFolder` true while the workspace holds an
 * experiment config folder (a trials.yaml beside another config file, not a run's copy). The
 * Experiments view shows its Run button only then: in an empty folder Run could only fail, and
 * the view offers New Experiment instead (issue 12.4).
 */
import * as path from "node:path";
import * as vscode from "vscode";
import { isConfigFolder } from "../core/config-folder";

export const HAS_CONFIG_FOLDER = "experimentManager.hasConfigFolder";
/** The files the run picker looks for (RunCommands.resolveConfigDir). */
export const TRIALS_GLOB = "**/trials.{yaml,yml}";

export function trackConfigFolders(): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  let disposed = false;
  let last: boolean | undefined;
  const update = async () => {
    const found = await vscode.workspace.findFiles(TRIALS_GLOB, "**/node_modules/**", 200);
    const has = found.some((u) => isConfigFolder(path.dirname(u.fsPath)));
    if (disposed || has === last) return;
    last = has;
    await vscode.commands.executeCommand("setContext", HAS_CONFIG_FOLDER, has);
  };
  // New Experiment writes five files at once: one look after they settle.
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void update().catch(() => undefined), 200);
  };
  // File events can be missed (a folder deleted and made again at once, in the rig): a config
  // file opened or saved is a second cue. New Experiment opens the trials.yaml it wrote.
  const watcher = vscode.workspace.createFileSystemWatcher("**/*.{yaml,yml}");
  const isYaml = (doc: vscode.TextDocument) => doc.uri.scheme === "file" && /\.ya?ml$/i.test(doc.fileName);
  const subs = [
    watcher,
    watcher.onDidCreate(soon),
    watcher.onDidDelete(soon),
    vscode.workspace.onDidOpenTextDocument((doc) => isYaml(doc) && soon()),
    vscode.workspace.onDidSaveTextDocument((doc) => isYaml(doc) && soon()),
  ];
  void update().catch(() => undefined);
  return {
    dispose() {
      disposed = true;
      clearTimeout(timer);
      for (const s of subs) s.dispose();
    },
  };
}
