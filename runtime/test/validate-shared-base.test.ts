/**
 * Trials are checked on their merged settings without copying base.yaml into each of them
 * (merged-entries.ts; issue 13.5: a 40,000-key base.yaml next to a 5,000-line trials.yaml
 * never finished). The answer must be the one the full copy gave: every config set of the
 * repository (examples, fixtures, the Python original's) and a few hundred generated ones are
 * validated both ways (`mergedSettings: "copied"` is the full copy) and compared.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { BUILTIN_TYPES } from "../src/builtins/catalog";
import { validateConfigSet, type ConfigFileSet } from "../src/config/validate";
import type { RegistryDescription } from "../src/registry/schema";
import { configSet, trainRegistry } from "./helpers/config-set";

const REPO = path.resolve(__dirname, "..", "..");
const ROLES = ["env", "experiment", "base", "trials"] as const;

/** Config sets on disk: a folder with base.yaml, or `<prefix>.base.yaml` and its siblings. */
function configSets(): { name: string; files: ConfigFileSet }[] {
  const sets: { name: string; files: ConfigFileSet }[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== "node_modules") walk(full);
      else if (entry.name === "base.yaml" || entry.name.endsWith(".base.yaml")) {
        const prefix = entry.name.slice(0, -"base.yaml".length);
        const files: ConfigFileSet = {};
        for (const role of ROLES) {
          const file = path.join(dir, `${prefix}${role}.yaml`);
          if (fs.existsSync(file)) files[role] = { path: file, text: fs.readFileSync(file, "utf8") };
        }
        sets.push({ name: path.relative(REPO, path.join(dir, prefix || ".")), files });
      }
    }
  };
  for (const root of ["examples", "test/fixtures", "runtime/test/fixtures"]) walk(path.join(REPO, root));
  return sets;
}

/** Builtins, plus every pipeline type the texts name, with a schema that some keys miss. */
function registries(files: ConfigFileSet): RegistryDescription[] {
  const names = new Set<string>();
  for (const f of Object.values(files))
    for (const m of f!.text.matchAll(/type:\s*["']?([A-Za-z_][\w.]*)/g)) names.add(m[1]);
  const pipelines = (closed: boolean) =>
    [...names]
      .filter((n) => !BUILTIN_TYPES.some((t) => t.name === n))
      .map((name) => ({
        name,
        kind: "pipeline" as const,
        closed,
        params: {
          epochs: { type: "integer" as const, required: true, minimum: 1 },
          lr: { type: "number" as const },
          hidden_size: { type: "integer" as const },
        },
        metrics: ["f1"],
      }));
  return [
    { version: 1, types: [...BUILTIN_TYPES] },
    { version: 1, types: [...BUILTIN_TYPES, ...pipelines(false)] },
    { version: 1, types: [...BUILTIN_TYPES, ...pipelines(true)] },
  ];
}

function assertSame(files: ConfigFileSet, registry: RegistryDescription, what: string): number {
  const shared = validateConfigSet(files, registry);
  const copied = validateConfigSet(files, registry, { mergedSettings: "copied" });
  assert.deepEqual(shared, copied, what);
  return shared.length;
}

/** A small deterministic PRNG (mulberry32): the generated sets are the same on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random settings texts that mix known, unknown, ignored and overridden keys, maps, lists and nulls. */
function generated(seed: number): ConfigFileSet {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const keys = ["epochs", "lr", "hidden_size", "verbose", "logger", "lrr", "depth", "opt", "k1", "k2", "k3"];
  const scalar = () => pick(["3", "0.1", "-1", "null", "abc", "true", "[1, 2]", "{a: 1}", "0"]);
  const block = (indent: string, n: number): string => {
    let s = "";
    const used = new Set<string>();
    for (let i = 0; i < n; i++) {
      const k = pick(keys);
      if (used.has(k)) continue;
      used.add(k);
      const shape = r();
      if (shape < 0.15) s += `${indent}${k}:\n${indent}  inner_${Math.floor(r() * 3)}: ${scalar()}\n`;
      else s += `${indent}${k}: ${scalar()}\n`;
    }
    return s;
  };
  const callbacks = (indent: string) =>
    r() < 0.5
      ? `${indent}callbacks:\n${indent}  - type: ${pick(["EarlyStopping", "MetricsTracker", "Nope"])}\n${indent}    ${pick(["patience", "metric", "bogus", "verbose"])}: ${pick(["2", "val_loss", "vall_loss", "x"])}\n`
      : "";
  const type = pick(["Train", "Train", "Missing", "EarlyStopping"]);
  const base =
    r() < 0.1
      ? pick(["", "null\n", "- a\n"])
      : `${r() < 0.5 ? "seed: 1\n" : ""}${pick(["unknown_top: 1\n", ""])}pipeline:\n${r() < 0.85 ? `  type: ${type}\n` : ""}${block("  ", 6)}${callbacks("  ")}`;
  let trials = "";
  const n = 1 + Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    trials += `- name: ${pick(["a", "b", "c", `t${i}`])}\n  repeat: 1\n`;
    const kind = r();
    if (kind < 0.1) trials += "  settings: null\n";
    else if (kind < 0.15) trials += "  settings: 3\n";
    else if (kind < 0.2) continue;
    else {
      trials += "  settings:\n";
      if (r() < 0.3) trials += `    seed: ${scalar()}\n`;
      if (r() < 0.8) {
        trials += "    pipeline:\n";
        if (r() < 0.3) trials += `      type: ${pick(["Train", "Other", "Missing"])}\n`;
        trials += block("      ", 4) + callbacks("      ");
      } else if (r() < 0.5) trials += `    pipeline: ${pick(["null", "3", "{}"])}\n`;
    }
  }
  return configSet(base, trials, "/g");
}

describe("trials checked over a shared base.yaml give the full copy's answer", () => {
  it("on every config set of the repository, with three registries", () => {
    const sets = configSets();
    assert.ok(sets.length >= 10, `config sets found: ${sets.map((s) => s.name).join(", ")}`);
    let diagnostics = 0;
    for (const { name, files } of sets)
      for (const [i, registry] of registries(files).entries())
        diagnostics += assertSame(files, registry, `${name}, registry ${i}`);
    assert.ok(diagnostics > 0, "some sets have problems under some registry (the comparison saw findings)");
  });

  it("on 400 generated sets (unknown, ignored and overridden keys, closed and open types, odd shapes)", () => {
    const train = (closed: boolean): RegistryDescription =>
      trainRegistry(closed, [
        { name: "Other", kind: "pipeline", closed: true, params: { depth: { type: "integer" } } },
      ]);
    const codes = new Set<string>();
    for (let seed = 1; seed <= 400; seed++) {
      const files = generated(seed);
      for (const closed of [true, false]) {
        assertSame(
          files,
          train(closed),
          `seed ${seed}, Train ${closed ? "closed" : "open"}:\n${files.base!.text}---\n${files.trials!.text}`,
        );
        for (const d of validateConfigSet(files, train(closed))) codes.add(d.code);
      }
    }
    // The generator reaches the findings that depend on the merge.
    for (const code of ["unknown-key", "missing-key", "wrong-value", "unknown-type"])
      assert.ok(codes.has(code), `${code}: ${[...codes]}`);
  });
});
