/**
 * Hostile YAML (issue 13.5): every limit gives one error at file:line, the same from the
 * validator and from the loader that `expman run` uses, and nothing is read past it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfigTexts } from "../src/config/load";
import {
  ConfigValidationError,
  formatConfigDiagnostic,
  validateConfigSet,
  YAML_LIMITS,
  type ConfigFileSet,
} from "../src/config/validate";
import { BUILTIN_TYPES } from "../src/builtins/catalog";
import { aliasBomb, deepFlow, hostileBase, manyKeys } from "./helpers/hostile-yaml";

const registry = {
  version: 1 as const,
  types: [...BUILTIN_TYPES, { name: "Train", kind: "pipeline" as const, params: {} }],
};
const set = (base: string): ConfigFileSet => ({ base: { path: "/cfg/base.yaml", text: base } });
const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split("\n").length - 1;

function loaderError(base: string): ConfigValidationError {
  const ok = { path: "/cfg/x.yaml", text: "{}\n" };
  try {
    parseConfigTexts({
      env: ok,
      experiment: ok,
      base: { path: "/cfg/base.yaml", text: base },
      trials: { path: "/cfg/trials.yaml", text: "[]\n" },
    });
  } catch (error) {
    assert.ok(error instanceof ConfigValidationError, String(error));
    return error;
  }
  assert.fail("the loader read a hostile file");
}

describe("hostile YAML", () => {
  it("the 2.4 KB file of the report (1,000 levels + an 8x9 alias bomb): one error, fast", () => {
    const text = hostileBase();
    assert.ok(text.length < 2600, String(text.length));
    const started = performance.now();
    const ds = validateConfigSet(set(text), registry);
    const millis = performance.now() - started;
    assert.deepEqual(
      ds.map((d) => `${d.severity} ${d.code}`),
      ["error too-deep"],
    );
    assert.equal(ds[0].range.start.line, lineOf(text, "pipeline:"));
    assert.match(formatConfigDiagnostic(ds[0]), /^\/cfg\/base\.yaml:\d+:\d+: error: Nested deeper than 100 levels/);
    // Generous: a guard against a return of the seconds-long parse, not a benchmark.
    assert.ok(millis < 5000, `${millis} ms`);
    assert.match(loaderError(text).message, /Nested deeper than 100 levels/);
  });

  it("an alias bomb: one error at the alias past the limit, from validate and from the loader", () => {
    const text = `${aliasBomb()}pipeline:\n  type: Train\n  data: *a8\n`;
    const ds = validateConfigSet(set(text), registry);
    assert.deepEqual(
      ds.map((d) => `${d.severity} ${d.code}`),
      ["error alias-limit"],
    );
    assert.match(ds[0].message, /more than 10000 aliases/);
    // Reading the anchors a1..a4 expands 5,344 aliases, a5 another 37,448: the limit is
    // passed on a5's line, on the alias written there.
    assert.equal(ds[0].range.start.line, lineOf(text, "a5: &a5"));
    assert.equal(ds[0].range.start.character, "a5: &a5 [".length);
    const e = loaderError(text);
    assert.match(e.message, /^\/cfg\/base\.yaml:\d+:\d+: error: Too many alias expansions/);
  });

  it("an undefined alias names its file and line", () => {
    const text = "pipeline:\n  type: Train\n  lr: *rate\n";
    const ds = validateConfigSet(set(text), registry);
    assert.deepEqual(
      ds.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.character}`),
      ["yaml-syntax 2:6"],
    );
    assert.match(ds[0].message, /Undefined alias '\*rate'/);
    assert.match(loaderError(text).message, /^\/cfg\/base\.yaml:3:7: error: Undefined alias '\*rate'/);
  });

  it("nesting past the limit in block style, and exactly at it", () => {
    let deep = "pipeline:\n  type: Train\n  x:\n";
    for (let i = 0; i < YAML_LIMITS.depth + 5; i++) deep += `${"  ".repeat(i + 2)}k:\n`;
    assert.deepEqual(
      validateConfigSet(set(deep), registry).map((d) => d.code),
      ["too-deep"],
    );
    // A hundred levels are allowed (the limit is on what passes it).
    assert.deepEqual(
      validateConfigSet(
        set(`pipeline:\n  type: Train\n  x: ${deepFlow(YAML_LIMITS.depth - 3).slice("pipeline: ".length)}`),
        registry,
      ),
      [],
    );
  });

  it("duplicate keys are found (without the quadratic check), each at its line", () => {
    const text = `${manyKeys(2000)}  option_number_7: 1\n  option_number_1999: 2\n`;
    const ds = validateConfigSet(set(text), registry);
    assert.deepEqual(
      ds.map((d) => `${d.code} ${d.range.start.line}`),
      ["yaml-syntax 2002", "yaml-syntax 2003"],
    );
    assert.match(ds[0].message, /Duplicate key 'option_number_7'/);
  });

  it("a file over the size limit: one error, nothing parsed", () => {
    const text = manyKeys(Math.ceil(YAML_LIMITS.bytes / 20));
    assert.ok(text.length > YAML_LIMITS.bytes);
    assert.deepEqual(
      validateConfigSet(set(text), registry).map((d) => `${d.code} ${d.range.start.line}`),
      ["file-too-large 0"],
    );
  });
});
