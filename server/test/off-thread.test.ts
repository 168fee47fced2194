/**
 * Validation of a huge document never holds requests back (issue 13.5), over the real protocol:
 * a 40,000-key base.yaml (1.1 MB, far past INLINE_VALIDATION_CHARS) is validated in the
 * server's worker thread. Ordering, not timing, is asserted: completion and hover sent right
 * after the document are answered before its diagnostics arrive (on the main thread they
 * waited behind the whole validation), and edits in a burst while it is checked never publish
 * problems of a replaced version after a newer one, and end with the last version's.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { manyKeys } from "../../runtime/test/helpers/hostile-yaml";
import { INLINE_VALIDATION_CHARS } from "../src/workspace";
import { copyFixture } from "./helpers/fixtures";
import { LspClient } from "./helpers/lsp-client";

describe("validation of a huge document in the worker thread", () => {
  const ws = copyFixture("ws-ts");
  const cfg = (f: string) => ws.path(`configs/exp/${f}`);
  let client: LspClient;
  /** Everything the client saw, in order. */
  const events: string[] = [];

  before(async () => {
    client = await LspClient.start(ws.root);
    client.onPublish = (p) => events.push(`diagnostics ${p.uri.split("/").pop()} v${p.version ?? "-"}`);
  });
  after(async () => {
    await client.stop();
    ws.dispose();
  });

  it("answers completion and hover before the huge document's diagnostics", async () => {
    const envUri = await client.open(cfg("env.yaml"), ws.read("configs/exp/env.yaml"));
    await client.diagnosticsFor(envUri);
    const text = manyKeys(40_000).replace("type: Train", "type: TrainTS");
    assert.ok(text.length > 4 * INLINE_VALIDATION_CHARS, `${text.length} chars`);
    events.length = 0;
    const uri = await client.open(cfg("base.yaml"), text);
    const completion = client
      .request<unknown[]>("textDocument/completion", {
        textDocument: { uri: envUri },
        position: { line: 1, character: 2 },
      })
      .then((items) => events.push(`completion ${items?.length ?? 0}`));
    const hover = client
      .request("textDocument/hover", { textDocument: { uri }, position: { line: 1, character: 4 } })
      .then(() => events.push("hover"));
    await Promise.all([completion, hover]);
    const diags = await client.diagnosticsFor(uri, 1);
    const first = events.findIndex((e) => e.startsWith("diagnostics base.yaml"));
    assert.ok(first >= 0, events.join("\n"));
    assert.ok(
      events.indexOf("hover") < first && events.findIndex((e) => e.startsWith("completion")) < first,
      `requests must not wait for the validation: ${events.join(" | ")}`,
    );
    assert.match(
      events.find((e) => e.startsWith("completion"))!,
      /completion [1-9]/,
    );
    // the worker's answer is the validator's (the fixture's TrainTS requires 'epochs')
    assert.deepEqual(
      diags.map((d) => d.code),
      ["missing-key"],
    );
    await client.close(uri);
  });

  it("edits in a burst: no stale problems after newer ones, the last version's at the end", async () => {
    const uri = await client.open(cfg("base.yaml"), manyKeys(40_000).replace("type: Train", "type: TrainTS"));
    events.length = 0;
    let v = 1;
    for (let i = 0; i < 6; i++)
      v = await client.change(
        uri,
        `${manyKeys(40_000).replace("type: Train", "type: TrainTS")}  option_number_7: ${i}\n`,
      );
    // Generous: each version is 1.1 MB, validated twice at most, on a machine maybe busy.
    await client.waitFor(() => (client.diagnostics.get(uri)?.version ?? -1) >= v, `diagnostics of v${v}`, 120_000);
    const diags = await client.diagnosticsFor(uri, v);
    // (versioned only: closing the file in the first test publishes an unversioned clear)
    const versions = events
      .filter((e) => e.startsWith("diagnostics base.yaml v") && !e.endsWith("v-"))
      .map((e) => Number(/v(\d+)/.exec(e)![1]));
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => a - b),
      `published out of order: ${versions.join(", ")}`,
    );
    assert.equal(versions[versions.length - 1], v);
    // Six full versions sent while the first was being checked: the ones replaced meanwhile
    // are never validated (at most the first and the last are published).
    assert.ok(versions.length <= 2, `published versions: ${versions.join(", ")}`);
    assert.ok(diags.some((d) => /Duplicate key 'option_number_7'/.test(String(d.message))));
  });
});
