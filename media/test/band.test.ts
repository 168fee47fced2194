import { test } from "node:test";
import assert from "node:assert/strict";
import type { RunSummary } from "@expman/runtime/contracts";
import { aggregateBand, groupBySetting, groupRuns, parseGroupBy, type LineInput } from "../src/logic/band";

function run(
  id: number,
  trialId: number,
  trialName: string,
  repeat: number,
  params: Record<string, unknown>,
): RunSummary {
  return {
    id,
    uid: `u${id}`,
    trialId,
    experimentId: 1,
    trialName,
    experimentTitle: "e",
    repeat,
    seed: repeat,
    status: "SUCCESS",
    startTime: 0,
    endTime: 1,
    epochCount: 3,
    params,
    finalMetrics: {},
    error: null,
    workspace: null,
  };
}

function line(xs: number[], ys: number[]): LineInput {
  return { xs: Float64Array.from(xs), ys: Float64Array.from(ys), length: xs.length };
}

test("groups repeats by trial and runs by a parameter's value, in listing order", () => {
  const runs = [
    run(1, 10, "lr=0.1", 0, { lr: 0.1, opt: "sgd" }),
    run(2, 11, "lr=0.01", 0, { lr: 0.01, opt: "sgd" }),
    run(3, 10, "lr=0.1", 1, { lr: 0.1, opt: "adam" }),
    run(4, 11, "lr=0.01", 1, { lr: 0.01 }),
  ];
  assert.deepEqual(
    groupRuns(runs, { kind: "trial" }).map((g) => [g.label, g.runIds]),
    [
      ["lr=0.1", [1, 3]],
      ["lr=0.01", [2, 4]],
    ],
  );
  assert.deepEqual(
    groupRuns(runs, { kind: "param", name: "opt" }).map((g) => [g.label, g.runIds]),
    [
      ["opt=sgd", [1, 2]],
      ["opt=adam", [3]],
      ["opt=(not set)", [4]],
    ],
  );
  assert.equal(groupRuns(runs, { kind: "none" }).length, 4);
  // A number and the string of it are different values.
  const mixed = [run(1, 1, "a", 0, { n: 1 }), run(2, 1, "a", 1, { n: "1" })];
  assert.equal(groupRuns(mixed, { kind: "param", name: "n" }).length, 2);
  for (const s of ["none", "trial", "param:optimizer.lr"]) assert.equal(groupBySetting(parseGroupBy(s)), s);
  assert.deepEqual(parseGroupBy("param:"), { kind: "none" });
});

test("exact band: mean, min-max and sample std per step; a run missing a step counts where it has points", () => {
  const lines = [line([0, 1, 2], [1, 2, 3]), line([0, 1, 2], [3, 4, NaN]), line([1, 2, 3], [6, 9, 7])];
  const mm = aggregateBand(lines, "minmax", 100);
  assert.equal(mm.bucketed, false);
  assert.deepEqual([...mm.xs], [0, 1, 2, 3]);
  assert.deepEqual([...mm.mean], [2, 4, 6, 7]);
  assert.deepEqual([...mm.lo], [1, 2, 3, 7]);
  assert.deepEqual([...mm.hi], [3, 6, 9, 7]);
  assert.deepEqual([...mm.count], [2, 3, 2, 1]); // the NaN is left out
  const sd = aggregateBand(lines, "std", 100);
  // step 1: values 2, 4, 6 -> mean 4, sample std 2
  assert.equal(sd.lo[1], 2);
  assert.equal(sd.hi[1], 6);
  // a single value has no spread
  assert.equal(sd.lo[3], 7);
  assert.equal(sd.hi[3], 7);
});

test("bucketed band: each run averaged per bucket first, then min/max/mean across runs", () => {
  const n = 10_000;
  const xs = Array.from({ length: n }, (_, i) => i);
  const a = line(
    xs,
    xs.map(() => 1),
  );
  const b = line(
    xs,
    xs.map((i) => (i % 2 ? 4 : 2)),
  );
  const band = aggregateBand([a, b], "minmax", 100);
  assert.equal(band.bucketed, true);
  assert.equal(band.length, 100);
  for (let i = 0; i < band.length; i++) {
    assert.equal(band.lo[i], 1);
    assert.equal(band.hi[i], 3); // run b's bucket mean, not its raw max 4
    assert.equal(band.mean[i], 2);
    assert.equal(band.count[i], 2);
  }
  assert.ok(band.xs[0] >= 0 && band.xs[99] <= n - 1);
  for (let i = 1; i < band.length; i++) assert.ok(band.xs[i] > band.xs[i - 1]);
});

test("a range limits the band to the zoomed x values", () => {
  const l = line([0, 1, 2, 3, 4], [0, 10, 20, 30, 40]);
  const band = aggregateBand([l, l], "minmax", 100, [1, 3]);
  assert.deepEqual([...band.xs], [1, 2, 3]);
  assert.deepEqual([...band.mean], [10, 20, 30]);
  assert.equal(aggregateBand([l], "std", 10, [10, 20]).length, 0);
  assert.equal(aggregateBand([], "std", 10).length, 0);
});
