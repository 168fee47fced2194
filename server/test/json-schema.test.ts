/**
 * The generated JSON Schemas (for the Red Hat YAML extension) are current and agree with the
 * server on what is valid, checked with a real JSON Schema validator (ajv).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as YAML from "yaml";
import { schemaTexts, SCHEMA_DIR } from "../scripts/generate-schemas";
import { FIXTURES } from "./helpers/fixtures";

// ajv comes with the root dev dependencies (through @vscode/vsce).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Ajv = require("ajv").default as new (opts: object) => {
  compile(s: object): ((d: unknown) => boolean) & { errors?: unknown };
};

function validator(role: string) {
  const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, `${role}.schema.json`), "utf8"));
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

describe("generated JSON schemas", () => {
  it("are up to date with the runtime's sections and built-ins", () => {
    for (const [name, text] of Object.entries(schemaTexts())) {
      assert.equal(
        readFileSync(join(SCHEMA_DIR, name), "utf8"),
        text,
        `${name} is stale: run npx tsx server/scripts/generate-schemas.ts`,
      );
    }
  });

  it("accept the fixture configs", () => {
    for (const role of ["env", "experiment", "base", "trials"]) {
      const data = YAML.parse(readFileSync(join(FIXTURES, "ws-ts", "configs", "exp", `${role}.yaml`), "utf8"));
      const validate = validator(role);
      assert.equal(validate(data), true, `${role}: ${JSON.stringify(validate.errors)}`);
    }
  });

  it("reject what the server rejects for built-ins and required keys", () => {
    const cases: Array<[string, string]> = [
      ["experiment", "name: only\n"],
      ["trials", "- name: a\n  repeat: -1\n  settings: {}\n"],
      ["trials", "trials:\n  - name: a\n"],
      ["env", "workspace: out\ntrackers:\n  - type: TensorBoardTracker\n"],
      ["base", "pipeline:\n  type: P\n  callbacks:\n    - type: EarlyStopping\n      patience: 2\n      patiense: 3\n"],
      ["base", "seed: 1.5\n"],
    ];
    for (const [role, text] of cases) assert.equal(validator(role)(YAML.parse(text)), false, `${role}: ${text}`);
    assert.equal(
      validator("base")(
        YAML.parse(
          "pipeline:\n  type: P\n  callbacks:\n    - type: EarlyStopping\n      patience: 2\n      metric: my_custom\n",
        ),
      ),
      true,
    );
    assert.equal(validator("trials")(YAML.parse("- name: a\n  repeat: 0\n  settings:\n")), true);
  });

  it("know sweeps: the example sweep passes; settings or sweep is required; a bad method or distribution fails", () => {
    const trials = validator("trials");
    const example = join(__dirname, "..", "..", "examples", "configs", "iris-sweep", "trials.yaml");
    assert.equal(trials(YAML.parse(readFileSync(example, "utf8"))), true, JSON.stringify(trials.errors));
    for (const bad of [
      "- name: a\n  repeat: 1\n",
      "- name: a\n  repeat: 1\n  sweep:\n    method: bayes\n    params: { lr: [1] }\n",
      "- name: a\n  repeat: 1\n  sweep:\n    params: { lr: { normal: [0, 1] } }\n",
      "- name: a\n  repeat: 1\n  sweep:\n    params: { lr: { uniform: [0] } }\n",
    ])
      assert.equal(trials(YAML.parse(bad)), false, bad);
  });
});
