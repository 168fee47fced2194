// The TextMate grammars (patterns compile, match what they should) and the manifest
// (every contributed path exists, commands and settings are declared with descriptions,
// untrusted-workspace support is declared).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { BUILTIN_TYPES, Metric } from "@expman/runtime/contracts";
import { repoRoot } from "./helpers";

type Rule = {
  match?: string;
  begin?: string;
  end?: string;
  name?: string;
  captures?: Record<string, { name: string }>;
  patterns?: Rule[];
};
const grammar = (file: string) =>
  JSON.parse(fs.readFileSync(path.join(repoRoot, "syntaxes", file), "utf8")) as {
    repository: Record<string, Rule>;
    scopeName: string;
  };
const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"));

/** Scope names a rule gives to `line` (JS regexes stand in for Oniguruma: these patterns use the common subset). */
function scopes(rule: Rule, line: string): string[] {
  const out: string[] = [];
  if (rule.match) {
    const m = new RegExp(rule.match).exec(line);
    if (m) {
      if (rule.name) out.push(rule.name);
      for (const [i, c] of Object.entries(rule.captures ?? {}))
        if (m[Number(i)] !== undefined) out.push(`${c.name}=${m[Number(i)]}`);
    }
  }
  if (rule.begin && new RegExp(rule.begin).test(line))
    for (const p of rule.patterns ?? []) out.push(...scopesAll(p, line));
  for (const p of rule.match || rule.begin ? [] : (rule.patterns ?? [])) out.push(...scopes(p, line));
  return out;
}
function scopesAll(rule: Rule, line: string): string[] {
  const re = new RegExp(rule.match!, "g");
  return [...line.matchAll(re)].map((m) => `${rule.captures?.["1"]?.name}=${m[1]}`);
}

describe("experiment YAML injection grammar", () => {
  const g = grammar("expman-yaml.injection.tmLanguage.json");
  it("is injected into YAML", () => {
    assert.match((g as unknown as { injectionSelector: string }).injectionSelector, /source\.yaml/);
  });
  it("marks built-in and registered type: values", () => {
    assert.ok(
      scopes(g.repository["type-value"], "  type: DBTracker").includes("support.class.builtin.expman=DBTracker"),
    );
    assert.ok(
      scopes(g.repository["type-value"], "    - type: MyPipeline  # mine").includes(
        "entity.name.type.class.registered.expman=MyPipeline",
      ),
    );
    assert.deepEqual(scopes(g.repository["type-value"], "  kind: DBTracker"), []);
  });
  it("marks Metric names and ? placeholders", () => {
    assert.ok(
      scopes(g.repository["metric-value"], "      metric: val_loss").includes(
        "support.constant.metric.expman=val_loss",
      ),
    );
    assert.deepEqual(scopes(g.repository["metric-value"], "      metric: val_lossy"), []);
    assert.ok(
      scopes(g.repository["metric-item"], "  - train_acc").includes("support.constant.metric.expman=train_acc"),
    );
    assert.ok(scopes(g.repository.placeholder, "  lr: ?").some((s) => s.startsWith("keyword.control.placeholder")));
    assert.ok(scopes(g.repository.placeholder, '  lr: "?"').some((s) => s.startsWith("keyword.control.placeholder")));
    assert.deepEqual(scopes(g.repository.placeholder, "  q: what?"), []);
  });
  it("knows every Metric and built-in type of the runtime (regenerate it if this fails)", () => {
    const text = JSON.stringify(g);
    for (const m of Object.values(Metric)) assert.ok(text.includes(m), m);
    for (const t of BUILTIN_TYPES) assert.ok(text.includes(t.name), t.name);
  });
});

describe("experiment.log grammar", () => {
  const g = grammar("expman-log.tmLanguage.json");
  it("levels, lifecycle lines, metric lines, stack lines", () => {
    assert.ok(scopes(g.repository.level, "2026-11-26 05:52:29,383 - ERROR - boom")[0].includes("token.error-token"));
    assert.ok(scopes(g.repository.level, "2026-11-26 05:52:29,383 - WARNING - hm")[0].includes("token.warn-token"));
    assert.ok(scopes(g.repository.level, "2026-11-26 05:52:29,383 - INFO - ok")[0].includes("token.info-token"));
    assert.ok(scopes(g.repository.timestamp, "2026-11-26 05:52:29,383 - INFO - ok").length === 1);
    assert.deepEqual(scopes(g.repository.lifecycle, "2026-11-26 05:52:29,429 -     Creating TRIAL_RUN"), [
      "keyword.control.lifecycle.expman-log=Creating",
      "entity.name.type.level.expman-log=TRIAL_RUN",
    ]);
    assert.ok(
      scopes(
        g.repository["metric-point"],
        "2026-11-26 05:52:29,456 -           train_loss: 0.97811 at step 0",
      ).includes("variable.other.metric.expman-log=train_loss"),
    );
    assert.ok(
      scopes(g.repository["epoch-metrics"], "Epoch 0 metrics - train_loss=0.97, val_acc=0.63").includes(
        "variable.other.metric.expman-log=val_acc",
      ),
    );
    assert.ok(scopes(g.repository.stack, "    at Trial.runSingle (/x/trial.js:71:24)").length === 1);
    assert.ok(scopes(g.repository.status, "only-0 FAILED").some((s) => s.startsWith("invalid")));
  });
});

describe("extension manifest", () => {
  it("contributed files exist", () => {
    const paths = [
      manifest.main,
      manifest.icon,
      ...manifest.contributes.grammars.map((g: { path: string }) => g.path),
      ...manifest.contributes.viewsContainers.activitybar.map((c: { icon: string }) => c.icon),
      ...manifest.contributes.yamlValidation.map((v: { url: string }) => v.url),
      ...manifest.contributes.walkthroughs.flatMap((w: { steps: { media: { markdown?: string; image?: string } }[] }) =>
        w.steps.map((s) => s.media.markdown ?? s.media.image),
      ),
    ].filter((p) => !p.startsWith("./client/out"));
    for (const p of paths) assert.ok(fs.existsSync(path.join(repoRoot, p)), p);
  });
  it("declares settings with descriptions, and limited untrusted support", () => {
    const props = manifest.contributes.configuration.properties as Record<
      string,
      { markdownDescription?: string; description?: string }
    >;
    for (const key of ["nodePath", "configGlobs", "databaseGlobs", "maxParallelRuns", "stopGracePeriodSeconds"]) {
      const p = props[`experimentManager.${key}`];
      assert.ok(p && (p.markdownDescription || p.description), key);
    }
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, "limited");
    assert.ok(
      manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes("experimentManager.nodePath"),
    );
  });
  it("every command used in menus is declared; activation is not `*`", () => {
    const declared = new Set(manifest.contributes.commands.map((c: { command: string }) => c.command));
    for (const items of Object.values(manifest.contributes.menus) as { command: string }[][])
      for (const i of items) assert.ok(declared.has(i.command), i.command);
    assert.ok(!manifest.activationEvents.includes("*"));
    assert.ok(!manifest.activationEvents.includes("onStartupFinished"));
  });
  it("a first user is led: activation on YAML, the empty view and the walkthrough offer New Experiment, not Run", () => {
    assert.ok(manifest.activationEvents.includes("onLanguage:yaml"));
    const welcome = manifest.contributes.viewsWelcome.find(
      (w: { view: string }) => w.view === "experimentManager.experiments",
    ).contents as string;
    assert.match(welcome, /\(command:experimentManager\.newExperiment\)/);
    assert.doesNotMatch(welcome, /command:experimentManager\.runExperiment/);
    const [walkthrough] = manifest.contributes.walkthroughs;
    const commands = walkthrough.steps.map(
      (s: { description: string }) => /\(command:([^)]+)\)/.exec(s.description)?.[1],
    );
    assert.deepEqual(commands, [
      "experimentManager.newExperiment",
      "experimentManager.installRuntime",
      "experimentManager.runExperiment",
      "experimentManager.openMetrics",
    ]);
    const declared = new Set(manifest.contributes.commands.map((c: { command: string }) => c.command));
    for (const c of commands) assert.ok(declared.has(c), c);
  });
});
