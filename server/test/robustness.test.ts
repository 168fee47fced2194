/**
 * Bad input never crashes the server: binary junk, a 10 MB file, deep nesting, alias cycles and
 * alias bombs, a file deleted while open. After each, the server must still answer requests and
 * still validate a normal file.
 */
import assert from "node:assert/strict";
import { unlinkSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Diagnostic } from "vscode-languageserver-protocol";
import { copyFixture } from "./helpers/fixtures";
import { LspClient, uriOf } from "./helpers/lsp-client";

describe("language server robustness", () => {
  const ws = copyFixture("ws-ts");
  const cfg = (f: string) => ws.path(`configs/exp/${f}`);
  let client: LspClient;

  before(async () => {
    client = await LspClient.start(ws.root);
    await client.open(cfg("experiment.yaml"), ws.read("configs/exp/experiment.yaml"));
  });
  after(async () => {
    await client.stop();
    ws.dispose();
  });

  /** The server is alive: it answers a request and re-validates an edit with a fresh problem. */
  async function assertAlive(): Promise<void> {
    const uri = uriOf(cfg("experiment.yaml"));
    const v = await client.change(uri, `name: x${Math.random()}\n`);
    const diags = await client.diagnosticsFor(uri, v);
    assert.ok(
      diags.some((d) => d.code === "missing-key"),
      "still validating",
    );
    const items = await client.request<unknown[]>("textDocument/completion", {
      textDocument: { uri },
      position: { line: 1, character: 0 },
    });
    assert.ok(Array.isArray(items) && items.length > 0, "still completing");
    assert.equal(client.child.exitCode, null);
  }

  async function everyRequestOn(uri: string, positions: Array<{ line: number; character: number }>): Promise<void> {
    for (const position of positions) {
      await client.request("textDocument/completion", { textDocument: { uri }, position });
      await client.request("textDocument/hover", { textDocument: { uri }, position });
      await client.request("textDocument/definition", { textDocument: { uri }, position });
    }
    await client.request("textDocument/documentSymbol", { textDocument: { uri } });
    await client.request("textDocument/codeAction", {
      textDocument: { uri },
      range: { start: positions[0], end: positions[0] },
      context: { diagnostics: [] },
    });
  }

  it("survives binary junk", async () => {
    let seed = 7;
    const junk = Array.from({ length: 20_000 }, () =>
      String.fromCharCode((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 65536),
    ).join("");
    const uri = await client.open(cfg("trials.yaml"), junk);
    const diags: Diagnostic[] = await client.diagnosticsFor(uri);
    assert.ok(diags.length > 0);
    await everyRequestOn(uri, [
      { line: 0, character: 0 },
      { line: 3, character: 5 },
      { line: 999, character: 999 },
    ]);
    await client.close(uri);
    await assertAlive();
  });

  it("answers requests at positions past the end of a document without a handler error", async () => {
    const text = ws.read("configs/exp/trials.yaml");
    const uri = await client.open(cfg("trials.yaml"), text);
    await client.diagnosticsFor(uri);
    const lines = text.split("\n").length;
    const before = client.logs.length;
    await everyRequestOn(uri, [
      { line: lines + 5, character: 0 },
      { line: 1, character: 10_000 },
      { line: 10_000_000, character: 10_000_000 },
      { line: -1, character: -1 },
    ]);
    const failures = client.logs.slice(before).filter((l) => /failed|uncaught|unhandled/.test(l));
    assert.deepEqual(failures, []);
    await client.close(uri);
    await assertAlive();
  });

  it("survives a 10 MB file, and says it was not checked", async () => {
    const line = "- name: trial\n  repeat: 1\n  settings: {pipeline: {lr: 0.1}}\n";
    const big = line.repeat(Math.ceil((10 * 1024 * 1024) / line.length));
    const uri = await client.open(cfg("trials.yaml"), big);
    const diags = await client.diagnosticsFor(uri);
    assert.deepEqual(
      diags.map((d) => d.code),
      ["file-too-large"],
    );
    await everyRequestOn(uri, [{ line: 1, character: 3 }]);
    await client.close(uri);
    await assertAlive();
  });

  it("survives deeply nested YAML (flow and block)", async () => {
    const depth = 20_000;
    const uri = await client.open(cfg("base.yaml"), `pipeline: ${"[".repeat(depth)}${"]".repeat(depth)}\n`);
    await client.diagnosticsFor(uri);
    let block = "pipeline:\n";
    for (let i = 1; i < 3000; i++) block += `${" ".repeat(i)}k${i}:\n`;
    const v = await client.change(uri, block);
    await client.diagnosticsFor(uri, v);
    await everyRequestOn(uri, [
      { line: 2999, character: 3000 },
      { line: 1500, character: 1501 },
    ]);
    await client.close(uri);
    await assertAlive();
  });

  it("survives alias cycles and alias bombs", async () => {
    const cycle = "pipeline: &p\n  type: TrainTS\n  self: *p\n  callbacks: &c [*c, *c]\n";
    const uri = await client.open(cfg("base.yaml"), cycle);
    const diags = await client.diagnosticsFor(uri);
    assert.ok(diags.every((d) => d.range.start.line < 4));
    let bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (let i = 1; i < 12; i++)
      bomb += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(", ")}]\n`;
    bomb += "pipeline:\n  type: TrainTS\n  epochs: 1\n  data: *a11\n";
    const v = await client.change(uri, bomb);
    const bombDiags = await client.diagnosticsFor(uri, v);
    assert.ok(
      bombDiags.some((d) => d.code === "alias-limit"),
      JSON.stringify(bombDiags.map((d) => d.code)),
    );
    await everyRequestOn(uri, [{ line: 12, character: 8 }]);
    await client.close(uri);
    await assertAlive();
  });

  it("survives a file deleted while open", async () => {
    const file = cfg("trials.yaml");
    const text = ws.read("configs/exp/trials.yaml");
    const uri = await client.open(file, text);
    assert.deepEqual(await client.diagnosticsFor(uri), []);
    unlinkSync(file);
    unlinkSync(cfg("base.yaml"));
    await client.connection.sendNotification("workspace/didChangeWatchedFiles", {
      changes: [
        { uri, type: 3 },
        { uri: uriOf(cfg("base.yaml")), type: 3 },
      ],
    });
    const v = await client.change(uri, `${text}- name: small\n  repeat: 1\n  settings: {}\n`);
    const diags = await client.diagnosticsFor(uri, v);
    assert.ok(
      diags.some((d) => d.code === "duplicate-trial"),
      JSON.stringify(diags),
    );
    await everyRequestOn(uri, [{ line: 1, character: 3 }]);
    await client.close(uri);
    writeFileSync(file, text);
    await assertAlive();
  });
});
