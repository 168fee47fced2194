/**
 * The language server under hostile YAML (issue 13.5), over the real protocol: the 2.4 KB
 * file of the report, an alias bomb, 40,000 keys edited in a burst. Every request (completion
 * in another file, hover, symbols) is answered, and the time of each is printed (timings are
 * printed, not asserted: the machine is shared; test/bench/yaml-parse.ts has the figures).
 */
import assert from "node:assert/strict";
import { loadavg } from "node:os";
import { after, before, describe, it } from "node:test";
import { aliasBomb, hostileBase, manyKeys } from "../../runtime/test/helpers/hostile-yaml";
import { copyFixture, positionOf } from "./helpers/fixtures";
import { LspClient } from "./helpers/lsp-client";

describe("language server under hostile YAML", () => {
  const ws = copyFixture("ws-ts");
  const cfg = (f: string) => ws.path(`configs/exp/${f}`);
  let client: LspClient;
  const latencies: number[] = [];

  before(async () => {
    client = await LspClient.start(ws.root);
  });
  after(async () => {
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(
      `requests answered: ${sorted.length}, median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)} ms, max ${sorted[sorted.length - 1]?.toFixed(0)} ms (load ${loadavg()[0].toFixed(1)})`,
    );
    await client.stop();
    ws.dispose();
  });

  /** Completion in env.yaml (another file of the set) while the hostile file is open. */
  async function timedCompletion(envUri: string, position: { line: number; character: number }): Promise<void> {
    const started = performance.now();
    const result = await Promise.race([
      client.request("textDocument/completion", { textDocument: { uri: envUri }, position }),
      new Promise((_, reject) => setTimeout(() => reject(new Error("no answer within 30 s")), 30_000)),
    ]);
    latencies.push(performance.now() - started);
    assert.ok(result !== undefined);
  }

  it("the 2.4 KB file (1,000 levels + alias bomb): one error at its line, requests answered", async () => {
    const envText = ws.read("configs/exp/env.yaml");
    const envUri = await client.open(cfg("env.yaml"), envText);
    const at = positionOf(envText, "trackers:", 0);
    const text = hostileBase();
    const uri = await client.open(cfg("base.yaml"), text);
    await timedCompletion(envUri, at);
    const diags = await client.diagnosticsFor(uri);
    assert.deepEqual(
      diags.map((d) => d.code),
      ["too-deep"],
    );
    assert.equal(
      diags[0].range.start.line,
      text.split("\n").findIndex((l) => l.startsWith("pipeline:")),
    );
    // Keystrokes in the hostile file: each one answered, and the last version's diagnostics.
    let v = 1;
    for (let i = 0; i < 20; i++) {
      v = await client.change(uri, `${text}# edit ${i}\n`);
      await timedCompletion(envUri, at);
    }
    assert.deepEqual(
      (await client.diagnosticsFor(uri, v)).map((d) => d.code),
      ["too-deep"],
    );
    const bomb = `${aliasBomb()}pipeline:\n  type: TrainTS\n`;
    v = await client.change(uri, bomb);
    await timedCompletion(envUri, at);
    assert.deepEqual(
      (await client.diagnosticsFor(uri, v)).map((d) => d.code),
      ["alias-limit"],
    );
    await client.close(uri);
  });

  it("40,000 keys, edited in a burst: answers every request, diagnostics of the last edit", async () => {
    const envUri = await client.open(cfg("env.yaml"), ws.read("configs/exp/env.yaml"));
    const text = manyKeys(40_000).replace("type: Train", "type: TrainTS");
    const uri = await client.open(cfg("base.yaml"), text);
    let v = 1;
    for (let i = 0; i < 10; i++) {
      v = await client.change(uri, `${text}  option_number_7: ${i}\n`);
      await timedCompletion(envUri, { line: 1, character: 2 });
      const started = performance.now();
      await client.request("textDocument/hover", { textDocument: { uri }, position: { line: 3, character: 4 } });
      latencies.push(performance.now() - started);
    }
    const diags = await client.diagnosticsFor(uri, v);
    assert.ok(
      diags.some((d) => d.code === "yaml-syntax" && /Duplicate key 'option_number_7'/.test(String(d.message))),
      JSON.stringify(diags.slice(0, 3)),
    );
    await client.close(uri);
  });
});
