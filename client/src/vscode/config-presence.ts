/**
 * Resolves once the workspace has something the language server is for: an open YAML document
 * that looks like an experiment config, or such files in the workspace. The extension activates
 * on any YAML file (onLanguage:yaml); this keeps the server process from starting for
 * workspaces whose YAML is someone else's (CI files, Kubernetes manifests).
 */
import * as vscode from "vscode";
import { looksLikeExperimentConfig } from "../core/config-folder";

const CONFIG_GLOB = "**/{env,experiment,base,trials,*.env,*.experiment,*.base,*.trials}.{yaml,yml}";

const looksLike = (doc: vscode.TextDocument) =>
  doc.languageId === "yaml" && doc.uri.scheme === "file" && looksLikeExperimentConfig(doc.fileName, doc.getText());

export function whenExperimentConfigSeen(extraGlobs: readonly string[]): { seen: Promise<string>; dispose(): void } {
  let resolve!: (why: string) => void;
  const seen = new Promise<string>((r) => (resolve = r));
  const sub = vscode.workspace.onDidOpenTextDocument((doc) => {
    if (looksLike(doc)) resolve(`opened ${vscode.workspace.asRelativePath(doc.uri)}`);
  });
  const open = vscode.workspace.textDocuments.find(looksLike);
  if (open) resolve(`open ${vscode.workspace.asRelativePath(open.uri)}`);
  for (const glob of [CONFIG_GLOB, ...extraGlobs]) {
    void vscode.workspace.findFiles(glob, "**/node_modules/**", 1).then(
      (found) => found.length && resolve(`found ${vscode.workspace.asRelativePath(found[0])}`),
      () => undefined,
    );
  }
  void seen.then(() => sub.dispose());
  return { seen, dispose: () => sub.dispose() };
}
