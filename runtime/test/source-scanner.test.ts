/** Reading registrations out of source text, without running it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readLiteral } from "../src/registry/literal";
import { scanSource } from "../src/registry/source-scanner";

describe("scanSource (TS/JS)", () => {
  it("finds decorated classes with params, description, metrics and position", () => {
    const text = [
      'import { register } from "@expman/runtime";',
      "const SHARED = { depth: { type: 'integer', default: 2 }, };",
      "/** Does things. */",
      '@register("A", { description: "from options" })',
      "export class A extends Pipeline {",
      "  static params = SHARED;",
      '  static readonly metrics = ["m1", `m2`] as const;',
      "  run() { const s = \"register('Fake')\"; }",
      "}",
      '/* @register("Commented") class Nope extends Pipeline {} */',
      '@register("B") @other() class B extends A { static params: ParamsSchema = { x: { type: "string", enum: ["a", "b"], required: true } }; }',
    ].join("\n");
    const { registrations, classes } = scanSource("/w/a.ts", text);
    assert.deepEqual(
      registrations.map((r) => ({
        name: r.name,
        cls: r.className,
        line: r.line,
        description: r.description,
        metrics: r.metrics,
        params: r.params,
      })),
      [
        {
          name: "A",
          cls: "A",
          line: 4,
          description: "from options",
          metrics: ["m1", "m2"],
          params: { depth: { type: "integer", default: 2 } },
        },
        {
          name: "B",
          cls: "B",
          line: 10,
          description: undefined,
          metrics: undefined,
          params: { x: { type: "string", enum: ["a", "b"], required: true } },
        },
      ],
    );
    assert.deepEqual(
      classes.map((c) => `${c.name}<${c.bases.join()}`),
      ["A<Pipeline", "B<A"],
    );
  });

  it("reads the call form and properties assigned after the class", () => {
    const text =
      'class P extends em.Tracker {}\nP.description = "Tracks.";\nYAMLSerializable.register("P", { kind: "tracker", closed: true })(P);\n';
    const [r] = scanSource("/w/p.js", text).registrations;
    assert.deepEqual(
      { name: r.name, kind: r.kind, closed: r.closed, description: r.description },
      { name: "P", kind: "tracker", closed: true, description: "Tracks." },
    );
  });

  it("ignores params entries that are not schemas and values it cannot evaluate", () => {
    const text =
      '@register("Q")\nclass Q extends Pipeline {\n  static params = { ok: { type: "number", default: compute() }, bad: { type: "tensor" }, plain: 3, ...more };\n}\n';
    assert.deepEqual(scanSource("/w/q.ts", text).registrations[0].params, { ok: { type: "number" } });
  });
});

describe("scanSource (Python)", () => {
  it("finds @YAMLSerializable.register classes with params, metrics and docstring", () => {
    const text = [
      "from experiment_manager import YAMLSerializable",
      "",
      '@YAMLSerializable.register("Py")',
      "@dataclass",
      "class Py(base.Pipeline, Mixin):",
      "    '''Summary line.",
      "",
      "    More.'''",
      "    params = {'lr': {'type': 'number', 'default': 1e-3, 'required': False}}  # comment",
      "    metrics = ['a']",
      "",
      "    def run(self):",
      "        params = {'not': 'this'}",
    ].join("\n");
    const { registrations, classes } = scanSource("/w/m.py", text);
    assert.deepEqual(classes[0].bases, ["Pipeline", "Mixin"]);
    assert.deepEqual(
      registrations.map((r) => ({
        name: r.name,
        line: r.line,
        description: r.description,
        metrics: r.metrics,
        params: r.params,
      })),
      [
        {
          name: "Py",
          line: 4,
          description: "Summary line.",
          metrics: ["a"],
          params: { lr: { type: "number", default: 0.001, required: false } },
        },
      ],
    );
  });
});

describe("readLiteral", () => {
  it("reads JS and Python literals, skipping what it cannot evaluate", () => {
    assert.deepEqual(readLiteral("{ a: 1, 'b': [true, None, -2.5e1], c: Metric.VAL_ACC, d: f(x), e: `t` } rest", 0), {
      a: 1,
      b: [true, null, -25],
      c: "val_acc",
      e: "t",
    });
    assert.equal(readLiteral("{ unterminated: [1, 2", 0) !== undefined, true);
  });
});
