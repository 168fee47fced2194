/**
 * The language server's help with `sweep:` (issue 11.1), in-process on the ws-ts fixture
 * (pipeline TrainTS declares lr, epochs, optimizer, watch): problems on the exact node,
 * completion of settings paths, distributions and their arguments, and the planned-runs lens.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import type { CompletionItem, Diagnostic } from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { ConfigWorkspace } from "../src/workspace";
import { copyFixture, positionOf } from "./helpers/fixtures";

const settle = () => new Promise((resolve) => setImmediate(resolve));
const text = (d: Diagnostic) => (typeof d.message === "string" ? d.message : "");
const newText = (i: CompletionItem) => (i.textEdit && "newText" in i.textEdit ? i.textEdit.newText : "");

const SWEEP = [
  "- name: small", // 0
  "  repeat: 2",
  "  settings:",
  "    extra:",
  "      depth: 3",
  "  sweep:", // 5
  "    method: grid",
  "    params:",
  "      pipeline.lr: [0.1, 0.01]",
  "      extra.depth: { int: [1, 3] }",
  "- name: rnd", // 10
  "  repeat: 1",
  "  sweep:",
  "    method: random",
  "    samples: 5",
  "    params:", // 15
  "      pipeline.lr: { loguniform: [0.001, 0.1] }",
  "",
].join("\n");

/** The same file while the user types: a new parameter (line 10), a distribution (line 19). */
const TYPING = [
  ...SWEEP.split("\n").slice(0, 10),
  "      ", // 10
  ...SWEEP.split("\n").slice(10, 16),
  "      pipeline.epochs: { int: [1, 3] }",
  "      pipeline.lr:",
  "        ", // 19
  "",
].join("\n");

describe("sweeps in the language server (in-process)", () => {
  const fixture = copyFixture("ws-ts");
  after(() => fixture.dispose());
  const uri = pathToFileURL(fixture.path("configs/exp/trials.yaml")).toString();

  function workspace() {
    const published = new Map<string, Diagnostic[]>();
    const errors: string[] = [];
    const ws = new ConfigWorkspace({
      publishDiagnostics: (p) => published.set(p.uri, p.diagnostics),
      log: () => undefined,
      error: (m) => errors.push(m),
    });
    ws.initialize([fixture.root], []);
    return { ws, published, errors };
  }

  it("reports bad sweeps where they are written, with a quick-fix suggestion for a mistyped path", async () => {
    const { ws, published, errors } = workspace();
    const bad = SWEEP.replace("pipeline.lr: [0.1, 0.01]", "pipeline.lrr: [0.1, 0.01]").replace("samples: 5", "seed: 1");
    ws.opened(TextDocument.create(uri, "yaml", 1, bad));
    await settle();
    const diags = published.get(uri)!;
    assert.deepEqual(
      diags.map((d) => [d.range.start.line, d.code]),
      [
        [8, "bad-sweep"],
        [12, "bad-sweep"],
      ],
      JSON.stringify(diags),
    );
    assert.deepEqual(diags[0].range.start, positionOf(bad, "pipeline.lrr"));
    assert.match(text(diags[0]), /'pipeline\.lrr' is not a setting.*Did you mean 'pipeline\.lr'\?/);
    assert.equal((diags[0].data as { suggestion?: string }).suggestion, "pipeline.lr");
    assert.match(text(diags[1]), /A random sweep needs 'samples'/);
    const fix = ws.codeActions(uri, [diags[0]]);
    assert.ok(
      fix.some((a) => a.title === "Replace with 'pipeline.lr'"),
      JSON.stringify(fix),
    );
    // Fixed: nothing left.
    ws.changed(TextDocument.create(uri, "yaml", 2, SWEEP));
    await settle();
    assert.deepEqual(published.get(uri), []);
    assert.deepEqual(errors, []);
  });

  it("completes settings paths (base.yaml, the trial's settings, declared parameters), distributions and arguments", async () => {
    const { ws, errors } = workspace();
    ws.opened(TextDocument.create(uri, "yaml", 1, TYPING));
    await settle();
    const paths = ws.completion(uri, { line: 10, character: 6 });
    const labels = paths.map((i) => i.label);
    for (const want of ["pipeline.epochs", "pipeline.callbacks.0.patience", "extra", "pipeline.optimizer", "seed"])
      assert.ok(labels.includes(want), `${want} in ${labels.join(", ")}`);
    assert.ok(
      !labels.includes("pipeline.lr") && !labels.includes("extra.depth"),
      "a path swept already is not offered",
    );
    assert.ok(!labels.includes("repeat"), "no trial keys inside params");
    assert.equal(paths.find((i) => i.label === "pipeline.epochs")?.detail, "now 3");
    assert.equal(newText(paths.find((i) => i.label === "pipeline.epochs")!), "pipeline.epochs: $0");

    const dists = ws.completion(uri, { line: 19, character: 8 });
    assert.deepEqual(
      dists.map((i) => i.label),
      ["choice", "uniform", "loguniform", "int"],
    );
    assert.equal(newText(dists.find((i) => i.label === "loguniform")!), "loguniform: [${1:low}, ${2:high}]");

    // The value of a path: a list or a distribution, with its arguments.
    const values = ws.completion(uri, { line: 18, character: 18 });
    assert.ok(
      values.some((i) => newText(i) === " { loguniform: [${1:low}, ${2:high}] }"),
      values.map(newText).join(" | "),
    );
    // `method:` offers the two methods; `sweep:` keys in the sweep mapping.
    assert.deepEqual(
      ws
        .completion(uri, { line: 14, character: 12 })
        .map((i) => i.label)
        .sort(),
      ["grid", "random"],
    );
    const sweepKeys = ws.completion(uri, { line: 6, character: 4 }).map((i) => i.label);
    assert.ok(sweepKeys.includes("samples") && sweepKeys.includes("seed"), sweepKeys.join(", "));
    assert.ok(ws.hover(uri, { line: 15, character: 5 }), "hover on 'samples'");
    ws.changed(TextDocument.create(uri, "yaml", 2, "- name: x\n  \n"));
    const trialKeys = ws.completion(uri, { line: 1, character: 2 }).map((i) => i.label);
    assert.ok(trialKeys.includes("sweep"), trialKeys.join(", "));
    ws.changed(TextDocument.create(uri, "yaml", 3, ""));
    const top = ws.completion(uri, { line: 0, character: 0 });
    assert.ok(
      top.some((i) => i.label === "New sweep" && newText(i).includes("sweep:\n    method: ${3|grid,random|}")),
      top.map((i) => i.label).join(", "),
    );
    assert.deepEqual(errors, []);
  });

  it("shows what each sweep plans as a CodeLens on its sweep: line, and follows edits", async () => {
    const { ws, errors } = workspace();
    ws.opened(TextDocument.create(uri, "yaml", 1, SWEEP));
    const lenses = ws.codeLenses(uri);
    assert.deepEqual(
      lenses.map((l) => [l.range.start.line, l.command?.title]),
      [
        [5, "Sweep 'small': 6 trials × 2 repeats = 12 runs · this file plans 17 runs"],
        [12, "Sweep 'rnd': 5 trials × 1 repeat = 5 runs · this file plans 17 runs"],
      ],
    );
    ws.changed(TextDocument.create(uri, "yaml", 2, SWEEP.replace("samples: 5", "samples: five")));
    assert.deepEqual(
      ws.codeLenses(uri).map((l) => l.command?.title),
      [
        "Sweep 'small': 6 trials × 2 repeats = 12 runs · this file plans 12 runs",
        "Sweep 'rnd': fix its problems to see what it plans",
      ],
    );
    // A trials file without sweeps, and other config files: no lens.
    ws.changed(TextDocument.create(uri, "yaml", 3, fixture.read("configs/exp/trials.yaml")));
    assert.deepEqual(ws.codeLenses(uri), []);
    assert.deepEqual(errors, []);
  });
});
