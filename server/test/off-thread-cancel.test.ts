/**
 * A stale validation in the worker thread stops mid-way (issue 13.5: bounded work, cancellation
 * of stale validation), over the real protocol: a trials.yaml of 20,000 trials (1.4 MB) is
 * being checked in the worker when the user replaces it with a small one. Ordering, not
 * timing, is asserted: the huge version's check stops before its last trial (the server says
 * where, with EXPMAN_LS_TRACE=1), its problems are never published, and the small version's are.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { INLINE_VALIDATION_CHARS } from "../src/workspace";
import { copyFixture } from "./helpers/fixtures";
import { LspClient } from "./helpers/lsp-client";

/** `n` trials named `<prefix><i>` (a new prefix: new texts, parsed again). */
function manyTrials(n: number, prefix: string): string {
  let s = "";
  for (let i = 0; i < n; i++) s += `- name: ${prefix}${i}\n  repeat: 1\n  settings:\n    pipeline:\n      lr: 0.${i}\n`;
  return s;
}

describe("a stale validation in the worker thread is stopped", () => {
  const ws = copyFixture("ws-ts");
  const cfg = (f: string) => ws.path(`configs/exp/${f}`);
  let client: LspClient;
  const events: string[] = [];

  before(async () => {
    client = await LspClient.start(ws.root, { env: { EXPMAN_LS_TRACE: "1" } });
    client.onPublish = (p) => events.push(`diagnostics ${p.uri.split("/").pop()} v${p.version ?? "-"}`);
  });
  after(async () => {
    await client.stop();
    ws.dispose();
  });

  it("a huge trials.yaml replaced while it is checked: its check stops before the end, only the new version's problems are published", async () => {
    const baseUri = await client.open(cfg("base.yaml"), ws.read("configs/exp/base.yaml"));
    await client.diagnosticsFor(baseUri);
    const huge = manyTrials(20_000, "a");
    assert.ok(huge.length > 5 * INLINE_VALIDATION_CHARS, `${huge.length} chars`);
    // A first huge version, validated to the end: the worker is started and warm.
    const uri = await client.open(cfg("trials.yaml"), huge);
    await client.waitFor(() => (client.diagnostics.get(uri)?.version ?? -1) >= 1, "diagnostics of v1", 120_000);
    // A second one (other names: parsed again); once the worker has begun it, the user replaces it.
    events.length = 0;
    const sent = () => client.logs.filter((l) => /the worker began validating/.test(l)).length;
    const before = sent();
    const huge2 = await client.change(uri, manyTrials(20_000, "b"));
    await client.waitFor(() => sent() > before, "the worker on the second huge version", 60_000);
    const small = await client.change(
      uri,
      "- name: a\n  repeat: 1\n  settings: {}\n- name: a\n  repeat: 1\n  settings: {}\n",
    );
    await client.waitFor(
      () => (client.diagnostics.get(uri)?.version ?? -1) >= small,
      `diagnostics of v${small}`,
      60_000,
    );
    const diags = await client.diagnosticsFor(uri, small);
    assert.deepEqual(
      diags.map((d) => d.code),
      ["duplicate-trial"],
    );
    const stopped = client.logs
      .map((l) =>
        /stopped a stale validation of .* (?:(?:at|while reading) trial (\d+) of (\d+)|before reading (?:env|experiment|base|trials)\.yaml)/.exec(
          l,
        ),
      )
      .find(Boolean);
    assert.ok(stopped, `no stopped validation in the server's log:\n${client.logs.join("\n")}`);
    if (stopped[1]) assert.ok(Number(stopped[1]) < Number(stopped[2]), stopped[0]);
    assert.ok(
      !events.includes(`diagnostics trials.yaml v${huge2}`),
      `the huge version's problems were published: ${events.join(" | ")}`,
    );
  });
});
