import { test } from "node:test";
import assert from "node:assert/strict";
import { deepMergeConfigs, insertValue, isPlainObject, multiply } from "../src/config/merge";
import { parseLocated, sourceFile, toPlain } from "../src/config/located";
import { mergeLocated } from "../src/config/rules";

// The cases of the original's tests/test_deep_merge.py, as a table.
const CASES: { name: string; base: unknown; trial: unknown; expected: unknown }[] = [
  { name: "basic override and add", base: { a: 1, b: 2 }, trial: { b: 3, c: 4 }, expected: { a: 1, b: 3, c: 4 } },
  {
    name: "nested dict override keeps siblings",
    base: { optimizer: { type: "adam", lr: 0.001, betas: [0.9, 0.99] } },
    trial: { optimizer: { lr: 0.01 } },
    expected: { optimizer: { type: "adam", lr: 0.01, betas: [0.9, 0.99] } },
  },
  {
    name: "element-wise list merge (the docstring example)",
    base: {
      layers: [
        { size: 100, activation: "relu" },
        { size: 2, activation: "softmax" },
      ],
    },
    trial: { layers: [{ activation: "tanh" }] },
    expected: {
      layers: [
        { size: 100, activation: "tanh" },
        { size: 2, activation: "softmax" },
      ],
    },
  },
  {
    name: "longer trial list appends",
    base: { layers: [{ size: 10 }] },
    trial: { layers: [{ size: 20 }, { size: 5, dropout: 0.1 }] },
    expected: { layers: [{ size: 20 }, { size: 5, dropout: 0.1 }] },
  },
  {
    name: "shorter trial list keeps the base's tail (lists never shrink)",
    base: { steps: [1, 2, 3] },
    trial: { steps: [9] },
    expected: { steps: [9, 2, 3] },
  },
  {
    name: "complex nested structure",
    base: {
      model: {
        layers: [
          { size: 64, dropout: 0.0 },
          { size: 32, dropout: 0.0 },
        ],
      },
      optimizer: { lr: 0.1 },
    },
    trial: { model: { layers: [{ dropout: 0.5 }, { dropout: 0.2 }] }, optimizer: { lr: 0.01 } },
    expected: {
      model: {
        layers: [
          { size: 64, dropout: 0.5 },
          { size: 32, dropout: 0.2 },
        ],
      },
      optimizer: { lr: 0.01 },
    },
  },
  { name: "empty trial returns the base", base: { a: 1 }, trial: {}, expected: { a: 1 } },
  { name: "null trial returns the base", base: { a: 1 }, trial: null, expected: { a: 1 } },
  { name: "non-mapping trial returns the base", base: { a: 1, b: 2 }, trial: "not a dict", expected: { a: 1, b: 2 } },
  {
    name: "unrelated base branches are preserved",
    base: { data: { root: "/d", batch: 32 }, model: { hidden: 8 } },
    trial: { model: { hidden: 16 } },
    expected: { data: { root: "/d", batch: 32 }, model: { hidden: 16 } },
  },
  {
    name: "nested list in a list element is replaced, scalars and null replace",
    base: {
      grid: [
        [1, 2],
        [3, 4],
      ],
      x: 1,
      y: { z: 1 },
    },
    trial: { grid: [[9]], x: null, y: 5 },
    expected: { grid: [[9], [3, 4]], x: null, y: 5 },
  },
];

for (const c of CASES) {
  test(`deep merge: ${c.name}`, () => {
    const baseCopy = JSON.parse(JSON.stringify(c.base));
    assert.deepEqual(deepMergeConfigs(c.base, c.trial), c.expected);
    assert.deepEqual(c.base, baseCopy, "the base is never mutated");
  });
}

// The same table through the validator's merge of located values (what the editor and
// `expman validate` check): one rule, so both must give the runtime's result.
for (const c of CASES) {
  if (!isPlainObject(c.base) || !isPlainObject(c.trial) || Object.keys(c.trial).length === 0) continue;
  test(`located merge agrees: ${c.name}`, () => {
    const located = (value: unknown) => parseLocated(sourceFile("base", "/x.yaml", JSON.stringify(value))).root!;
    assert.deepEqual(toPlain(mergeLocated(located(c.base), located(c.trial))), c.expected);
  });
}

test("insertValue replaces '?' in nested mappings, not in lists", () => {
  const cfg = { a: "?", b: { c: "?", d: 1 }, e: ["?"] };
  insertValue(cfg, 42);
  assert.deepEqual(cfg, { a: 42, b: { c: 42, d: 1 }, e: ["?"] });
});

test("multiply builds the cartesian product with standard merges (lists replaced)", () => {
  const out = multiply([{ lr: 0.1, l: [1, 2] }, { lr: 0.2 }], [{ bs: 8, l: [3] }, { bs: 16 }]);
  assert.deepEqual(out, [
    { lr: 0.1, l: [3], bs: 8 },
    { lr: 0.1, l: [1, 2], bs: 16 },
    { lr: 0.2, bs: 8, l: [3] },
    { lr: 0.2, bs: 16 },
  ]);
});
