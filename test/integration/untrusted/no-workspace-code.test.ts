// Restricted Mode runs no workspace code: Validate is the static check (no `expman validate`,
// which loads the imports: modules), Install Runtime is refused, and browsing the tree (the
// bundled query process) loads nothing either. pipelines/marker.ts writes `imported.marker`
// when loaded; the trusted suite shows that it does.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { api, configUri } from "../shared";

const marker = () => path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "imported.marker");

describe("Restricted Mode loads no workspace module", function () {
  this.timeout(60_000);

  it("Validate is the language server's static check: errors found, no module loaded", async () => {
    const a = await api();
    await a.languageServerReady;
    assert.equal(vscode.workspace.isTrusted, false);
    const ok = (await vscode.commands.executeCommand("experimentManager.validateConfig", configUri("marker"))) as {
      ok: boolean;
      mode: string;
      errors: string[];
    };
    assert.equal(ok.mode, "static");
    assert.equal(ok.ok, true, ok.errors.join("\n"));
    const broken = (await vscode.commands.executeCommand("experimentManager.validateConfig", configUri("broken"))) as {
      ok: boolean;
      mode: string;
      errors: string[];
    };
    assert.equal(broken.mode, "static");
    assert.equal(broken.ok, false);
    assert.match(broken.errors.join("\n"), /base\.yaml:3:9: error: Unknown pipeline type 'ToyPipelin'/);
    assert.ok(a.messages.some((m) => /static check: Restricted Mode/.test(m.text)));
    assert.equal(fs.existsSync(marker()), false, "no process loaded pipelines/marker.ts");
  });

  it("Run, Install Runtime and the tree start nothing that loads workspace code", async () => {
    const a = await api();
    const run = (await vscode.commands.executeCommand("experimentManager.runExperiment", configUri("marker"))) as {
      started: boolean;
      reason: string;
    };
    assert.deepEqual([run.started, run.reason], [false, "untrusted"]);
    const install = (await vscode.commands.executeCommand("experimentManager.installRuntime")) as {
      started: boolean;
      reason: string;
    };
    assert.deepEqual([install.started, install.reason], [false, "untrusted"]);
    assert.ok(
      vscode.window.terminals.every((t) => !/Install Experiment Manager runtime/.test(t.name)),
      "no install terminal",
    );
    await a.tree.getChildren();
    assert.equal(a.runs.all().length, 0);
    assert.equal(fs.existsSync(marker()), false);
  });
});
