/**
 * The 7 config folders of the Python original (fixtures/python-original/project/configs, copied
 * unchanged) validate with `expman validate` as in the editor: their pipelines are Python classes,
 * found by the static registration index the language server uses (runtime/src/registry/
 * source-index.ts) in the project's .py files, never run. Keys the original ignores itself
 * (`verbose` on callbacks, `logger` in env.yaml) are info, not warnings.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { expman } from "./helpers/cli";
import type { ConfigDiagnostic } from "../src/config/diagnostic";

const PROJECT = path.join(__dirname, "fixtures", "python-original", "project");
const CONFIGS = path.join(PROJECT, "configs");
const FOLDERS = fs
  .readdirSync(CONFIGS, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

/** Their one real problem: `workspace: null # Will be set by test` (the original's tests fill it in). */
const WORKSPACE_PLACEHOLDER = new Set(["test_batch_gradient", "test_mnist_baseline"]);

function validate(
  folder: string,
  args: string[],
): { code: number | null; ok: boolean; diagnostics: ConfigDiagnostic[] } {
  // From the repository root: the sources come from the project around the folder (pyproject.toml).
  const r = expman(["validate", path.join(CONFIGS, folder), "--json", ...args]);
  const out = JSON.parse(r.stdout) as { ok: boolean; diagnostics: ConfigDiagnostic[] };
  return { code: r.code, ...out };
}

const brief = (d: ConfigDiagnostic) => `${path.basename(d.path)}:${d.range.start.line + 1} ${d.severity} ${d.message}`;

test("the fixture holds the original's 7 config folders, unchanged", () => {
  assert.deepEqual(FOLDERS, [
    "custom_metrics_test",
    "performance_demo",
    "simple_experiment",
    "test_batch_gradient",
    "test_callback",
    "test_experiment",
    "test_mnist_baseline",
  ]);
  const reference = "/work/shared/reference/python_original_configs";
  if (!fs.existsSync(reference)) return; // a clean clone: the copy is the reference
  for (const folder of FOLDERS)
    for (const file of ["env.yaml", "experiment.yaml", "base.yaml", "trials.yaml"])
      assert.equal(
        fs.readFileSync(path.join(CONFIGS, folder, file), "utf8"),
        fs.readFileSync(path.join(reference, folder, file), "utf8"),
        `${folder}/${file}`,
      );
});

for (const folder of FOLDERS) {
  test(`expman validate: the original's ${folder} is clean (Python pipelines known from the project's .py files)`, () => {
    const r = validate(folder, []);
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    const warnings = r.diagnostics.filter((d) => d.severity === "warning");
    assert.deepEqual(warnings.map(brief), [], "no warnings");
    if (WORKSPACE_PLACEHOLDER.has(folder)) {
      assert.deepEqual(
        errors.map((d) => [path.basename(d.path), d.message]),
        [["env.yaml", "'workspace' is required and cannot be empty."]],
        "only the placeholder the original's tests fill in",
      );
      assert.equal(r.code, 1);
    } else {
      assert.deepEqual(errors.map(brief), []);
      assert.equal(r.code, 0);
    }
    for (const info of r.diagnostics.filter((d) => d.severity === "info"))
      assert.match(info.message, /^'(verbose|logger)' in .* has no effect: the Python original/, brief(info));
  });
}

test("keys the original ignores are info: 'logger' in env.yaml, 'verbose' on a callback", () => {
  const infos = validate("performance_demo", []).diagnostics.filter((d) => d.severity === "info");
  assert.deepEqual(
    infos.map((d) => [path.basename(d.path), d.range.start.line + 1, d.message.split(" has ")[0]]),
    [
      ["env.yaml", 20, "'logger' in env.yaml"],
      ["base.yaml", 21, "'verbose' in callback EarlyStopping"],
    ],
  );
});

test("without the project's sources (--sources elsewhere) the Python pipelines are unknown, as before", () => {
  const r = validate("simple_experiment", ["--sources", CONFIGS]);
  assert.equal(r.code, 1);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === "error").map((d) => d.code),
    ["unknown-type"],
    r.diagnostics.map(brief).join("\n"),
  );
});
