import { test } from "node:test";
import assert from "node:assert/strict";
import type { RunSummary } from "@expman/runtime/contracts";
import {
  axisPosition,
  axisTicks,
  axisValue,
  bestOf,
  brushedRuns,
  buildParallel,
  defaultDirection,
  metricKeys,
  varyingParams,
  wantsLog,
} from "../src/logic/parallel";

function run(id: number, params: Record<string, unknown>, finalMetrics: Record<string, number>): RunSummary {
  return {
    id,
    uid: `u${id}`,
    trialId: id,
    experimentId: 1,
    trialName: `t${id}`,
    experimentTitle: "e",
    repeat: 0,
    seed: 0,
    status: "SUCCESS",
    startTime: 0,
    endTime: 1,
    epochCount: 3,
    params,
    finalMetrics,
    error: null,
    workspace: null,
  };
}

const runs = [
  run(1, { lr: 0.0001, opt: "sgd", batch: 32 }, { val_acc: 0.5, val_loss: 2 }),
  run(2, { lr: 0.001, opt: "adam", batch: 32 }, { val_acc: 0.7, val_loss: 1 }),
  run(3, { lr: 0.01, opt: "sgd", batch: 32 }, { val_acc: 0.9 }),
  run(4, { lr: 0.1, opt: "rmsprop", batch: 32 }, { val_acc: 0.6, val_loss: 0.5 }),
];

test("axes: one per varying parameter (constant ones left out) and one per chosen metric", () => {
  assert.deepEqual(varyingParams(runs), ["lr", "opt"]);
  assert.deepEqual(metricKeys(runs), ["val_acc", "val_loss"]);
  const data = buildParallel(
    runs,
    varyingParams(runs),
    [
      { key: "val_acc", pick: "last", direction: "max" },
      { key: "val_loss", pick: "last", direction: "min" },
    ],
    (r, m) => r.finalMetrics[m.key] ?? NaN,
  );
  assert.deepEqual(
    data.axes.map((a) => [a.id, a.scale]),
    [
      ["param:lr", "log"],
      ["param:opt", "category"],
      ["metric:val_acc", "linear"],
      ["metric:val_loss", "linear"],
    ],
  );
  assert.deepEqual(data.axes[1].categories, ["adam", "rmsprop", "sgd"]);
  const pos = (r: number, a: number) => data.positions[r * 4 + a];
  // lr is spread by decades: 1e-4 bottom, 1e-1 top, 1e-3 a third up.
  assert.equal(pos(0, 0), 0);
  assert.equal(pos(3, 0), 1);
  assert.ok(Math.abs(pos(1, 0) - 1 / 3) < 1e-6);
  assert.equal(pos(1, 1), 0); // adam
  assert.equal(pos(0, 1), 1); // sgd
  assert.ok(Math.abs(pos(2, 2) - 1) < 1e-6); // best val_acc on top
  assert.ok(Number.isNaN(pos(2, 3))); // run 3 has no val_loss
});

test("brushing keeps the runs inside every brushed range; a run without a value is dropped", () => {
  const data = buildParallel(
    runs,
    ["lr"],
    [{ key: "val_loss", pick: "last", direction: "min" }],
    (r, m) => r.finalMetrics[m.key] ?? NaN,
  );
  assert.equal(brushedRuns(data, new Map()), null);
  assert.deepEqual(brushedRuns(data, new Map([[0, [0.5, 1] as const]])), [3, 4]);
  assert.deepEqual(
    brushedRuns(
      data,
      new Map([
        [0, [0.5, 1] as const],
        [1, [0, 0.1] as const],
      ]),
    ),
    [4],
  );
  // run 3 has lr 0.01 (inside) but no val_loss
  assert.deepEqual(brushedRuns(data, new Map([[1, [0, 1] as const]])), [1, 2, 4]);
});

test("log axes only for positive values spanning two decades; positions and values round-trip", () => {
  assert.equal(wantsLog([0.001, 0.1]), true);
  assert.equal(wantsLog([0.5, 0.99]), false);
  assert.equal(wantsLog([0, 1, 1000]), false);
  assert.equal(wantsLog([5]), false);
  const axis = {
    id: "a",
    label: "a",
    kind: "param" as const,
    scale: "log" as const,
    min: 1e-4,
    max: 1,
    categories: [],
  };
  for (const v of [1e-4, 3e-3, 0.5]) assert.ok(Math.abs(axisValue(axis, axisPosition(axis, v)) / v - 1) < 1e-9);
  assert.deepEqual(
    axisTicks(axis, String).map((t) => t.label),
    ["0.0001", "0.001", "0.01", "0.1", "1"],
  );
});

test("best is the lowest or highest finite value; direction guessed from the name", () => {
  const v = Float64Array.from([3, NaN, 1, 5, Infinity]);
  assert.equal(bestOf(v, 5, "min"), 1);
  assert.equal(bestOf(v, 5, "max"), 5);
  assert.equal(bestOf(v, 3, "max"), 3);
  assert.ok(Number.isNaN(bestOf(v, 0, "max")));
  assert.equal(defaultDirection("val_loss"), "min");
  assert.equal(defaultDirection("test_error"), "min");
  assert.equal(defaultDirection("val_acc"), "max");
});
