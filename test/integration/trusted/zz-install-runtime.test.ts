// Install Runtime in Workspace in the real editor, with npm pointed at a closed port (a project
// .npmrc): it fails saying the registry could not be reached, and package.json is untouched.
// And: TypeScript's "Cannot find module '@expman/runtime'" in a pipeline offers the command.
// Last in the trusted suites (zz-): nothing may be installed under the other suites' runs.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { waitFor } from "../../rig/host";
import { api } from "../shared";

const root = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

describe("Install Runtime in Workspace (trusted)", function () {
  this.timeout(120_000);
  // Toasts with buttons stay: clear them so later UI checks see their own notifications.
  after(() => vscode.commands.executeCommand("notifications.clearAll"));

  it("pipelines/toy.ts without the runtime installed: TypeScript's errors come with the offer to install", async function () {
    const a = await api();
    await vscode.window.showTextDocument(vscode.Uri.file(path.join(root(), "pipelines", "toy.ts")));
    const offer = await waitFor(
      "the install offer",
      () => a.messages.find((m) => /imports @expman\/runtime, which is not installed in this workspace/.test(m.text)),
      90_000,
      500,
    );
    assert.match(offer.text, /TypeScript shows \d+ errors? there/);
  });

  it("offline: a clear message, package.json untouched, nothing half-installed", async () => {
    const a = await api();
    const pkg = path.join(root(), "package.json");
    fs.writeFileSync(pkg, `${JSON.stringify({ name: "rig-project", version: "1.0.0", private: true }, null, 2)}\n`);
    const before = fs.readFileSync(pkg, "utf8");
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "rig-npm-cache-"));
    fs.writeFileSync(
      path.join(root(), ".npmrc"),
      `registry=http://127.0.0.1:9/\ncache=${cache}\nprefer-online=true\nfetch-retries=0\nignore-scripts=true\n`,
    );
    try {
      const r = (await vscode.commands.executeCommand("experimentManager.installRuntime")) as {
        started: boolean;
        result?: { ok: boolean; message: string };
      };
      assert.equal(r.started, true);
      assert.equal(r.result!.ok, false);
      assert.match(r.result!.message, /could not download the runtime's dependencies .*are you offline/);
      await waitFor("the failure message", () =>
        a.messages.find(
          (m) => m.severity === "error" && /Install Runtime in Workspace failed: npm could not download/.test(m.text),
        ),
      );
      assert.equal(fs.readFileSync(pkg, "utf8"), before);
      assert.ok(
        fs.existsSync(path.join(root(), ".expman")) &&
          fs.readdirSync(path.join(root(), ".expman")).some((f) => /^expman-runtime-.*\.tgz$/.test(f)),
        "the tarball from the .vsix was copied into the project",
      );
    } finally {
      for (const f of [".npmrc", "package.json", "node_modules", ".expman"])
        fs.rmSync(path.join(root(), f), { recursive: true, force: true });
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
});
