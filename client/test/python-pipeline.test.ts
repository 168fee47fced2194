// Run refuses a folder whose pipeline is a Python class, with the reason, before starting anything.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { pythonPipelineMessage, pythonPipelineOf } from "../src/core/python-pipeline";
import { tempWorkspace } from "./helpers";

let ws: string;
before(() => (ws = tempWorkspace()));
after(() => fs.rmSync(ws, { recursive: true, force: true }));

describe("pythonPipelineOf", () => {
  it("env.yaml importing a .py module: a Python pipeline", () => {
    const dir = path.join(ws, "configs", "python");
    const p = pythonPipelineOf(dir);
    assert.deepEqual(p, { type: "PyToyPipeline", file: path.join(ws, "pipelines", "py_toy.py") });
    const text = pythonPipelineMessage("python-toy", dir, p!);
    assert.match(text, /'PyToyPipeline' is a Python class/);
    assert.match(text, /Experiment\.create\(/);
  });

  it("a type registered only in a .py file (as the language server scanned it): a Python pipeline", () => {
    const dir = path.join(ws, "configs", "pyonly");
    fs.cpSync(path.join(ws, "configs", "python"), dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "env.yaml"), "workspace: ../../runs/pyonly\n");
    const py = path.join(ws, "pipelines", "py_toy.py");
    const registry = {
      version: 1 as const,
      types: [{ name: "PyToyPipeline", kind: "pipeline" as const, file: py, line: 6 }],
    };
    assert.deepEqual(pythonPipelineOf(dir, registry), { type: "PyToyPipeline", file: py, line: 6 });
    assert.equal(pythonPipelineOf(dir), undefined, "without the registry nothing says so");
  });

  it("a TypeScript pipeline is not", () => {
    const dir = path.join(ws, "configs", "quick");
    const registry = {
      version: 1 as const,
      types: [{ name: "ToyPipeline", kind: "pipeline" as const, file: path.join(ws, "pipelines", "toy.ts") }],
    };
    assert.equal(pythonPipelineOf(dir, registry), undefined);
  });
});
