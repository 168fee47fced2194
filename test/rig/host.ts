// Helpers for mocha suites that run inside the extension host (imported by suites, bundled
// with them by esbuild). They wait on the editor's own events with a deadline instead of
// sleeping, so suites stay fast when things are quick and give a clear message when not.
import * as path from "node:path";
import * as fs from "node:fs";
import * as vscode from "vscode";

// The one polling helper, shared with the unit tests (no vscode import there).
import { waitFor } from "../../runtime/test/helpers/wait";
export { waitFor };

/** The opened folder (the rig's temp copy of the fixture workspace). */
export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error("no workspace folder is open; pass --workspace to the rig");
  return folder.uri.fsPath;
}

/** Absolute URI of a path relative to the workspace root. */
export function workspaceUri(relPath: string): vscode.Uri {
  return vscode.Uri.file(path.join(workspaceRoot(), relPath));
}

/** Writes a file under the workspace (creating folders) and returns its URI. */
export function writeWorkspaceFile(relPath: string, content: string): vscode.Uri {
  const uri = workspaceUri(relPath);
  fs.mkdirSync(path.dirname(uri.fsPath), { recursive: true });
  fs.writeFileSync(uri.fsPath, content);
  return uri;
}

/** Opens a workspace file in an editor and returns the document. */
export async function openWorkspaceFile(relPath: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(workspaceUri(relPath));
  await vscode.window.showTextDocument(doc);
  return doc;
}

/** Activates an extension by id ("publisher.name") and returns its exported API. */
export async function activateExtension<T = unknown>(id: string): Promise<T> {
  const ext = vscode.extensions.getExtension<T>(id);
  if (!ext) throw new Error(`extension ${id} is not installed in this editor`);
  return ext.activate();
}

/** Waits until the diagnostics of `uri` satisfy `accept` (default: at least one). */
export function waitForDiagnostics(
  uri: vscode.Uri,
  accept: (d: readonly vscode.Diagnostic[]) => boolean = (d) => d.length > 0,
  timeoutMs = 15_000,
): Promise<readonly vscode.Diagnostic[]> {
  return waitFor(
    `diagnostics on ${uri.fsPath}`,
    () => {
      const d = vscode.languages.getDiagnostics(uri);
      return accept(d) ? d : undefined;
    },
    timeoutMs,
  );
}

/** Labels of the completion items offered at a position (through all providers). */
export async function completionLabels(uri: vscode.Uri, position: vscode.Position): Promise<string[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>(
    "vscode.executeCompletionItemProvider",
    uri,
    position,
  );
  return list.items.map((i) => (typeof i.label === "string" ? i.label : i.label.label));
}
