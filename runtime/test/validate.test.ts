/**
 * validateConfigSet: the config checks shared by `expman validate`, `expman run` and the
 * language server. Positions are 0-based on the exact node; quick-fix data is usable as is.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BUILTIN_TYPES } from "../src/builtins/catalog";
import {
  formatConfigDiagnostic,
  validateConfigSet,
  TrialsParseCache,
  YAML_LIMITS,
  type ConfigDiagnostic,
  type ConfigFileSet,
} from "../src/config/validate";
import type { RegistryDescription } from "../src/registry/schema";

const registry: RegistryDescription = {
  version: 1,
  types: [
    ...BUILTIN_TYPES,
    {
      name: "Trainer",
      kind: "pipeline",
      params: { epochs: { type: "integer", required: true, minimum: 1 }, lr: { type: "number", default: 0.1 } },
      metrics: ["f1"],
      file: "/ws/src/trainer.ts",
      line: 4,
    },
    { name: "Strict", kind: "pipeline", closed: true, params: { depth: { type: "integer" } } },
  ],
};

const ENV = "workspace: out\ntrackers:\n  - type: LogTracker\n";
const EXPERIMENT = "name: e\ndesc: d\n";
const BASE = "pipeline:\n  type: Trainer\n  epochs: 2\n  callbacks:\n    - type: EarlyStopping\n      patience: 3\n";
const TRIALS = "- name: a\n  repeat: 2\n  settings:\n    pipeline:\n      lr: 0.5\n";

function set(over: Partial<Record<keyof ConfigFileSet, string>> = {}): ConfigFileSet {
  const texts = { env: ENV, experiment: EXPERIMENT, base: BASE, trials: TRIALS, ...over };
  const out: ConfigFileSet = {};
  for (const [role, text] of Object.entries(texts))
    if (text !== undefined) out[role as keyof ConfigFileSet] = { path: `/cfg/${role}.yaml`, text };
  return out;
}

function summary(ds: ConfigDiagnostic[]): string[] {
  return ds.map(
    (d) =>
      `${d.role}:${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${d.code}`,
  );
}

describe("validateConfigSet", () => {
  it("accepts a valid set", () => {
    assert.deepEqual(validateConfigSet(set(), registry), []);
  });

  it("reports an unknown type on the value, with a suggestion and the CLI's message", () => {
    const ds = validateConfigSet(set({ base: BASE.replace("type: Trainer", "type: Trainr") }), registry);
    assert.deepEqual(summary(ds), ["base:1:8-1:14 unknown-type"]);
    assert.equal(ds[0].data?.suggestion, "Trainer");
    assert.match(ds[0].message, /^Unknown pipeline type 'Trainr'\. Did you mean 'Trainer'\?/);
    assert.equal(formatConfigDiagnostic(ds[0]).split(": error: ")[0], "/cfg/base.yaml:2:9");
  });

  it("reports a type of the wrong kind", () => {
    const ds = validateConfigSet(set({ env: "workspace: out\ntrackers:\n  - type: EarlyStopping\n" }), registry);
    assert.deepEqual(summary(ds), ["env:2:10-2:23 wrong-kind"]);
    assert.match(ds[0].message, /'EarlyStopping' is a callback, not a tracker/);
  });

  it("reports missing required keys with text and place to insert them", () => {
    const ds = validateConfigSet(
      set({ experiment: "name: e\n", env: "trackers:\n  - type: TensorBoardTracker\n    verbose: true\n" }),
      registry,
    );
    assert.deepEqual(summary(ds), [
      "env:0:0-0:9 missing-key",
      "env:1:4-1:28 missing-key",
      "experiment:0:0-0:7 missing-key",
    ]);
    const [workspace, dbName, desc] = ds;
    assert.deepEqual(workspace.data, {
      missingKey: "workspace",
      insertText: 'workspace: ""\n',
      insertPosition: { line: 0, character: 0 },
    });
    assert.deepEqual(dbName.data, {
      missingKey: "name",
      insertText: 'name: ""\n    ',
      insertPosition: { line: 1, character: 4 },
    });
    assert.equal(desc.data?.missingKey, "desc");
  });

  it("inserts into flow mappings with a comma", () => {
    const ds = validateConfigSet(set({ trials: "- {name: a, settings: {}}\n" }), registry);
    const repeat = ds.find((d) => d.data?.missingKey === "repeat");
    assert.deepEqual(repeat?.data, {
      missingKey: "repeat",
      insertText: "repeat: 1, ",
      insertPosition: { line: 0, character: 3 },
    });
  });

  it("checks value types: repeat, seed, patience, declared params, enums", () => {
    const ds = validateConfigSet(
      set({
        trials:
          "- name: a\n  repeat: -1\n  settings:\n    seed: 1.5\n    pipeline:\n      epochs: zero\n      callbacks:\n        - patience: 2.5\n          mode: sideways\n",
      }),
      registry,
    );
    assert.deepEqual(
      ds.map((d) => d.message),
      [
        "'repeat' must be >= 0, got -1.",
        "'seed' must be an integer, got the number 1.5.",
        "'epochs' must be an integer, got the string \"zero\".",
        "'patience' must be an integer, got the number 2.5.",
        '\'mode\' must be one of "min", "max", got "sideways".',
      ],
    );
  });

  it("checks metrics: tracked names, custom names of the pipeline, untracked and unknown", () => {
    const withMetric = (m: string) => set({ base: `${BASE}      metric: ${m}\n` });
    assert.deepEqual(validateConfigSet(withMetric("val_acc"), registry), []);
    assert.deepEqual(validateConfigSet(withMetric("VAL_ACC"), registry), []);
    assert.deepEqual(validateConfigSet(withMetric("f1"), registry), []);
    assert.deepEqual(summary(validateConfigSet(withMetric("labels"), registry)), ["base:6:14-6:20 untracked-metric"]);
    const unknown = validateConfigSet(withMetric("trian_loss"), registry);
    assert.equal(unknown[0].code, "unknown-metric");
    assert.equal(unknown[0].data?.suggestion, "train_loss");
  });

  it("warns about unknown keys in framework sections, not in user settings", () => {
    const ds = validateConfigSet(
      set({
        experiment: "name: e\ndesc: d\ndescription: x\n",
        // `verbose`: the Python original's configs carry it and it ignores it too, so info only.
        base: `${BASE}      verbose: true\n      colour: red\nmodel:\n  layers: 3\n`,
        trials: "- name: a\n  repeat: 1\n  setting: {}\n  settings: {}\n",
      }),
      registry,
    );
    assert.deepEqual(
      ds.map((d) => `${d.role} ${d.severity} ${d.code} ${d.data?.suggestion ?? ""}`),
      [
        "experiment warning unknown-key desc",
        "base info unknown-key ",
        "base warning unknown-key ",
        "trials warning unknown-key settings",
      ],
    );
  });

  it("warns about unknown params of a closed pipeline only", () => {
    const ds = validateConfigSet(set({ base: "pipeline:\n  type: Strict\n  dept: 3\n", trials: "" }), registry);
    assert.deepEqual(summary(ds), ["base:2:2-2:6 unknown-key"]);
    assert.equal(ds[0].data?.suggestion, "depth");
  });

  it("requires trials.yaml to be a list, and says how to fix the wrapped form", () => {
    const ds = validateConfigSet(set({ trials: "trials:\n  - name: a\n" }), registry);
    assert.deepEqual(
      ds.map((d) => d.code),
      ["trials-not-list"],
    );
    assert.match(ds[0].message, /Remove the 'trials:' key/);
  });

  it("reports duplicate trial names on the later one", () => {
    const ds = validateConfigSet(set({ trials: `${TRIALS}- name: a\n  repeat: 1\n  settings: {}\n` }), registry);
    assert.deepEqual(summary(ds), ["trials:5:8-5:9 duplicate-trial"]);
    assert.match(ds[0].message, /first used on line 1/);
  });

  it("checks merged settings: base options with a trial's type, list elements merged by index", () => {
    // base has the callback's patience; the trial only changes its metric.
    const trials = "- name: a\n  repeat: 1\n  settings:\n    pipeline:\n      callbacks:\n        - metric: f1\n";
    assert.deepEqual(validateConfigSet(set({ trials }), registry), []);
    // A trial that switches to a pipeline lacking `epochs` is fine (Strict has no required params),
    // one that keeps Trainer but whose base lacks epochs is reported where the type was written.
    const base = "pipeline:\n  type: Trainer\n";
    const ds = validateConfigSet(
      set({ base, trials: "- name: a\n  repeat: 1\n  settings:\n    pipeline:\n      lr: 1\n" }),
      registry,
    );
    assert.deepEqual(summary(ds), ["base:0:0-0:8 missing-key"]);
    assert.deepEqual(ds[0].data?.insertPosition, { line: 1, character: 2 });
  });

  it("requires pipeline.type in base.yaml or in every trial", () => {
    const base = "pipeline:\n  epochs: 2\n";
    const trials =
      "- name: a\n  repeat: 1\n  settings:\n    pipeline:\n      type: Trainer\n- name: b\n  repeat: 1\n  settings: {}\n- name: c\n  repeat: 1\n  settings:\n    pipeline: {lr: 1}\n";
    const ds = validateConfigSet(set({ base, trials }), registry);
    assert.deepEqual(summary(ds), ["trials:7:2-7:10 missing-key", "trials:11:4-11:12 missing-key"]);
    assert.match(ds[0].message, /trial 'b'/);
    // With no trials at all, base.yaml must name it.
    assert.deepEqual(summary(validateConfigSet(set({ base, trials: "" }), registry)), ["base:0:0-0:8 missing-key"]);
    // A trial whose pipeline is null erases the base's (deep-merge: null replaces).
    const erased = validateConfigSet(
      set({ trials: "- name: a\n  repeat: 1\n  settings:\n    pipeline: null\n" }),
      registry,
    );
    assert.deepEqual(
      erased.map((d) => d.code),
      ["missing-key"],
    );
    // A null `settings` keeps base.yaml as is.
    assert.deepEqual(validateConfigSet(set({ trials: "- name: a\n  repeat: 1\n  settings:\n" }), registry), []);
  });

  it("checks imports when given a fileExists, resolving extensions as the loader does", () => {
    const env = "workspace: out\nimports:\n  - ./pipes\n  - ./gone.ts\n  - ./esm-style.js\n  - some-package\n";
    const existing = new Set(["/cfg/pipes.ts", "/cfg/esm-style.ts"]);
    const ds = validateConfigSet(set({ env }), registry, { fileExists: (p) => existing.has(p) });
    assert.deepEqual(summary(ds), ["env:3:4-3:13 missing-import"]);
    assert.deepEqual(validateConfigSet(set({ env }), registry), [], "not checked without fileExists");
  });

  it("clamps YAML syntax errors to their line and keeps going with other files", () => {
    const ds = validateConfigSet(
      set({ experiment: 'name: "open\ndesc: x\n\n\n', base: BASE.replace("Trainer", "Nope") }),
      registry,
    );
    const syntax = ds.filter((d) => d.code === "yaml-syntax");
    assert.ok(syntax.length > 0);
    for (const d of syntax) assert.equal(d.range.start.line, d.range.end.line);
    assert.ok(ds.some((d) => d.code === "unknown-type"));
  });

  it("reads merge keys and aliases, and survives cycles and bombs", () => {
    const base = "defaults: &d\n  type: Trainer\n  epochs: 1\npipeline:\n  <<: *d\n  lr: 0.2\n";
    assert.deepEqual(validateConfigSet(set({ base }), registry), []);
    let bomb = "a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n";
    for (let i = 1; i < 10; i++)
      bomb += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(", ")}]\n`;
    const ds = validateConfigSet(set({ base: `${bomb}${BASE}` }), registry);
    assert.deepEqual(
      ds.map((d) => d.code),
      ["alias-limit"],
    );
  });

  it("filters by role and refuses files over the size limit", () => {
    const bad = set({ experiment: "name: e\n", base: BASE.replace("Trainer", "Nope") });
    assert.deepEqual(
      validateConfigSet(bad, registry, { roles: ["base"] }).map((d) => d.role),
      ["base"],
    );
    const big = validateConfigSet(
      set({ trials: TRIALS.repeat(Math.ceil(YAML_LIMITS.bytes / TRIALS.length) + 1) }),
      registry,
    );
    assert.deepEqual(
      big.map((d) => `${d.role} ${d.severity} ${d.code} ${d.range.start.line}`),
      ["trials error file-too-large 0"],
    );
  });

  it("parses a long trials.yaml trial by trial with the same results as a whole parse", () => {
    const trial = (i: number) =>
      `- name: t${i % 97 === 5 ? 1 : i}\n  repeat: ${i % 50 === 7 ? -1 : 1}\n  settings:\n    pipeline:\n      epochs: ${i % 60 === 3 ? "x" : 2}\n      callbacks:\n        - metric: ${i % 70 === 9 ? "val_los" : "val_loss"}\n${i === 120 ? "      bad: [unclosed\n" : ""}`;
    const text = `# sweep\n${Array.from({ length: 200 }, (_, i) => trial(i)).join("")}`;
    const trialsCache = new TrialsParseCache();
    const chunked = validateConfigSet(set({ trials: text }), registry, { trialsCache });
    // An anchor makes the validator parse the file as one document.
    const whole = validateConfigSet(set({ trials: text.replace("- name: t0\n", "- name: &first t0\n") }), registry);
    assert.ok(chunked.length >= 10, summary(chunked).join());
    assert.ok(chunked.some((d) => d.code === "yaml-syntax"));
    assert.deepEqual(
      summary(chunked).filter((x) => !x.includes("yaml-syntax")),
      summary(whole).filter((x) => !x.includes("yaml-syntax")),
    );
    assert.deepEqual(
      chunked.filter((d) => d.code === "yaml-syntax").map((d) => d.range.start.line),
      whole.filter((d) => d.code === "yaml-syntax").map((d) => d.range.start.line),
    );
    // After inserting lines near the top, cached trials report at their new lines.
    const shifted = validateConfigSet(set({ trials: text.replace("# sweep\n", "# sweep\n# one\n# two\n") }), registry, {
      trialsCache,
    });
    // Without a cache the whole file is parsed: the same answer.
    const uncached = validateConfigSet(set({ trials: text }), registry);
    assert.deepEqual(
      uncached.map((d) => `${d.code} ${d.range.start.line}`),
      chunked.map((d) => `${d.code} ${d.range.start.line}`),
    );
    assert.deepEqual(
      shifted.map((d) => d.range.start.line),
      chunked.map((d) => d.range.start.line + 2),
    );
  });
});
