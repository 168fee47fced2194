// Issue 12.4 where the issue found it: an EMPTY folder (the rig opens a fresh, empty directory
// for this session). The extension is not active until something experiment-like shows up; the
// first config file, alone and blank, activates it and gets completion at once.
// The Playwright half (empty-folder.ui.mjs) then goes walkthrough -> New Experiment -> Run.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { waitFor } from "../../rig/host";
import { EXTENSION_ID } from "../shared";

const root = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

describe("A new user in an empty folder (trusted)", function () {
  this.timeout(90_000);

  it("the folder is empty and the extension is not active yet", () => {
    assert.deepEqual(fs.readdirSync(root()), [], "the rig opened an empty folder");
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, "installed");
    assert.equal(ext.isActive, false, "nothing experiment-like here: not activated");
  });

  it("the first config file, alone and blank, activates the extension and gets completion", async () => {
    const file = path.join(root(), "configs", "first", "base.yaml");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "");
    try {
      const doc = await vscode.workspace.openTextDocument(file);
      await vscode.window.showTextDocument(doc);
      await waitFor(
        "the extension to activate on the YAML file",
        () => vscode.extensions.getExtension(EXTENSION_ID)!.isActive,
      );
      // Only the language server's items count (VS Code adds words of open files as Text).
      const labels = await waitFor(
        "the server's completion in the lone, blank base.yaml",
        async () => {
          const list = await vscode.commands.executeCommand<vscode.CompletionList>(
            "vscode.executeCompletionItemProvider",
            doc.uri,
            new vscode.Position(0, 0),
          );
          const own = (list?.items ?? []).filter((i) => i.kind === vscode.CompletionItemKind.Property);
          const l = own.map((i) => (typeof i.label === "string" ? i.label : i.label.label));
          return l.includes("pipeline") ? l : undefined;
        },
        60_000,
        500,
      );
      assert.ok(labels.includes("seed"), labels.join(", "));
    } finally {
      await vscode.commands.executeCommand("workbench.action.closeAllEditors");
      // Leave the folder empty for the UI check, as a new user has it.
      fs.rmSync(path.join(root(), "configs"), { recursive: true, force: true });
    }
  });
});
