/**
 * The language server's memory under a long editing session (issue 13.11): 600 random edits
 * (typing, deleting, pasting a trial over another) in a 3,000-line trials.yaml with base.yaml open, each
 * followed by completion or hover now and then. Heap (after a full GC) and RSS are printed
 * before and after; the heap must come back to where it was (it grew 67 -> 152 MB when every
 * version's trial parses were kept).
 */
import assert from "node:assert/strict";
import { loadavg } from "node:os";
import { after, before, describe, it } from "node:test";
import { memoryRequest, type ServerMemory } from "../src/protocol";
import { copyFixture } from "./helpers/fixtures";
import { LspClient } from "./helpers/lsp-client";

const MB = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

function trials(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++)
    s += `- name: t${i}\n  repeat: 1\n  settings:\n    pipeline:\n      type: TrainTS\n      epochs: ${1 + (i % 5)}\n`;
  return s;
}

describe("language server memory under 600 edits", () => {
  const ws = copyFixture("ws-ts");
  const cfg = (f: string) => ws.path(`configs/exp/${f}`);
  let client: LspClient;
  before(async () => {
    client = await LspClient.start(ws.root, { nodeArgs: ["--expose-gc"] });
  });
  after(async () => {
    await client.stop();
    ws.dispose();
  });

  it("stays flat", async () => {
    await client.open(cfg("base.yaml"), ws.read("configs/exp/base.yaml"));
    let text = trials(500);
    const uri = await client.open(cfg("trials.yaml"), text);
    await client.diagnosticsFor(uri);
    let seed = 12345;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    let version = 1;
    const edit = async () => {
      const lines = text.split("\n");
      const line = random(lines.length - 1);
      const kind = random(3);
      if (kind === 0)
        lines[line] += String(random(10)); // typing
      else if (kind === 1)
        lines[line] = lines[line].slice(0, -1); // deleting
      else
        lines.splice(
          line - (line % 6),
          6,
          ...trials(1)
            .replace("t0", `p${random(1e6)}`)
            .trimEnd()
            .split("\n"),
        ); // pasting over a trial
      text = lines.join("\n");
      version = await client.change(uri, text);
      if (random(5) === 0)
        await client.request("textDocument/completion", { textDocument: { uri }, position: { line, character: 4 } });
    };
    for (let i = 0; i < 30; i++) await edit();
    await client.diagnosticsFor(uri, version);
    const first: ServerMemory = await client.connection.sendRequest(memoryRequest);
    assert.ok(first.collected, "the server runs with --expose-gc");
    for (let i = 0; i < 600; i++) {
      await edit();
      if (i % 50 === 0) await client.diagnosticsFor(uri, version);
      if (i % 100 === 99) {
        const m: ServerMemory = await client.connection.sendRequest(memoryRequest);
        console.log(`  after ${i + 31} edits: heap ${MB(m.heapUsed)}, rss ${MB(m.rss)}`);
      }
    }
    await client.diagnosticsFor(uri, version);
    const last: ServerMemory = await client.connection.sendRequest(memoryRequest);
    console.log(
      `after 30 edits: heap ${MB(first.heapUsed)}, rss ${MB(first.rss)}; after 600 more: heap ${MB(last.heapUsed)}, rss ${MB(last.rss)} ` +
        `(trials.yaml ${text.split("\n").length} lines; load ${loadavg()[0].toFixed(1)})`,
    );
    // The document keeps its size: so must the heap (a little slack for the JIT's own growth).
    assert.ok(
      last.heapUsed < first.heapUsed * 1.25 + 4 * 1024 * 1024,
      `heap ${MB(first.heapUsed)} -> ${MB(last.heapUsed)}`,
    );
  });
});
