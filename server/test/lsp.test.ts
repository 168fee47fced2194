/**
 * The language server over the real protocol: the bundle started as its own process on stdio,
 * a protocol client sending didOpen/didChange and reading diagnostics, completion, hover,
 * definition, code actions and symbols, on fixture workspaces with TS, JS and Python pipelines.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type {
  CodeAction,
  CodeLens,
  CompletionItem,
  CompletionList,
  Diagnostic,
  DocumentSymbol,
  Hover,
  Location,
} from "vscode-languageserver-protocol";

const msg = (d: Diagnostic | undefined): string =>
  typeof d?.message === "string" ? d.message : (d?.message?.value ?? "");
import { copyFixture, positionOf } from "./helpers/fixtures";
import { LspClient, uriOf } from "./helpers/lsp-client";

function labels(result: CompletionItem[] | CompletionList | null): string[] {
  const items = Array.isArray(result) ? result : (result?.items ?? []);
  return items.map((i) => i.label);
}

function hoverText(h: Hover | null): string {
  const c = h?.contents as { value?: string } | undefined;
  return c?.value ?? "";
}

describe("language server on a TypeScript workspace", () => {
  const ws = copyFixture("ws-ts");
  const cfg = (f: string) => ws.path(`configs/exp/${f}`);
  let client: LspClient;

  before(async () => {
    client = await LspClient.start(ws.root);
  });
  after(async () => {
    await client.stop();
    ws.dispose();
  });

  it("publishes no problems for a valid config set", async () => {
    for (const f of ["env.yaml", "experiment.yaml", "base.yaml", "trials.yaml"]) {
      const uri = await client.open(cfg(f), ws.read(`configs/exp/${f}`));
      assert.deepEqual(await client.diagnosticsFor(uri), [], f);
    }
  });

  it("flags an unknown pipeline type on the exact node and offers the suggestion as a quick fix", async () => {
    const uri = uriOf(cfg("base.yaml"));
    const text = ws.read("configs/exp/base.yaml").replace("type: TrainTS", "type: TrainTs");
    const v = await client.change(uri, text);
    const diags = await client.diagnosticsFor(uri, v);
    const d = diags.find((x) => x.code === "unknown-type");
    assert.ok(d, JSON.stringify(diags));
    assert.match(msg(d), /Did you mean 'TrainTS'/);
    assert.deepEqual(d.range, { start: positionOf(text, "TrainTs"), end: positionOf(text, "TrainTs", 7) });
    const actions = await client.request<CodeAction[]>("textDocument/codeAction", {
      textDocument: { uri },
      range: d.range,
      context: { diagnostics: [d] },
    });
    const fix = actions.find((a) => a.title === "Replace with 'TrainTS'");
    assert.ok(fix, JSON.stringify(actions));
    assert.deepEqual(fix.edit?.changes?.[uri], [{ range: d.range, newText: "TrainTS" }]);
  });

  it("says when a tracker name is used as a pipeline", async () => {
    const uri = uriOf(cfg("base.yaml"));
    const v = await client.change(
      uri,
      ws.read("configs/exp/base.yaml").replace("type: TrainTS", "type: ConsoleTracker"),
    );
    const d = (await client.diagnosticsFor(uri, v)).find((x) => x.code === "wrong-kind");
    assert.ok(d);
    assert.match(msg(d), /'ConsoleTracker' is a tracker, not a pipeline/);
  });

  it("checks declared pipeline parameters, required ones included", async () => {
    const uri = uriOf(cfg("base.yaml"));
    // (`lr` would be overridden by every trial, so its base value is never used nor checked.)
    const text = "pipeline:\n  type: TrainTS\n  watch: 5\n  optimizer: rmsprop\n";
    const v = await client.change(uri, text);
    const diags = await client.diagnosticsFor(uri, v);
    const byCode = (c: string) => diags.filter((d) => d.code === c);
    assert.match(
      byCode("wrong-value")
        .map((d) => msg(d))
        .join("\n"),
      /'watch' must be a string/,
    );
    assert.match(
      byCode("wrong-value")
        .map((d) => msg(d))
        .join("\n"),
      /'optimizer' must be one of "sgd", "adam"/,
    );
    const missing = byCode("missing-key");
    assert.equal(missing.length, 1, JSON.stringify(diags));
    assert.match(msg(missing[0]), /'epochs'/);
    assert.deepEqual(missing[0].range.start, { line: 0, character: 0 }); // on the `pipeline` key
    const actions = await client.request<CodeAction[]>("textDocument/codeAction", {
      textDocument: { uri },
      range: missing[0].range,
      context: { diagnostics: [missing[0]] },
    });
    const add = actions.find((a) => a.title === "Add missing key 'epochs'");
    assert.deepEqual(add?.edit?.changes?.[uri], [
      { range: { start: { line: 1, character: 2 }, end: { line: 1, character: 2 } }, newText: "epochs: 1\n  " },
    ]);
  });

  it("checks EarlyStopping metrics: tracked names and the pipeline's custom ones pass", async () => {
    const uri = uriOf(cfg("base.yaml"));
    const base = ws.read("configs/exp/base.yaml");
    let v = await client.change(uri, base.replace("metric: val_loss", "metric: f1_score"));
    assert.deepEqual(await client.diagnosticsFor(uri, v), []);
    v = await client.change(uri, base.replace("metric: val_loss", "metric: network"));
    assert.equal((await client.diagnosticsFor(uri, v))[0]?.code, "untracked-metric");
    v = await client.change(uri, base.replace("metric: val_loss", "metric: val_los"));
    const d = (await client.diagnosticsFor(uri, v))[0];
    assert.equal(d?.code, "unknown-metric");
    assert.equal((d.data as { suggestion?: string }).suggestion, "val_loss");
    v = await client.change(uri, base.replace("patience: 2", "patience: 2.5"));
    assert.match(msg((await client.diagnosticsFor(uri, v))[0]), /'patience' must be an integer/);
    await client.change(uri, base);
  });

  it("checks trials: list shape, required keys, repeat, duplicate names, merged pipeline type", async () => {
    const uri = uriOf(cfg("trials.yaml"));
    let v = await client.change(uri, "trials:\n  - name: a\n");
    assert.equal((await client.diagnosticsFor(uri, v))[0]?.code, "trials-not-list");
    const text =
      "- name: a\n  repeat: -1\n  settings: {}\n- name: a\n  repeat: two\n  settings:\n    pipeline:\n      type: Nope\n- name: b\n  settings: {}\n";
    v = await client.change(uri, text);
    const diags = await client.diagnosticsFor(uri, v);
    const codes = diags.map((d) => `${d.code}@${d.range.start.line}`);
    assert.ok(codes.includes("wrong-value@1"), codes.join());
    assert.ok(codes.includes("duplicate-trial@3"), codes.join());
    assert.ok(codes.includes("wrong-value@4"), codes.join());
    assert.ok(codes.includes("unknown-type@7"), codes.join());
    assert.ok(
      diags.some((d) => d.code === "missing-key" && /'repeat'/.test(msg(d)) && d.range.start.line === 8),
      codes.join(),
    );
    await client.change(uri, ws.read("configs/exp/trials.yaml"));
  });

  it("reports a missing pipeline type in the trial that lacks it when base.yaml sets none", async () => {
    const baseUri = uriOf(cfg("base.yaml"));
    const trialsUri = uriOf(cfg("trials.yaml"));
    const vb = await client.change(baseUri, "pipeline:\n  epochs: 3\n");
    const vt = await client.change(
      trialsUri,
      "- name: ok\n  repeat: 1\n  settings:\n    pipeline:\n      type: TrainTS\n- name: lacking\n  repeat: 1\n  settings:\n    seed: 3\n",
    );
    const trialDiags = await client.diagnosticsFor(trialsUri, vt);
    assert.equal(trialDiags.length, 1, JSON.stringify(trialDiags));
    assert.match(msg(trialDiags[0]), /trial 'lacking'/);
    assert.equal(trialDiags[0].range.start.line, 7);
    assert.deepEqual(await client.diagnosticsFor(baseUri, vb), []);
    await client.change(baseUri, ws.read("configs/exp/base.yaml"));
    await client.change(trialsUri, ws.read("configs/exp/trials.yaml"));
  });

  it("publishes problems of closed files of the set, and clears them when the set is closed", async () => {
    const ws2 = copyFixture("ws-ts");
    const other = await LspClient.start(ws2.root);
    try {
      writeFileSync(ws2.path("configs/exp/base.yaml"), "pipeline:\n  type: TrainTS\n");
      const trialsUri = await other.open(ws2.path("configs/exp/trials.yaml"), ws2.read("configs/exp/trials.yaml"));
      assert.deepEqual(await other.diagnosticsFor(trialsUri), []);
      const baseUri = uriOf(ws2.path("configs/exp/base.yaml"));
      await other.waitFor(() => other.diagnostics.get(baseUri)?.diagnostics.length === 1, "base.yaml problems");
      assert.match(msg(other.diagnostics.get(baseUri)!.diagnostics[0]), /'epochs'/);
      await other.close(trialsUri);
      await other.waitFor(
        () => other.diagnostics.get(baseUri)?.diagnostics.length === 0,
        "cleared when the set is closed",
      );
    } finally {
      await other.stop();
      ws2.dispose();
    }
  });

  it("checks env.yaml: tracker options, unknown keys, imports that do not exist", async () => {
    const uri = uriOf(cfg("env.yaml"));
    const text =
      "workspace: out\nverbos: true\ntrackers:\n  - type: TensorBoardTracker\n  - type: ConsoleTracker\n    prefix: x\nimports:\n  - ../../src/missing.ts\n  - ../../src/pipelines\n";
    const v = await client.change(uri, text);
    const diags = await client.diagnosticsFor(uri, v);
    const summary = diags.map((d) => `${d.code}@${d.range.start.line}:${d.severity}`);
    assert.deepEqual(summary, ["unknown-key@1:2", "missing-key@3:1", "missing-import@7:1"]);
    await client.change(uri, ws.read("configs/exp/env.yaml"));
  });

  it("clamps a YAML syntax error to its line", async () => {
    const uri = uriOf(cfg("experiment.yaml"));
    const v = await client.change(uri, 'name: "unclosed\ndesc: x\n\n\nmore: 1\n');
    const d = (await client.diagnosticsFor(uri, v)).find((x) => x.code === "yaml-syntax");
    assert.ok(d);
    assert.equal(d.range.start.line, d.range.end.line);
    await client.change(uri, ws.read("configs/exp/experiment.yaml"));
  });

  it("adds a missing required key with a quick fix", async () => {
    const uri = uriOf(cfg("experiment.yaml"));
    const v = await client.change(uri, "name: x\n");
    const d = (await client.diagnosticsFor(uri, v)).find((x) => x.code === "missing-key") as Diagnostic;
    const actions = await client.request<CodeAction[]>("textDocument/codeAction", {
      textDocument: { uri },
      range: d.range,
      context: { diagnostics: [d] },
    });
    assert.deepEqual(actions[0]?.edit?.changes?.[uri], [
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: 'desc: ""\n' },
    ]);
    await client.change(uri, ws.read("configs/exp/experiment.yaml"));
  });

  it("completes pipeline keys with declared parameters, and type names of the right kind", async () => {
    const uri = uriOf(cfg("base.yaml"));
    const text = "pipeline:\n  type: TrainTS\n  \n  callbacks:\n    - type: EarlyStopping\n      \n";
    await client.change(uri, text);
    const keys = labels(
      await client.request("textDocument/completion", { textDocument: { uri }, position: { line: 2, character: 2 } }),
    );
    for (const k of ["lr", "epochs", "optimizer", "watch"]) assert.ok(keys.includes(k), keys.join());
    assert.ok(!keys.includes("type") && !keys.includes("callbacks"), "present keys are not offered again");
    const renamed = await client.request<CompletionItem[]>("textDocument/completion", {
      textDocument: { uri },
      position: { line: 3, character: 5 },
    });
    assert.equal(
      renamed.find((i) => i.label === "callbacks")?.textEdit?.newText,
      "callbacks",
      "an existing `key:` keeps its colon",
    );
    const types = labels(
      await client.request("textDocument/completion", { textDocument: { uri }, position: { line: 1, character: 8 } }),
    );
    assert.ok(types.includes("TrainTS"), types.join());
    assert.ok(!types.includes("ConsoleTracker") && !types.includes("LogTracker"));
    const options = labels(
      await client.request("textDocument/completion", { textDocument: { uri }, position: { line: 5, character: 6 } }),
    );
    for (const k of ["metric", "patience", "min_delta", "mode"]) assert.ok(options.includes(k), options.join());
    const cbTypes = labels(
      await client.request("textDocument/completion", { textDocument: { uri }, position: { line: 4, character: 14 } }),
    );
    assert.ok(
      cbTypes.includes("EarlyStopping") && cbTypes.includes("CheckpointCallback") && !cbTypes.includes("TrainTS"),
      cbTypes.join(),
    );
  });

  it("adds the space YAML needs when completing right after a colon", async () => {
    const uri = uriOf(cfg("base.yaml"));
    await client.change(uri, "pipeline:\n  type:\n");
    const items = await client.request<CompletionItem[]>("textDocument/completion", {
      textDocument: { uri },
      position: { line: 1, character: 7 },
    });
    const train = items.find((i) => i.label === "TrainTS");
    assert.deepEqual(train?.textEdit, {
      range: { start: { line: 1, character: 7 }, end: { line: 1, character: 7 } },
      newText: " TrainTS",
    });
    await client.change(uri, ws.read("configs/exp/base.yaml"));
  });

  it("completes metric names, with the pipeline's custom metrics", async () => {
    const uri = uriOf(cfg("base.yaml"));
    await client.change(uri, "pipeline:\n  type: TrainTS\n  callbacks:\n    - type: EarlyStopping\n      metric: \n");
    const metrics = labels(
      await client.request("textDocument/completion", { textDocument: { uri }, position: { line: 4, character: 14 } }),
    );
    assert.ok(metrics.includes("val_loss") && metrics.includes("f1_score"), metrics.join());
    assert.ok(!metrics.includes("network"), "untracked metrics are not offered");
    await client.change(uri, ws.read("configs/exp/base.yaml"));
  });

  it("completes tracker types and their options in env.yaml, and offers entry snippets", async () => {
    const uri = uriOf(cfg("env.yaml"));
    await client.change(uri, "workspace: out\ntrackers:\n  - type: DBTracker\n    \n  \n");
    const options = labels(
      await client.request("textDocument/completion", { textDocument: { uri }, position: { line: 3, character: 4 } }),
    );
    assert.deepEqual(options.filter((l) => ["name", "recreate", "flush_interval"].includes(l)).sort(), [
      "flush_interval",
      "name",
      "recreate",
    ]);
    const snippets = labels(
      await client.request("textDocument/completion", { textDocument: { uri }, position: { line: 4, character: 2 } }),
    );
    assert.ok(snippets.includes("- type: DBTracker") && snippets.includes("- type: ConsoleTracker"), snippets.join());
    const top = labels(
      await client.request("textDocument/completion", { textDocument: { uri }, position: { line: 5, character: 0 } }),
    );
    assert.ok(top.includes("imports") && top.includes("fail_fast") && !top.includes("workspace"), top.join());
    await client.change(uri, ws.read("configs/exp/env.yaml"));
  });

  it("completes trial keys and offers a new-trial snippet in trials.yaml", async () => {
    const uri = uriOf(cfg("trials.yaml"));
    const text = ws.read("configs/exp/trials.yaml") + "\n";
    await client.change(uri, text);
    const lines = text.split("\n").length - 1;
    const top = await client.request<CompletionItem[]>("textDocument/completion", {
      textDocument: { uri },
      position: { line: lines, character: 0 },
    });
    assert.ok(labels(top).includes("New trial"));
    const settingsKeys = labels(
      await client.request("textDocument/completion", { textDocument: { uri }, position: { line: 4, character: 6 } }),
    );
    // Under a trial's settings.pipeline: the base pipeline's declared parameters.
    assert.ok(settingsKeys.includes("epochs") && settingsKeys.includes("type"), settingsKeys.join());
    await client.change(uri, ws.read("configs/exp/trials.yaml"));
  });

  it("sweeps: a CodeLens with the planned runs, problems on the node, completion of paths and distributions", async () => {
    const uri = uriOf(cfg("trials.yaml"));
    assert.deepEqual(client.initializeResult?.capabilities.codeLensProvider, { resolveProvider: false });
    const text =
      "- name: grid\n  repeat: 2\n  sweep:\n    params:\n      pipeline.lr: [0.1, 0.01, 0.001]\n      pipeline.epochs: { int: [1, 2] }\n      \n";
    const v = await client.change(uri, text);
    assert.deepEqual(await client.diagnosticsFor(uri, v), []);
    const lenses = await client.request<CodeLens[]>("textDocument/codeLens", { textDocument: { uri } });
    assert.deepEqual(
      lenses.map((l) => [l.range.start.line, l.command?.title]),
      [[2, "Sweep 'grid': 6 trials × 2 repeats = 12 runs · this file plans 12 runs"]],
    );
    const paths = labels(
      await client.request("textDocument/completion", { textDocument: { uri }, position: { line: 6, character: 6 } }),
    );
    assert.ok(paths.includes("pipeline.callbacks.0.patience") && paths.includes("pipeline.optimizer"), paths.join());
    const bad = text.replace("{ int: [1, 2] }", "{ int: [2, 1] }");
    const d = await client.diagnosticsFor(uri, await client.change(uri, bad));
    assert.deepEqual(
      d.map((x) => [x.range.start.line, x.code]),
      [[5, "bad-sweep"]],
    );
    assert.match(msg(d[0]), /low \(2\) is greater than high \(1\); write \[1, 2\]/);
    await client.change(uri, ws.read("configs/exp/trials.yaml"));
  });

  it("hovers keys, types (with their source file) and metrics", async () => {
    const uri = uriOf(cfg("base.yaml"));
    const text = ws.read("configs/exp/base.yaml");
    await client.change(uri, text);
    const onType = await client.request<Hover>("textDocument/hover", {
      textDocument: { uri },
      position: positionOf(text, "TrainTS", 2),
    });
    assert.match(hoverText(onType), /Trains a tiny model/);
    assert.match(hoverText(onType), /pipelines\.ts/);
    const onKey = await client.request<Hover>("textDocument/hover", {
      textDocument: { uri },
      position: positionOf(text, "patience", 1),
    });
    assert.match(hoverText(onKey), /Epochs without improvement/);
    const onMetric = await client.request<Hover>("textDocument/hover", {
      textDocument: { uri },
      position: positionOf(text, "val_loss", 1),
    });
    assert.match(hoverText(onMetric), /tracked/);
  });

  it("goes from a type name to the TS class that registered it", async () => {
    const uri = uriOf(cfg("base.yaml"));
    const text = ws.read("configs/exp/base.yaml");
    const loc = await client.request<Location>("textDocument/definition", {
      textDocument: { uri },
      position: positionOf(text, "TrainTS", 3),
    });
    assert.equal(loc.uri, uriOf(ws.path("src/pipelines.ts")));
    const definitionLine = ws.read("src/pipelines.ts").split("\n")[loc.range.start.line];
    assert.equal(definitionLine.slice(loc.range.start.character, loc.range.end.character), "TrainPipeline");
  });

  it("lists trials and their settings as document symbols", async () => {
    const uri = uriOf(cfg("trials.yaml"));
    const symbols = await client.request<DocumentSymbol[]>("textDocument/documentSymbol", { textDocument: { uri } });
    assert.deepEqual(
      symbols.map((s) => s.name),
      ["small", "large"],
    );
    assert.equal(symbols[0].detail, "repeat 2");
    assert.deepEqual(
      symbols[0].children?.map((c) => c.name),
      ["pipeline"],
    );
    assert.deepEqual(
      symbols[0].children?.[0].children?.map((c) => c.name),
      ["lr"],
    );
  });

  it("picks up a new pipeline when a source file changes (watched files), not from node_modules", async () => {
    const uri = uriOf(cfg("base.yaml"));
    let v = await client.change(uri, "pipeline:\n  type: FreshPipe\n  callbacks:\n    - type: HiddenCb\n");
    assert.deepEqual(
      (await client.diagnosticsFor(uri, v)).map((d) => d.code),
      ["unknown-type", "unknown-type"],
    );
    const file = ws.path("src/fresh.ts");
    writeFileSync(
      file,
      'import { register, Pipeline } from "@expman/runtime";\n@register("FreshPipe")\nexport class Fresh extends Pipeline {}\n',
    );
    const hidden = ws.path("node_modules/lib/hidden.ts");
    mkdirSync(ws.path("node_modules/lib"), { recursive: true });
    writeFileSync(hidden, '@register("HiddenCb")\nexport class HiddenCb extends Callback {}\n');
    await client.connection.sendNotification("workspace/didChangeWatchedFiles", {
      changes: [
        { uri: uriOf(hidden), type: 1 },
        { uri: uriOf(file), type: 1 },
      ],
    });
    await client.waitFor(
      () => client.diagnostics.get(uri)?.diagnostics.length === 1,
      "re-validation after the registry changed",
    );
    assert.match(msg(client.diagnostics.get(uri)!.diagnostics[0]), /HiddenCb/);
    writeFileSync(file, "export const nothing = 1;\n");
    await client.connection.sendNotification("workspace/didChangeWatchedFiles", {
      changes: [{ uri: uriOf(file), type: 2 }],
    });
    await client.waitFor(
      () => client.diagnostics.get(uri)?.diagnostics.length === 2,
      "re-validation after the type went away",
    );
    v = await client.change(uri, ws.read("configs/exp/base.yaml"));
    assert.deepEqual(await client.diagnosticsFor(uri, v), []);
  });

  it("leaves YAML files that are not experiment configs alone", async () => {
    const other = ws.path("docker/env.yaml");
    const otherUri = await client.open(other, "services: [\n");
    const uri = uriOf(cfg("experiment.yaml"));
    const v = await client.change(uri, "name: a\ndesc: b\n");
    await client.diagnosticsFor(uri, v);
    assert.equal(client.diagnostics.has(otherUri), false);
    assert.deepEqual(
      await client.request("textDocument/completion", {
        textDocument: { uri: otherUri },
        position: { line: 0, character: 0 },
      }),
      [],
    );
  });
});

describe("language server on JavaScript and Python workspaces", () => {
  it("reads JS registrations (call form, params attached after the class) and jumps to them", async () => {
    const ws = copyFixture("ws-js");
    const client = await LspClient.start(ws.root);
    try {
      const baseText = ws.read("configs/exp/base.yaml");
      const uri = await client.open(ws.path("configs/exp/base.yaml"), baseText);
      assert.deepEqual(await client.diagnosticsFor(uri), []);
      const v = await client.change(uri, baseText.replace("hidden: 16", "hidden: big"));
      assert.match(msg((await client.diagnosticsFor(uri, v))[0]), /'hidden' must be an integer/);
      const loc = await client.request<Location>("textDocument/definition", {
        textDocument: { uri },
        position: positionOf(baseText, "JsPipe", 1),
      });
      assert.equal(loc.uri, uriOf(ws.path("lib/pipe.js")));
      assert.equal(loc.range.start.line, 2);
      const hover = await client.request<Hover>("textDocument/hover", {
        textDocument: { uri },
        position: positionOf(baseText, "PrintCallback", 1),
      });
      assert.match(hoverText(hover), /callback/);
    } finally {
      await client.stop();
      ws.dispose();
    }
  });

  it("reads Python registrations with `<prefix>.<role>.yaml` config names", async () => {
    const ws = copyFixture("ws-py");
    const client = await LspClient.start(ws.root);
    try {
      const baseText = ws.read("configs/mlp.base.yaml");
      const uri = await client.open(ws.path("configs/mlp.base.yaml"), baseText);
      assert.deepEqual(await client.diagnosticsFor(uri), []);
      const v = await client.change(
        uri,
        `${baseText}  use_bias: maybe\n  callbacks:\n    - type: EarlyStopping\n      patience: 1\n      metric: top5_acc\n`,
      );
      const diags = await client.diagnosticsFor(uri, v);
      assert.deepEqual(
        diags.map((d) => d.code),
        ["wrong-value"],
      );
      const loc = await client.request<Location>("textDocument/definition", {
        textDocument: { uri },
        position: positionOf(baseText, "PyPipe", 1),
      });
      assert.equal(loc.uri, uriOf(ws.path("pipelines/train.py")));
      assert.equal(loc.range.start.line, 9);
      const hover = await client.request<Hover>("textDocument/hover", {
        textDocument: { uri },
        position: positionOf(baseText, "PyPipe", 1),
      });
      assert.match(hoverText(hover), /Trains a PyTorch MLP/);
      await client.change(uri, `${baseText}  \n`);
      const keys = labels(
        await client.request("textDocument/completion", { textDocument: { uri }, position: { line: 3, character: 2 } }),
      );
      assert.ok(!keys.includes("hidden_dim"), "present keys are not offered");
      assert.ok(keys.includes("dropout") && keys.includes("use_bias"), keys.join());
    } finally {
      await client.stop();
      ws.dispose();
    }
  });

  it("watches the workspace itself when the client cannot (no dynamic watcher registration)", async () => {
    const ws = copyFixture("ws-js");
    const client = await LspClient.start(ws.root, { watch: false });
    try {
      const uri = await client.open(ws.path("configs/exp/base.yaml"), "pipeline:\n  type: LatePipe\n");
      assert.equal((await client.diagnosticsFor(uri))[0]?.code, "unknown-type");
      writeFileSync(ws.path("lib/late.js"), 'class LatePipe extends Pipeline {}\nregister("LatePipe")(LatePipe);\n');
      await client.waitFor(
        () => client.diagnostics.get(uri)?.diagnostics.length === 0,
        "re-validation after fs.watch saw the file",
      );
    } finally {
      await client.stop();
      ws.dispose();
    }
  });

  it("treats files matched by experimentManager.configGlobs as configs", async () => {
    const ws = copyFixture("ws-py");
    const client = await LspClient.start(ws.root, { initializationOptions: { configGlobs: ["sweeps/*.yaml"] } });
    try {
      const uri = await client.open(ws.path("sweeps/big_trials.yaml"), "- name: x\n  repeat: many\n  settings: {}\n");
      const diags = await client.diagnosticsFor(uri);
      assert.deepEqual(
        diags.map((d) => d.code),
        ["wrong-value"],
      );
    } finally {
      await client.stop();
      ws.dispose();
    }
  });
});
