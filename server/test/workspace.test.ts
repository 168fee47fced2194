/**
 * The language server's workspace in-process (no server process, no protocol): open documents,
 * see what would be published, ask for completion and hover. A fake host records publications
 * and errors (the LSP connection is the only part replaced).
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Diagnostic } from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { ConfigWorkspace } from "../src/workspace";
import { copyFixture, positionOf } from "./helpers/fixtures";

function recordingWorkspace() {
  const published = new Map<string, { version?: number; diagnostics: Diagnostic[] }>();
  const errors: string[] = [];
  const ws = new ConfigWorkspace({
    publishDiagnostics: (p) => published.set(p.uri, p),
    log: () => undefined,
    error: (m) => errors.push(m),
  });
  return { ws, published, errors };
}

/** Validation runs on the next turn (bursts coalesce): wait for it. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("ConfigWorkspace in-process", () => {
  const fixture = copyFixture("ws-ts");
  after(() => fixture.dispose());
  const cfg = (f: string) => fixture.path(`configs/exp/${f}`);
  const uri = (f: string) => pathToFileURL(cfg(f)).toString();

  it("validates an opened set, publishes per file, and finds the workspace's registered types", async () => {
    const { ws, published, errors } = recordingWorkspace();
    ws.initialize([fixture.root], []);
    assert.ok(
      ws.describe().types.some((t) => t.name === "TrainTS"),
      "TrainTS indexed from the fixture's sources",
    );
    const base = fixture.read("configs/exp/base.yaml").replace("epochs: 3", "epochs: three");
    ws.opened(TextDocument.create(uri("base.yaml"), "yaml", 1, base));
    await settle();
    const diags = published.get(uri("base.yaml"))!.diagnostics;
    assert.deepEqual(
      diags.map((d) => d.code),
      ["wrong-value"],
    );
    assert.deepEqual(diags[0].range.start, positionOf(base, "three"));
    // Fixed: the next version publishes no problems, and a close clears the file.
    ws.changed(TextDocument.create(uri("base.yaml"), "yaml", 2, fixture.read("configs/exp/base.yaml")));
    await settle();
    assert.deepEqual(published.get(uri("base.yaml")), { uri: uri("base.yaml"), version: 2, diagnostics: [] });
    ws.closed(uri("base.yaml"));
    assert.deepEqual(published.get(uri("base.yaml"))!.diagnostics, []);
    assert.deepEqual(errors, []);
  });

  it("completes and hovers; positions past the end answer nothing, without an error", async () => {
    const { ws, errors } = recordingWorkspace();
    ws.initialize([fixture.root], []);
    const base = "pipeline:\n  type: TrainTS\n  \n";
    ws.opened(TextDocument.create(uri("base.yaml"), "yaml", 1, base));
    const labels = ws.completion(uri("base.yaml"), { line: 2, character: 2 }).map((i) => i.label);
    assert.ok(labels.includes("epochs"), labels.join(", "));
    assert.ok(ws.hover(uri("base.yaml"), { line: 1, character: 9 }), "hover on the pipeline type");
    for (const position of [
      { line: 99, character: 0 },
      { line: 1, character: 999 },
      { line: -1, character: -1 },
    ]) {
      ws.completion(uri("base.yaml"), position);
      ws.hover(uri("base.yaml"), position);
      ws.definition(uri("base.yaml"), position);
    }
    assert.deepEqual(ws.completion(uri("base.yaml"), { line: 99, character: 0 }), []);
    assert.deepEqual(errors, []);
  });

  it("helps with the first file of a new experiment, alone in its folder, and leaves another tool's env.yaml alone", async () => {
    const { ws, published, errors } = recordingWorkspace();
    const dir = mkdtempSync(join(tmpdir(), "expman-first-file-"));
    try {
      ws.initialize([dir], []);
      const at = (f: string) => pathToFileURL(join(dir, f)).toString();
      // A blank base.yaml, just created: its top-level keys are offered.
      ws.opened(TextDocument.create(at("base.yaml"), "yaml", 1, ""));
      await settle();
      const baseKeys = ws.completion(at("base.yaml"), { line: 0, character: 0 }).map((i) => i.label);
      assert.ok(baseKeys.includes("pipeline"), baseKeys.join(", "));
      // A trials list being typed: trial keys are offered and problems published.
      ws.opened(TextDocument.create(at("trials.yaml"), "yaml", 1, "- name: first\n  "));
      await settle();
      const trialKeys = ws.completion(at("trials.yaml"), { line: 1, character: 2 }).map((i) => i.label);
      assert.ok(trialKeys.includes("repeat") && trialKeys.includes("settings"), trialKeys.join(", "));
      assert.ok(
        published
          .get(at("trials.yaml"))!
          .diagnostics.some((d) => /repeat/.test(typeof d.message === "string" ? d.message : d.message.value)),
      );
      ws.closed(at("base.yaml"));
      ws.closed(at("trials.yaml"));
      // Another tool's env.yaml (none of env.yaml's keys): no completion, nothing published.
      const otherDir = mkdtempSync(join(dir, "other-"));
      const other = pathToFileURL(join(otherDir, "env.yaml")).toString();
      ws.opened(TextDocument.create(other, "yaml", 1, "FOO: 1\nBAR: 2\n"));
      await settle();
      assert.deepEqual(ws.completion(other, { line: 2, character: 0 }), []);
      assert.equal(published.get(other), undefined);
      assert.deepEqual(errors, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
